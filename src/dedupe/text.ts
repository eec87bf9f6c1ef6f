import { createRequire } from 'node:module';

/**
 * String primitives for keys and comparisons. talisman ships CommonJS without types, so its French
 * Soundex is loaded here once and typed at the boundary.
 */
const require = createRequire(import.meta.url);
type Loaded<F> = F | { default: F };
const unwrap = <F extends (...args: never[]) => unknown>(m: Loaded<F>): F => (typeof m === 'function' ? m : (m as { default: F }).default);
const soundexFr = unwrap(require('talisman/phonetics/french/soundex.js') as Loaded<(word: string) => string>);

/** Accent-free, lower case, letters only: "Lefèvre-Dupont" and "LEFEVRE DUPONT" give the same key. */
const ASCII = /^[\x20-\x7e]*$/;

export function foldName(value: string | null | undefined): string | null {
  if (!value) return null;
  if (ASCII.test(value)) {
    const folded = value.toLowerCase().replace(/[^a-z]/g, '');
    return folded === '' ? null : folded;
  }
  const folded = value
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/œ/g, 'oe')
    .replace(/æ/g, 'ae')
    .replace(/ß/g, 'ss')
    .replace(/[^a-z]/g, '');
  return folded === '' ? null : folded;
}

/** Accent-free lower-case words (addresses, cities), single spaces. */
export function foldText(value: string | null | undefined): string | null {
  if (!value) return null;
  const folded = (ASCII.test(value) ? value : value.normalize('NFD').replace(/[\u0300-\u036f]/g, ''))
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
  return folded === '' ? null : folded;
}

/**
 * French Soundex (talisman): tuned to French spelling ("Gauthier" = "Gautier", "Dupont" = "Dupond"),
 * and still sensible on other European surnames.
 */
export function phoneticFr(folded: string | null): string | null {
  if (!folded) return null;
  const code = soundexFr(folded);
  return code === '' ? null : code;
}

let flags = new Uint8Array(64);
let matchedAt = new Int32Array(64);

/**
 * Jaro similarity, as talisman computes it (test/dedupe/text.test.ts checks they agree), without
 * allocating: it runs tens of millions of times in a large dedupe, and the library's per-call arrays
 * made a fifth of the run and most of its garbage.
 */
export function jaro(a: string, b: string): number {
  if (a === b) return 1;
  const long = a.length > b.length ? a : b;
  const short = long === a ? b : a;
  if (long.length > flags.length) {
    flags = new Uint8Array(long.length * 2);
    matchedAt = new Int32Array(long.length * 2);
  }
  flags.fill(0, 0, long.length);
  const range = Math.max(((long.length / 2) | 0) - 1, 0);
  let matches = 0;
  for (let i = 0; i < short.length; i++) {
    matchedAt[i] = -1;
    const c = short.charCodeAt(i);
    const end = Math.min(i + range + 1, long.length);
    for (let j = Math.max(i - range, 0); j < end; j++) {
      if (long.charCodeAt(j) === c && flags[j] === 0) {
        flags[j] = 1;
        matchedAt[i] = j;
        matches++;
        break;
      }
    }
  }
  if (matches === 0) return 0;
  let transposed = 0;
  let j = 0;
  for (let i = 0; i < short.length; i++) {
    if (matchedAt[i] === -1) continue;
    while (flags[j] === 0) j++;
    if (short.charCodeAt(i) !== long.charCodeAt(j)) transposed++;
    j++;
  }
  const t = (transposed / 2) | 0;
  return (matches / a.length + matches / b.length + (matches - t) / matches) / 3;
}

function winkler(a: string, b: string): number {
  if (a === b) return 1;
  const dj = jaro(a, b);
  if (dj < 0.7) return dj;
  const limit = Math.min(a.length, b.length, 4);
  let prefix = 0;
  while (prefix < limit && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix++;
  return dj + prefix * 0.1 * (1 - dj);
}

let lastA = '';
let lastB = '';
let lastScore = 1;

/** Jaro-Winkler similarity; successive levels of one comparison ask for the same pair, so the last answer is kept. */
export function jaroWinkler(a: string, b: string): number {
  if (a !== lastA || b !== lastB) {
    lastA = a;
    lastB = b;
    lastScore = winkler(a, b);
  }
  return lastScore;
}
