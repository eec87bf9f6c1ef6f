/**
 * KPIs read from the stored score runs: segment sizes and revenue (score's own segment table, so they
 * equal `custkit segments`), the change since the previous run, the R x F grid, CLV and P(alive)
 * distributions and the category affinities stored with a run. Nothing here scores: a store that was
 * never scored has none of these sections.
 */
import type { Db } from '../store/db.js';
import type { Cents } from '../store/types.js';
import type { AffinityRule } from '../score/affinities.js';
import { migrationMatrix, NOT_SCORED, previousRun, segmentTable, type MigrationCell, type RunInfo, type SegmentRow } from '../score/report.js';

const RUN_COLUMNS = `id, as_of AS asOf, method, bins, binning, segment_map AS segmentMap, customers, prospects`;

/** The run the report shows: the latest dated on or before the report date (ties: the highest id, as `segments` picks). */
export function currentRun(db: Db, asOf: string): RunInfo | undefined {
  return db.prepare(`SELECT ${RUN_COLUMNS} FROM score_runs WHERE as_of <= ? ORDER BY as_of DESC, id DESC LIMIT 1`).get(asOf) as RunInfo | undefined;
}

export interface SegmentSizes {
  run: RunInfo;
  previous: RunInfo | null;
  segments: Array<SegmentRow & { previousCustomers: number | null }>;
  /** From -> to counts between the previous run and this one (as `segments --compare-previous`). */
  migration: MigrationCell[];
}

/** Segment table of a run with each segment's size in the previous run of the same method. */
export function segmentSizes(db: Db, run: RunInfo): SegmentSizes {
  const previous = previousRun(db, run) ?? null;
  const migration = previous ? migrationMatrix(db, previous.id, run.id) : [];
  // A segment's size in the previous run is the sum of its row of the migration matrix.
  const before = new Map<string, number>();
  for (const cell of migration) if (cell.from !== NOT_SCORED) before.set(cell.from, (before.get(cell.from) ?? 0) + cell.customers);
  return {
    run,
    previous,
    segments: segmentTable(db, run.id).map((s) => ({ ...s, previousCustomers: previous ? (before.get(s.segment) ?? 0) : null })),
    migration,
  };
}

export interface GridCell {
  r: number;
  f: number;
  customers: number;
  revenueMinor: Cents;
}

/** Customers and revenue per recency score x frequency score (prospects, who have neither, left out). */
export function rfGrid(db: Db, runId: number): GridCell[] {
  return db
    .prepare(
      `SELECT r_score AS r, f_score AS f, count(*) AS customers, sum(monetary_minor) AS revenueMinor FROM scores
       WHERE run_id = ? AND r_score IS NOT NULL AND f_score IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2`,
    )
    .all(runId) as GridCell[];
}

export interface Bucket {
  /** Lower bound (inclusive); the bucket ends where the next begins. */
  from: number;
  customers: number;
}

export interface ClvSummary {
  customers: number;
  /** Sum of the predicted CLV over the horizon the run used. */
  predictedMinor: Cents;
  historicalMinor: Cents;
  expectedPurchases: number;
  /** Mean P(alive). */
  meanPAlive: number;
  horizonMonths: number | null;
  /** Customers per bucket of historical value (net revenue so far) and of predicted CLV, in minor units. */
  historical: Bucket[];
  predicted: Bucket[];
  /** Customers per tenth of P(alive) (from 0, 0.1, ... 0.9). */
  pAlive: Bucket[];
}

/** Value buckets in minor units: 0, 10, 25, 50, 100 ... 5,000 currency units and more. */
export const VALUE_EDGES = [0, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000];

/**
 * Historical and predicted CLV and P(alive) of a run scored with --clv; null when it was not. One pass
 * over the run's scores with a sum per bucket (a GROUP BY per distribution would sort the run three times).
 */
export function clvDistribution(db: Db, runId: number): ClvSummary | null {
  const tenths = Array.from({ length: 10 }, (_, i) => i);
  const sums = [
    ...VALUE_EDGES.map((_, i) => `coalesce(sum(${inBucket('monetary_minor', i)}), 0)`),
    ...VALUE_EDGES.map((_, i) => `coalesce(sum(${inBucket('clv_minor', i)}), 0)`),
    ...tenths.map((i) => `coalesce(sum(min(CAST(coalesce(p_alive, 0) * 10 AS INTEGER), 9) = ${i}), 0)`),
  ];
  const row = db
    .prepare(
      `SELECT count(*), coalesce(sum(clv_minor), 0), coalesce(sum(monetary_minor), 0), coalesce(sum(expected_purchases), 0), avg(p_alive), ${sums.join(', ')}
       FROM scores WHERE run_id = ? AND clv_minor IS NOT NULL`,
    )
    .raw(true)
    .get(runId) as number[];
  const [customers, predictedMinor, historicalMinor, expectedPurchases, meanPAlive] = row as [number, number, number, number, number];
  if (customers === 0) return null;
  const counts = row.slice(5);
  const edges = VALUE_EDGES.length;
  const parameters = db.prepare('SELECT parameters FROM score_runs WHERE id = ?').pluck().get(runId) as string;
  return {
    customers,
    predictedMinor,
    historicalMinor,
    expectedPurchases,
    meanPAlive,
    horizonMonths: horizonOf(parameters),
    historical: VALUE_EDGES.map((from, i) => ({ from, customers: counts[i]! })),
    predicted: VALUE_EDGES.map((from, i) => ({ from, customers: counts[edges + i]! })),
    pAlive: tenths.map((i) => ({ from: i / 10, customers: counts[2 * edges + i]! })),
  };
}

/** `column` falls in the i-th value bucket (below the first edge counts in the first bucket). */
function inBucket(column: string, i: number): string {
  const upper = VALUE_EDGES[i + 1];
  const lower = i === 0 ? '' : `${column} >= ${VALUE_EDGES[i]}`;
  const below = upper === undefined ? '' : `${column} < ${upper}`;
  return [lower, below].filter(Boolean).join(' AND ') || '1';
}

/** The CLV horizon recorded in a run's parameters, read defensively (the JSON's shape belongs to score). */
function horizonOf(parameters: string): number | null {
  try {
    const clv = (JSON.parse(parameters) as { clv?: { horizonMonths?: unknown } }).clv;
    return typeof clv?.horizonMonths === 'number' ? clv.horizonMonths : null;
  } catch {
    return null;
  }
}

export type { AffinityRule };

/** The strongest category rules stored with the latest run (on or before the date) that has any. */
export function categoryAffinities(db: Db, asOf: string, limit = 10): { runId: number; rules: AffinityRule[] } | null {
  const runId = db
    .prepare('SELECT r.id FROM score_runs r WHERE r.as_of <= ? AND EXISTS (SELECT 1 FROM affinity_rules a WHERE a.run_id = r.id) ORDER BY r.id DESC LIMIT 1')
    .pluck()
    .get(asOf) as number | undefined;
  if (runId === undefined) return null;
  const rows = db
    .prepare('SELECT antecedent, consequent, customers, support, confidence, lift FROM affinity_rules WHERE run_id = ? ORDER BY lift DESC, customers DESC, id LIMIT ?')
    .all(runId, limit) as Array<Omit<AffinityRule, 'antecedent'> & { antecedent: string }>;
  return { runId, rules: rows.map((r) => ({ ...r, antecedent: JSON.parse(r.antecedent) as string[] })) };
}
