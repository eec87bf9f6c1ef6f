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
 * - rep_c0 / rep_c1: per customer (a contact with at least one order) as of the report date / the baseline:
 *   first and last order day, orders in all, in the last 12 months and in the 12 months before.
 *
 * Temp tables live on this connection only: the report writes nothing to the store.
 */
import type { Db } from '../store/db.js';

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
    DROP TABLE IF EXISTS temp.rep_c0; DROP TABLE IF EXISTS temp.rep_c1;
    DROP TABLE IF EXISTS temp.rep_orders; DROP TABLE IF EXISTS temp.rep_lines;`);
}

/** Builds the temp tables for a report as of `asOf` (replacing those of an earlier call). */
export function prepareScope(db: Db, options: ScopeOptions): Scope {
  const baselineDate = options.baseline === undefined ? defaultBaseline(db, options.asOf) : options.baseline;
  const current = point(options.asOf, 0);
  const baseline = baselineDate && baselineDate < options.asOf ? point(baselineDate, 1) : null;
  const base = baseline?.date ?? '0000-00-00';
  dropScopeTables(db);
  db.exec(`CREATE TEMP TABLE rep_orders (contact_id INTEGER NOT NULL, net INTEGER NOT NULL, day TEXT,
    net_b INTEGER, day_b TEXT, split_source TEXT, split_ref TEXT)`);
  // Grouping by (source, order_ref) walks the purchases' unique index without a sort. A ref whose lines
  // belong to several contacts (a data error) is regrouped per contact, as score does.
  const columns = `sum(p.amount_minor),
    coalesce(min(CASE WHEN p.amount_minor > 0 THEN substr(p.ordered_at, 1, 10) END),
             min(CASE WHEN p.amount_minor = 0 THEN substr(p.ordered_at, 1, 10) END)),
    sum(CASE WHEN substr(p.ordered_at, 1, 10) <= @base THEN p.amount_minor END),
    min(CASE WHEN p.amount_minor > 0 AND substr(p.ordered_at, 1, 10) <= @base THEN substr(p.ordered_at, 1, 10) END)`;
  db.prepare(
    `INSERT INTO rep_orders (contact_id, net, day, net_b, day_b, split_source, split_ref)
     SELECT min(p.contact_id), ${columns},
            CASE WHEN min(p.contact_id) <> max(p.contact_id) THEN p.source END,
            CASE WHEN min(p.contact_id) <> max(p.contact_id) THEN p.order_ref END
     FROM purchases p WHERE substr(p.ordered_at, 1, 10) <= @asOf
     GROUP BY p.source, p.order_ref`,
  ).run({ asOf: options.asOf, base });
  db.prepare(
    `INSERT INTO rep_orders (contact_id, net, day, net_b, day_b)
     SELECT p.contact_id, ${columns}
     FROM (SELECT DISTINCT split_source, split_ref FROM rep_orders WHERE split_ref IS NOT NULL) s
     JOIN purchases p ON p.source = s.split_source AND p.order_ref = s.split_ref
     WHERE substr(p.ordered_at, 1, 10) <= @asOf
     GROUP BY p.source, p.order_ref, p.contact_id`,
  ).run({ asOf: options.asOf, base });
  db.exec(`DELETE FROM rep_orders WHERE split_ref IS NOT NULL
             OR contact_id IN (SELECT id FROM main.contacts WHERE NOT (${IN_FILE}))`);
  db.exec(`CREATE TEMP VIEW rep_o0 AS SELECT contact_id, net, day FROM rep_orders;
           CREATE TEMP VIEW rep_o1 AS SELECT contact_id, net_b AS net, day_b AS day FROM rep_orders WHERE net_b IS NOT NULL;`);
  for (const p of baseline ? [current, baseline] : [current]) {
    db.prepare(
      `CREATE TEMP TABLE ${p.customers} AS
       SELECT contact_id, min(day) AS first_day, max(day) AS last_day, count(*) AS orders,
              sum(day > @year) AS orders_12, sum(day > @prior AND day <= @year) AS orders_prior_12
       FROM ${p.orders} WHERE net > 0 GROUP BY contact_id`,
    ).run({ year: p.yearStart, prior: p.priorYearStart });
  }
  // Lines since the earliest date any window needs: the monthly series, and the last 12 months at each point.
  const after = [current.yearStart, dayBefore(`${monthsEnding(options.asOf, options.months)[0]}-01`), ...(baseline ? [baseline.yearStart] : [])].sort()[0]!;
  db.prepare(
    `CREATE TEMP TABLE rep_lines AS
     SELECT substr(p.ordered_at, 1, 10) AS day, coalesce(nullif(trim(p.category), ''), '') AS category,
            coalesce(nullif(trim(p.channel), ''), '') AS channel, p.currency, sum(p.amount_minor) AS revenue, count(*) AS lines
     FROM purchases p
     WHERE substr(p.ordered_at, 1, 10) > @after AND substr(p.ordered_at, 1, 10) <= @asOf
       AND p.contact_id NOT IN (SELECT id FROM main.contacts WHERE status = 'merged')
     GROUP BY 1, 2, 3, 4`,
  ).run({ after, asOf: options.asOf });
  return { asOf: options.asOf, months: monthsEnding(options.asOf, options.months), current, baseline };
}

/** The day before `day` (so a `> from` bound includes `day` itself). */
function dayBefore(day: string): string {
  const t = Date.parse(`${day}T00:00:00Z`) - 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}
