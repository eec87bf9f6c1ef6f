/** Test stores filled directly with SQL (the shape import writes), so validate/clean tests need no import. */
import { randomUUID } from 'node:crypto';
import { openStore, type Db } from '../../src/store/db.js';

export interface SeedContact {
  external_id?: string;
  civility?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  email?: string | null;
  phone?: string | null;
  mobile?: string | null;
  address_line1?: string | null;
  postal_code?: string | null;
  city?: string | null;
  country?: string | null;
  birth_date?: string | null;
  gender?: string | null;
  siret?: string | null;
  created_at?: string | null;
  last_activity_at?: string | null;
  status?: string;
  tags?: string;
}

const COLUMNS = ['civility', 'first_name', 'last_name', 'email', 'phone', 'mobile', 'address_line1', 'postal_code', 'city', 'country', 'birth_date', 'gender', 'siret', 'created_at', 'last_activity_at'] as const;

export function seedContacts(db: Db, contacts: SeedContact[], updatedAt = '2025-01-01T00:00:00.000Z'): number[] {
  const insert = db.prepare(
    `INSERT INTO contacts (uid, source, external_id, external_key, ${COLUMNS.join(', ')}, email_norm, imported_at, updated_at, status, tags)
     VALUES (?, 'test', ?, ?, ${COLUMNS.map(() => '?').join(', ')}, ?, ?, ?, ?, ?)`,
  );
  const ids: number[] = [];
  db.transaction(() => {
    contacts.forEach((c, i) => {
      const external = c.external_id ?? `C${String(ids.length + i + 1).padStart(6, '0')}-${randomUUID().slice(0, 8)}`;
      const info = insert.run(
        randomUUID(), external, external, ...COLUMNS.map((k) => c[k] ?? null),
        c.email ? c.email.trim().toLowerCase() : null, updatedAt, updatedAt, c.status ?? 'active', c.tags ?? '[]',
      );
      ids.push(Number(info.lastInsertRowid));
    });
  })();
  return ids;
}

export function seededStore(file: string, contacts: SeedContact[]): Db {
  const db = openStore(file);
  seedContacts(db, contacts);
  return db;
}

export function addConsent(db: Db, contactId: number, channel: string, status: 'granted' | 'withdrawn', recordedAt = '2025-01-01'): void {
  db.prepare('INSERT INTO consents (contact_id, channel, status, recorded_at) VALUES (?, ?, ?, ?)').run(contactId, channel, status, recordedAt);
}

export function addPurchase(db: Db, contactId: number, orderRef: string, orderedAt: string, amountMinor = 1000): void {
  db.prepare(
    "INSERT INTO purchases (contact_id, source, order_ref, line_no, ordered_at, amount_minor, currency) VALUES (?, 'test', ?, 1, ?, ?, 'EUR')",
  ).run(contactId, orderRef, orderedAt, amountMinor);
}
