import { describe, expect, it } from 'vitest';
import { openStore, type Db } from '../../src/store/db.js';
import { refreshPurchaseMix } from '../../src/store/purchase-mix.js';
import { refreshPurchaseTotals } from '../../src/store/purchase-totals.js';
import { applyMerges } from '../../src/dedupe/merge.js';
import { unmerge } from '../../src/dedupe/unmerge.js';
import { rng } from '../../src/dedupe/scoring.js';
import { scoreRun } from '../../src/score/run.js';
import { affinitiesForRun, computeRules } from '../../src/score/affinities.js';
import { eraseContacts } from '../../src/gdpr/erase.js';
import { tempDb } from '../helpers/cli.js';
import { addContact, baseScoreOptions, dayBeforeEdges } from '../score/store-helpers.js';

type LineRow = [contact: number | null, ref: string, at: string, amount: number, category: string | null, channel: string | null];
interface Mix { categories: number; main_category: string | null; channels: number; main_channel: string | null; basket: string[] }

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The largest positive spend (ties: the first name in code-point order), and how many are positive. */
function positives(spends: Map<string, number>): { count: number; top: string | null; names: string[] } {
  const names = [...spends].filter(([, v]) => v > 0).map(([k]) => k).sort(byCodePoint);
  let top: string | null = null;
  for (const name of names) if (top === null || spends.get(name)! > spends.get(top)!) top = name;
  return { count: names.length, top, names };
}

/**
 * The mix computed from scratch in JavaScript, independently of the SQL and of the store's code: per
 * contact, net spend per trimmed category and channel of its lines dated up to `asOf`.
 */
function referenceMix(db: Db, asOf: string | ((contact: number) => string) = '9999-12-31', strictlyBefore = false): Map<number, Mix> {
  const spends = new Map<number, { cat: Map<string, number>; chan: Map<string, number> }>();
  for (const [contact, , at, amount, category, channel] of db.prepare('SELECT contact_id, order_ref, ordered_at, amount_minor, category, channel FROM purchases').raw().all() as LineRow[]) {
    if (contact === null) continue;
    const bound = typeof asOf === 'string' ? asOf : asOf(contact);
    if (strictlyBefore ? at.slice(0, 10) >= bound : at.slice(0, 10) > bound) continue;
    const s = spends.get(contact) ?? { cat: new Map(), chan: new Map() };
    const cat = (category ?? '').trim();
    const chan = (channel ?? '').trim();
    if (cat !== '') s.cat.set(cat, (s.cat.get(cat) ?? 0) + amount);
    if (chan !== '') s.chan.set(chan, (s.chan.get(chan) ?? 0) + amount);
    spends.set(contact, s);
  }
  const out = new Map<number, Mix>();
  for (const [contact, s] of spends) {
    const cat = positives(s.cat);
    const chan = positives(s.chan);
    out.set(contact, { categories: cat.count, main_category: cat.top, channels: chan.count, main_channel: chan.top, basket: cat.names });
  }
  return out;
}

function storedMix(db: Db): Map<number, Mix> {
  const rows = db.prepare('SELECT contact_id, categories, main_category, channels, main_channel, basket FROM purchase_mix').all() as Array<Omit<Mix, 'basket'> & { contact_id: number; basket: string }>;
  return new Map(rows.map(({ contact_id, basket, ...rest }) => [contact_id, { ...rest, basket: (JSON.parse(basket) as string[]).sort(byCodePoint) }]));
}

/** The stored mix of the lines before each contact's latest line day (prev_*), as `storedMix` reads the whole one. */
function storedPreviousMix(db: Db): Map<number, Mix> {
  const rows = db.prepare(`SELECT contact_id, prev_categories AS categories, prev_main_category AS main_category, prev_channels AS channels,
    prev_main_channel AS main_channel, prev_basket AS basket FROM purchase_mix`).all() as Array<Omit<Mix, 'basket'> & { contact_id: number; basket: string }>;
  return new Map(rows.map(({ contact_id, basket, ...rest }) => [contact_id, { ...rest, basket: (JSON.parse(basket) as string[]).sort(byCodePoint) }]));
}

