import type { Db } from '../store/db.js';
import { createOrdersTable, daySummarySelect, daysSelect, groupAllOrders, ORDER_COLUMNS, ORDERS_TABLE_COLUMNS, ROLLUP_ANSWERS, ROLLUP_NO_LINE_YET, rollupPick, staleCount, totalsSelect, totalsTriggersPresent } from '../store/purchase-totals.js';

/**
 * The per-customer aggregates every score is built from, as temp tables (connection-scoped, dropped by
 * `dropTempTables`). All heavy set work is SQL so the same logic can move to PostgreSQL later.
 *
 * - score_orders: one row per order ref and scorable contact (status not merged/erased), lines dated on
 *   or before the as-of date. `net` is the signed sum of its lines; it is an order when net > 0, and its
 *   day is the date of its first positive line, so a later return on the same ref never refreshes recency.
 *   With the purchase rollup (src/store/purchase-totals.ts) only the contacts it cannot answer for are
 *   grouped here: those with a line after the as-of date, and those changed since its last refresh.
 * - score_customers: frequency (orders), monetary (net of every ref, returns included), first/last order
 *   day and recency in days, for every contact with at least one line.
 * - score_days: spend per customer and calendar day of their purchases (the CLV models' transactions,
 *   built the standard way): orders, plus free orders (refs whose lines are all zero, e.g. a gift or a
 *   100 % voucher), which are purchase occasions though not orders in the RFM sense. Refs netted to
 *   zero or below by a return or cancellation are never transactions. With `days: 'summary'` only the
 *   contacts grouped from their lines are here; score_day_summary (purchase days, first and last, spend
 *   in all and on the first day) then holds every customer, the rest read from the rollup.
 */
