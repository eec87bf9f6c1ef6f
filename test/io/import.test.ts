import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import { importFile, type ImportRequest } from '../../src/io/import.js';
import { openStore, type Db } from '../../src/store/db.js';

const FIXTURES = path.resolve(__dirname, '../../fixtures');
let dir: string;
let db: Db;

function request(file: string): ImportRequest {
  return {
    file, displayName: path.basename(file), source: 'default', encoding: 'auto', delimiter: 'auto', dates: 'auto',
    currency: 'EUR', force: false,
  };
}

function open(): Db {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custkit-import-'));
  db = openStore(path.join(dir, 'store.db'));
  return db;
}

afterEach(() => {
  db?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('importFile into an empty store (first load)', () => {
  it('puts foreign-key checks and the page cache back once the load is over', async () => {
    open();
    const cacheBefore = db.pragma('cache_size', { simple: true });
    await importFile(db, request(path.join(FIXTURES, 'clients-fr-cp1252.csv')));
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('cache_size', { simple: true })).toBe(cacheBefore);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    // The load ran on a rollback journal; the store is back in WAL mode for readers during later writes.
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    // The next load (store no longer empty) runs with the checks on: a dangling reference is refused.
    expect(() => db.prepare("INSERT INTO consents (contact_id, channel, status, recorded_at) VALUES (999999, 'email', 'granted', 'x')").run())
      .toThrow(/FOREIGN KEY/);
  });

  it('leaves every index of contacts and consents as it found it, rebuilt or kept', async () => {
    open();
    const indexes = (): unknown[] => db.prepare(
      "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('contacts', 'consents') ORDER BY name",
    ).all();
    const before = indexes();
    expect(before.length).toBeGreaterThan(4);
    await importFile(db, request(path.join(FIXTURES, 'clients-fr-cp1252.csv')));
    expect(indexes()).toEqual(before);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    // Each is in use: the unique customer key still refuses a second row for the same (source, code).
    const existing = db.prepare('SELECT source, external_key FROM contacts LIMIT 1').get() as { source: string; external_key: string };
    expect(() => db.prepare("INSERT INTO contacts (uid, source, external_key, imported_at, updated_at) VALUES ('x', ?, ?, 'now', 'now')").run(existing.source, existing.external_key))
      .toThrow(/UNIQUE/);
  });

  it('keeps the WAL when another connection has the store open, and still loads', async () => {
    open();
    const reader = new Database(path.join(dir, 'store.db'), { readonly: true });
    try {
      reader.prepare('SELECT count(*) FROM contacts').get();
      const [summary] = await importFile(db, request(path.join(FIXTURES, 'clients-fr-cp1252.csv')));
      expect(summary!.inserted).toBeGreaterThan(0);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(reader.prepare('SELECT count(*) FROM contacts').pluck().get()).toBe(summary!.inserted);
    } finally {
      reader.close();
    }
  });

  it('puts them back when the load fails, and leaves nothing behind', async () => {
    open();
    const blank = path.join(dir, 'blank.csv');
    fs.writeFileSync(blank, '\n\n\n');
    await expect(importFile(db, request(blank))).rejects.toThrow(/no header row/);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare('SELECT count(*) FROM contacts').pluck().get()).toBe(0);
  });

  it('keeps a withdrawal of either row when a file names the same customer twice (a grant of the same file never overrides it)', async () => {
    open();
    const file = path.join(dir, 'twice.csv');
    const lines = ['Code client;Nom;Email;Opt-in email;Opt-in SMS'];
    // 150 customers, so consents fill a whole batch before the repeated customer comes back.
    for (let i = 1; i <= 150; i++) lines.push(`C${i};Nom${i};c${i}@example.fr;oui;non`);
    lines.push('C7;Nom7;c7@example.fr;non;oui');
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    const [summary] = await importFile(db, request(file));
    expect(summary!.inserted).toBe(150);
    const latest = db.prepare(
      `SELECT channel, status FROM consents WHERE contact_id = (SELECT id FROM contacts WHERE external_id = 'C7')
       AND id IN (SELECT max(id) FROM consents GROUP BY contact_id, channel) ORDER BY channel`,
    ).all();
    // Email: row 8 granted, row 152 withdrew. SMS: row 8 withdrew, row 152 granted. Both stay withdrawn.
    expect(latest).toEqual([{ channel: 'email', status: 'withdrawn' }, { channel: 'sms', status: 'withdrawn' }]);
    expect(db.prepare('SELECT count(*) FROM consents').pluck().get()).toBe(300);
    expect([summary!.repeated, summary!.consentConflicts, summary!.notes.consentConflicts]).toEqual([1, 2, [
      { channel: 'email', rows: [8, 152] }, { channel: 'sms', rows: [8, 152] },
    ]]);
  });
});

