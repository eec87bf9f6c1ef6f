/**
 * Loads fixtures/dedupe/*.csv into a store with plain SQL, so the dedupe tests do not depend on the
 * import command's mapping. Columns are named after the contacts table.
 */
import { parse } from 'csv-parse/sync';
import fs from 'node:fs';
import { openStore, type Db } from '../../src/store/db.js';
import { fixture } from './cli.js';

function rows(name: string): Record<string, string>[] {
  return parse(fs.readFileSync(fixture(`dedupe/${name}`), 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
}

/** uid = "uid-" + external_id, so tests can name contacts. */
export function seedDedupeStore(file: string): Db {
  const db = openStore(file);
  const ids = new Map<string, number>();
  const insert = db.prepare(`INSERT INTO contacts (uid, source, external_id, external_key, first_name, last_name, email, email_norm,
      phone, phone_digits, mobile, mobile_digits, address_line1, postal_code, city, country, birth_date, company, siret,
      imported_at, updated_at)
    VALUES (@uid, 'fixture', @external_id, @external_id, @first_name, @last_name, @email, @email_norm, @phone, @phone_digits,
      @mobile, @mobile_digits, @address_line1, @postal_code, @city, @country, @birth_date, @company, @siret, @updated_at, @updated_at)`);
  db.transaction(() => {
    for (const r of rows('contacts.csv')) {
      const v = Object.fromEntries(Object.entries(r).map(([k, x]) => [k, x === '' ? null : x]));
      const info = insert.run({
        ...v, uid: `uid-${r.external_id}`, email_norm: v.email?.trim().toLowerCase() ?? null,
        phone_digits: v.phone?.replace(/[^\d+]/g, '') ?? null, mobile_digits: v.mobile?.replace(/[^\d+]/g, '') ?? null,
      });
      ids.set(r.external_id, Number(info.lastInsertRowid));
    }
    const purchase = db.prepare(`INSERT INTO purchases (contact_id, source, order_ref, line_no, ordered_at, amount_minor, currency)
      VALUES (?, 'fixture', ?, 1, ?, ?, 'EUR')`);
    for (const r of rows('purchases.csv')) purchase.run(ids.get(r.external_id), r.order_ref, r.ordered_at, Number(r.amount_minor));
    const consent = db.prepare(`INSERT INTO consents (contact_id, channel, status, recorded_at, source) VALUES (?, ?, ?, ?, 'fixture')`);
    for (const r of rows('consents.csv')) consent.run(ids.get(r.external_id), r.channel, r.status, r.recorded_at);
  })();
  return db;
}

/** Everything a person would call the store's content: contacts, purchases, consents (and scores). */
export function storeContent(db: Db): string {
  const tables = ['contacts', 'purchases', 'consents', 'scores'].filter((t) =>
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(t));
  return JSON.stringify(Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()])));
}