/** The reference mix of the lines before each contact's latest line day; a contact with no such line has an empty one. */
function referencePreviousMix(db: Db): Map<number, Mix> {
  const last = new Map(db.prepare("SELECT contact_id, max(substr(ordered_at, 1, 10)) FROM purchases WHERE contact_id IS NOT NULL GROUP BY contact_id").raw().all() as Array<[number, string]>);
  const before = referenceMix(db, (contact) => last.get(contact)!, true);
  const empty: Mix = { categories: 0, main_category: null, channels: 0, main_channel: null, basket: [] };
  return new Map([...referenceMix(db).keys()].map((contact) => [contact, before.get(contact) ?? empty]));
}

function missingMix(db: Db): number {
  return db.prepare('SELECT count(*) FROM purchase_totals WHERE contact_id NOT IN (SELECT contact_id FROM purchase_mix)').pluck().get() as number;
}

function expectFreshMix(db: Db): void {
  db.transaction(() => refreshPurchaseMix(db))();
  expect(missingMix(db)).toBe(0);
  expect(storedMix(db)).toEqual(referenceMix(db));
  expect(storedPreviousMix(db)).toEqual(referencePreviousMix(db));
}

/** 60 contacts, orders over 2024-2025 in categories with stray spaces, empty ones, returns, a channel per line. */
function generatedStore(seed: number): { db: Db; ids: number[] } {
  const db = openStore(':memory:');
  const r = rng(seed);
  const ids = Array.from({ length: 60 }, (_, i) => addContact(db, `C${i}`));
  const categories = ['Books', 'Games', ' Games', 'Music', 'Toys', 'Écrans', '', null];
  const channels = ['web', 'store', 'app ', '', null];
  const pick = <T,>(list: T[]) => list[Math.floor(r() * list.length)]!;
  const insert = db.prepare(
    `INSERT INTO purchases (contact_id, source, order_ref, line_no, ordered_at, amount_minor, currency, category, channel) VALUES (?, 'shop', ?, ?, ?, ?, 'EUR', ?, ?)`,
  );
  const day = (offset: number) => new Date(Date.UTC(2024, 0, 1) + offset * 86_400_000).toISOString().slice(0, 10);
  db.transaction(() => {
    for (let o = 0; o < 400; o++) {
      const contact = pick(ids);
      const at = Math.floor(r() * 700);
      const lines = 1 + Math.floor(r() * 3);
      // Round amounts so that spends tie between categories and channels now and then.
      for (let l = 1; l <= lines; l++) insert.run(contact, `R${o}`, l, day(at), r() < 0.05 ? 0 : 1000 * (1 + Math.floor(r() * 5)), pick(categories), pick(channels));
      if (r() < 0.2) insert.run(contact, `R${o}`, lines + 1, day(at + 1 + Math.floor(r() * 40)), -1000 * (1 + Math.floor(r() * 6)), pick(categories), pick(channels));
    }
  })();
  return { db, ids };
}

