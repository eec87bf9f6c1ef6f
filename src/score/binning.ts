import fs from 'node:fs';
import { z } from 'zod';
import type { Db } from '../store/db.js';

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

/** The score of a value given cut points (JS twin of `scoreSql`, used by tests and docs). */
export function scoreOf(value: number, cuts: number[], bins: Bins, reversed: boolean): number {
  const above = cuts.filter((c) => value > c).length;
  return reversed ? bins - above : 1 + above;
}

/** SQL for a score from cut points: booleans are 0/1 in SQLite, so the score is a sum. */
export function scoreSql(column: string, cuts: number[], bins: Bins, reversed: boolean): { sql: string; params: number[] } {
  const terms = cuts.map(() => `(${column} > ?)`);
  const sum = terms.length ? terms.join(' + ') : '0';
  return { sql: reversed ? `(${bins} - (${sum}))` : `(1 + ${sum})`, params: cuts };
}

/** NTILE with a deterministic tie-break by contact id: equal-size buckets, ties split by id. */
export function ntileSql(column: string, bins: Bins, reversed: boolean, id = 'contact_id'): string {
  return `ntile(${bins}) OVER (ORDER BY ${column} ${reversed ? 'DESC' : 'ASC'}, ${id} ASC)`;
}

/** Sorted values of one column of a (temp) table, for quantile break points. */
export function sortedColumn(db: Db, table: string, column: string, where = '1'): Float64Array {
  const values = db.prepare(`SELECT ${column} FROM ${table} WHERE ${where}`).raw().pluck().all() as number[];
  const array = Float64Array.from(values);
  array.sort();
  return array;
}

/** Several columns of one table sorted, read in one scan (a scan per column cost as much each). */
export function sortedColumns(db: Db, table: string, columns: string[], where = '1'): Float64Array[] {
  const n = db.prepare(`SELECT count(*) FROM ${table} WHERE ${where}`).pluck().get() as number;
  const arrays = columns.map(() => new Float64Array(n));
  let i = 0;
  for (const row of db.prepare(`SELECT ${columns.join(', ')} FROM ${table} WHERE ${where}`).raw().iterate() as Iterable<number[]>) {
    for (let c = 0; c < columns.length; c++) arrays[c]![i] = row[c]!;
    i++;
  }
  for (const array of arrays) array.sort();
  return arrays;
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
