import type { Db } from '../store/db.js';
import { daysSelect, groupAllOrders, ORDER_COLUMNS, staleCount, totalsSelect, totalsTriggersPresent } from '../store/purchase-totals.js';

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
 *   zero or below by a return or cancellation are never transactions.
 */
export function buildOrderTables(db: Db, asOf: string, options: { days?: boolean } = {}): void {
  dropTempTables(db);
  db.exec(`
    CREATE TEMP TABLE score_orders (contact_id INTEGER NOT NULL, net INTEGER NOT NULL, free INTEGER NOT NULL, day TEXT,
      last_line_day TEXT, split_source TEXT, split_ref TEXT);
    CREATE TEMP TABLE score_customers (
      contact_id INTEGER PRIMARY KEY, frequency INTEGER NOT NULL, monetary INTEGER NOT NULL,
      first_day TEXT, last_day TEXT, recency INTEGER);
    CREATE TEMP TABLE score_days (
      contact_id INTEGER NOT NULL, day TEXT NOT NULL, spend INTEGER NOT NULL, PRIMARY KEY (contact_id, day)) WITHOUT ROWID;
  `);
  const days = options.days !== false;
  const lineDay = 'substr(p.ordered_at, 1, 10) <= @asOf';
  if (rollupUsable(db)) {
    // Contacts whose every line is on or before the as-of date, unchanged since the rollup was refreshed:
    // their stored totals are their figures as of that date. The others are grouped from their lines.
    db.prepare(
      `INSERT INTO score_customers (contact_id, frequency, monetary, first_day, last_day, recency)
       SELECT t.contact_id, t.frequency, t.monetary, t.first_day, t.last_day, CAST(julianday(@asOf) - julianday(t.last_day) AS INTEGER)
       FROM purchase_totals t JOIN contacts c ON c.id = t.contact_id
       WHERE t.last_line_day <= @asOf AND c.status NOT IN ('merged', 'erased')
         AND t.contact_id NOT IN (SELECT contact_id FROM purchase_totals_stale)
       ORDER BY t.contact_id`,
    ).run({ asOf });
    if (days) db.exec('INSERT INTO score_days (contact_id, day, spend) SELECT d.contact_id, d.day, d.spend FROM purchase_days d JOIN score_customers s ON s.contact_id = d.contact_id ORDER BY d.contact_id, d.day');
    db.prepare(
      `INSERT INTO score_orders (contact_id, net, free, day, last_line_day)
       SELECT p.contact_id, ${ORDER_COLUMNS} FROM purchases p
       WHERE p.contact_id IN (SELECT contact_id FROM purchase_totals WHERE last_line_day > @asOf UNION SELECT contact_id FROM purchase_totals_stale)
         AND ${lineDay}
       GROUP BY p.contact_id, p.source, p.order_ref`,
    ).run({ asOf });
  } else {
    groupAllOrders(db, 'temp.score_orders', lineDay, { asOf });
  }
  // Filtering merged/erased contacts on the orders is cheaper than joining every purchase line.
  db.exec(`DELETE FROM score_orders WHERE contact_id IN (SELECT id FROM contacts WHERE status IN ('merged', 'erased'))`);
  db.prepare(
    `INSERT INTO score_customers (contact_id, frequency, monetary, first_day, last_day, recency)
     SELECT contact_id, frequency, monetary, first_day, last_day, CAST(julianday(@asOf) - julianday(last_day) AS INTEGER)
     FROM (${totalsSelect('score_orders')})
     ORDER BY contact_id`,
  ).run({ asOf });
  if (!days) return; // RFM alone does not need the per-day transactions
  db.exec(`INSERT INTO score_days (contact_id, day, spend) ${daysSelect('score_orders')} ORDER BY contact_id, day`);
}

/**
 * The rollup serves when its triggers exist and few contacts are stale (score refreshes it first; a
 * read-only caller such as the holdout check may find an import's worth of stale contacts, which one
 * walk of all the lines groups faster than a look-up per contact).
 */
