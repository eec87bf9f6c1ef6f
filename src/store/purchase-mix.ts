/**
 * The purchase mix: each contact's categories and channels with their net spend summed once (what
 * RFMCCA and the affinity rules read), beside the purchase rollup (src/store/purchase-totals.ts), so an
 * RFMCCA run does not regroup millions of purchase lines per category and channel.
 *
 * It follows the rollup: `refreshPurchaseTotals` deletes the mix row of every contact it recomputes
 * (whatever changed its lines: the triggers on `purchases` mark it, category and channel included), and
 * `refreshPurchaseMix` computes the rows that are missing. A missing row is the only staleness mark, so
 * import pays a delete, not the mix: the first RFMCCA run after a load fills it (one walk of the lines),
 * the next ones recompute only the contacts changed in between. Like a totals row, a mix row holds for
 * any as-of date on or after the contact's latest line.
 *
 * Definitions are score's (docs/score.md, RFMCCA): net spend per category and per channel (names
 * trimmed, empty ones ignored); one counts when its net spend is positive; the main one has the largest
 * spend (ties: the first name in code-point order); the basket is the categories with a positive net
 * spend, as a JSON array in byte order (the same set always gives the same text).
 */
import { batchInsert } from './batch-insert.js';
import type { Db } from './db.js';
import { refreshPurchaseTotals } from './purchase-totals.js';

/**
 * Per (contact, category, channel) net spend over purchase lines `p` matching `where`, ordered for
 * `summariseMix`. With `previous`, a fifth column: the spend of the lines before the contact's latest
 * line day (what the rollup's totals as of the day before it cover; `t` is the contact's rollup row).
 */
export function mixLinesSql(where: string, options: { previous?: boolean } = {}): string {
  return `SELECT p.contact_id, trim(coalesce(p.category, '')), trim(coalesce(p.channel, '')), sum(p.amount_minor)
    ${options.previous ? ', sum(CASE WHEN substr(p.ordered_at, 1, 10) < t.last_line_day THEN p.amount_minor ELSE 0 END)' : ''}
    FROM purchases p ${options.previous ? 'JOIN purchase_totals t ON t.contact_id = p.contact_id' : ''}
    WHERE ${where} GROUP BY p.contact_id, 2, 3 ORDER BY p.contact_id, 2, 3`;
}

/** Mix columns per contact, in flat arrays (a tuple per contact held 150 MB more at a million contacts). */
export interface MixColumns {
  contact: number[];
  categories: number[];
  mainCategory: Array<string | null>;
  channels: number[];
  mainChannel: Array<string | null>;
  basket: string[];
}

/** Code-point order, not localeCompare: tie-breaks must not depend on the machine's locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function emptyColumns(): MixColumns {
  return { contact: [], categories: [], mainCategory: [], channels: [], mainChannel: [], basket: [] };
}

/**
 * One contact's mix, fed its (category, channel, spend) rows ordered by category: a category's rows are
 * consecutive, so its spend is summed without a map; channels (a handful) go in a small one. `baskets`
 * keeps one string per distinct basket.
 */
function mixAccumulator(out: MixColumns, baskets: Map<string, string>) {
  let category: string | null = null;
  let categorySpend = 0;
  let positive: string[] = [];
  let topCategory: string | null = null;
  let topCategorySpend = 0;
  const channels = new Map<string, number>();
  const endCategory = () => {
    if (category === null || category === '' || categorySpend <= 0) return;
    positive.push(category);
    if (topCategory === null || categorySpend > topCategorySpend || (categorySpend === topCategorySpend && compareText(category, topCategory) < 0)) {
      topCategory = category;
      topCategorySpend = categorySpend;
    }
  };
  return {
    add(name: string, channel: string, spend: number): void {
      if (name !== category) {
        endCategory();
        category = name;
        categorySpend = 0;
      }
      categorySpend += spend;
      if (channel !== '') channels.set(channel, (channels.get(channel) ?? 0) + spend);
    },
    end(contact: number): void {
      endCategory();
      let count = 0;
      let top: string | null = null;
      let best = 0;
      for (const [name, spend] of channels) {
        if (spend <= 0) continue;
        count++;
        if (top === null || spend > best || (spend === best && compareText(name, top) < 0)) {
          top = name;
          best = spend;
        }
      }
      const text = JSON.stringify(positive);
      let basket = baskets.get(text);
      if (basket === undefined) baskets.set(text, (basket = text));
      out.contact.push(contact);
      out.categories.push(positive.length);
      out.mainCategory.push(topCategory);
      out.channels.push(count);
      out.mainChannel.push(top);
      out.basket.push(basket);
      positive = [];
      topCategory = null;
      topCategorySpend = 0;
      category = null;
      channels.clear();
    },
  };
}

