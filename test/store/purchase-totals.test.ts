import { describe, expect, it } from 'vitest';
import { openStore, type Db } from '../../src/store/db.js';
import { refreshPurchaseTotals, staleCount, totalsTriggersPresent } from '../../src/store/purchase-totals.js';
import { applyMerges } from '../../src/dedupe/merge.js';
import { unmerge } from '../../src/dedupe/unmerge.js';
import { rng } from '../../src/dedupe/scoring.js';
import { scoreRun } from '../../src/score/run.js';
import { buildOrderTables, dropTempTables } from '../../src/score/aggregate.js';
import { eraseContacts } from '../../src/gdpr/erase.js';
import { addContact, baseScoreOptions, dayBeforeEdges } from '../score/store-helpers.js';

type LineRow = [contact: number | null, source: string, ref: string, at: string, amount: number];

/**
 * The rollup computed from scratch in JavaScript, independently of the SQL: per contact and
 * (source, ref) the order's net, its day (first positive line, else first zero line), whether every
 * line is zero; lines dated after `asOf` are ignored; lines of no contact belong to no one.
 */
function reference(db: Db, asOf = '9999-12-31') {
  const orders = new Map<string, { contact: number; net: number; pos?: string; zero?: string; allZero: boolean; last: string; first: string }>();
  for (const [contact, source, ref, at, amount] of db.prepare('SELECT contact_id, source, order_ref, ordered_at, amount_minor FROM purchases').raw().all() as LineRow[]) {
    const day = at.slice(0, 10);
    if (contact === null || day > asOf) continue;
    const key = `${contact}\u0000${source}\u0000${ref}`;
    const o = orders.get(key) ?? { contact, net: 0, allZero: true, last: day, first: day };
    o.net += amount;
    if (amount > 0 && (!o.pos || day < o.pos)) o.pos = day;
    if (amount === 0 && (!o.zero || day < o.zero)) o.zero = day;
    if (amount !== 0) o.allZero = false;
    if (day > o.last) o.last = day;
    if (day < o.first) o.first = day;
    orders.set(key, o);
  }
  type Totals = {
    frequency: number; monetary: number; first_day: string | null; last_day: string | null; last_line_day: string;
    purchase_days: number; first_purchase_day: string | null; last_purchase_day: string | null; days_spend: number; first_day_spend: number;
    prev_valid: number; prev_line_day: string | null; prev_frequency: number; prev_monetary: number; prev_first_day: string | null; prev_last_day: string | null;
    prev_purchase_days: number; prev_first_purchase_day: string | null; prev_last_purchase_day: string | null; prev_days_spend: number; prev_first_day_spend: number;
  };
  const totals = new Map<number, Totals>();
  const days = new Map<number, Map<string, number>>();
  for (const o of orders.values()) {
    const t = totals.get(o.contact) ?? {
      frequency: 0, monetary: 0, first_day: null, last_day: null, last_line_day: o.last,
      purchase_days: 0, first_purchase_day: null, last_purchase_day: null, days_spend: 0, first_day_spend: 0,
      prev_valid: 1, prev_line_day: null, prev_frequency: 0, prev_monetary: 0, prev_first_day: null, prev_last_day: null,
      prev_purchase_days: 0, prev_first_purchase_day: null, prev_last_purchase_day: null, prev_days_spend: 0, prev_first_day_spend: 0,
    };
    const day = o.pos ?? o.zero!;
    t.monetary += o.net;
    if (o.last > t.last_line_day) t.last_line_day = o.last;
    if (o.net > 0) {
      t.frequency++;
      if (t.first_day === null || day < t.first_day) t.first_day = day;
      if (t.last_day === null || day > t.last_day) t.last_day = day;
    }
    totals.set(o.contact, t);
    if (o.net > 0 || o.allZero) {
      const mine = days.get(o.contact) ?? new Map<string, number>();
      mine.set(day, (mine.get(day) ?? 0) + o.net);
      days.set(o.contact, mine);
    }
  }
  // The totals as of the day before each contact's latest line day: its orders entirely before that day,
  // valid unless an order has lines both before and on it.
  for (const o of orders.values()) {
    const t = totals.get(o.contact)!;
    if (o.last === t.last_line_day) {
      if (o.first < t.last_line_day) t.prev_valid = 0;
      continue;
    }
    const day = o.pos ?? o.zero!;
    if (t.prev_line_day === null || o.last > t.prev_line_day) t.prev_line_day = o.last;
    t.prev_monetary += o.net;
    if (o.net > 0) {
      t.prev_frequency++;
      if (t.prev_first_day === null || day < t.prev_first_day) t.prev_first_day = day;
      if (t.prev_last_day === null || day > t.prev_last_day) t.prev_last_day = day;
    }
  }
  // The CLV summary: purchase days (orders and free orders), first and last, spend in all and on the first.
  for (const [contact, mine] of days) {
    const t = totals.get(contact)!;
    const sorted = [...mine.keys()].sort();
    t.purchase_days = sorted.length;
    t.first_purchase_day = sorted[0]!;
    t.last_purchase_day = sorted[sorted.length - 1]!;
    t.days_spend = [...mine.values()].reduce((a, b) => a + b, 0);
    t.first_day_spend = mine.get(sorted[0]!)!;
    // The same over the days before the latest line day.
    const before = sorted.filter((day) => day < t.last_line_day);
    t.prev_purchase_days = before.length;
    t.prev_first_purchase_day = before[0] ?? null;
    t.prev_last_purchase_day = before[before.length - 1] ?? null;
    t.prev_days_spend = before.reduce((a, day) => a + mine.get(day)!, 0);
    t.prev_first_day_spend = before.length > 0 ? mine.get(before[0]!)! : 0;
  }
  return { totals };
}

