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

/**
 * The segment table of a run. The median recency comes from counts: one GROUP BY (segment, recency)
 * gives a few thousand rows, and the median is read from their running totals (the middle row, or the
 * mean of the two middle rows). Exact, and one sort of the run instead of a window function that
 * numbers every row (4 s of CPU at a million contacts, against about 1).
 */
export function segmentTable(db: Db, runId: number): SegmentRow[] {
  const rows = db
    .prepare(
      `WITH byRecency AS MATERIALIZED (
         SELECT segment, recency_days AS r, count(*) AS n, sum(monetary_minor) AS revenue, sum(frequency) AS orders
         FROM scores WHERE run_id = @run GROUP BY 1, 2),
       totals AS (SELECT sum(n) AS n, sum(revenue) AS revenue FROM byRecency),
       running AS (
         SELECT segment, r, n, sum(n) OVER (PARTITION BY segment ORDER BY r ROWS UNBOUNDED PRECEDING) AS upto,
                sum(n) OVER (PARTITION BY segment) AS cnt
         FROM byRecency WHERE r IS NOT NULL),
       medians AS (
         SELECT segment, (min(CASE WHEN upto - n < (cnt + 1) / 2 AND (cnt + 1) / 2 <= upto THEN r END)
                        + min(CASE WHEN upto - n < (cnt + 2) / 2 AND (cnt + 2) / 2 <= upto THEN r END)) / 2.0 AS median
         FROM running GROUP BY segment)
       SELECT s.segment, sum(s.n) AS customers, 1.0 * sum(s.n) / t.n AS share,
              sum(s.revenue) AS revenueMinor,
              CASE WHEN t.revenue > 0 THEN 1.0 * sum(s.revenue) / t.revenue ELSE 0 END AS revenueShare,
              CASE WHEN sum(s.orders) > 0 THEN CAST(round(1.0 * sum(s.revenue) / sum(s.orders)) AS INTEGER) END AS aovMinor,
              md.median AS medianRecencyDays
       FROM byRecency s CROSS JOIN totals t LEFT JOIN medians md ON md.segment = s.segment
       GROUP BY s.segment ORDER BY revenueMinor DESC, customers DESC, s.segment`,
    )
    .all({ run: runId }) as SegmentRow[];
  return rows;
}

/**
 * From -> to counts between two runs, contacts matched by id (one side missing = NOT_SCORED), ordered
 * by from then to. Two joins on the scores key, each a look-up per contact of one run in the other:
 * linear in the runs' sizes (times a B-tree depth). A FULL OUTER JOIN of two subqueries would not do:
 * SQLite runs it as a nested scan (quadratic: 69 s for 20,000 contacts).
 */
export function migrationMatrix(db: Db, fromRun: number, toRun: number): MigrationCell[] {
  return db
    .prepare(
      `SELECT "from", "to", sum(n) AS customers FROM (
         SELECT a.segment AS "from", coalesce(b.segment, @none) AS "to", count(*) AS n
         FROM scores a LEFT JOIN scores b ON b.run_id = @to AND b.contact_id = a.contact_id
         WHERE a.run_id = @from GROUP BY 1, 2
         UNION ALL
         SELECT @none, b.segment, count(*) FROM scores b
         WHERE b.run_id = @to AND NOT EXISTS (SELECT 1 FROM scores a WHERE a.run_id = @from AND a.contact_id = b.contact_id)
         GROUP BY 2)
       GROUP BY 1, 2 ORDER BY 1, 2`,
    )
    .all({ from: fromRun, to: toRun, none: NOT_SCORED }) as MigrationCell[];
}
