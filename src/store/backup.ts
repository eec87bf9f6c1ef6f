/**
 * Backups of the store. A backup is `VACUUM INTO` a new file, not SQLite's online backup API:
 *
 * - VACUUM INTO reads one snapshot in one read transaction, so the copy is consistent while imports and
 *   other commands keep writing (WAL readers never block writers, nor writers readers). The backup API
 *   instead restarts from the first page whenever another connection writes the store between its
 *   steps, and under a busy cron may never finish.
 * - The copy is compacted (free pages left out) and written through the store's own codec: an encrypted
 *   store gives a backup encrypted with the same key, a plain store a plain one.
 *
 * The copy is written to a temporary file (created 0600 beforehand: SQLite would create it 0644), synced,
 * then renamed to its name, so a backup that exists is complete.
 */
import fs from 'node:fs';
import path from 'node:path';
import { StoreError } from './errors.js';
import { sqlLiteral, storeAddress, type Db } from './db.js';
import { createTempBeside, removeWithJournals, syncFile } from './replace.js';

export interface Backup {
  file: string;
  bytes: number;
  ms: number;
  encrypted: boolean;
}

/** Writes a consistent copy of the store to `target`. Refuses to replace a file unless `replace`. */
export function backupTo(db: Db, target: string, options: { replace?: boolean } = {}): Backup {
  const file = path.resolve(target);
  if (file === path.resolve(db.name)) throw new StoreError(`${target}: that is the store itself; name another file for the backup`);
  if (fs.existsSync(file) && !options.replace) throw new StoreError(`${target}: the file already exists; nothing was written (choose another name, or pass --force to replace it)`);
  if (!fs.existsSync(path.dirname(file))) throw new StoreError(`${target}: folder ${path.dirname(file)} does not exist; nothing was written`);
  const started = Date.now();
  const temp = createTempBeside(file, 'backup');
  try {
    db.exec(`VACUUM INTO ${sqlLiteral(temp)}`);
    syncFile(temp);
    fs.renameSync(temp, file);
  } catch (error) {
    removeWithJournals(temp);
    throw error;
  }
  return { file, bytes: fs.statSync(file).size, ms: Date.now() - started, encrypted: storeAddress(db).key !== null };
}

export interface BackupRecord {
  id: number;
  file: string;
  taken_at: string;
  reason: string;
  automatic: number;
  bytes: number;
  encrypted: number;
}

function hasBackupTables(db: Db): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'backups'").get() !== undefined;
}

/** Notes a backup in the store (a file already noted is noted again with its new date). */
export function recordBackup(db: Db, backup: Backup, reason: string, automatic: boolean): void {
  db.prepare(`INSERT INTO backups (file, taken_at, reason, automatic, bytes, encrypted) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT(file) DO UPDATE SET taken_at = excluded.taken_at, reason = excluded.reason, automatic = excluded.automatic,
      bytes = excluded.bytes, encrypted = excluded.encrypted`)
    .run(backup.file, new Date().toISOString(), reason, automatic ? 1 : 0, backup.bytes, backup.encrypted ? 1 : 0);
}

/** The backups the store knows of whose file is still there, oldest first. */
export function listBackups(db: Db): BackupRecord[] {
  if (!hasBackupTables(db)) return [];
  const rows = db.prepare('SELECT id, file, taken_at, reason, automatic, bytes, encrypted FROM backups ORDER BY taken_at, id').all() as BackupRecord[];
  return rows.filter((r) => fs.existsSync(r.file));
}

export const DEFAULT_KEEP = 3;

export interface BackupSettings {
  /** How many automatic backups are kept (the oldest beyond are deleted). */
  keep: number;
  /** The folder automatic backups go to. */
  dir: string;
}

/** Automatic backups go beside the store, in `<store>.backups/`, unless the setting says elsewhere. */
export function defaultBackupDir(storeFile: string): string {
  return `${path.resolve(storeFile)}.backups`;
}

export function backupSettings(db: Db): BackupSettings {
  const values = new Map<string, string>();
  if (hasBackupTables(db)) {
    for (const row of db.prepare('SELECT key, value FROM backup_settings').all() as Array<{ key: string; value: string }>) values.set(row.key, row.value);
  }
  const keep = Number(values.get('keep') ?? DEFAULT_KEEP);
  return { keep: Number.isInteger(keep) && keep >= 0 ? keep : DEFAULT_KEEP, dir: values.get('dir') ?? defaultBackupDir(db.name) };
}

export function setBackupSetting(db: Db, key: 'keep' | 'dir', value: string): void {
  db.prepare('INSERT INTO backup_settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
}

export interface AutomaticBackup extends Backup {
  /** Older automatic backups deleted to keep the last N. */
  pruned: string[];
}

/** "dedupe --apply" as a file name part: letters, digits and dashes. */
function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** 20261207T021500123Z: sorts as the time does, and is a valid file name everywhere. */
function stamp(date: Date): string {
  return date.toISOString().replace(/[-:.]/g, '');
}

const AUTOMATIC = /^(.+)-(\d{8}T\d{9}Z)-([a-z0-9-]+)\.db$/;

/**
 * The backup taken before a command that changes many rows at once (dedupe --apply, clean --fix, gdpr
 * purge): into the backup folder (created 0700), then the oldest automatic backups of this store beyond
 * the `keep` setting are deleted. keep = 0 turns automatic backups off.
 */
export function backupBeforeChange(db: Db, reason: string): AutomaticBackup | null {
  if (db.memory || db.inTransaction) return null;
  const settings = backupSettings(db);
  if (settings.keep === 0) return null;
  fs.mkdirSync(settings.dir, { recursive: true, mode: 0o700 });
  const base = path.basename(db.name).replace(/\.db$/i, '');
  const target = path.join(settings.dir, `${base}-${stamp(new Date())}-${slug(reason)}.db`);
  const backup = backupTo(db, target);
  db.transaction(() => recordBackup(db, backup, reason, true))();
  const pruned = pruneAutomatic(db, settings, base);
  return { ...backup, pruned };
}

function pruneAutomatic(db: Db, settings: BackupSettings, base: string): string[] {
  const ours = fs.readdirSync(settings.dir)
    .map((name) => ({ name, match: AUTOMATIC.exec(name) }))
    .filter((f) => f.match !== null && f.match[1] === base)
    .sort((a, b) => a.match![2]!.localeCompare(b.match![2]!));
  const old = ours.slice(0, Math.max(0, ours.length - settings.keep)).map((f) => path.join(settings.dir, f.name));
  const forget = db.prepare('DELETE FROM backups WHERE file = ?');
  db.transaction(() => {
    for (const file of old) {
      fs.rmSync(file, { force: true });
      forget.run(file);
    }
  })();
  return old;
}
