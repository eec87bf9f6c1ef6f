/**
 * What every KPI reads: the report's dates and two temp tables built in one pass over the purchases.
 *
 * - rep_orders: one row per order ref (source, order_ref) of a contact in the file (status not merged or
 *   erased), lines dated on or before the as-of date: its net amount and its day (the first positive
 *   line, as score counts it), and the same two as of the baseline date. An order is a ref whose net is
 *   positive, the definition score and segments use, so the numbers agree.
 * - rep_lines: revenue per day, category, channel and currency since the earliest window start: revenue is counted
 *   on the day each line is dated (a return lowers the month it happens in), so months, categories and
 *   channels add up to the same total. Lines of erased people count (gdpr erase keeps them, unlinked, for
 *   the totals); they are in no customer figure.
 * - rep_customers, seen through the views rep_c0 / rep_c1: per customer (a contact with at least one
 *   order) as of the report date / the baseline: first order day, orders in all, in the last
 *   12 months and in the 12 months before.
 *
 * Temp tables live on this connection only: the report writes nothing to the store.
 */
import { sqlLiteral, type Db } from '../store/db.js';

/** One date the KPIs are computed at, with the tables that hold its orders and customers. */
export interface Point {
  /** yyyy-mm-dd, inclusive. */
  date: string;
  /** Start of the last 12 months (exclusive): the same day one year earlier. */
  yearStart: string;
  /** Start of the 12 months before those (exclusive). */
  priorYearStart: string;
  orders: 'rep_o0' | 'rep_o1';
  customers: 'rep_c0' | 'rep_c1';
}

export interface Scope {
  asOf: string;
  /** Calendar months shown in the monthly series, oldest first ('yyyy-mm'); the last holds asOf. */
  months: string[];
  current: Point;
  /** The as-of date of the latest score run before the report date: headline changes are since then. */
  baseline: Point | null;
}

export interface ScopeOptions {
  asOf: string;
  months: number;
  /** Defaults to the latest score run dated before asOf; null for none. */
  baseline?: string | null;
  /** Called after each step with its name and duration in milliseconds (build.ts's timings). */
  onStep?: (step: string, ms: number) => void;
}

/** Contacts that are part of the file: merged and erased records are not (as in validate and score). */
export const IN_FILE = "status NOT IN ('merged', 'erased')";

