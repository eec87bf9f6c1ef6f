import type { Db } from '../store/db.js';
import { compareText, insertMix, mixLinesSql, refreshPurchaseMix, summariseMix } from '../store/purchase-mix.js';
import { ROLLUP_ANSWERS, rollupPick } from '../store/purchase-totals.js';

export { compareText } from '../store/purchase-mix.js';

/**
 * Customers' category sets (the categories each bought with a positive net spend), for the affinity
 * rules and the next-best category. Rules and the next best depend on a customer's set only, and
 * customers share few distinct sets (at most 2^categories, a few hundred in practice): each distinct
 * set is held once with how many customers have it, not once per customer.
 */
export interface Baskets {
  /** Category names in code-point order; a category's code is its index. */
  names: string[];
  /** Each distinct set as score_mix.basket holds it (the key score_nba is joined on). */
  keys: string[];
  /** Customers with set i. */
  weights: Int32Array;
  /** Set i's codes are items[offsets[i] .. offsets[i + 1]). */
  offsets: Int32Array;
  items: Int32Array;
}

/**
 * RFMCCA's category and channel mix per customer (contacts with an order), as temp.score_mix, and their
 * baskets. Net spend per category and per channel; a category or channel counts when its net spend is
 * positive, the main one is the largest spend (ties: alphabetical, so runs are reproducible).
 *
 * Customers whose every line is on or before the as-of date take their mix from the purchase mix the
 * store keeps (src/store/purchase-mix.ts, filled here when rows are missing), and so do those whose only
 * lines after it are on their latest line day (the mix kept as of the day before); the others are
 * grouped from their lines up to it, through the same code, so all give the same mix.
 */
export function buildMixTables(db: Db, asOf: string): Baskets {
  refreshPurchaseMix(db);
  db.exec(`
    DROP TABLE IF EXISTS temp.score_mix; DROP TABLE IF EXISTS temp.score_baskets;
    CREATE TEMP TABLE score_mix (contact_id INTEGER PRIMARY KEY, categories INTEGER NOT NULL, main_category TEXT,
      channels INTEGER NOT NULL, main_channel TEXT, basket TEXT NOT NULL);
  `);
  // The mix of the lines before the latest line day serves when the contact's only lines after the as-of
  // date are on that day (prev_valid: no order straddles it, so prev_line_day is the latest line before it).
  const pick = (column: string) => rollupPick(column, 'm');
  db.prepare(
    `INSERT INTO score_mix (contact_id, categories, main_category, channels, main_channel, basket)
     SELECT m.contact_id, ${pick('categories')}, ${pick('main_category')}, ${pick('channels')}, ${pick('main_channel')}, ${pick('basket')}
     FROM score_customers s JOIN purchase_totals t ON t.contact_id = s.contact_id JOIN purchase_mix m ON m.contact_id = s.contact_id
     WHERE s.frequency > 0 AND ${ROLLUP_ANSWERS}
       AND t.contact_id NOT IN (SELECT contact_id FROM purchase_totals_stale)
     ORDER BY s.contact_id`,
  ).run({ asOf });
  const rest = summariseMix(
    db
      .prepare(mixLinesSql(`p.contact_id IN (SELECT contact_id FROM score_customers WHERE frequency > 0 AND contact_id NOT IN (SELECT contact_id FROM score_mix))
        AND substr(p.ordered_at, 1, 10) <= @asOf`))
      .raw()
      .iterate({ asOf }) as Iterable<[number, string, string, number]>,
  );
  insertMix(db, 'score_mix', rest);

  // Customers per distinct set: an upsert into a small table (a GROUP BY would sort every customer).
  db.exec(`CREATE TEMP TABLE score_baskets (basket TEXT PRIMARY KEY, customers INTEGER NOT NULL);
    INSERT INTO score_baskets SELECT basket, 1 FROM score_mix WHERE categories > 0 ON CONFLICT (basket) DO UPDATE SET customers = customers + 1`);
  const sets = db.prepare('SELECT basket, customers FROM score_baskets ORDER BY basket').raw().all() as Array<[string, number]>;
  const parsed = sets.map(([key]) => JSON.parse(key) as string[]);
  const names = [...new Set(parsed.flat())].sort(compareText);
  const code = new Map(names.map((name, i) => [name, i]));
  const offsets = [0];
  const items: number[] = [];
  for (const list of parsed) {
    for (const name of list) items.push(code.get(name)!);
    offsets.push(items.length);
  }
  return {
    names,
    keys: sets.map(([key]) => key),
    weights: Int32Array.from(sets, ([, n]) => n),
    offsets: Int32Array.from(offsets),
    items: Int32Array.from(items),
  };
}
