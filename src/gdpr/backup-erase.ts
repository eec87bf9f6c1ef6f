/**
 * A person erased from the store is still in the backups taken before: `gdpr erase` names those backups,
 * and with --prune-backups erases the person (and anyone else erased since the backup) from each of them.
 * A backup is pruned as the store is restored: in a copy beside it, renamed over it once done, so a
 * failure leaves the backup as it was.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isPlainSqliteFile, openRaw, openStore, type Db } from '../store/db.js';
import { listBackups, backupSettings } from '../store/backup.js';
import { createTempBeside, removeWithJournals, syncFile } from '../store/replace.js';
import type { WaitOptions } from '../store/busy.js';
import { applyErasures, recordsOfPerson, type Erasures } from './reapply.js';
import { withSecureDelete } from './scrub-file.js';

export interface BackupHolding {
  file: string;
  /** Records of the person still in it; null when it could not be read (error says why). */
  records: number | null;
  error?: string;
}

/** The backups the store knows of, and any file left in the automatic backup folder. */
export function knownBackups(db: Db): string[] {
  const files = new Set(listBackups(db).map((b) => b.file));
  const { dir } = backupSettings(db);
  if (fs.existsSync(dir)) for (const name of fs.readdirSync(dir)) if (name.endsWith('.db')) files.add(path.join(dir, name));
  return [...files].sort();
}

export function backupsHolding(db: Db, key: string | null, uids: readonly string[], hashes: readonly string[]): BackupHolding[] {
  const holding: BackupHolding[] = [];
  for (const file of knownBackups(db)) {
    try {
      const backup = openRaw(file, isPlainSqliteFile(file) ? null : key, { readonly: true });
      try {
        const records = recordsOfPerson(backup, uids, hashes);
        if (records > 0) holding.push({ file, records });
      } finally {
        backup.close();
      }
    } catch (error) {
      const notadb = (error as { code?: string }).code === 'SQLITE_NOTADB';
      holding.push({ file, records: null, error: notadb ? 'cannot be read with the current key (taken before a rekey?)' : (error as Error).message });
    }
  }
  return holding;
}

/** Erases from one backup everyone the store records as erased. Returns how many records went. */
export function pruneBackup(file: string, key: string | null, erasures: Erasures, wait: WaitOptions): number {
  const backupKey = isPlainSqliteFile(file) ? null : key;
  const temp = createTempBeside(file, 'prune');
  try {
    const source = openRaw(file, backupKey, { readonly: true });
    try {
      source.exec(`VACUUM INTO '${temp.replace(/'/g, "''")}'`);
    } finally {
      source.close();
    }
    const copy = openStore(temp, { key: backupKey, wait, mustExist: true });
    let erased: number;
    try {
      erased = withSecureDelete(copy, () => applyErasures(copy, erasures, 'gdpr erase --prune-backups'));
      copy.pragma('secure_delete = ON');
      copy.exec('VACUUM');
      copy.pragma('wal_checkpoint(TRUNCATE)');
      copy.pragma('journal_mode = DELETE');
    } finally {
      copy.close();
    }
    syncFile(temp);
    fs.chmodSync(temp, 0o600);
    fs.renameSync(temp, file);
    return erased;
  } catch (error) {
    removeWithJournals(temp);
    throw error;
  }
}
