import Database from 'better-sqlite3-multiple-ciphers';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { custkit, fixture, tempDir } from '../helpers/cli.js';

function storeWithContacts(): string {
  const db = path.join(tempDir(), 'check.db');
  expect(custkit(['import', fixture('contacts-en-bom.csv')], { db }).code).toBe(0);
  return db;
}

function edit(db: string, sql: string): void {
  const handle = new Database(db);
  handle.pragma('foreign_keys = OFF');
  handle.exec(sql);
  handle.close();
}

describe('custkit db check', () => {
  it('passes a sound store, with --json', () => {
    const db = storeWithContacts();
    const run = custkit(['db', 'check'], { db });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/ok \(\d+ checks: SQLite integrity_check, foreign keys, \d+ rules of the store\)/);
    const json = JSON.parse(custkit(['db', 'check', '--json', '--quick'], { db }).stdout) as { ok: boolean; problems: unknown[] };
    expect(json).toMatchObject({ ok: true, integrity: 'ok', problems: [] });
  });

  it('lists each broken invariant with ids, exit 3, and never personal data', () => {
    const db = storeWithContacts();
    edit(db, `
      UPDATE contacts SET status = 'merged', merged_into = NULL WHERE id = 1;
      UPDATE contacts SET merged_into = 3 WHERE id = 2;
      UPDATE contacts SET status = 'erased' WHERE id = 3;
      INSERT INTO purchases (contact_id, source, order_ref, line_no, ordered_at, amount_minor, currency) VALUES (999, 'x', 'o1', 1, '2024-01-01', 100, 'EUR');
      UPDATE imports SET status = 'running';`);
    const run = custkit(['db', 'check'], { db });
    expect(run.code).toBe(3);
    for (const check of ['merged contact without an active survivor', 'contact pointing to a survivor but not merged', 'erased contact keeping personal data',
      'purchase of a missing contact', 'foreign keys', 'unfinished import']) {
      expect(run.stdout).toContain(`- ${check}: `);
    }
    expect(run.stdout).toMatch(/purchase \d+ \(contact id 999\)/);
    expect(run.stdout).toMatch(/The file is sound but its data breaks the rules/);
    expect(run.stdout).not.toMatch(/@/); // no email address in the report
    const json = JSON.parse(custkit(['db', 'check', '--json'], { db }).stdout) as { ok: boolean; problems: Array<{ check: string; count: number }> };
    expect(json.ok).toBe(false);
    expect(json.problems.find((p) => p.check === 'unfinished import')?.count).toBe(1);
  });

  it('finds a damaged page; other commands then say to run it and restore a backup', () => {
    const db = storeWithContacts();
    const handle = new Database(db);
    const pageSize = handle.pragma('page_size', { simple: true }) as number;
    const root = handle.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'contacts'").pluck().get() as number;
    handle.close();
    // Scribble over the contacts table's root page (its header and cell pointers).
    const fd = fs.openSync(db, 'r+');
    fs.writeSync(fd, Buffer.alloc(200, 0x5a), 0, 200, (root - 1) * pageSize);
    fs.closeSync(fd);
    const check = custkit(['db', 'check'], { db });
    expect(check.code).toBe(3);
    expect(check.stdout).toMatch(/SQLite integrity/);
    expect(check.stdout).toMatch(/The file is damaged: restore the latest backup/);
    const other = custkit(['export', '--out', '-'], { db });
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/the store is damaged .*Run "custkit db check".*restore the latest backup/);
    expect(other.stderr).not.toMatch(/unexpected failure/);
  });
});
