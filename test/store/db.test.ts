import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, openStore, resolveDbPath, schemaVersion, StoreError } from '../../src/store/db.js';
import { newUid } from '../../src/store/uid.js';
import { tempDir } from '../helpers/cli.js';

describe('store', () => {
  it('creates the file private (0600), in WAL mode, with foreign keys on, migrated', () => {
    const file = path.join(tempDir(), 'store.db');
    const db = openStore(file);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(schemaVersion(db)).toBeGreaterThanOrEqual(1);
    expect(migrate(db)).toEqual([]); // applying again does nothing
    db.close();
  });

  it('applies a later migration once, in its own transaction, and rolls back a failing one', () => {
    const db = openStore(path.join(tempDir(), 'm.db'));
    expect(migrate(db, [{ id: 99, name: 'test table', sql: 'CREATE TABLE t99 (x)' }])).toEqual([99]);
    expect(migrate(db, [{ id: 99, name: 'test table', sql: 'CREATE TABLE t99 (x)' }])).toEqual([]);
    expect(() => migrate(db, [{ id: 100, name: 'broken', sql: 'CREATE TABLE t100 (x); SELECT nope FROM nowhere' }])).toThrow();
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 't100'").pluck().get()).toBe(0);
    db.close();
  });

  it('refuses a file that is not a store, and a missing store when it must exist', () => {
    const dir = tempDir();
    const notDb = path.join(dir, 'notes.txt');
    fs.writeFileSync(notDb, 'hello, this is not SQLite at all '.repeat(100));
    expect(() => openStore(notDb)).toThrow(/not a custkit store/);
    expect(() => openStore(path.join(dir, 'missing.db'), { mustExist: true })).toThrow(StoreError);
  });

  it('resolves --db, then CUSTKIT_DB, then ./custkit.db', () => {
    expect(resolveDbPath('a.db', { CUSTKIT_DB: 'b.db' })).toBe(path.resolve('a.db'));
    expect(resolveDbPath(undefined, { CUSTKIT_DB: 'b.db' })).toBe(path.resolve('b.db'));
    expect(resolveDbPath(undefined, {})).toBe(path.resolve('custkit.db'));
  });

  it('hands out unique, time-ordered uids', () => {
    const uids = Array.from({ length: 10_000 }, () => newUid());
    expect(new Set(uids).size).toBe(uids.length);
    expect([...uids].sort()).toEqual(uids);
    expect(uids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('stamps uids with the millisecond they were made, and moves past a millisecond that ran out', () => {
    const before = Date.now();
    const uid = newUid();
    const stamped = parseInt(uid.slice(0, 8) + uid.slice(9, 13), 16);
    expect(stamped).toBeGreaterThanOrEqual(before);
    expect(stamped).toBeLessThanOrEqual(Date.now() + 1);
    // More than 4096 in one millisecond: the clock part moves on rather than repeating.
    const burst = Array.from({ length: 5000 }, () => newUid(before + 60_000));
    expect(new Set(burst).size).toBe(5000);
    expect([...burst].sort()).toEqual(burst);
    expect(burst.every((u) => /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(u))).toBe(true);
  });
});