function stored(db: Db) {
  return new Map(
    (db.prepare('SELECT * FROM purchase_totals').all() as Array<{ contact_id: number } & Record<string, unknown>>)
      .map(({ contact_id, ...rest }) => [contact_id, rest]),
  );
}

function expectFresh(db: Db): void {
  db.transaction(() => refreshPurchaseTotals(db))();
  expect(staleCount(db)).toBe(0);
  expect(stored(db)).toEqual(reference(db).totals);
}

/** 60 contacts, orders of 1-3 lines over 2024-2025, returns on the same ref and on their own, zero lines, shared refs. */
function generatedStore(seed: number): { db: Db; ids: number[] } {
  const db = openStore(':memory:');
  const r = rng(seed);
  const ids = Array.from({ length: 60 }, (_, i) => addContact(db, `C${i}`));
  const insert = db.prepare(
    `INSERT INTO purchases (contact_id, source, order_ref, line_no, ordered_at, amount_minor, currency) VALUES (?, ?, ?, ?, ?, ?, 'EUR')`,
  );
  const day = (offset: number) => new Date(Date.UTC(2024, 0, 1) + offset * 86_400_000).toISOString().slice(0, 10);
  db.transaction(() => {
    for (let o = 0; o < 400; o++) {
      const contact = ids[Math.floor(r() * ids.length)]!;
      const at = Math.floor(r() * 700);
      const source = r() < 0.8 ? 'shop' : 'store';
      const lines = 1 + Math.floor(r() * 3);
      for (let l = 1; l <= lines; l++) {
        const amount = r() < 0.05 ? 0 : Math.round(500 + r() * 9000);
        const owner = r() < 0.03 ? ids[Math.floor(r() * ids.length)]! : contact; // a ref shared by two contacts
        insert.run(owner, source, `R${o}`, l, r() < 0.3 ? `${day(at)} 10:1${l}:00` : day(at), amount);
      }
      if (r() < 0.15) insert.run(contact, source, `R${o}`, lines + 1, day(at + 1 + Math.floor(r() * 40)), -Math.round(200 + r() * 15000));
      if (r() < 0.03) insert.run(contact, source, `RET${o}`, 1, day(at + 5), -Math.round(100 + r() * 500));
    }
  })();
  return { db, ids };
}

