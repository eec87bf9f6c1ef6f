/**
 * Replacing the store file as a whole (restore, encrypt, decrypt, rekey) without ever leaving a half-done
 * store: the new store is built in a temporary file beside the old one, checked, and renamed over it.
 * A failure at any step before the rename leaves the old store exactly as it was and removes the
 * temporary file; the rename itself is atomic.
 *
 * While it works, the command holds SQLite's exclusive lock on the old store (locking_mode EXCLUSIVE), so
 * no other custkit process reads or writes it: one that is running is waited for (--wait), one that
 * starts waits in turn, then finds the store replaced (busy.ts) and says so.
 */
import fs from 'node:fs';
import path from 'node:path';
import { StoreError } from './errors.js';
import { openRaw, unreadableStoreMessage, type Db } from './db.js';
import { StoreBusyError, formatDuration } from './busy.js';
import { ownerTag, removeStaleScratch, type TempLabel } from './scratch.js';

/**
 * A temporary file beside `file` (same folder: same file system, so the rename is atomic), created 0600
 * and empty, named after this process; those a killed process left in the folder are removed first.
 */
export function createTempBeside(file: string, label: TempLabel): string {
  removeStaleScratch(path.dirname(file));
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${label}${ownerTag()}-${Date.now()}.tmp`);
  fs.closeSync(fs.openSync(temp, 'wx', 0o600));
  return temp;
}

/** Removes a file and the journal files SQLite may have left beside it; missing ones are fine. */
export function removeWithJournals(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(`${file}${suffix}`, { force: true });
}

/** The file's bytes and the folder's entry on disk before the command says it is done. */
export function syncFile(file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function syncFolder(folder: string): void {
  try {
    const fd = fs.openSync(folder, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some file systems cannot sync a folder; the rename is still atomic there.
  }
}

/**
 * A raw connection to the store holding SQLite's exclusive lock until it is closed: no other connection,
 * in any process, reads or writes the store meanwhile. Waits up to `waitMs` for those using it.
 */
export function openExclusive(file: string, key: string | null, waitMs: number): Db {
  const db = openRaw(file, key);
  try {
    // Exclusive before the first read: the connection then never shares the WAL index with others.
    db.pragma(`busy_timeout = ${waitMs}`);
    db.pragma('locking_mode = EXCLUSIVE');
    const started = Date.now();
    try {
      db.exec('BEGIN EXCLUSIVE');
      db.prepare('SELECT count(*) FROM sqlite_master').get();
      db.exec('COMMIT');
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      if (code === 'SQLITE_NOTADB') throw new StoreError(unreadableStoreMessage(file, key));
      if (!/BUSY|LOCKED/.test(code)) throw error;
      throw new StoreBusyError(`${file}: the store is in use by another process (reading or writing it); waited ${formatDuration(Date.now() - started)} and nothing was changed. `
        + 'Run the command again when it has finished, or wait longer with --wait DURATION (or CUSTKIT_WAIT)');
    }
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Puts `temp` (a complete, checked store, closed) in the place of the store `exclusive` holds, then lets
 * go of it. The old store's WAL is first folded into it and removed, so no stale WAL or shared-memory file
 * is left for the new store to mistake for its own.
 */
export function swapInto(exclusive: Db, file: string, temp: string): void {
  try {
    exclusive.pragma('journal_mode = DELETE');
    for (const suffix of ['-wal', '-shm', '-journal']) fs.rmSync(`${file}${suffix}`, { force: true });
    syncFile(temp);
    fs.chmodSync(temp, 0o600);
    fs.renameSync(temp, file);
    syncFolder(path.dirname(file));
  } finally {
    exclusive.close();
  }
}