describe('purchase mix (purchase_mix)', () => {
  for (const seed of [1, 2, 3]) {
    it(`equals the lines regrouped from scratch after a load, merges, unmerges, edits and deletions (seed ${seed})`, () => {
      const { db, ids } = generatedStore(seed);
      db.transaction(() => refreshPurchaseTotals(db))(); // what import does: the totals, never the mix
      expect(db.prepare('SELECT count(*) FROM purchase_mix').pluck().get()).toBe(0);
      expectFreshMix(db); // the first reader fills it in one walk

      const r = rng(seed + 10);
      const merges: number[] = [];
      for (let i = 0; i < 4; i++) {
        const [outcome] = applyMerges(db, [{ survivorId: ids[i * 2]!, members: [{ id: ids[i * 2 + 1]!, probability: null, evidence: [] }] }], { mode: 'decisions', threshold: null });
        merges.push(outcome!.mergeId);
      }
      db.transaction(() => refreshPurchaseTotals(db))();
      expect(missingMix(db)).toBeGreaterThan(0); // the contacts recomputed lost their mix row
      expect(missingMix(db)).toBeLessThanOrEqual(8);
      expectFreshMix(db); // only those recomputed
      for (const id of merges.sort(() => r() - 0.5)) unmerge(db, id);
      expectFreshMix(db);

      // A category or a channel changed on its own marks the contact too (migration 6's trigger).
      const line = db.prepare("SELECT id, contact_id FROM purchases WHERE amount_minor > 0 AND category = 'Books' LIMIT 1").get() as { id: number; contact_id: number };
      db.prepare("UPDATE purchases SET category = 'Garden' WHERE id = ?").run(line.id);
      expect(db.prepare('SELECT contact_id FROM purchase_totals_stale').pluck().all()).toEqual([line.contact_id]);
      expectFreshMix(db);
      db.prepare("UPDATE purchases SET channel = 'phone' WHERE id % 7 = 0").run();
      db.prepare('UPDATE purchases SET amount_minor = -amount_minor WHERE id % 11 = 0').run();
      db.prepare('DELETE FROM purchases WHERE id % 13 = 0').run();
      expectFreshMix(db);
      db.prepare('DELETE FROM purchases WHERE contact_id = ?').run(ids[20]);
      expectFreshMix(db);
      expect(db.prepare('SELECT count(*) FROM purchase_mix WHERE contact_id = ?').pluck().get(ids[20])).toBe(0);
    });
  }

  it('gdpr erase: the person keeps no mix row', () => {
    const { db, ids } = generatedStore(7);
    expectFreshMix(db);
    const person = ids.find((id) => db.prepare('SELECT count(*) FROM purchase_mix WHERE contact_id = ? AND categories > 0').pluck().get(id))!;
    const result = db.transaction(() => eraseContacts(db, [person], { reason: 'test', source: 'gdpr erase', defaultCountry: 'FR' }))();
    expect(result.tables.purchase_mix).toBe(1);
    expect(db.prepare('SELECT count(*) FROM purchase_mix WHERE contact_id = ?').pluck().get(person)).toBe(0);
    expectFreshMix(db);
  });

  it('a store from before migration 6 gets an empty mix (filled by its first RFMCCA run) and the trigger that sees category changes', () => {
    const file = tempDb();
    const { db: source } = generatedStore(8);
    source.exec(`VACUUM INTO '${file.replace(/'/g, "''")}'`);
    const old = openStore(file);
    // Back to what migration 5 left: no mix table, the update trigger blind to category and channel.
    old.exec(`DROP TABLE purchase_mix; DELETE FROM schema_migrations WHERE id IN (6, 7); DROP TRIGGER purchases_totals_update;
      ALTER TABLE purchase_totals DROP COLUMN prev_valid; ALTER TABLE purchase_totals DROP COLUMN prev_line_day;
      ALTER TABLE purchase_totals DROP COLUMN prev_frequency; ALTER TABLE purchase_totals DROP COLUMN prev_monetary;
      ALTER TABLE purchase_totals DROP COLUMN prev_first_day; ALTER TABLE purchase_totals DROP COLUMN prev_last_day;
      ALTER TABLE purchase_totals DROP COLUMN prev_purchase_days; ALTER TABLE purchase_totals DROP COLUMN prev_first_purchase_day;
      ALTER TABLE purchase_totals DROP COLUMN prev_last_purchase_day; ALTER TABLE purchase_totals DROP COLUMN prev_days_spend;
      ALTER TABLE purchase_totals DROP COLUMN prev_first_day_spend;
      CREATE TRIGGER purchases_totals_update AFTER UPDATE OF contact_id, source, order_ref, ordered_at, amount_minor ON purchases
      BEGIN SELECT 1; END;`);
    old.close();
    const db = openStore(file);
    expect(db.prepare('SELECT count(*) FROM purchase_mix').pluck().get()).toBe(0);
    db.prepare("UPDATE purchases SET channel = 'kiosk' WHERE id = 1").run();
    expect(db.prepare('SELECT count(*) FROM purchase_totals_stale').pluck().get()).toBeGreaterThan(0);
    scoreRun(db, { ...baseScoreOptions, method: 'rfmcca', asOf: '2026-12-31' });
    expect(missingMix(db)).toBe(0);
    expect(storedMix(db)).toEqual(referenceMix(db));
    db.close();
  });
});

interface ScoreRow { contact_id: number; frequency: number; categories: number | null; main_category: string | null; channels: number | null;
  main_channel: string | null; multichannel: number | null; ca_score: number | null; next_best_category: string | null; next_best_lift: number | null }

/** Next best by the definition (docs/score.md): the strongest rule with lift > 1 the customer can use. */
function nextBest(rules: ReturnType<typeof computeRules>['rules'], bought: Set<string>): { category: string; lift: number } | null {
  const usable = rules.filter((rule) => rule.lift > 1 && !bought.has(rule.consequent) && rule.antecedent.every((c) => bought.has(c)));
  usable.sort((a, b) => b.lift - a.lift || b.confidence - a.confidence || b.customers - a.customers ||
    byCodePoint(a.antecedent.join('\u0000'), b.antecedent.join('\u0000')) || byCodePoint(a.consequent, b.consequent));
  return usable[0] ? { category: usable[0].consequent, lift: Math.round(usable[0].lift * 1e6) / 1e6 } : null;
}

