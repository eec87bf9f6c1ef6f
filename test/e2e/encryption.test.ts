/**
 * Encryption at rest (SQLite3 Multiple Ciphers, ChaCha20-Poly1305): with CUSTKIT_KEY or --key-file the
 * store, its WAL and its backups are unreadable without the key, by custkit and by sqlite3 alike; a wrong
 * or missing key is exit 1 and never changes the file; encrypt, decrypt and rekey convert in place.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { custkit, fixture, tempDir } from '../helpers/cli.js';

const KEY = 'correct horse battery staple';
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
const isPlain = (file: string): boolean => fs.readFileSync(file).subarray(0, 16).equals(SQLITE_HEADER);
const sha = (file: string): string => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const hasSqlite3 = spawnSync('sqlite3', ['-version']).status === 0;

function holds(file: string, text: string): boolean {
  return [file, `${file}-wal`].some((f) => fs.existsSync(f) && fs.readFileSync(f).includes(Buffer.from(text)));
}

/** What the sqlite3 command-line tool makes of the file (skipped where it is not installed). */
function sqlite3Reads(file: string): boolean {
  return spawnSync('sqlite3', [file, 'SELECT count(*) FROM contacts']).status === 0;
}

function encryptedStore(): { dir: string; db: string; env: NodeJS.ProcessEnv } {
  const dir = tempDir();
  const db = path.join(dir, 'shop.db');
  const env = { CUSTKIT_KEY: KEY };
  expect(custkit(['import', fixture('clients-fr-cp1252.csv'), '-q'], { db, env }).code).toBe(0);
  return { dir, db, env };
}

describe('an encrypted store', () => {
  it('is created encrypted and cannot be read without the key', () => {
    const { db, env } = encryptedStore();
    expect(isPlain(db)).toBe(false);
    expect(holds(db, 'helene.dupont@orange.fr')).toBe(false);
    expect(holds(db, 'Dupont')).toBe(false);
    if (hasSqlite3) expect(sqlite3Reads(db)).toBe(false);
    const before = sha(db);

    const none = custkit(['db', 'info'], { db });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('the store is encrypted');
    expect(none.stderr).toContain('CUSTKIT_KEY');
    const wrong = custkit(['clean', '--fix'], { db, env: { CUSTKIT_KEY: 'wrong key' } });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('wrong key');
    expect(wrong.stderr).not.toContain('corrupt');
    expect(sha(db)).toBe(before);
    expect(custkit(['db', 'check', '-q'], { db, env }).code).toBe(0);
  });

  it('reads its key from --key-file, which must be the owner\'s alone', () => {
    const { dir, db } = encryptedStore();
    const keyFile = path.join(dir, 'key');
    fs.writeFileSync(keyFile, `${KEY}\n`, { mode: 0o644 });
    fs.chmodSync(keyFile, 0o644);
    const open = custkit(['--key-file', keyFile, 'db', 'info'], { db });
    expect(open.code).toBe(1);
    expect(open.stderr).toContain('chmod 600');
    fs.chmodSync(keyFile, 0o600);
    expect(custkit(['--key-file', keyFile, 'db', 'info', '-q'], { db }).code).toBe(0);
    expect(custkit(['--key-file', path.join(dir, 'missing'), 'db', 'info'], { db }).code).toBe(1);
  });

  it('its worker threads open it with the key: a parallel export and validation give what one thread gives', () => {
    const { dir, db, env } = encryptedStore();
    const one = path.join(dir, 'one.csv');
    const two = path.join(dir, 'two.csv');
    expect(custkit(['export', '--include-unconsented', '--workers', '0', '--out', one, '-q'], { db, env }).code).toBe(0);
    expect(custkit(['export', '--include-unconsented', '--workers', '2', '--out', two, '-q'], { db, env }).code).toBe(0);
    expect(fs.readFileSync(two).equals(fs.readFileSync(one))).toBe(true);
    expect(fs.readFileSync(one, 'utf8')).toContain('helene.dupont@orange.fr');
    expect(custkit(['validate', '--all', '--workers', '2', '--json'], { db, env }).code).toBe(3);
  });

  it('backs up encrypted, and restores', () => {
    const { dir, db, env } = encryptedStore();
    const backup = path.join(dir, 'copy.db');
    expect(custkit(['db', 'backup', backup, '-q'], { db, env }).code).toBe(0);
    expect(isPlain(backup)).toBe(false);
    expect(holds(backup, 'helene.dupont@orange.fr')).toBe(false);
    if (hasSqlite3) expect(sqlite3Reads(backup)).toBe(false);
    expect(custkit(['db', 'check'], { db: backup }).code).toBe(1);
    expect(custkit(['db', 'check', '-q'], { db: backup, env }).code).toBe(0);
    expect(custkit(['db', 'restore', backup, '-q'], { db, env }).code).toBe(0);
    expect(isPlain(db)).toBe(false);
  });

  it('encrypt, rekey and decrypt round trip in place', () => {
    const dir = tempDir();
    const db = path.join(dir, 'shop.db');
    expect(custkit(['import', fixture('clients-fr-cp1252.csv'), '-q'], { db }).code).toBe(0);
    const info = (env: NodeJS.ProcessEnv): string => custkit(['db', 'info', '--json'], { db, env }).stdout;
    const plainInfo = JSON.parse(info({})).tables;
    if (hasSqlite3) expect(sqlite3Reads(db)).toBe(true);
    // A key given to a plain store is refused, clearly.
    const plainWithKey = custkit(['db', 'info'], { db, env: { CUSTKIT_KEY: KEY } });
    expect(plainWithKey.code).toBe(1);
    expect(plainWithKey.stderr).toContain('not encrypted');
    expect(custkit(['db', 'encrypt'], { db }).code).toBe(2);

    expect(custkit(['db', 'encrypt', '-q'], { db, env: { CUSTKIT_KEY: KEY } }).code).toBe(0);
    expect(isPlain(db)).toBe(false);
    expect(holds(db, 'helene.dupont@orange.fr')).toBe(false);
    if (hasSqlite3) expect(sqlite3Reads(db)).toBe(false);
    expect(custkit(['db', 'encrypt'], { db, env: { CUSTKIT_KEY: KEY } }).code).toBe(1);

    const rekeyed = custkit(['db', 'rekey', '-q'], { db, env: { CUSTKIT_KEY: KEY, CUSTKIT_NEW_KEY: 'new passphrase' } });
    expect(rekeyed.code).toBe(0);
    expect(custkit(['db', 'info'], { db, env: { CUSTKIT_KEY: KEY } }).code).toBe(1);
    expect(JSON.parse(info({ CUSTKIT_KEY: 'new passphrase' })).tables).toMatchObject({ ...plainInfo, audit_log: expect.any(Number) });

    expect(custkit(['db', 'decrypt', '-q'], { db, env: { CUSTKIT_KEY: 'new passphrase' } }).code).toBe(0);
    expect(isPlain(db)).toBe(true);
    if (hasSqlite3) expect(sqlite3Reads(db)).toBe(true);
    expect(JSON.parse(info({})).tables.contacts).toBe(plainInfo.contacts);
    expect(fs.statSync(db).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // Each conversion is in the audit trail.
    const actions = JSON.parse(custkit(['audit', '--json'], { db }).stdout) as Array<{ action: string }>;
    expect(actions.map((a) => a.action)).toEqual(expect.arrayContaining(['db.encrypt', 'db.rekey', 'db.decrypt']));
  });
});
