import type { Db } from '../store/db.js';
import { batchInsert } from './batch-insert.js';

/**
 * Customers' category sets (the categories each bought with a positive net spend), for the affinity
 * rules and the next-best category: one list per contact, in one flat array.
 */
export interface Baskets {
  /** Category names in code-point order; a category's code is its index. */
  names: string[];
  /** Contacts with at least one category, ascending; contact i's codes are items[offsets[i] .. offsets[i + 1]). */
  contacts: Int32Array;
  offsets: Int32Array;
  items: Int32Array;
}

/** Code-point order, not localeCompare: tie-breaks must not depend on the machine's locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * RFMCCA's category and channel mix per customer (contacts with an order), as temp.score_mix, and their
 * baskets. Net spend per category and per channel; a category or channel counts when its net spend is
 * positive, the main one is the largest spend (ties: alphabetical, so runs are reproducible).
 *
 * SQL groups the lines per (contact, category, channel) once; one ordered pass in JavaScript then sums
 * both mixes and picks the main ones. (Window functions over per-category and per-channel tables did
 * the same in four sorts: 12 s of a million-customer run, against about 3 s.)
 */
export function buildMixTables(db: Db, asOf: string): Baskets {
  db.exec(`
    DROP TABLE IF EXISTS temp.score_mix; DROP TABLE IF EXISTS temp.score_cc;
    CREATE TEMP TABLE score_mix (contact_id INTEGER PRIMARY KEY, categories INTEGER NOT NULL, main_category TEXT,
      channels INTEGER NOT NULL, main_channel TEXT);
    CREATE TEMP TABLE score_cc (contact_id INTEGER NOT NULL, category TEXT NOT NULL, channel TEXT NOT NULL, spend INTEGER NOT NULL,
      PRIMARY KEY (contact_id, category, channel)) WITHOUT ROWID;
  `);
  db.prepare(
    `INSERT INTO score_cc (contact_id, category, channel, spend)
     SELECT p.contact_id, trim(coalesce(p.category, '')), trim(coalesce(p.channel, '')), sum(p.amount_minor)
     FROM purchases p JOIN score_customers s ON s.contact_id = p.contact_id AND s.frequency > 0
     WHERE substr(p.ordered_at, 1, 10) <= @asOf
     GROUP BY p.contact_id, 2, 3 ORDER BY p.contact_id, 2, 3`,
  ).run({ asOf });

  const codes = new Map<string, number>();
  const names: string[] = [];
  const contacts: number[] = [];
  const offsets: number[] = [0];
  const items: number[] = [];
  // The mix rows wait in flat arrays (names as codes) until the read ends: a tuple per customer held
  // 150 MB more at a million customers.
  const mix = { contact: [] as number[], categories: [] as number[], mainCategory: [] as number[], channels: [] as number[], mainChannel: [] as number[] };
  const channelCodes = new Map<string, number>();
  const channelNames: string[] = [];
  const codeOf = (name: string | null, table: Map<string, number>, list: string[]): number => {
    if (name === null) return -1;
    let code = table.get(name);
    if (code === undefined) {
      code = list.push(name) - 1;
      table.set(name, code);
    }
    return code;
  };
  let current = -1;
  const categories = new Map<string, number>();
  const channels = new Map<string, number>();
  const flush = () => {
    const cat = positives(categories);
    const chan = positives(channels);
    mix.contact.push(current);
    mix.categories.push(cat.count);
    mix.mainCategory.push(codeOf(cat.top, codes, names));
    mix.channels.push(chan.count);
    mix.mainChannel.push(codeOf(chan.top, channelCodes, channelNames));
    if (cat.count > 0) {
      contacts.push(current);
      for (const [name, spend] of categories) if (spend > 0) items.push(codeOf(name, codes, names));
      offsets.push(items.length);
    }
    categories.clear();
    channels.clear();
  };
  for (const [contactId, category, channel, spend] of db.prepare('SELECT contact_id, category, channel, spend FROM score_cc').raw().iterate() as Iterable<[number, string, string, number]>) {
    if (contactId !== current) {
      if (current !== -1) flush();
      current = contactId;
    }
    if (category !== '') categories.set(category, (categories.get(category) ?? 0) + spend);
    if (channel !== '') channels.set(channel, (channels.get(channel) ?? 0) + spend);
  }
  if (current !== -1) flush();
  db.exec('DROP TABLE temp.score_cc');
  batchInsert(db, 'score_mix', 5, (function* () {
    for (let i = 0; i < mix.contact.length; i++) {
      const category = mix.mainCategory[i]!;
      const channel = mix.mainChannel[i]!;
      yield [mix.contact[i], mix.categories[i], category < 0 ? null : names[category], mix.channels[i], channel < 0 ? null : channelNames[channel]];
    }
  })());

  // Codes in code-point order of the names, so every later ordering is by name.
  const sorted = names.map((name, code) => [name, code] as const).sort((a, b) => compareText(a[0], b[0]));
  const recode = new Int32Array(names.length);
  sorted.forEach(([, old], i) => (recode[old] = i));
  return {
    names: sorted.map(([name]) => name),
    contacts: Int32Array.from(contacts),
    offsets: Int32Array.from(offsets),
    items: Int32Array.from(items, (code) => recode[code]!),
  };
}

/** How many entries have a positive spend, and the largest (ties: the first name in code-point order). */
function positives(spends: Map<string, number>): { count: number; top: string | null } {
  let count = 0;
  let top: string | null = null;
  let best = 0;
  for (const [name, spend] of spends) {
    if (spend <= 0) continue;
    count++;
    if (top === null || spend > best || (spend === best && compareText(name, top) < 0)) {
      top = name;
      best = spend;
    }
  }
  return { count, top };
}
