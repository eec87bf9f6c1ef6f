/**
 * Term frequencies for scoring: on the tf-adjusted levels (comparison.ts), u is the share of the
 * contacts that hold the pair's value. Computed from the records in memory (a full run: counts per
 * value code, no string-keyed map over a million emails) or from the store (explain, decisions); both
 * give the same shares, so explain and dedupe agree.
 */
import { COMPARISONS, type Comparison, type TermFrequencyLevel } from './comparison.js';
import type { Db } from '../store/db.js';
import type { Records } from './records.js';

/** A value's share of the contacts that have the column (a Map works too, as in tests). */
export interface Shares {
  get(key: string): number | undefined;
}

/**
 * A value's share is of the *other* contacts: (holders - 1) / total, the chance that someone else holds
 * the value of one of the pair. Counting the pair's own two holders made a value only these two share
 * look common in a small store (2 of 44 contacts: an email worth 4 bits instead of 5, and the same
 * person's two records under the threshold).
 * Only values held by two contacts or more are stored: every value scoring asks about comes from a
 * keyed contact, so a value not stored is held by exactly one. (At a million contacts nearly every
 * email is unique, and a map of them all was 1M entries kept for the whole run.)
 */
export class ValueShares implements Shares {
  constructor(readonly repeated: Map<string, number>, readonly single: number) {}
  get(key: string): number {
    return this.repeated.get(key) ?? this.single;
  }

  static fromCounts(counts: Iterable<[string, number]>, total: number): ValueShares {
    const repeated = new Map<string, number>();
    for (const [key, n] of counts) if (n > 2) repeated.set(key, (n - 1) / total);
    return new ValueShares(repeated, 1 / Math.max(total, 1));
  }
}

/** Per comparison, per tf-adjusted level: the shares of its values. */
export type TermFrequencies = Array<Map<number, Shares> | null>;

type SharesOf = (column: TermFrequencyLevel['column'], key: TermFrequencyLevel['key']) => ValueShares;

function frequencies(sharesOf: SharesOf, comparisons: readonly Comparison[]): TermFrequencies {
  const cache = new Map<string, ValueShares>();
  return comparisons.map((c) => {
    if (!c.tf) return null;
    const byLevel = new Map<number, Shares>();
    for (const t of c.tf) {
      const id = `${t.column}:${t.key?.toString() ?? ''}`;
      let shares = cache.get(id);
      if (!shares) cache.set(id, (shares = sharesOf(t.column, t.key)));
      byLevel.set(t.level, shares);
    }
    return byLevel;
  });
}

/** From the store (explain, decisions: the records are not all in memory). */
export function termFrequencies(db: Db, comparisons: readonly Comparison[] = COMPARISONS): TermFrequencies {
  return frequencies((column, key) => {
    const counts = new Map<string, number>();
    let total = 0;
    for (const v of db.prepare(`SELECT ${column} FROM dedupe_keys WHERE ${column} IS NOT NULL`).pluck().iterate() as Iterable<string>) {
      // phones holds a contact's numbers separated by spaces: each number is counted.
      for (const one of column === 'phones' ? v.split(' ') : [v]) {
        const k = key ? key(one) : one;
        counts.set(k, (counts.get(k) ?? 0) + 1);
        total++;
      }
    }
    return ValueShares.fromCounts(counts, total);
  }, comparisons);
}

/** From records already in memory (a full run): counted per value code. */
export function termFrequenciesOf(records: Records, comparisons: readonly Comparison[] = COMPARISONS): TermFrequencies {
  return frequencies((column, key) => {
    const codes = column === 'phones' ? records.phoneCodes : records.codes[column];
    const values = column === 'phones' ? records.phoneValues : records.values[column];
    const perCode = new Int32Array(values.length);
    let total = 0;
    for (let i = 0; i < codes.length; i++) {
      if (codes[i] < 0) continue;
      perCode[codes[i]]++;
      total++;
    }
    if (!key) {
      const repeated: Array<[string, number]> = [];
      perCode.forEach((n, code) => n > 1 && repeated.push([values[code], n]));
      return ValueShares.fromCounts(repeated, total);
    }
    const counts = new Map<string, number>();
    perCode.forEach((n, code) => {
      if (n === 0) return;
      const k = key(values[code]);
      counts.set(k, (counts.get(k) ?? 0) + n);
    });
    return ValueShares.fromCounts(counts, total);
  }, comparisons);
}