describe('importFile into a store that has the contacts already (re-import)', () => {
  it('writes only the rows that change something, by the rules of the update itself', async () => {
    open();
    const header = 'Code client;Nom;Prénom;Email;Ville;Tags;Notes;Opt-in email';
    const v1 = path.join(dir, 'v1.csv');
    fs.writeFileSync(v1, [header,
      'C1;Dupont;Jean;j@x.fr;Paris;vip;;oui', 'C2;Martin;Anne;a@x.fr;Lyon;;;oui', 'C3;Durand;Paul;p@x.fr;Nice;;hello;oui',
      'C4;Petit;Luc;l@x.fr;Lille;;;oui', 'C5;Roux;Eva;e@x.fr;Metz;;;oui', 'C6;Blanc;Zoé;z@x.fr;Pau;;;oui', ''].join('\n'));
    await importFile(db, request(v1));
    const id = (code: string): number => db.prepare('SELECT id FROM contacts WHERE external_id = ?').pluck().get(code) as number;
    // Dedupe merged C6 into C5: what the file says of C6 goes to C5.
    db.prepare("UPDATE contacts SET status = 'merged', merged_into = ? WHERE id = ?").run(id('C5'), id('C6'));
    const v2 = path.join(dir, 'v2.csv');
    fs.writeFileSync(v2, [header,
      'C1;Dupont;Jean;j@x.fr;Paris;vip;;oui', // the same, tags included: unchanged
      'C2;Martin;Anne;;Lyon;;;oui', //         an empty cell never erases: unchanged
      'C3;Durand;Paul;p@x.fr;Nice;;hello;non', // the same attributes (left to json_patch): unchanged; consent withdrawn
      'C4;Petit;Luc;l@x.fr;Lens;;;oui', //       a new city: updated
      'C5;Roux;Eva;e@x.fr;Metz;promo;;oui', //  a new tag: updated
      'C6;Blanc;Zoé;z@x.fr;Pau;;;oui', //        merged away: its values go to the survivor C5, updated
      ''].join('\n'));
    const cacheBefore = db.pragma('cache_size', { simple: true });
    const [summary] = await importFile(db, request(v2));
    expect(summary).toMatchObject({ inserted: 0, updated: 3, unchanged: 3, rejected: 0 });
    expect(db.pragma('cache_size', { simple: true })).toBe(cacheBefore); // the import's smaller cache is given back
    const rows = db.prepare('SELECT external_id, email, city, tags, attributes, last_import_id FROM contacts ORDER BY external_id').all();
    expect(rows).toEqual([
      { external_id: 'C1', email: 'j@x.fr', city: 'Paris', tags: '["vip"]', attributes: '{}', last_import_id: 1 },
      { external_id: 'C2', email: 'a@x.fr', city: 'Lyon', tags: '[]', attributes: '{}', last_import_id: 1 },
      { external_id: 'C3', email: 'p@x.fr', city: 'Nice', tags: '[]', attributes: '{"Notes":"hello"}', last_import_id: 1 },
      { external_id: 'C4', email: 'l@x.fr', city: 'Lens', tags: '[]', attributes: '{}', last_import_id: 2 },
      { external_id: 'C5', email: 'z@x.fr', city: 'Pau', tags: '["promo"]', attributes: '{}', last_import_id: 2 },
      { external_id: 'C6', email: 'z@x.fr', city: 'Pau', tags: '[]', attributes: '{}', last_import_id: 1 },
    ]);
    // Consents: only C3's changed choice is recorded again, unchanged rows included.
    const second = db.prepare('SELECT c.external_id, k.status FROM consents k JOIN contacts c ON c.id = k.contact_id WHERE k.import_id = 2').all();
    expect(second).toEqual([{ external_id: 'C3', status: 'withdrawn' }]);
  });
});

describe('importFile of an orders export again', () => {
  it('updates the lines that changed and leaves the others as they were', async () => {
    open();
    const header = 'N° commande;Date commande;Code client;Référence;Quantité;Prix unitaire';
    const v1 = path.join(dir, 'orders-v1.csv');
    fs.writeFileSync(v1, [header, 'CMD1;02/03/2025;C1;SKU-1;1;10,00', 'CMD1;02/03/2025;C1;SKU-2;2;5,50', 'CMD2;03/03/2025;C2;SKU-1;1;10,00', ''].join('\n'));
    expect((await importFile(db, request(v1)))[0]).toMatchObject({ inserted: 3 });
    const v2 = path.join(dir, 'orders-v2.csv');
    // CMD1 line 2 now has three items; CMD2 and CMD1 line 1 are as they were.
    fs.writeFileSync(v2, [header, 'CMD1;02/03/2025;C1;SKU-1;1;10,00', 'CMD1;02/03/2025;C1;SKU-2;3;5,50', 'CMD2;03/03/2025;C2;SKU-1;1;10,00', ''].join('\n'));
    expect((await importFile(db, request(v2)))[0]).toMatchObject({ inserted: 0, updated: 1, unchanged: 2 });
    expect(db.prepare('SELECT order_ref, line_no, quantity, amount_minor, import_id FROM purchases ORDER BY order_ref, line_no').all()).toEqual([
      { order_ref: 'CMD1', line_no: 1, quantity: 1, amount_minor: 1000, import_id: 1 },
      { order_ref: 'CMD1', line_no: 2, quantity: 3, amount_minor: 1650, import_id: 2 },
      { order_ref: 'CMD2', line_no: 1, quantity: 1, amount_minor: 1000, import_id: 1 },
    ]);
  });
});
