import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { migrations, type Migration } from './migrations.js';
import { StoreError } from './errors.js';
import { explainFailure } from './failures.js';
import { DEFAULT_WAIT_MS, forgetHolder, waitForWriters, type WaitOptions } from './busy.js';

export { StoreError };

export type Db = Database.Database;

export const DEFAULT_DB_FILE = 'custkit.db';

/** The store file a command uses: --db, else CUSTKIT_DB, else ./custkit.db. */
export function resolveDbPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(flag ?? env.CUSTKIT_DB ?? DEFAULT_DB_FILE);
}


/**
 * A string as an SQL literal. Values fixed for a whole bulk statement are written into it once: binding
 * a parameter costs more than SQLite's own work for it, a million times over.
 */
export function sqlLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

const NEW_STORE_PAGE_SIZE = 16384;

export interface OpenOptions {
  /** Refuse to create the file (read-only commands on a missing store). */
  mustExist?: boolean;
  readonly?: boolean;
  /** How a writer waits for another (src/store/busy.ts); 10 minutes, unnamed, when absent. */
  wait?: WaitOptions;
}

const openedForWriting = new Set<string>();
let forgetOnExit = false;

/**
 * Opens (creating if needed, mode 0600: the file holds personal data) and migrates the store.
 * WAL lets a report read while a cron import writes; busy_timeout rides out short locks.
 */
export function openStore(file: string, options: OpenOptions = {}): Db {
  const exists = file === ':memory:' || fs.existsSync(file);
  if (!exists && (options.mustExist || options.readonly)) {
    throw new StoreError(`${file}: no custkit store here (run "custkit import FILE" first, or pass --db)`);
  }
  if (!exists) {
    const dir = path.dirname(file);
    if (!fs.existsSync(dir)) {
      throw new StoreError(`${file}: folder ${dir} does not exist (a disk not mounted, a folder moved?); nothing was changed. Check the path (--db, CUSTKIT_DB), or create the folder`);
    }
    // Create the empty file ourselves so it is never world-readable, even for a moment.
    try {
      fs.closeSync(fs.openSync(file, 'wx', 0o600));
    } catch (error) {
      throw new StoreError(explainFailure(error, file)?.message ?? `${file}: cannot create the store (${(error as Error).message})`);
    }
  }
  let db: Db;
  try {
    db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: exists });
  } catch (error) {
    throw new StoreError(explainFailure(error, file)?.message ?? `${file}: cannot open the store (${(error as Error).message})`);
  }
  try {
    db.pragma('busy_timeout = 5000');
    if (!options.readonly) {
      waitForWriters(db, file, options.wait ?? { waitMs: DEFAULT_WAIT_MS, command: 'custkit' });
      rememberForExit(db, file);
    }
    // A new store gets 16 KiB pages (SQLite's default is 4): bulk commands read and rewrite most of the
    // file, and SQLite reads, journals and checkpoints it a page at a time (one system call each), so
    // larger pages cut that overhead about fourfold. Fixed when the file is created (before WAL is set).
    if (!exists) db.pragma(`page_size = ${NEW_STORE_PAGE_SIZE}`);
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    // Sorts for index builds spill to temporary files, not RAM: memory stays flat on big imports.
    db.pragma('temp_store = FILE');
    db.pragma('cache_size = -65536'); // 64 MiB page cache: index inserts stay in memory during a 1M-row import
    // Reading a file that is not a SQLite database fails here, not at open.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    if (!options.readonly) migrate(db);
  } catch (error) {
    db.close();
    if (error instanceof StoreError) throw error;
    const message = (error as Error).message;
    if (/not a database/i.test(message)) throw new StoreError(`${file}: not a custkit store (not a SQLite database)`);
    throw new StoreError(explainFailure(error, file)?.message ?? `${file}: ${message}`);
  }
  return db;
}

/** The holder file names this process only while it has the store open. */
function rememberForExit(db: Db, file: string): void {
  if (file === ':memory:') return;
  openedForWriting.add(file);
  if (!forgetOnExit) {
    forgetOnExit = true;
    process.once('exit', () => openedForWriting.forEach(forgetHolder));
  }
  const close = db.close.bind(db);
  db.close = (): Db => {
    forgetHolder(file);
    return close();
  };
}

export function migrate(db: Db, list: Migration[] = migrations): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const done = new Set(
    (db.prepare('SELECT id FROM schema_migrations').all() as { id: number }[]).map((r) => r.id),
  );
  const applied: number[] = [];
  const record = db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)');
  for (const migration of [...list].sort((a, b) => a.id - b.id)) {
    if (done.has(migration.id)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(migration.id, migration.name, new Date().toISOString());
    })();
    applied.push(migration.id);
  }
  return applied;
}

export function schemaVersion(db: Db): number {
  const row = db.prepare('SELECT max(id) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

/**
 * A plain SQLite file that is not a store (no migrations, no writer bookkeeping): the pipeline's lock
 * file. Created 0600 like the store; opened through here so the driver is chosen in one place.
 */
export function openAuxiliary(file: string): Db {
  if (!fs.existsSync(file)) fs.closeSync(fs.openSync(file, 'a', 0o600));
  return new Database(file);
}

/** A consistent copy of a store (SQLite's online backup: a snapshot even while another process writes). */
export async function copyStore(from: string, to: string): Promise<void> {
  const db = new Database(from, { readonly: true, fileMustExist: true });
  try {
    // Created first, empty and 0600: the copy holds the same personal data as the store.
    fs.closeSync(fs.openSync(to, 'wx', 0o600));
    await db.backup(to);
  } finally {
    db.close();
  }
}