/** The day `months` months before `day` (the last day of the month when it is shorter). */
export function addMonths(day: string, months: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const index = y * 12 + (m - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

/** The `count` calendar months ending with the month of `day`, oldest first. */
export function monthsEnding(day: string, count: number): string[] {
  const first = addMonths(`${day.slice(0, 7)}-01`, -(count - 1));
  return Array.from({ length: count }, (_, i) => addMonths(first, i).slice(0, 7));
}

/** Whole months from month `a` to month `b` ('yyyy-mm'). */
export function monthDiff(a: string, b: string): number {
  const n = (s: string) => Number(s.slice(0, 4)) * 12 + Number(s.slice(5, 7));
  return n(b) - n(a);
}

function point(date: string, k: 0 | 1): Point {
  return { date, yearStart: addMonths(date, -12), priorYearStart: addMonths(date, -24), orders: `rep_o${k}`, customers: `rep_c${k}` };
}

/** The latest score run's as-of date strictly before `asOf`, if any. */
export function defaultBaseline(db: Db, asOf: string): string | null {
  return (db.prepare('SELECT max(as_of) FROM score_runs WHERE as_of < ?').pluck().get(asOf) as string | null) ?? null;
}

export function dropScopeTables(db: Db): void {
  db.exec(`DROP VIEW IF EXISTS temp.rep_o0; DROP VIEW IF EXISTS temp.rep_o1;
    DROP VIEW IF EXISTS temp.rep_c0; DROP VIEW IF EXISTS temp.rep_c1; DROP TABLE IF EXISTS temp.rep_customers;
    DROP TABLE IF EXISTS temp.rep_orders; DROP TABLE IF EXISTS temp.rep_lines;`);
}

/** The report's dates: its months, and the points (as-of date and baseline) with their windows. */
export function scopeDates(db: Db, options: ScopeOptions): Scope {
  const baselineDate = options.baseline === undefined ? defaultBaseline(db, options.asOf) : options.baseline;
  const current = point(options.asOf, 0);
  const baseline = baselineDate && baselineDate < options.asOf ? point(baselineDate, 1) : null;
  return { asOf: options.asOf, months: monthsEnding(options.asOf, options.months), current, baseline };
}

/**
 * Builds the temp tables for a report as of `asOf` (replacing those of an earlier call); `lines:
 * false` leaves rep_lines out (the report builds it on another thread: prepareLines).
 */
export function prepareScope(db: Db, options: ScopeOptions & { lines?: boolean }): Scope {
  const scope = scopeDates(db, options);
  const { current, baseline } = scope;
  const base = baseline?.date ?? '0000-00-00';
  dropScopeTables(db);
  let stepStart = performance.now();
  const step = (name: string): void => {
    const now = performance.now();
    options.onStep?.(name, Math.round(now - stepStart));
    stepStart = now;
  };
  db.exec(`CREATE TEMP TABLE rep_orders (contact_id INTEGER NOT NULL, net INTEGER NOT NULL, day TEXT,
    net_b INTEGER, split_source TEXT, split_ref TEXT)`);
  // Grouping by (source, order_ref) walks the purchases' unique index without a sort. A ref whose lines
  // belong to several contacts (a data error) is regrouped per contact, as score does. Dates are
  // compared whole (upTo below) and cut to the day once per order, not once per line: min() of the
  // timestamps cut to the day is the day of the smallest timestamp. An order's day is the day of its
  // first positive line (the only day read: every KPI counts orders whose net is positive).
  // The first positive line up to the baseline is the first positive line when that one is dated on
  // or before the baseline, and there is none otherwise: the day at the baseline is read off day.
  const dayB = `(CASE WHEN day <= ${sqlLiteral(base)} THEN day END)`;
  const columns = `sum(p.amount_minor),
    substr(min(CASE WHEN p.amount_minor > 0 THEN p.ordered_at END), 1, 10),
    sum(CASE WHEN p.ordered_at < ${upTo('@base')} THEN p.amount_minor END)`;
  db.prepare(
    `INSERT INTO rep_orders (contact_id, net, day, net_b, split_source, split_ref)
     SELECT min(p.contact_id), ${columns},
            CASE WHEN min(p.contact_id) <> max(p.contact_id) THEN p.source END,
            CASE WHEN min(p.contact_id) <> max(p.contact_id) THEN p.order_ref END
     FROM purchases p WHERE p.ordered_at < ${upTo('@asOf')}
     GROUP BY p.source, p.order_ref`,
  ).run({ asOf: options.asOf, base });
  db.prepare(
    `INSERT INTO rep_orders (contact_id, net, day, net_b)
     SELECT p.contact_id, ${columns}
     FROM (SELECT DISTINCT split_source, split_ref FROM rep_orders WHERE split_ref IS NOT NULL) s
     JOIN purchases p ON p.source = s.split_source AND p.order_ref = s.split_ref
     WHERE p.ordered_at < ${upTo('@asOf')}
     GROUP BY p.source, p.order_ref, p.contact_id`,
  ).run({ asOf: options.asOf, base });
  db.exec(`DELETE FROM rep_orders WHERE split_ref IS NOT NULL
             OR contact_id IN (SELECT id FROM main.contacts WHERE NOT (${IN_FILE}))`);
  step('orders');
  db.exec(`CREATE TEMP VIEW rep_o0 AS SELECT contact_id, net, day FROM rep_orders;
           CREATE TEMP VIEW rep_o1 AS SELECT contact_id, net_b AS net, ${dayB} AS day FROM rep_orders WHERE net_b IS NOT NULL;`);
  // Both points' customers in one pass (one sort of the orders by contact): a contact is a customer at
  // a point when it has an order with a positive net then; each point's table is a view of its rows.
  const perPoint = (k: 0 | 1, net: string, day: string) =>
    `count(CASE WHEN ${net} > 0 THEN 1 END) AS orders${k}, min(CASE WHEN ${net} > 0 THEN ${day} END) AS first_day${k},
     sum(${net} > 0 AND ${day} > @year${k}) AS orders_12_${k},
     sum(${net} > 0 AND ${day} > @prior${k} AND ${day} <= @year${k}) AS orders_prior_12_${k}`;
  const b = baseline ?? current;
  // Keyed by contact (rows come sorted by it, so each insert appends): the cohorts join orders to it.
  db.exec(`CREATE TEMP TABLE rep_customers (contact_id INTEGER PRIMARY KEY,
    ${[0, 1].map((k) => `orders${k} INTEGER, first_day${k} TEXT, orders_12_${k} INTEGER, orders_prior_12_${k} INTEGER`).join(',\n    ')})`);
  db.prepare(
    `INSERT INTO rep_customers
     SELECT contact_id, ${perPoint(0, 'net', 'day')}, ${perPoint(1, 'net_b', dayB)}
     FROM rep_orders WHERE net > 0 OR net_b > 0 GROUP BY contact_id ORDER BY contact_id`,
  ).run({ year0: current.yearStart, prior0: current.priorYearStart, year1: b.yearStart, prior1: b.priorYearStart });
  for (const [k, p] of (baseline ? [[0, current], [1, baseline]] : [[0, current]]) as Array<[0 | 1, Point]>) {
    db.exec(`CREATE TEMP VIEW ${p.customers} AS
      SELECT contact_id, first_day${k} AS first_day, orders${k} AS orders,
             orders_12_${k} AS orders_12, orders_prior_12_${k} AS orders_prior_12
      FROM rep_customers WHERE orders${k} > 0`);
  }
  step('customers');
  if (options.lines !== false) {
    prepareLines(db, scope);
    step('revenue per day, category and channel');
  }
  return scope;
}

/** rep_lines: revenue per day, category, channel and currency over the scope's windows (replaced). */
export function prepareLines(db: Db, scope: Scope): void {
  const { current, baseline } = scope;
  db.exec('DROP TABLE IF EXISTS temp.rep_lines');
  // Lines since the earliest date any window needs: the monthly series, and the last 12 months at each
  // point. The inner GROUP BY follows the purchases_day index (report/schema.ts): a range of it, read
  // in order, no sort; the outer one regroups its few rows by day and cleaned category and channel.
  const after = [current.yearStart, dayBefore(`${scope.months[0]}-01`), ...(baseline ? [baseline.yearStart] : [])].sort()[0]!;
  db.prepare(
    `CREATE TEMP TABLE rep_lines AS
     SELECT substr(at, 1, 10) AS day, coalesce(nullif(trim(category), ''), '') AS category,
            coalesce(nullif(trim(channel), ''), '') AS channel, currency, sum(revenue) AS revenue, sum(lines) AS lines
     FROM (SELECT p.ordered_at AS at, p.category, p.channel, p.currency, sum(p.amount_minor) AS revenue, count(*) AS lines
           FROM purchases p
           WHERE p.ordered_at > ${upTo('@after')} AND p.ordered_at < ${upTo('@asOf')}
             AND p.contact_id NOT IN (SELECT id FROM main.contacts WHERE status = 'merged')
           GROUP BY p.ordered_at, p.category, p.channel, p.currency)
     GROUP BY 1, 2, 3, 4`,
  ).run({ after, asOf: scope.asOf });
}

/**
 * SQL for the upper bound of the timestamps of a day given as a parameter: `ordered_at < upTo(d)` holds
 * exactly when `substr(ordered_at, 1, 10) <= d`, and `ordered_at > upTo(d)` when it is after d, without
 * cutting every line's timestamp. Byte 0xFF never occurs in UTF-8 text, so the day followed by it sorts
 * after every timestamp of that day and before the next day (BINARY comparison).
 */
function upTo(param: string): string {
  return `(${param} || CAST(x'FF' AS TEXT))`;
}

/** The day before `day` (so a `> from` bound includes `day` itself). */
function dayBefore(day: string): string {
  const t = Date.parse(`${day}T00:00:00Z`) - 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}