describe('purchase rollup (purchase_totals)', () => {
  for (const seed of [1, 2, 3]) {
    it(`equals the lines regrouped from scratch after import, merges, unmerges, edits and deletions (seed ${seed})`, () => {
      const { db, ids } = generatedStore(seed);
      expect(staleCount(db)).toBeGreaterThan(0); // every line written marked its contact
      expectFresh(db); // first refresh: the whole rollup in one walk

      // dedupe: members' lines move to the survivor (the rollup of both changes), then back on unmerge.
      const r = rng(seed + 10);
      const merges: number[] = [];
      for (let i = 0; i < 5; i++) {
        const [survivor, member] = [ids[i * 2]!, ids[i * 2 + 1]!];
        const [outcome] = applyMerges(db, [{ survivorId: survivor, members: [{ id: member, probability: null, evidence: [] }] }], { mode: 'decisions', threshold: null });
        merges.push(outcome!.mergeId);
      }
      expect(staleCount(db)).toBeGreaterThan(0);
      expect(staleCount(db)).toBeLessThanOrEqual(10);
      expectFresh(db); // a few stale contacts: recomputed one by one
      for (const id of merges.sort(() => r() - 0.5)) unmerge(db, id);
      expectFresh(db);

      // Edits an import makes to a line it meets again, and deletions.
      db.prepare("UPDATE purchases SET amount_minor = -amount_minor WHERE id % 17 = 0").run();
      db.prepare("UPDATE purchases SET ordered_at = '2026-02-01' WHERE id % 23 = 0").run();
      db.prepare("UPDATE purchases SET order_ref = 'R0', line_no = 1000 + id WHERE id % 29 = 0").run();
      db.prepare('DELETE FROM purchases WHERE id % 31 = 0').run();
      expectFresh(db);
      // A contact whose lines all go: its rollup rows go too.
      db.prepare('DELETE FROM purchases WHERE contact_id = ?').run(ids[0]);
      expectFresh(db);
      expect(db.prepare('SELECT count(*) FROM purchase_totals WHERE contact_id = ?').pluck().get(ids[0])).toBe(0);
    });
  }

  it('survives a rebuild of purchases that drops its triggers, and forgets lines detached from their contact (erasure)', () => {
    const { db, ids } = generatedStore(4);
    expectFresh(db);
    // What a later migration making purchases.contact_id nullable does (SQLite rebuilds the table);
    // the triggers go with the old table.
    db.pragma('foreign_keys = OFF');
    db.exec(`CREATE TABLE purchases_new AS SELECT * FROM purchases; DROP TABLE purchases; ALTER TABLE purchases_new RENAME TO purchases;`);
    db.pragma('foreign_keys = ON');
    expect(totalsTriggersPresent(db)).toBe(false);
    db.prepare('UPDATE purchases SET amount_minor = amount_minor + 1 WHERE contact_id = ?').run(ids[1]); // unseen without triggers
    expectFresh(db); // the refresh recreates them and recomputes everyone
    expect(totalsTriggersPresent(db)).toBe(true);
    // Erasure detaches the person's lines (contact NULL): they are nobody's revenue any more.
    db.prepare('UPDATE purchases SET contact_id = NULL WHERE contact_id = ?').run(ids[2]);
    expect(staleCount(db)).toBe(1);
    expectFresh(db);
    expect(db.prepare('SELECT count(*) FROM purchase_totals WHERE contact_id = ?').pluck().get(ids[2])).toBe(0);
  });

  it('gdpr erase: the person keeps no totals row nor mark, the anonymous holder has their lines', () => {
    const { db, ids } = generatedStore(6);
    expectFresh(db);
    const person = ids.find((id) => db.prepare('SELECT count(*) FROM purchase_totals WHERE contact_id = ? AND frequency > 1').pluck().get(id))!;
    const lines = db.prepare('SELECT count(*) FROM purchases WHERE contact_id = ?').pluck().get(person) as number;
    const result = db.transaction(() => eraseContacts(db, [person], { reason: 'test', source: 'gdpr erase', defaultCountry: 'FR' }))();
    expect(result.tables.purchase_totals).toBe(1);
    expect(staleCount(db)).toBe(0); // erasure refreshed the rollup itself
    expect(db.prepare('SELECT count(*) FROM purchase_totals WHERE contact_id = ?').pluck().get(person)).toBe(0);
    const holder = db.prepare("SELECT id FROM contacts WHERE source = '(erased)'").pluck().get() as number;
    expect(db.prepare('SELECT count(*) FROM purchases WHERE contact_id = ?').pluck().get(holder)).toBe(lines);
    expect(stored(db)).toEqual(reference(db).totals);
  });

  it("score's figures equal the lines' for an as-of date inside the history (rollup and lines mixed) and after it", () => {
    const { db, ids } = generatedStore(5);
    expectFresh(db);
    // A merge after the refresh: score finds stale contacts and refreshes them itself.
    applyMerges(db, [{ survivorId: ids[3]!, members: [{ id: ids[4]!, probability: null, evidence: [] }] }], { mode: 'decisions', threshold: null });
    // Dates inside the history include the day before contacts' latest line day and their line day
    // before it, where the totals as of the day before the latest line day serve (RFM without --clv).
    const dates = ['2024-09-30', '2025-03-15', '2026-12-31', ...dayBeforeEdges(db, 5)];
    let servedByPrevious = 0;
    for (const asOf of dates) {
      servedByPrevious += db.prepare(
        'SELECT count(*) FROM purchase_totals WHERE last_line_day > ? AND prev_valid = 1 AND prev_line_day <= ?',
      ).pluck().get(asOf, asOf) as number;
      const run = scoreRun(db, { ...baseScoreOptions, asOf });
      const want = reference(db, asOf).totals;
      const got = db.prepare(
        `SELECT s.contact_id, s.frequency, s.monetary_minor, s.first_purchase_at, s.last_purchase_at, s.recency_days, s.segment
         FROM scores s WHERE run_id = ?`,
      ).all(run.runId) as Array<{ contact_id: number; frequency: number; monetary_minor: number; first_purchase_at: string | null; last_purchase_at: string | null; recency_days: number | null; segment: string }>;
      expect(got.length).toBe(ids.length - 1); // the merged member is not scored
      for (const row of got) {
        const t = want.get(row.contact_id);
        expect([row.contact_id, row.frequency, row.monetary_minor, row.first_purchase_at, row.last_purchase_at]).toEqual([
          row.contact_id, t?.frequency ?? 0, t?.monetary ?? 0, t?.first_day ?? null, t?.last_day ?? null,
        ]);
        const days = t?.last_day ? Math.round((Date.parse(asOf) - Date.parse(t.last_day)) / 86_400_000) : null;
        expect(row.recency_days).toBe(days);
        if (!t) expect(row.segment).toBe('prospect');
      }
    }
    expect(servedByPrevious).toBeGreaterThan(20);
  });

  it("the CLV models' purchase-day summary from the rollup equals the lines' at dates inside the history", () => {
    const { db } = generatedStore(6);
    // Before the latest line day, a return only (no purchase day, no order); an order on that day.
    const returnsFirst = addContact(db, 'returns-first');
    db.prepare(`INSERT INTO purchases (contact_id, source, order_ref, line_no, ordered_at, amount_minor, currency) VALUES
      (?, 'shop', 'RF1', 1, '2024-05-02', -1500, 'EUR'), (?, 'shop', 'RF2', 1, '2024-05-20', 4200, 'EUR')`).run(returnsFirst, returnsFirst);
    expectFresh(db);
    const summary = (asOf: string, days: 'summary' | 'all') => {
      buildOrderTables(db, asOf, { days });
      const rows = db.prepare('SELECT * FROM score_day_summary ORDER BY contact_id').all();
      const customers = db.prepare('SELECT * FROM score_customers ORDER BY contact_id').all();
      dropTempTables(db);
      return { rows, customers };
    };
    for (const asOf of ['2024-05-10', ...dayBeforeEdges(db, 4)]) {
      const fromRollup = summary(asOf, 'summary');
      expect(fromRollup).toEqual(summary(asOf, 'all'));
    }
  });
});
