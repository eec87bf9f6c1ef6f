import fs from 'node:fs';
import { z } from 'zod';

export type Binning = 'quantile' | 'ntile' | 'thresholds';
export type Bins = 4 | 5;
/** A scored measure: recency is reversed (fewer days = higher score). */
export type Measure = 'recency' | 'frequency' | 'monetary' | 'categories';

/** Cut points per measure: with k bins there are k - 1, ascending. Monetary is in minor units. */
export type CutPoints = Partial<Record<Measure, number[]>>;

export class BinningError extends Error {}

/**
 * Quantile break points (value-based): b_i is the i/k quantile of the values (inverted empirical CDF:
 * the value at 1-based rank ceil(i * n / k)), i = 1..k-1. A value's score counts the break points it is
 * strictly above, so equal values always share a score, and heavily tied measures (most customers
 * order once) skip scores instead of splitting identical customers. With n distinct values and n a
 * multiple of k, every bin holds n / k customers.
 */
export function quantileCuts(sorted: Float64Array, bins: Bins): number[] {
  const n = sorted.length;
  if (n === 0) return [];
  const cuts: number[] = [];
  for (let i = 1; i < bins; i++) cuts.push(sorted[Math.max(0, Math.ceil((i * n) / bins - 1e-9) - 1)]!);
  return cuts;
}

/**
 * `quantileCuts` over values in any order: the same order statistics, found by selection instead of a
 * full sort (a sort of a million values cost more than the read that produced them). Reorders `values`.
 */
export function selectQuantileCuts(values: Float64Array, bins: Bins): number[] {
  const n = values.length;
  if (n === 0) return [];
  const cuts: number[] = [];
  let from = 0;
  for (let i = 1; i < bins; i++) {
    const k = Math.max(0, Math.ceil((i * n) / bins - 1e-9) - 1);
    // Everything from the previous rank on is at least its value: the next rank is found there.
    select(values, from, n - 1, k);
    cuts.push(values[k]!);
    from = k;
  }
  return cuts;
}

/** Moves the k-th smallest of a[lo..hi] to a[k], smaller ones before it and larger ones after (Hoare). */
function select(a: Float64Array, lo: number, hi: number, k: number): void {
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // Median of three as the pivot: sorted or constant runs stay linear.
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) swap(a, i++, j--);
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/** The score of a value given cut points (JS twin of `scoreSql`, used by tests and docs). */
export function scoreOf(value: number, cuts: number[], bins: Bins, reversed: boolean): number {
  const above = cuts.filter((c) => value > c).length;
  return reversed ? bins - above : 1 + above;
}

/**
 * SQL for a score from cut points (the SQL twin of `scoreOf`): a CASE that stops at the first cut point
 * the value is above, from the highest (cut points ascend, so it is above every lower one too), fewer
 * comparisons per row than summing the comparisons. NULL stays NULL. `bind` names a parameter for each
 * cut point (values are bound, never spliced).
 */
export function scoreCaseSql(column: string, cuts: number[], bins: Bins, reversed: boolean, bind: (value: number) => string): string {
  if (cuts.length === 0) return `CASE WHEN ${column} IS NOT NULL THEN ${reversed ? bins : 1} END`;
  const whens = cuts
    .map((cut, i) => ({ cut, above: i + 1 }))
    .reverse()
    .map(({ cut, above }) => `WHEN ${column} > ${bind(cut)} THEN ${reversed ? bins - above : 1 + above}`);
  return `CASE ${whens.join(' ')} WHEN ${column} IS NOT NULL THEN ${reversed ? bins : 1} END`;
}

/** NTILE with a deterministic tie-break by contact id: equal-size buckets, ties split by id. */
export function ntileSql(column: string, bins: Bins, reversed: boolean, id = 'contact_id'): string {
  return `ntile(${bins}) OVER (ORDER BY ${column} ${reversed ? 'DESC' : 'ASC'}, ${id} ASC)`;
}

const cutList = z.array(z.number().finite()).min(1);
const thresholdsSchema = z
  .object({
    recency: cutList.describe('days, ascending: e.g. [30, 90, 180, 365]'),
    frequency: cutList,
    monetary: cutList.describe('currency units (major), ascending'),
    categories: cutList.optional(),
  })
  .strict();

/**
 * A thresholds file: {"recency": [30, 90, 180, 365], "frequency": [1, 2, 3, 5], "monetary": [50, 100, 250, 1000]}.
 * Recency in days (<= 30 scores 5), frequency in orders and monetary in currency units (<= cut scores
 * that bin), each with bins - 1 ascending cut points. `categories` (RFMCCA) defaults to 1, 2, 3(, 4).
 */
export function loadThresholds(file: string, bins: Bins): CutPoints {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BinningError(`${file}: ${code === 'ENOENT' ? 'no such file' : `not valid JSON (${(error as Error).message})`}`);
  }
  const parsed = thresholdsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BinningError(`${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  const cuts: CutPoints = {
    recency: parsed.data.recency,
    frequency: parsed.data.frequency,
    monetary: parsed.data.monetary.map((v) => Math.round(v * 100)),
    categories: parsed.data.categories ?? defaultCategoryCuts(bins),
  };
  for (const [measure, list] of Object.entries(cuts)) {
    if (list.length !== bins - 1) throw new BinningError(`${file}: ${measure}: ${bins} bins need ${bins - 1} cut points, found ${list.length}`);
    if (list.some((v, i) => i > 0 && v <= list[i - 1]!)) throw new BinningError(`${file}: ${measure}: cut points must be strictly ascending`);
  }
  return cuts;
}

export function defaultCategoryCuts(bins: Bins): number[] {
  return Array.from({ length: bins - 1 }, (_, i) => i + 1);
}
