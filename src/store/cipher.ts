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
import { isPlainSqliteFile, openRaw, sqlLiteral } from './db.js';
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

export function changeCipher(file: string, change: CipherChange, keys: { current: string | null; next: string | null }, waitMs: number): CipherResult {
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
