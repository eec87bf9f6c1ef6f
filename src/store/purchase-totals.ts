/**
 * The purchase rollup: each contact's orders summed once (RFM totals and the summary of purchase days
 * the CLV models read), so `score` does not group millions of purchase lines into orders on every run.
 *
 * It is a cache of `purchases`, kept right whatever writes them: triggers on `purchases` (insert, delete,
 * and an update of the contact, order, date, amount, category or channel — an import, a dedupe merge or
 * unmerge re-pointing lines, an erasure detaching them) put the contacts concerned in `purchase_totals_stale`, and
 * `refreshPurchaseTotals` recomputes exactly those contacts from their lines. Import refreshes at the end
 * of its transaction; score refreshes before it reads. A contact's row holds for any as-of date on or
 * after its latest line (`last_line_day`), and its prev_* columns, the figures as of the day before that
 * day, for an as-of date from the line day before it (`prev_line_day`) on; score recomputes the few
 * others from their lines.
 *
 * Order semantics are score's (docs/score.md): an order is a (source, order_ref) of one contact whose
 * lines net to a positive amount, dated by its first positive line; a free order (every line zero) is a
 * purchase day, not an order.
 */
import type { Db } from './db.js';

export const PURCHASE_TOTALS_TRIGGERS = ['purchases_totals_insert', 'purchases_totals_delete', 'purchases_totals_update'] as const;

/** The triggers as migration 5 created them (kept verbatim: a shipped migration never changes). */
export const PURCHASE_TOTALS_TRIGGERS_SQL_V5 = `
  CREATE TRIGGER IF NOT EXISTS purchases_totals_insert AFTER INSERT ON purchases WHEN NEW.contact_id IS NOT NULL
  BEGIN INSERT OR IGNORE INTO purchase_totals_stale (contact_id) VALUES (NEW.contact_id); END;
  CREATE TRIGGER IF NOT EXISTS purchases_totals_delete AFTER DELETE ON purchases WHEN OLD.contact_id IS NOT NULL
  BEGIN INSERT OR IGNORE INTO purchase_totals_stale (contact_id) VALUES (OLD.contact_id); END;
  CREATE TRIGGER IF NOT EXISTS purchases_totals_update AFTER UPDATE OF contact_id, source, order_ref, ordered_at, amount_minor ON purchases
  BEGIN
    INSERT OR IGNORE INTO purchase_totals_stale (contact_id) SELECT OLD.contact_id WHERE OLD.contact_id IS NOT NULL;
    INSERT OR IGNORE INTO purchase_totals_stale (contact_id) SELECT NEW.contact_id WHERE NEW.contact_id IS NOT NULL;
  END;
`;

/** The update trigger since migration 6: a change of category or channel changes the purchase mix. */
export const PURCHASE_TOTALS_UPDATE_TRIGGER_SQL = `
  CREATE TRIGGER IF NOT EXISTS purchases_totals_update AFTER UPDATE OF contact_id, source, order_ref, ordered_at, amount_minor, category, channel ON purchases
  BEGIN
    INSERT OR IGNORE INTO purchase_totals_stale (contact_id) SELECT OLD.contact_id WHERE OLD.contact_id IS NOT NULL;
    INSERT OR IGNORE INTO purchase_totals_stale (contact_id) SELECT NEW.contact_id WHERE NEW.contact_id IS NOT NULL;
  END;
`;

/** The triggers that mark contacts stale (what migrations 5 and 6 leave, and `ensureTotalsTriggers` if a rebuild of purchases dropped them). */
export const PURCHASE_TOTALS_TRIGGERS_SQL = `
  CREATE TRIGGER IF NOT EXISTS purchases_totals_insert AFTER INSERT ON purchases WHEN NEW.contact_id IS NOT NULL
  BEGIN INSERT OR IGNORE INTO purchase_totals_stale (contact_id) VALUES (NEW.contact_id); END;
  CREATE TRIGGER IF NOT EXISTS purchases_totals_delete AFTER DELETE ON purchases WHEN OLD.contact_id IS NOT NULL
  BEGIN INSERT OR IGNORE INTO purchase_totals_stale (contact_id) VALUES (OLD.contact_id); END;
  ${PURCHASE_TOTALS_UPDATE_TRIGGER_SQL}
`;

