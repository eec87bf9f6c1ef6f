import type { Db } from '../store/db.js';

/** Segment tables and migration matrices over stored runs ("the latest run" = highest id). */
export interface RunInfo {
  id: number;
  asOf: string;
  method: string;
  bins: number;
  binning: string;
  segmentMap: string;
  customers: number;
  prospects: number;
}

export interface SegmentRow {
  segment: string;
  customers: number;
  share: number;
  revenueMinor: number;
  revenueShare: number;
  /** Revenue / orders; null when the segment has no order. */
  aovMinor: number | null;
  medianRecencyDays: number | null;
}

export interface MigrationCell {
  from: string;
  to: string;
  customers: number;
}

const RUN_COLUMNS = `id, as_of AS asOf, method, bins, binning, segment_map AS segmentMap, customers, prospects`;
/** Shown for contacts present in only one of the two runs. */
export const NOT_SCORED = '(not scored)';

export function getRun(db: Db, id?: number): RunInfo | undefined {
  return (id === undefined
    ? db.prepare(`SELECT ${RUN_COLUMNS} FROM score_runs ORDER BY id DESC LIMIT 1`).get()
    : db.prepare(`SELECT ${RUN_COLUMNS} FROM score_runs WHERE id = ?`).get(id)) as RunInfo | undefined;
}

/** The run before `run`: same method, the latest as-of date before its own. */
export function previousRun(db: Db, run: RunInfo): RunInfo | undefined {
  return db
    .prepare(`SELECT ${RUN_COLUMNS} FROM score_runs WHERE method = ? AND as_of < ? ORDER BY as_of DESC, id DESC LIMIT 1`)
    .get(run.method, run.asOf) as RunInfo | undefined;
}

export function segmentTable(db: Db, runId: number): SegmentRow[] {
  const rows = db
    .prepare(
      `WITH totals AS (SELECT count(*) AS n, sum(monetary_minor) AS revenue FROM scores WHERE run_id = @run),
       ranked AS (
         SELECT segment, recency_days, row_number() OVER (PARTITION BY segment ORDER BY recency_days) AS rn,
                count(*) OVER (PARTITION BY segment) AS cnt
         FROM scores WHERE run_id = @run AND recency_days IS NOT NULL),
       medians AS (SELECT segment, avg(recency_days) AS median FROM ranked
                   WHERE rn IN ((cnt + 1) / 2, (cnt + 2) / 2) GROUP BY segment)
       SELECT s.segment, count(*) AS customers, 1.0 * count(*) / t.n AS share,
              sum(s.monetary_minor) AS revenueMinor,
              CASE WHEN t.revenue > 0 THEN 1.0 * sum(s.monetary_minor) / t.revenue ELSE 0 END AS revenueShare,
              CASE WHEN sum(s.frequency) > 0 THEN CAST(round(1.0 * sum(s.monetary_minor) / sum(s.frequency)) AS INTEGER) END AS aovMinor,
              md.median AS medianRecencyDays
       FROM scores s CROSS JOIN totals t LEFT JOIN medians md ON md.segment = s.segment
       WHERE s.run_id = @run
       GROUP BY s.segment ORDER BY revenueMinor DESC, customers DESC, s.segment`,
    )
    .all({ run: runId }) as SegmentRow[];
  return rows;
}

/** From -> to counts between two runs, contacts matched by id (one side missing = NOT_SCORED). */
export function migrationMatrix(db: Db, fromRun: number, toRun: number): MigrationCell[] {
  return db
    .prepare(
      `SELECT coalesce(a.segment, @none) AS "from", coalesce(b.segment, @none) AS "to", count(*) AS customers
       FROM (SELECT contact_id, segment FROM scores WHERE run_id = @from) a
       FULL OUTER JOIN (SELECT contact_id, segment FROM scores WHERE run_id = @to) b ON b.contact_id = a.contact_id
       GROUP BY 1, 2 ORDER BY 1, 2`,
    )
    .all({ from: fromRun, to: toRun, none: NOT_SCORED }) as MigrationCell[];
}
