import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPlainSqliteFile, openStore, storeAddress, StoreError, STORE_CIPHER } from '../../src/store/db.js';
import { changeCipher } from '../../src/store/cipher.js';
import { backupBeforeChange, backupTo } from '../../src/store/backup.js';
import { newUid } from '../../src/store/uid.js';
import { tempDir } from '../helpers/cli.js';

const EMAIL = 'anne.secret@example.org';

function addContact(db: ReturnType<typeof openStore>): void {
  db.prepare("INSERT INTO contacts (uid, source, external_key, email, email_norm, imported_at, updated_at) VALUES (?, 'test', 'k1', ?, ?, '2025-01-01', '2025-01-01')")
    .run(newUid(), EMAIL, EMAIL);
}

const fileHolds = (file: string, text: string): boolean => fs.existsSync(file) && fs.readFileSync(file).includes(Buffer.from(text));

describe('encryption at rest', () => {
  it('encrypts the store and its WAL while it is open; the WAL and shared memory are 0600 like the store', () => {
    const file = path.join(tempDir(), 'store.db');
    const db = openStore(file, { key: 'k' });
    addContact(db);
    // Still open: the write sits in the WAL, not yet in the store.
    expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(0);
    expect(fileHolds(`${file}-wal`, EMAIL)).toBe(false);
    for (const f of [file, `${file}-wal`, `${file}-shm`]) expect(fs.statSync(f).mode & 0o777).toBe(0o600);
    expect(storeAddress(db)).toEqual({ file, key: 'k' });
    db.close();
    expect(isPlainSqliteFile(file)).toBe(false);
    expect(fileHolds(file, EMAIL)).toBe(false);
    expect(STORE_CIPHER).toBe('chacha20');
  });

  it('a plain store keeps its data readable, as a control for the test above', () => {
    const file = path.join(tempDir(), 'store.db');
    const db = openStore(file, { key: null });
    addContact(db);
    expect(fileHolds(`${file}-wal`, EMAIL)).toBe(true);
    db.close();
    expect(isPlainSqliteFile(file)).toBe(true);
  });

  it('refuses a wrong or missing key with a StoreError naming the key, and leaves the file as it was', () => {
    const file = path.join(tempDir(), 'store.db');
    openStore(file, { key: 'right' }).close();
    const before = fs.readFileSync(file);
    expect(() => openStore(file, { key: 'wrong' })).toThrow(/wrong key/);
    expect(() => openStore(file, { key: null })).toThrow(StoreError);
    expect(() => openStore(file, { key: null, readonly: true })).toThrow(/the store is encrypted/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('backups of an encrypted store, automatic ones included, are encrypted with its key', () => {
    const dir = tempDir();
    const file = path.join(dir, 'store.db');
    const db = openStore(file, { key: 'k' });
    addContact(db);
    const manual = backupTo(db, path.join(dir, 'copy.db'));
    const automatic = backupBeforeChange(db, 'clean --fix')!;
    db.close();
    for (const b of [manual, automatic]) {
      expect(b.encrypted).toBe(true);
      expect(isPlainSqliteFile(b.file)).toBe(false);
      expect(fileHolds(b.file, EMAIL)).toBe(false);
      const copy = openStore(b.file, { key: 'k', readonly: true });
      expect(copy.prepare('SELECT email FROM contacts').pluck().get()).toBe(EMAIL);
      copy.close();
    }
  });

  it('rekey leaves the data as it was under the new key only; a conversion that cannot start changes nothing', () => {
    const file = path.join(tempDir(), 'store.db');
    const db = openStore(file, { key: null });
    addContact(db);
    db.close();
    expect(() => changeCipher(file, 'decrypt', { current: 'x', next: null }, 0)).toThrow(/not encrypted/);
    changeCipher(file, 'encrypt', { current: null, next: 'one' }, 1000);
    expect(() => changeCipher(file, 'rekey', { current: 'bad', next: 'two' }, 1000)).toThrow(/wrong key/);
    changeCipher(file, 'rekey', { current: 'one', next: 'two' }, 1000);
    expect(() => openStore(file, { key: 'one' })).toThrow(/wrong key/);
    const reopened = openStore(file, { key: 'two' });
    expect(reopened.prepare('SELECT email FROM contacts').pluck().get()).toBe(EMAIL);
    // The store is in use: a conversion that cannot get it alone fails at once and changes nothing.
    const before = fs.readFileSync(file);
    expect(() => changeCipher(file, 'decrypt', { current: 'two', next: null }, 0)).toThrow(/in use by another process/);
    reopened.close();
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it("the command's record is written into the converted copy, so the store and its record are replaced together; a failing record changes nothing", () => {
    const file = path.join(tempDir(), 'store.db');
    const db = openStore(file, { key: null });
    addContact(db);
    db.close();
    const stamp = (copy: ReturnType<typeof openStore>, bytes: number): void => {
      copy.prepare("INSERT INTO audit_log (at, os_user, command, action, targets, counts, details) VALUES ('2026-12-07', 'test', 'db encrypt', 'db.encrypt', 0, ?, '{}')")
        .run(JSON.stringify({ bytes }));
    };
    // Before, the record was written by a second open after the rename: a kill -9 in between left the
    // encrypted store without it, and a re-run refused the already encrypted store.
    const before = fs.readFileSync(file);
    expect(() => changeCipher(file, 'encrypt', { current: null, next: 'one' }, 1000, () => { throw new Error('record failed'); })).toThrow(/record failed/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(path.dirname(file)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    changeCipher(file, 'encrypt', { current: null, next: 'one' }, 1000, stamp);
    expect(isPlainSqliteFile(file)).toBe(false);
    const reopened = openStore(file, { key: 'one' });
    const rows = reopened.prepare("SELECT counts FROM audit_log WHERE action = 'db.encrypt'").pluck().all() as string[];
    reopened.close();
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]!).bytes).toBeGreaterThan(0);
  });
});
