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
  const trimmed = value.replace(/[\u00a0\u202f]/g, ' ').trim();
  return trimmed === '' ? null : trimmed;
}

/**
 * A bounded memo for a rule whose input text repeats across a file (countries, civilities, postal
 * codes, dates): rules are pure functions of the text, so a remembered verdict is the verdict. The
 * verdicts are shared objects: callers read them, never change them. Cleared when full.
 */
export function memo<R>(limit: number, compute: (key: string) => R): (key: string) => R {
  const cache = new Map<string, R>();
  return (key) => {
    let verdict = cache.get(key);
    if (verdict === undefined) {
      if (cache.size >= limit) cache.clear();
      verdict = compute(key);
      cache.set(key, verdict);
    }
    return verdict;
  };
}

export function stripAccents(value: string): string {
  return value.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
}