/**
 * Per-order columns over purchase lines `p`: net, free (every line zero), the order's day (first positive
 * line, else first zero line), its latest and its first line's day. Shared with score's own grouping so
 * both agree; ORDERS_TABLE_COLUMNS names them (with the contact first) for an INSERT's column list.
 */
export const ORDER_COLUMNS = `sum(p.amount_minor) AS net, min(p.amount_minor) = 0 AND max(p.amount_minor) = 0 AS free,
  coalesce(min(CASE WHEN p.amount_minor > 0 THEN substr(p.ordered_at, 1, 10) END),
           min(CASE WHEN p.amount_minor = 0 THEN substr(p.ordered_at, 1, 10) END)) AS day,
  max(substr(p.ordered_at, 1, 10)) AS last_line_day, min(substr(p.ordered_at, 1, 10)) AS first_line_day`;
export const ORDERS_TABLE_COLUMNS = 'contact_id, net, free, day, last_line_day, first_line_day';
/** The temp table an ORDER_COLUMNS grouping goes into (split_*: see groupAllOrders). */
export function createOrdersTable(table: string): string {
  return `CREATE TEMP TABLE ${table} (contact_id INTEGER NOT NULL, net INTEGER NOT NULL, free INTEGER NOT NULL, day TEXT,
    last_line_day TEXT NOT NULL, first_line_day TEXT NOT NULL, split_source TEXT, split_ref TEXT)`;
}

/** Totals per contact over an orders table (contact_id, net, free, day, last_line_day). */
export function totalsSelect(orders: string): string {
  return `SELECT contact_id, sum(net > 0) AS frequency, sum(net) AS monetary, min(CASE WHEN net > 0 THEN day END) AS first_day,
      max(CASE WHEN net > 0 THEN day END) AS last_day, max(last_line_day) AS last_line_day
    FROM ${orders} GROUP BY contact_id`;
}

/**
 * `totalsSelect` over the orders of the contacts in `last` (contact_id, day: their latest line day), plus
 * their totals as of the day before that day (prev_*): the orders entirely before it. They hold for any
 * as-of date from prev_line_day (the latest line day before) to the day before last_line_day, unless an
 * order has lines both before and on last_line_day (a return on that day of an earlier order): then
 * prev_valid is 0 and score regroups that contact's lines.
 */
export function totalsWithPreviousSelect(orders: string, last: string): string {
  const before = 'o.last_line_day < l.day';
  return `SELECT o.contact_id, sum(o.net > 0) AS frequency, sum(o.net) AS monetary, min(CASE WHEN o.net > 0 THEN o.day END) AS first_day,
      max(CASE WHEN o.net > 0 THEN o.day END) AS last_day, l.day AS last_line_day,
      sum(o.first_line_day < l.day AND o.last_line_day = l.day) = 0 AS prev_valid,
      max(CASE WHEN ${before} THEN o.last_line_day END) AS prev_line_day,
      coalesce(sum(CASE WHEN ${before} THEN o.net > 0 END), 0) AS prev_frequency,
      coalesce(sum(CASE WHEN ${before} THEN o.net END), 0) AS prev_monetary,
      min(CASE WHEN ${before} AND o.net > 0 THEN o.day END) AS prev_first_day,
      max(CASE WHEN ${before} AND o.net > 0 THEN o.day END) AS prev_last_day
    FROM ${orders} o JOIN ${last} l ON l.contact_id = o.contact_id GROUP BY o.contact_id`;
}

/**
 * When a rollup row `t` answers for an as-of date @asOf (SQL): its whole figures on or after its latest
 * line day, its prev_* figures from the line day before it on (prev_valid: no order straddles the latest
 * day, so prev_line_day is the latest line before it). `rollupPick` reads a column of that row, or of a
 * row of the same contact beside it (`from`: the purchase mix `m`), as of @asOf.
 */
export const ROLLUP_ANSWERS = '(t.last_line_day <= @asOf OR (t.prev_valid = 1 AND t.prev_line_day <= @asOf))';
export function rollupPick(column: string, from = 't'): string {
  return `iif(t.last_line_day <= @asOf, ${from}.${column}, ${from}.prev_${column})`;
}
/** A contact whose lines all lie on its latest line day, after @asOf: no line by then, nothing to regroup. */
export const ROLLUP_NO_LINE_YET = '(t.last_line_day > @asOf AND t.prev_valid = 1 AND t.prev_line_day IS NULL)';

