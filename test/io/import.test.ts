import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
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

  it('keeps the consent of the later row when a file names the same customer twice', async () => {
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
    expect(latest).toEqual([{ channel: 'email', status: 'withdrawn' }, { channel: 'sms', status: 'granted' }]);
    expect(db.prepare('SELECT count(*) FROM consents').pluck().get()).toBe(302);
  });
});
