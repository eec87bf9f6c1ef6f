import { createRequire } from 'node:module';

/**
 * String primitives for keys and comparisons. talisman ships CommonJS without types, so its two
 * functions are loaded here once and typed at the boundary.
 */
const require = createRequire(import.meta.url);
type Loaded<F> = F | { default: F };
const unwrap = <F extends (...args: never[]) => unknown>(m: Loaded<F>): F => (typeof m === 'function' ? m : (m as { default: F }).default);
const soundexFr = unwrap(require('talisman/phonetics/french/soundex.js') as Loaded<(word: string) => string>);
const jaroWinklerFn = unwrap(require('talisman/metrics/jaro-winkler.js') as Loaded<(a: string, b: string) => number>);

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

let lastA = '';
let lastB = '';
let lastScore = 1;

/** Jaro-Winkler similarity; successive levels of one comparison ask for the same pair, so the last answer is kept. */
export function jaroWinkler(a: string, b: string): number {
  if (a !== lastA || b !== lastB) {
    lastA = a;
    lastB = b;
    lastScore = jaroWinklerFn(a, b);
  }
  return lastScore;
}