function rollupUsable(db: Db): boolean {
  if (!totalsTriggersPresent(db)) return false;
  const known = db.prepare('SELECT count(*) FROM purchase_totals').pluck().get() as number;
  return staleCount(db) * 4 <= known;
}

/**
 * RFMCCA's category and channel mix per customer (contacts with an order): net spend per category and
 * per channel; a category or channel counts when its net spend is positive, the main one is the
 * largest spend (ties: alphabetical, so runs are reproducible).
 */
export function buildMixTables(db: Db, asOf: string): void {
  db.exec(`
    DROP TABLE IF EXISTS temp.score_cat; DROP TABLE IF EXISTS temp.score_chan; DROP TABLE IF EXISTS temp.score_mix;
    DROP TABLE IF EXISTS temp.score_cc;
    CREATE TEMP TABLE score_cat (contact_id INTEGER NOT NULL, category TEXT NOT NULL, spend INTEGER NOT NULL,
      PRIMARY KEY (contact_id, category)) WITHOUT ROWID;
    CREATE TEMP TABLE score_chan (contact_id INTEGER NOT NULL, channel TEXT NOT NULL, spend INTEGER NOT NULL,
      PRIMARY KEY (contact_id, channel)) WITHOUT ROWID;
    CREATE TEMP TABLE score_mix (contact_id INTEGER PRIMARY KEY, categories INTEGER NOT NULL, main_category TEXT,
      channels INTEGER NOT NULL, main_channel TEXT);
  `);
  // One pass over the purchase lines for both mixes; the two small groupings then read its result.
  db.prepare(
    `CREATE TEMP TABLE score_cc AS
     SELECT p.contact_id, trim(coalesce(p.category, '')) AS category, trim(coalesce(p.channel, '')) AS channel,
            sum(p.amount_minor) AS spend
     FROM purchases p JOIN score_customers s ON s.contact_id = p.contact_id AND s.frequency > 0
     WHERE substr(p.ordered_at, 1, 10) <= @asOf
     GROUP BY p.contact_id, 2, 3`,
  ).run({ asOf });
  for (const [table, column] of [['score_cat', 'category'], ['score_chan', 'channel']] as const) {
    db.exec(
      `INSERT INTO ${table} (contact_id, ${column}, spend)
       SELECT contact_id, ${column}, sum(spend) FROM score_cc WHERE ${column} <> ''
       GROUP BY contact_id, ${column} HAVING sum(spend) > 0 ORDER BY contact_id, ${column}`,
    );
  }
  db.exec('DROP TABLE temp.score_cc');
  db.exec(`
    INSERT INTO score_mix (contact_id, categories, main_category, channels, main_channel)
    SELECT s.contact_id, coalesce(cat.n, 0), cat.top, coalesce(chan.n, 0), chan.top
    FROM score_customers s
    LEFT JOIN (SELECT contact_id, n, category AS top FROM (
        SELECT contact_id, category, count(*) OVER w1 AS n, row_number() OVER w2 AS rk FROM score_cat
        WINDOW w1 AS (PARTITION BY contact_id), w2 AS (PARTITION BY contact_id ORDER BY spend DESC, category))
      WHERE rk = 1) cat ON cat.contact_id = s.contact_id
    LEFT JOIN (SELECT contact_id, n, channel AS top FROM (
        SELECT contact_id, channel, count(*) OVER w1 AS n, row_number() OVER w2 AS rk FROM score_chan
        WINDOW w1 AS (PARTITION BY contact_id), w2 AS (PARTITION BY contact_id ORDER BY spend DESC, channel))
      WHERE rk = 1) chan ON chan.contact_id = s.contact_id
    WHERE s.frequency > 0
    ORDER BY s.contact_id;
  `);
}

export function dropTempTables(db: Db): void {
  for (const table of ['score_orders', 'score_customers', 'score_days', 'score_cat', 'score_chan', 'score_mix', 'score_cells', 'score_nba', 'score_clv', 'score_cc']) {
    db.exec(`DROP TABLE IF EXISTS temp.${table}`);
  }
}