export function buildOrderTables(db: Db, asOf: string, options: { days?: false | 'summary' | 'all' } = {}): void {
  dropTempTables(db);
  db.exec(`
    ${createOrdersTable('score_orders')};
    CREATE TEMP TABLE score_customers (
      contact_id INTEGER PRIMARY KEY, frequency INTEGER NOT NULL, monetary INTEGER NOT NULL,
      first_day TEXT, last_day TEXT, recency INTEGER);
    CREATE TEMP TABLE score_days (
      contact_id INTEGER NOT NULL, day TEXT NOT NULL, spend INTEGER NOT NULL, PRIMARY KEY (contact_id, day)) WITHOUT ROWID;
    CREATE TEMP TABLE score_day_summary (contact_id INTEGER PRIMARY KEY, days INTEGER NOT NULL, first_day TEXT NOT NULL,
      last_day TEXT NOT NULL, total INTEGER NOT NULL, first_spend INTEGER NOT NULL);
  `);
  const days = options.days ?? 'all';
  const lineDay = 'substr(p.ordered_at, 1, 10) <= @asOf';
  // Every purchase day of every contact ('all', the holdout check) is not in the rollup: lines then.
  if (days !== 'all' && rollupUsable(db)) {
    // Contacts whose every line is on or before the as-of date, unchanged since the rollup was refreshed:
    // their stored totals are their figures as of that date. So are the totals (and purchase days) as of
    // the day before their latest line day for those whose only lines after the as-of date are on that
    // day; those with every line on that day have no line by the as-of date, so neither a row nor a
    // regrouping. The others are grouped from their lines.
    const pick = (column: string) => rollupPick(column);
    db.prepare(
      `INSERT INTO score_customers (contact_id, frequency, monetary, first_day, last_day, recency)
       SELECT t.contact_id, ${pick('frequency')}, ${pick('monetary')}, ${pick('first_day')}, ${pick('last_day')},
         CAST(julianday(@asOf) - julianday(${pick('last_day')}) AS INTEGER)
       FROM purchase_totals t JOIN contacts c ON c.id = t.contact_id
       WHERE ${ROLLUP_ANSWERS} AND c.status NOT IN ('merged', 'erased')
         AND t.contact_id NOT IN (SELECT contact_id FROM purchase_totals_stale)
       ORDER BY t.contact_id`,
    ).run({ asOf });
    if (days === 'summary') {
      db.prepare(
        `INSERT INTO score_day_summary (contact_id, days, first_day, last_day, total, first_spend)
         SELECT t.contact_id, ${pick('purchase_days')}, ${pick('first_purchase_day')}, ${pick('last_purchase_day')}, ${pick('days_spend')}, ${pick('first_day_spend')}
         FROM purchase_totals t JOIN score_customers s ON s.contact_id = t.contact_id WHERE ${pick('purchase_days')} > 0 ORDER BY t.contact_id`,
      ).run({ asOf });
    }
    db.prepare(
      `INSERT INTO score_orders (${ORDERS_TABLE_COLUMNS})
       SELECT p.contact_id, ${ORDER_COLUMNS} FROM purchases p
       WHERE p.contact_id IN (
           SELECT t.contact_id FROM purchase_totals t JOIN contacts c ON c.id = t.contact_id
           WHERE t.last_line_day > @asOf AND c.status NOT IN ('merged', 'erased') AND NOT ${ROLLUP_ANSWERS} AND NOT ${ROLLUP_NO_LINE_YET}
           UNION SELECT x.contact_id FROM purchase_totals_stale x JOIN contacts c ON c.id = x.contact_id WHERE c.status NOT IN ('merged', 'erased'))
         AND ${lineDay}
       GROUP BY p.contact_id, p.source, p.order_ref`,
    ).run({ asOf });
  } else {
    groupAllOrders(db, 'temp.score_orders', lineDay, { asOf });
    // Filtering merged/erased contacts on the orders is cheaper than joining every purchase line.
    db.exec(`DELETE FROM score_orders WHERE contact_id IN (SELECT id FROM contacts WHERE status IN ('merged', 'erased'))`);
  }
  db.prepare(
    `INSERT INTO score_customers (contact_id, frequency, monetary, first_day, last_day, recency)
     SELECT contact_id, frequency, monetary, first_day, last_day, CAST(julianday(@asOf) - julianday(last_day) AS INTEGER)
     FROM (${totalsSelect('score_orders')})
     ORDER BY contact_id`,
  ).run({ asOf });
  if (days === false) return; // RFM alone does not need the purchase days
  // score_days holds the contacts grouped from their lines here (all of them without the rollup).
  db.exec(`INSERT INTO score_days (contact_id, day, spend) ${daysSelect('score_orders')} ORDER BY contact_id, day;
    INSERT INTO score_day_summary (contact_id, days, first_day, last_day, total, first_spend)
    SELECT g.contact_id, g.days, g.first_day, g.last_day, g.total, f.spend
    FROM (${daySummarySelect('score_days')}) g JOIN score_days f ON f.contact_id = g.contact_id AND f.day = g.first_day
    ORDER BY g.contact_id`);
}

/**
 * The rollup serves when its triggers exist and few contacts are stale (score refreshes it first; a
 * read-only caller such as the holdout check may find an import's worth of stale contacts, which one
 * walk of all the lines groups faster than a look-up per contact).
 */
function rollupUsable(db: Db): boolean {
  if (!totalsTriggersPresent(db)) return false;
  const stale = staleCount(db);
  // Counting the rollup's rows walks all of them (0.1 s at a million): only when some are stale.
  return stale === 0 || stale * 4 <= (db.prepare('SELECT count(*) FROM purchase_totals').pluck().get() as number);
}

export function dropTempTables(db: Db): void {
  for (const table of ['score_orders', 'score_customers', 'score_days', 'score_day_summary', 'score_cat', 'score_chan', 'score_mix', 'score_cells', 'score_cell_counts', 'score_segments', 'score_nba', 'score_baskets', 'score_clv', 'score_cc']) {
    db.exec(`DROP TABLE IF EXISTS temp.${table}`);
  }
}
