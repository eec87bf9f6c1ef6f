/**
 * What every field rule returns. A rule is a pure function of the raw value (and, where the field needs
 * it, a default country or today's date): it never reads the store or the clock.
 */

export type Severity = 'error' | 'warning';

/** One problem found in one field: a stable code (used in reports and `--out` files) and a sentence. */
export interface Issue {
  code: string;
  severity: Severity;
  message: string;
}

export interface FieldCheck<N = string> {
  /** False only when the value is filled and unusable (an error); empty values and warnings are ok. */
  ok: boolean;
  /** True when the cell was empty (or only blanks). */
  empty: boolean;
  /** The value as it should be written, or null when it is empty or cannot be repaired. */
  normalised: N | null;
  /** The most important problem, if any (errors before warnings). */
  issue: Issue | null;
}

export function emptyCheck<N = string>(): FieldCheck<N> {
  return { ok: true, empty: true, normalised: null, issue: null };
}

export function error(code: string, message: string): Issue {
  return { code, severity: 'error', message };
}

export function warning(code: string, message: string): Issue {
  return { code, severity: 'warning', message };
}

/** null, undefined and blank strings are "empty"; everything else is trimmed text. */
export function text(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  // Two native scans cost less than the replace's regular expression, and most cells have no such space.
  const spaced = value.indexOf('\u00a0') < 0 && value.indexOf('\u202f') < 0 ? value : value.replace(NO_BREAK_SPACES, ' ');
  const trimmed = spaced.trim();
  return trimmed === '' ? null : trimmed;
}

const NO_BREAK_SPACES = /[\u00a0\u202f]/g;

/**
 * A bounded memo for a rule whose input text repeats across a file (countries, civilities, postal
 * codes, dates): rules are pure functions of the text, so a remembered verdict is the verdict. The
 * verdicts are shared objects: callers read them, never change them. Cleared when full.
 */
export function memo<R>(limit: number, compute: (key: string) => R): (key: string) => R {
  const cache = new Map<string, R>();
  // The last key first: a file's countries and civilities come in long runs of one value, and
  // comparing two short strings costs less than hashing a fresh one for the map.
  let lastKey: string | null = null;
  let lastVerdict: R | undefined;
  return (key) => {
    if (key === lastKey) return lastVerdict!;
    let verdict = cache.get(key);
    if (verdict === undefined) {
      if (cache.size >= limit) cache.clear();
      verdict = compute(key);
      cache.set(key, verdict);
    }
    lastKey = key;
    lastVerdict = verdict;
    return verdict;
  };
}

export function stripAccents(value: string): string {
  return value.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
}