/** Purchase days per contact over an orders table: orders and free orders, never refs netted to zero or below. */
export function daysSelect(orders: string): string {
  return `SELECT contact_id, day, sum(net) FROM ${orders} WHERE net > 0 OR free GROUP BY contact_id, day`;
}

/** Per contact over a days table (contact_id, day, spend): purchase days, first and last, total spend. */
export function daySummarySelect(days: string): string {
  return `SELECT contact_id, count(*) AS days, min(day) AS first_day, max(day) AS last_day, sum(spend) AS total FROM ${days} GROUP BY contact_id`;
}

/**
 * `daySummarySelect` plus the same over the days before each contact's latest line day (`last`: contact_id,
 * day), the CLV summary as of the day before it (it holds when the totals' prev_valid does: then every
 * order of an earlier day lies wholly before it).
 */
export function daySummaryWithPreviousSelect(days: string, last: string): string {
  const before = 'd.day < l.day';
  return `SELECT d.contact_id, count(*) AS days, min(d.day) AS first_day, max(d.day) AS last_day, sum(d.spend) AS total,
      count(CASE WHEN ${before} THEN 1 END) AS prev_days, min(CASE WHEN ${before} THEN d.day END) AS prev_first_day,
      max(CASE WHEN ${before} THEN d.day END) AS prev_last_day, sum(CASE WHEN ${before} THEN d.spend END) AS prev_total
    FROM ${days} d JOIN ${last} l ON l.contact_id = d.contact_id GROUP BY d.contact_id`;
}

/** True when the three triggers exist (a later migration that rebuilds `purchases` would drop them). */
export function totalsTriggersPresent(db: Db): boolean {
  const found = db
    .prepare(`SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'purchases' AND name IN (${PURCHASE_TOTALS_TRIGGERS.map(() => '?').join(', ')})`)
    .pluck()
    .get(...PURCHASE_TOTALS_TRIGGERS) as number;
  return found === PURCHASE_TOTALS_TRIGGERS.length;
}

/** Recreates missing triggers; every contact with lines is then stale, since changes may have gone unseen. */
function ensureTotalsTriggers(db: Db): void {
  if (totalsTriggersPresent(db)) return;
  db.exec(PURCHASE_TOTALS_TRIGGERS_SQL);
  db.exec('INSERT OR IGNORE INTO purchase_totals_stale (contact_id) SELECT DISTINCT contact_id FROM purchases WHERE contact_id IS NOT NULL');
}

export function staleCount(db: Db): number {
  return db.prepare('SELECT count(*) FROM purchase_totals_stale').pluck().get() as number;
}

/**
 * Recomputes the rollup of every stale contact from its lines (the caller owns the transaction) and
 * returns how many contacts it recomputed. When a large share is stale (a first import) it rebuilds the
 * whole rollup in one ordered walk of the lines instead of a look-up per contact.
 */
