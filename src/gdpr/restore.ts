/**
 * `db restore FILE`: a backup put back in the store's place, without ever bringing back someone erased.
 *
 * 1. The backup is checked whole (integrity_check) and must be a custkit store; it is never written to.
 * 2. The store it replaces is held exclusively (replace.ts), and what must outlive the restore is read
 *    from it: every `erased` suppression hash (the record of each erasure) and the list of backups.
 * 3. A copy of the backup is made beside the store, brought to this version's schema, given those hashes,
 *    and everyone they name is erased from it again (the erase core), with secure_delete on and the copy
 *    vacuumed, so their data is not even in the file's free pages.
 * 4. The copy takes the key given (a plain backup restored where a key is set is encrypted), is checked
 *    again, and is renamed over the store. Until then the store is as it was.
 */
import fs from 'node:fs';
import path from 'node:path';
import { StoreError } from '../store/errors.js';
import { isPlainSqliteFile, openRaw, openStore, unreadableStoreMessage, type Db } from '../store/db.js';
import { createTempBeside, openExclusive, removeWithJournals, swapInto, syncFile } from '../store/replace.js';
import { checkCopy, setCopyKey } from '../store/cipher.js';
import type { WaitOptions } from '../store/busy.js';
import { recordAudit } from './audit.js';
import { applyErasures, readErasures, type Erasures } from './reapply.js';
import { ensureValidated } from '../validate/ensure.js';

export interface RestoreResult {
  file: string;
  from: string;
  bytes: number;
  ms: number;
  /** `erased` hashes of the replaced store added to the restored one. */
  erasuresCarried: number;
  /** Contacts of the backup erased again because an erasure names them. */
  reErased: number;
  /** Whether there was a store to replace (a restore can also create one). */
  replaced: boolean;
}

interface Carried {
  erased: Erasures;
  backups: Array<Record<string, unknown>>;
}

function tableExists(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** Opens the backup read-only, checks it is sound and a custkit store, and returns its key. */
function checkBackup(file: string, key: string | null): string | null {
  if (!fs.existsSync(file)) throw new StoreError(`${file}: no such backup file; nothing was changed`);
  const backupKey = isPlainSqliteFile(file) ? null : key;
  const db = openRaw(file, backupKey, { readonly: true });
  try {
    let integrity: unknown;
    try {
      integrity = db.pragma('integrity_check', { simple: true });
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_NOTADB') throw new StoreError(`${unreadableStoreMessage(file, backupKey).replace(/; nothing was changed$/, '')}; nothing was changed`);
      throw new StoreError(`${file}: the backup cannot be read through (${(error as Error).message}); nothing was changed`);
    }
    if (integrity !== 'ok') throw new StoreError(`${file}: the backup failed its integrity check (${String(integrity)}); nothing was changed`);
    if (!tableExists(db, 'schema_migrations') || !tableExists(db, 'contacts')) throw new StoreError(`${file}: not a custkit store (a SQLite database without custkit's tables); nothing was changed`);
  } finally {
    db.close();
  }
  return backupKey;
}

function readCarried(db: Db): Carried {
  return {
    erased: readErasures(db),
    backups: tableExists(db, 'backups') ? (db.prepare('SELECT file, taken_at, reason, automatic, bytes, encrypted FROM backups').all() as Array<Record<string, unknown>>) : [],
  };
}

/** Builds the restored store in `temp` (a copy of the backup): schema, carried records, erasures, audit. */
function prepareCopy(temp: string, backupKey: string | null, carried: Carried, from: string, wait: WaitOptions): { reErased: number } {
  const db = openStore(temp, { key: backupKey, wait, mustExist: true });
  try {
    db.pragma('secure_delete = ON');
    // Phones are matched by their E.164 form, which validation writes: a backup taken before some
    // contacts were validated is validated first (on one thread: the copy is not in the workers' reach).
    ensureValidated(db, { workers: 0 });
    const addBackup = db.prepare('INSERT OR IGNORE INTO backups (file, taken_at, reason, automatic, bytes, encrypted) VALUES (@file, @taken_at, @reason, @automatic, @bytes, @encrypted)');
    const reErased = db.transaction(() => {
      for (const row of carried.backups) addBackup.run(row);
      const erased = applyErasures(db, carried.erased, 'db restore');
      recordAudit(db, { action: 'db.restore', counts: { erasures_carried: carried.erased.hashes.length, re_erased: erased }, details: { from: path.basename(from) } });
      return erased;
    })();
    // The copy leaves no WAL behind, and nothing erased stays in its free pages.
    if (reErased > 0) db.exec('VACUUM');
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.pragma('journal_mode = DELETE');
    return { reErased };
  } finally {
    db.close();
  }
}

export function restoreStore(storeFile: string, backupFile: string, key: string | null, wait: WaitOptions): RestoreResult {
  const started = Date.now();
  const from = path.resolve(backupFile);
  if (from === path.resolve(storeFile)) throw new StoreError(`${backupFile}: that is the store itself; nothing was changed`);
  const backupKey = checkBackup(from, key);
  const replaced = fs.existsSync(storeFile) && fs.statSync(storeFile).size > 0;
  if (!replaced && !fs.existsSync(path.dirname(storeFile))) throw new StoreError(`${storeFile}: folder ${path.dirname(storeFile)} does not exist; nothing was changed`);
  const exclusive = replaced ? openExclusive(storeFile, key, wait.waitMs) : null;
  let temp: string | null = null;
  let result: { reErased: number; carried: number };
  try {
    const carried = exclusive ? readCarried(exclusive) : { erased: { hashes: [], uids: [] }, backups: [] };
    temp = createTempBeside(storeFile, 'restore');
    const source = openRaw(from, backupKey, { readonly: true });
    try {
      source.exec(`VACUUM INTO '${temp.replace(/'/g, "''")}'`);
    } finally {
      source.close();
    }
    const { reErased } = prepareCopy(temp, backupKey, carried, from, wait);
    if (backupKey !== key) setCopyKey(temp, backupKey, key);
    checkCopy(temp, key);
    result = { reErased, carried: carried.erased.hashes.length + carried.erased.uids.length };
  } catch (error) {
    exclusive?.close();
    if (temp) removeWithJournals(temp);
    throw error;
  }
  if (exclusive) swapInto(exclusive, storeFile, temp);
  else {
    syncFile(temp);
    fs.renameSync(temp, storeFile);
  }
  return { file: storeFile, from, bytes: fs.statSync(storeFile).size, ms: Date.now() - started, erasuresCarried: result.carried, reErased: result.reErased, replaced };
}
