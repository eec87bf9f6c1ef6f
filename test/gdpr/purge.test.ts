import { describe, expect, it } from 'vitest';
import { openStore, type Db } from '../../src/store/db.js';
import { newUid } from '../../src/store/uid.js';
import { planPurge, deleteExpiredRejects, CNIL_DEFAULTS } from '../../src/gdpr/purge.js';
import { eraseContacts } from '../../src/gdpr/erase.js';

const AS_OF = '2026-12-07'; // cutoffs: 2023-12-07 for people, 2026-09-08 for rejects
const RULES = { ...CNIL_DEFAULTS, asOf: AS_OF };

interface Person {
  key: string;
  created?: string | null;
  imported?: string;
  activity?: string | null;
  email?: string;
}

function add(db: Db, p: Person): number {
  return Number(db.prepare(`INSERT INTO contacts (uid, source, external_key, email, email_norm, created_at, imported_at, updated_at, last_activity_at)
    VALUES (?, 'test', ?, ?, ?, ?, ?, ?, ?)`).run(newUid(), p.key, p.email ?? `${p.key}@example.org`, p.email ?? `${p.key}@example.org`,
    p.created ?? null, p.imported ?? '2020-01-01T10:00:00Z', '2020-01-01T10:00:00Z', p.activity ?? null).lastInsertRowid);
}

function buy(db: Db, contactId: number, day: string, amount = 1000): void {
  db.prepare(`INSERT INTO purchases (contact_id, source, order_ref, line_no, ordered_at, amount_minor, currency) VALUES (?, 'test', ?, 1, ?, ?, 'EUR')`)
    .run(contactId, `o-${contactId}-${day}`, day, amount);
}

function store(): { db: Db; ids: Record<string, number> } {
  const db = openStore(':memory:');
  const ids: Record<string, number> = {};
  ids.old = add(db, { key: 'old', created: '2020-03-01' });
  ids.clicked = add(db, { key: 'clicked', created: '2020-03-01', activity: '2025-02-01T09:00:00Z' });
  ids.recent = add(db, { key: 'recent', created: '2026-03-01' });
  ids.textDate = add(db, { key: 'textdate', created: '01/03/2025', imported: '2021-01-01T00:00:00Z' }); // not ISO: imported_at counts
  ids.consented = add(db, { key: 'consented', created: '2020-03-01' });
  db.prepare("INSERT INTO consents (contact_id, channel, status, recorded_at, source) VALUES (?, 'email', 'granted', '2025-06-01T10:00:00Z', 'web preferences')").run(ids.consented);
  ids.fileConsent = add(db, { key: 'fileconsent', created: '2020-03-01' });
  db.exec("INSERT INTO imports (id, file_name, sha256, kind, source, columns, mapping, started_at) VALUES (1, 'a.csv', 'x', 'contacts', 'test', '[]', '{}', '2026-01-01T00:00:00Z')");
  db.exec("INSERT INTO imports (id, file_name, sha256, kind, source, columns, mapping, started_at) VALUES (2, 'b.csv', 'y', 'contacts', 'test', '[]', '{}', '2026-11-30T00:00:00Z')");
  db.prepare("INSERT INTO consents (contact_id, channel, status, recorded_at, source, import_id) VALUES (?, 'email', 'granted', '2025-06-01T10:00:00Z', 'file', 1)").run(ids.fileConsent);
  ids.lapsedCustomer = add(db, { key: 'lapsed', created: '2019-01-01' });
  buy(db, ids.lapsedCustomer, '2022-05-01');
  ids.customer = add(db, { key: 'customer', created: '2019-01-01' });
  buy(db, ids.customer, '2022-05-01');
  buy(db, ids.customer, '2024-01-15');
  ids.clickingCustomer = add(db, { key: 'clickingcustomer', created: '2019-01-01', activity: '2026-01-01' });
  buy(db, ids.clickingCustomer, '2022-05-01');
  ids.seed = add(db, { key: 'seed', created: '2019-01-01', email: 'trap@example.org' });
  db.exec("INSERT INTO seeds (uid, email, created_at) VALUES ('01a24e3b-f8e5-7000-ab61-000000000001', 'trap@example.org', '2019-01-01')");
  ids.survivor = add(db, { key: 'survivor', created: '2020-03-01' });
  const merged = add(db, { key: 'mergedrecord', created: '2020-03-01', activity: '2025-09-01' });
  db.prepare("UPDATE contacts SET status = 'merged', merged_into = ? WHERE id = ?").run(ids.survivor, merged);
  db.exec("INSERT INTO rejects (import_id, row_number, raw, reasons) VALUES (1, 2, '[\"x\"]', '[]'), (1, 3, '[\"y\"]', '[]'), (2, 2, '[\"z\"]', '[]')");
  return { db, ids };
}

describe('planPurge', () => {
  it('names the people past their period under the CNIL rules, and old rejected rows', () => {
    const { db, ids } = store();
    const plan = planPurge(db, RULES);
    expect(plan.cutoffs).toEqual({ prospects: '2023-12-07', customers: '2023-12-07', rejects: '2026-09-08' });
    expect(plan.prospects.map((p) => p.id).sort()).toEqual([ids.old, ids.textDate, ids.fileConsent].sort());
    // A customer's clock is their last purchase: a later click does not restart it.
    expect(plan.customers.map((p) => p.id).sort()).toEqual([ids.lapsedCustomer, ids.clickingCustomer].sort());
    expect(plan.customers.find((c) => c.id === ids.lapsedCustomer)?.since).toBe('2022-05-01');
    expect(plan.seedsKept).toBe(1);
    expect(plan.rejects).toEqual({ rows: 2, imports: [1] });
  });

  it('follows the periods given, and purging twice purges nothing the second time', () => {
    const { db, ids } = store();
    expect(planPurge(db, { ...RULES, prospects: '10y', customers: '10y', rejects: '1y' })).toMatchObject({ prospects: [], customers: [], rejects: { rows: 0 } });
    const short = planPurge(db, { ...RULES, prospects: '1y', customers: '2y' });
    expect(short.prospects.map((p) => p.id)).toContain(ids.clicked);
    expect(short.prospects.map((p) => p.id)).not.toContain(ids.recent);
    expect(short.customers.map((p) => p.id)).toContain(ids.customer);
    const plan = planPurge(db, RULES);
    db.transaction(() => {
      eraseContacts(db, [...plan.prospects, ...plan.customers].map((p) => p.id), { reason: 'retention', source: 'gdpr purge', defaultCountry: 'FR' });
      expect(deleteExpiredRejects(db, plan)).toBe(2);
    })();
    const again = planPurge(db, RULES);
    expect(again).toMatchObject({ prospects: [], customers: [], rejects: { rows: 0 } });
    expect(db.prepare("SELECT count(*) FROM contacts WHERE status = 'erased' AND source = 'test'").pluck().get()).toBe(5);
    expect(db.prepare("SELECT count(*) FROM suppressions WHERE kind = 'erased'").pluck().get()).toBe(5);
  });
});