export function refreshPurchaseTotals(db: Db): number {
  ensureTotalsTriggers(db);
  const stale = staleCount(db);
  if (stale === 0) return 0;
  const known = db.prepare('SELECT count(*) FROM purchase_totals').pluck().get() as number;
  db.exec(`DROP TABLE IF EXISTS temp.totals_orders; ${createOrdersTable('totals_orders')}`);
  // The mix (src/store/purchase-mix.ts) of a recomputed contact goes: its next reader recomputes it.
  const bulk = stale * 4 > known;
  if (bulk) {
    db.exec('DELETE FROM purchase_totals; DELETE FROM purchase_mix');
    groupAllOrders(db, 'temp.totals_orders', '');
  } else {
    db.exec(`DELETE FROM purchase_totals WHERE contact_id IN (SELECT contact_id FROM purchase_totals_stale);
      DELETE FROM purchase_mix WHERE contact_id IN (SELECT contact_id FROM purchase_totals_stale);
      INSERT INTO temp.totals_orders (${ORDERS_TABLE_COLUMNS})
      SELECT p.contact_id, ${ORDER_COLUMNS} FROM purchases p
      WHERE p.contact_id IN (SELECT contact_id FROM purchase_totals_stale)
      GROUP BY p.contact_id, p.source, p.order_ref`);
  }
  // Each recomputed contact's latest line day, walked off purchases_contact (contact, date): no sort.
  db.exec(`CREATE TEMP TABLE totals_last (contact_id INTEGER PRIMARY KEY, day TEXT NOT NULL);
    INSERT INTO totals_last SELECT contact_id, max(substr(ordered_at, 1, 10)) FROM purchases
    WHERE ${bulk ? 'contact_id IS NOT NULL' : 'contact_id IN (SELECT contact_id FROM purchase_totals_stale)'} GROUP BY contact_id`);
  db.exec(`CREATE TEMP TABLE totals_days (contact_id INTEGER NOT NULL, day TEXT NOT NULL, spend INTEGER NOT NULL,
      PRIMARY KEY (contact_id, day)) WITHOUT ROWID;
    INSERT INTO totals_days ${daysSelect('temp.totals_orders')} ORDER BY contact_id, day;
    INSERT INTO purchase_totals (contact_id, frequency, monetary, first_day, last_day, last_line_day,
      purchase_days, first_purchase_day, last_purchase_day, days_spend, first_day_spend,
      prev_valid, prev_line_day, prev_frequency, prev_monetary, prev_first_day, prev_last_day,
      prev_purchase_days, prev_first_purchase_day, prev_last_purchase_day, prev_days_spend, prev_first_day_spend)
    SELECT o.contact_id, o.frequency, o.monetary, o.first_day, o.last_day, o.last_line_day,
      coalesce(d.days, 0), d.first_day, d.last_day, coalesce(d.total, 0), coalesce(f.spend, 0),
      o.prev_valid, o.prev_line_day, o.prev_frequency, o.prev_monetary, o.prev_first_day, o.prev_last_day,
      coalesce(d.prev_days, 0), d.prev_first_day, d.prev_last_day, coalesce(d.prev_total, 0),
      -- the first purchase day before the latest line day is the first day, when there is one
      CASE WHEN d.prev_first_day IS NOT NULL THEN f.spend ELSE 0 END
    FROM (${totalsWithPreviousSelect('temp.totals_orders', 'temp.totals_last')}) o
    LEFT JOIN (${daySummaryWithPreviousSelect('temp.totals_days', 'temp.totals_last')}) d ON d.contact_id = o.contact_id
    LEFT JOIN temp.totals_days f ON f.contact_id = d.contact_id AND f.day = d.first_day
    ORDER BY o.contact_id;
    DELETE FROM purchase_totals_stale;
    DROP TABLE temp.totals_orders; DROP TABLE temp.totals_days; DROP TABLE temp.totals_last;`);
  return stale;
}

/**
 * Groups every line matching `where` (SQL over `p`, with @asOf if it uses it) into one row per order and
 * contact in `table` (contact_id, net, free, day, last_line_day, split_source, split_ref). Grouping by
 * (source, order_ref) walks the purchases unique index with no sort; a ref whose lines belong to more than
 * one contact (a data error, but possible) is regrouped per contact, so every contact keeps exactly its
 * own lines. Lines detached from any contact (erased) belong to no one.
 */
export function groupAllOrders(db: Db, table: string, where: string, params: Record<string, string> = {}): void {
  const filter = `p.contact_id IS NOT NULL${where ? ` AND ${where}` : ''}`;
  db.prepare(
    `INSERT INTO ${table} (${ORDERS_TABLE_COLUMNS}, split_source, split_ref)
     SELECT min(p.contact_id), ${ORDER_COLUMNS},
            CASE WHEN min(p.contact_id) <> max(p.contact_id) THEN p.source END,
            CASE WHEN min(p.contact_id) <> max(p.contact_id) THEN p.order_ref END
     FROM purchases p WHERE ${filter}
     GROUP BY p.source, p.order_ref`,
  ).run(params);
  db.prepare(
    `INSERT INTO ${table} (${ORDERS_TABLE_COLUMNS})
     SELECT p.contact_id, ${ORDER_COLUMNS}
     FROM (SELECT DISTINCT split_source, split_ref FROM ${table} WHERE split_ref IS NOT NULL) s
     JOIN purchases p ON p.source = s.split_source AND p.order_ref = s.split_ref
     WHERE ${filter}
     GROUP BY p.source, p.order_ref, p.contact_id`,
  ).run(params);
  db.exec(`DELETE FROM ${table} WHERE split_ref IS NOT NULL`);
}