describe('RFMCCA from the purchase mix equals RFMCCA from the lines', () => {
  for (const seed of [4, 5]) {
    it(`for as-of dates inside the history (mix and lines mixed) and after it, rules and next best included (seed ${seed})`, () => {
      const { db, ids } = generatedStore(seed);
      expectFreshMix(db);
      // A merge after the fill: score refreshes the totals, then the mix of the contacts it recomputed.
      applyMerges(db, [{ survivorId: ids[3]!, members: [{ id: ids[4]!, probability: null, evidence: [] }] }], { mode: 'decisions', threshold: null });
      // Dates inside the history include the day before contacts' latest line day and their line day
      // before it, where the mix kept as of the day before the latest line day serves.
      for (const asOf of ['2024-09-30', '2025-03-15', '2026-12-31', ...dayBeforeEdges(db, 9)]) {
        const run = scoreRun(db, { ...baseScoreOptions, asOf, method: 'rfmcca', minSupport: 0.05 });
        const want = referenceMix(db, asOf);
        const rows = db.prepare('SELECT * FROM scores WHERE run_id = ? ORDER BY contact_id').all(run.runId) as ScoreRow[];
        const customers = rows.filter((row) => row.frequency > 0);
        expect(customers.length).toBe(run.customers);
        // The rules over one basket per customer (weights of 1: the per-customer count the mix replaces).
        const perCustomer = customers.map((row) => want.get(row.contact_id)!.basket).filter((b) => b.length > 0);
        const names = [...new Set(perCustomer.flat())].sort(byCodePoint);
        const offsets = [0];
        const items: number[] = [];
        for (const b of perCustomer) offsets.push(items.push(...b.map((n) => names.indexOf(n))));
        const rules = computeRules(
          { names, keys: perCustomer.map((b) => JSON.stringify(b)), weights: new Int32Array(perCustomer.length).fill(1), offsets: Int32Array.from(offsets), items: Int32Array.from(items) },
          0.05,
        );
        if (asOf >= '2025-03-15') expect(rules.rules.length).toBeGreaterThan(0);
        expect(run.affinities!.basketCustomers).toBe(perCustomer.length);
        expect(run.affinities!.rules).toBe(rules.rules.length);
        const storedRules = db.prepare('SELECT antecedent, consequent, customers, lift FROM affinity_rules WHERE run_id = ? ORDER BY id').all(run.runId) as Array<{ antecedent: string; consequent: string; customers: number; lift: number }>;
        expect(storedRules.map((x) => [JSON.parse(x.antecedent), x.consequent, x.customers, x.lift])).toEqual(rules.rules.map((x) => [x.antecedent, x.consequent, x.customers, x.lift]));
        let withNextBest = 0;
        for (const row of rows) {
          const m = row.frequency > 0 ? want.get(row.contact_id)! : undefined;
          const best = m && m.basket.length > 0 ? nextBest(rules.rules, new Set(m.basket)) : null;
          if (best) withNextBest++;
          expect([row.contact_id, row.categories, row.main_category, row.channels, row.main_channel, row.multichannel, row.ca_score, row.next_best_category, row.next_best_lift]).toEqual([
            row.contact_id, m?.categories ?? null, m?.main_category ?? null, m?.channels ?? null, m?.main_channel ?? null,
            m ? Number(m.channels > 1) : null, m && m.channels > 0 ? Math.min(m.channels, 5) : null, best?.category ?? null, best?.lift ?? null,
          ]);
        }
        expect(run.affinities!.withNextBest).toBe(withNextBest);
        // `custkit affinities` on the same run writes the same next best categories.
        const before = db.prepare('SELECT contact_id, next_best_category, next_best_lift FROM scores WHERE run_id = ? ORDER BY contact_id').all(run.runId);
        db.prepare('UPDATE scores SET next_best_category = NULL, next_best_lift = NULL WHERE run_id = ?').run(run.runId);
        expect(affinitiesForRun(db, { id: run.runId, asOf }, 0.05).withNextBest).toBe(withNextBest);
        expect(db.prepare('SELECT contact_id, next_best_category, next_best_lift FROM scores WHERE run_id = ? ORDER BY contact_id').all(run.runId)).toEqual(before);
      }
    });
  }
});