/** One pass over (contact, category, channel, spend) rows ordered by contact, then category. */
export function summariseMix(rows: Iterable<[number, string, string, number]>): MixColumns {
  const out = emptyColumns();
  const mix = mixAccumulator(out, new Map());
  let current = -1;
  for (const [contactId, name, channel, spend] of rows) {
    if (contactId !== current) {
      if (current !== -1) mix.end(current);
      current = contactId;
    }
    mix.add(name, channel, spend);
  }
  if (current !== -1) mix.end(current);
  return out;
}

/** `summariseMix` of both spends of `mixLinesSql(..., { previous: true })`: the whole mix and the one before the latest line day. */
export function summariseMixWithPrevious(rows: Iterable<[number, string, string, number, number]>): { whole: MixColumns; previous: MixColumns } {
  const whole = emptyColumns();
  const previous = emptyColumns();
  const baskets = new Map<string, string>();
  const mix = mixAccumulator(whole, baskets);
  const before = mixAccumulator(previous, baskets);
  let current = -1;
  for (const [contactId, name, channel, spend, spendBefore] of rows) {
    if (contactId !== current) {
      if (current !== -1) {
        mix.end(current);
        before.end(current);
      }
      current = contactId;
    }
    mix.add(name, channel, spend);
    before.add(name, channel, spendBefore);
  }
  if (current !== -1) {
    mix.end(current);
    before.end(current);
  }
  return { whole, previous };
}

/**
 * Writes mix columns to a table (contact_id, categories, main_category, channels, main_channel, basket),
 * followed by the mix before the latest line day (prev_*) when given (purchase_mix).
 */
export function insertMix(db: Db, table: string, mix: MixColumns, previous?: MixColumns): number {
  const columns = previous ? 11 : 6;
  return batchInsert(db, table, columns, (function* () {
    for (let i = 0; i < mix.contact.length; i++) {
      const row: unknown[] = [mix.contact[i], mix.categories[i], mix.mainCategory[i], mix.channels[i], mix.mainChannel[i], mix.basket[i]];
      if (previous) row.push(previous.categories[i], previous.mainCategory[i], previous.channels[i], previous.mainChannel[i], previous.basket[i]);
      yield row;
    }
  })());
}

/**
 * Brings the rollup up to date, then computes the mix of every contact of the rollup that has none
 * (the caller owns the transaction); returns how many it computed. When most are missing (after a
 * first load) it walks every line once instead of looking each contact up.
 */
export function refreshPurchaseMix(db: Db): number {
  refreshPurchaseTotals(db);
  const known = db.prepare('SELECT count(*) FROM purchase_totals').pluck().get() as number;
  const missing = known - (db.prepare('SELECT count(*) FROM purchase_mix').pluck().get() as number);
  if (missing <= 0) return 0;
  let where: string;
  if (missing * 4 > known) {
    db.exec('DELETE FROM purchase_mix');
    where = 'p.contact_id IS NOT NULL';
  } else {
    where = 'p.contact_id IN (SELECT contact_id FROM purchase_totals WHERE contact_id NOT IN (SELECT contact_id FROM purchase_mix))';
  }
  // Summed while reading, written after (one connection cannot write while a read is open).
  const { whole, previous } = summariseMixWithPrevious(
    db.prepare(mixLinesSql(where, { previous: true })).raw().iterate() as Iterable<[number, string, string, number, number]>,
  );
  return insertMix(db, 'purchase_mix', whole, previous);
}
