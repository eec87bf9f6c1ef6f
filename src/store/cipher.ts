/**
 * Encrypting, decrypting and changing the key of a store in place. SQLite3 Multiple Ciphers' `rekey`
 * rewrites every page of the file it is run on and cannot run in WAL mode; run on the live store, a
 * crash halfway would leave pages under two keys. So the store is copied (VACUUM INTO, under the
 * exclusive lock: nothing changes meanwhile), the copy is rekeyed, reopened with the new key and checked,
 * then renamed over the store (replace.ts). The old key opens nothing afterwards; backups taken before
 * keep the key they were taken with.
 */
import fs from 'node:fs';
import { StoreError } from './errors.js';
import { isPlainSqliteFile, migrate, openRaw, sqlLiteral, type Db } from './db.js';
import { createTempBeside, openExclusive, removeWithJournals, swapInto } from './replace.js';

export type CipherChange = 'encrypt' | 'decrypt' | 'rekey';

export interface CipherResult {
  change: CipherChange;
  bytes: number;
  ms: number;
}

/** Opens `file` with `key`, checks it whole, and closes it; throws when it is not sound. */
export function checkCopy(file: string, key: string | null): void {
  const db = openRaw(file, key);
  try {
    const result = db.pragma('integrity_check', { simple: true });
    if (result !== 'ok') throw new StoreError(`the converted copy failed its integrity check (${String(result)}); the store was left as it was`);
  } finally {
    db.close();
  }
}

/**
 * Runs `stamp` on the converted copy (opened with its new key) in one transaction, after bringing the
 * copy's schema up to date: a store last written by an older custkit may lack the table `stamp` writes.
 */
function stampCopy(file: string, key: string | null, stamp: (copy: Db, bytes: number) => void): void {
  const bytes = fs.statSync(file).size;
  const db = openRaw(file, key);
  try {
    migrate(db);
    db.transaction(() => stamp(db, bytes))();
  } finally {
    db.close();
  }
}

/** Sets a copy's key (null: no encryption). The copy must not be in WAL mode. */
export function setCopyKey(file: string, from: string | null, to: string | null): void {
  const db = openRaw(file, from);
  try {
    db.pragma('journal_mode = DELETE');
    // rekey on a plain file: the cipher is the store's (applyKey names it) before the first key.
    if (from === null && to !== null) db.pragma("cipher = 'chacha20'");
    db.pragma(`rekey = ${sqlLiteral(to ?? '')}`);
  } finally {
    db.close();
  }
}

/**
 * `stamp` writes the command's own record (its audit line) into the converted copy, in one transaction,
 * before the copy is checked and renamed: the store and its record arrive together. Written afterwards,
 * a kill between the rename and that write left the new store without its record for good, as a re-run
 * refuses a store that is already converted (found by the kill -9 torture, bench/torture/kill-steps.ts).
 */
export function changeCipher(file: string, change: CipherChange, keys: { current: string | null; next: string | null }, waitMs: number,
  stamp?: (copy: Db, bytes: number) => void): CipherResult {
  const started = Date.now();
  const plain = isPlainSqliteFile(file);
  if (change === 'encrypt' && !plain) throw new StoreError(`${file}: the store is already encrypted (use "custkit db rekey" to change its key); nothing was changed`);
  if (change !== 'encrypt' && plain) throw new StoreError(`${file}: the store is not encrypted; nothing was changed`);
  if (keys.next === null && change !== 'decrypt') throw new StoreError(`${change}: no new key given; nothing was changed`);
  if (change === 'rekey' && keys.next === keys.current) throw new StoreError('rekey: the new key is the current key; nothing was changed');
  const exclusive = openExclusive(file, change === 'encrypt' ? null : keys.current, waitMs);
  let temp: string | null = null;
  try {
    temp = createTempBeside(file, change);
    exclusive.exec(`VACUUM INTO ${sqlLiteral(temp)}`);
    setCopyKey(temp, change === 'encrypt' ? null : keys.current, change === 'decrypt' ? null : keys.next);
    if (stamp) stampCopy(temp, change === 'decrypt' ? null : keys.next, stamp);
    checkCopy(temp, change === 'decrypt' ? null : keys.next);
    if ((change === 'decrypt') !== isPlainSqliteFile(temp)) throw new StoreError(`${change}: the converted copy is not what was asked; the store was left as it was`);
  } catch (error) {
    exclusive.close();
    if (temp) removeWithJournals(temp);
    throw error;
  }
  swapInto(exclusive, file, temp);
  return { change, bytes: fs.statSync(file).size, ms: Date.now() - started };
}
