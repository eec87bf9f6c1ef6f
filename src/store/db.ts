import Database from 'better-sqlite3-multiple-ciphers';
import fs from 'node:fs';
import path from 'node:path';
import { migrations, type Migration } from './migrations.js';
import { StoreError } from './errors.js';
import { explainFailure } from './failures.js';
import { DEFAULT_WAIT_MS, forgetHolder, waitForWriters, type WaitOptions } from './busy.js';
import { removeStaleScratch } from './scratch.js';

export { StoreError };

export type Db = Database.Database;
export type Statement<Params extends unknown[] = unknown[], Result = unknown> = Database.Statement<Params, Result>;

/**
 * Runs `work` (which reads a file asynchronously) inside one write transaction: better-sqlite3's
 * transaction helper is synchronous, so the BEGIN IMMEDIATE / COMMIT / ROLLBACK are by hand, here once.
 */
export async function inWriteTransaction<T>(db: Db, work: () => Promise<T>): Promise<T> {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = await work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

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
  /**
   * The store's passphrase (an encrypted store, src/store/key.ts); null: a plain store. Absent: CUSTKIT_KEY
   * when it is set, so benches and any other opener in the process see the store the commands see.
   */
  key?: string | null;
}

/**
 * What another connection to the same store needs (a worker thread opens its own): the file and the key.
 * Kept beside each connection, never in the environment or on disk.
 */
export interface StoreAddress {
  file: string;
  key: string | null;
}

const addresses = new WeakMap<Db, StoreAddress>();

export function storeAddress(db: Db): StoreAddress {
  return addresses.get(db) ?? { file: db.name, key: null };
}

/**
 * SQLite3 Multiple Ciphers' ChaCha20-Poly1305 (its default, the sqleet scheme): every page is encrypted and
 * authenticated, and the key is derived from the passphrase with PBKDF2-SHA256 (64,007 rounds, about
 * 40 ms per connection here). SQLCipher's scheme (AES-256-CBC + HMAC-SHA512) was measured at 250 ms per
 * connection for its 256,000 PBKDF2-SHA512 rounds, paid again by every worker thread, and its only gain,
 * opening the file with SQLCipher's own tools, does not apply to a store only custkit reads. Named here,
 * not left to the library's default, so a later default cannot make existing stores unreadable.
 */
export const STORE_CIPHER = 'chacha20';

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/** Whether the file starts as a plain SQLite database does (an encrypted one starts with random bytes). */
export function isPlainSqliteFile(file: string): boolean {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const head = Buffer.alloc(SQLITE_HEADER.length);
      const read = fs.readSync(fd, head, 0, head.length, 0);
      return read === head.length && head.equals(SQLITE_HEADER);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** Applies the key to a connection just opened, before anything is read. */
export function applyKey(db: Db, key: string | null): void {
  if (key === null) return;
  db.pragma(`cipher = '${STORE_CIPHER}'`);
  db.pragma(`key = ${sqlLiteral(key)}`);
}

/**
 * A bare connection to an existing file with its key applied: no pragmas, no migration, no waiting.
 * For work on whole files (a copy being converted, the exclusive hold of replace.ts); commands use openStore.
 */
export function openRaw(file: string, key: string | null, options: { readonly?: boolean } = {}): Db {
  let db: Db;
  try {
    db = new Database(file, { fileMustExist: true, readonly: options.readonly ?? false });
  } catch (error) {
    throw new StoreError(explainFailure(error, file)?.message ?? `${file}: cannot open (${(error as Error).message})`);
  }
  addresses.set(db, { file: db.name, key });
  try {
    applyKey(db, key);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/** Why a store could not be read: a missing or wrong key, or not a store at all. Never "corrupt". */
export function unreadableStoreMessage(file: string, key: string | null): string {
  if (isPlainSqliteFile(file)) {
    return key === null
      ? `${file}: not a custkit store (a SQLite file it cannot read)`
      : `${file}: the store is not encrypted, but a key was given (CUSTKIT_KEY or --key-file): run without the key, or encrypt the store with "custkit db encrypt"`;
  }
  return key === null
    ? `${file}: not a custkit store, or the store is encrypted: give its key with CUSTKIT_KEY or --key-file FILE; nothing was changed`
    : `${file}: wrong key (CUSTKIT_KEY or --key-file), or not a custkit store; nothing was changed`;
}

function envKey(): string | null {
  const key = process.env.CUSTKIT_KEY;
  return key === undefined || key === '' ? null : key;
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
  // An in-memory store never touches the disk: there is nothing to encrypt.
  const key = file === ':memory:' ? null : options.key === undefined ? envKey() : options.key;
  const fresh = !exists || (file !== ':memory:' && fileSize(file) === 0);
  tightenMode(file, options.readonly === true);
  let db: Db;
  try {
    db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: exists });
  } catch (error) {
    throw new StoreError(explainFailure(error, file)?.message ?? `${file}: cannot open the store (${(error as Error).message})`);
  }
  addresses.set(db, { file: db.name, key });
  try {
    applyKey(db, key);
    // The key is checked before anything else reads or writes: a wrong key must not get as far as
    // waiting for writers or migrating.
    if (!fresh) db.prepare('SELECT count(*) FROM sqlite_master').get();
    db.pragma('busy_timeout = 5000');
    if (!options.readonly) {
      waitForWriters(db, file, options.wait ?? { waitMs: DEFAULT_WAIT_MS, command: 'custkit' });
      rememberForExit(db, file);
      // What a killed restore or dry run left beside the store (a whole copy of it, at times) goes now.
      if (file !== ':memory:' && file !== '') removeStaleScratch(path.dirname(path.resolve(file)));
    }
    // A new store gets 16 KiB pages (SQLite's default is 4): bulk commands read and rewrite most of the
    // file, and SQLite reads, journals and checkpoints it a page at a time (one system call each), so
    // larger pages cut that overhead about fourfold. Fixed when the file is created (before WAL is set).
    if (fresh) db.pragma(`page_size = ${NEW_STORE_PAGE_SIZE}`);
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
    if (/not a database/i.test(message) || (error as { code?: string }).code === 'SQLITE_NOTADB') throw new StoreError(unreadableStoreMessage(file, key));
    throw new StoreError(explainFailure(error, file)?.message ?? `${file}: ${message}`);
  }
  return db;
}

/**
 * A store created by an older version or copied in by hand may be readable by others: it holds personal
 * data, so its owner's copy is brought to 0600 (SQLite then creates the WAL and shared-memory files with
 * the same mode). A file owned by someone else is left as it is.
 */
function tightenMode(file: string, readonly: boolean): void {
  if (file === ':memory:' || readonly) return;
  try {
    const stat = fs.statSync(file);
    if ((stat.mode & 0o077) !== 0 && stat.uid === process.getuid?.()) fs.chmodSync(file, stat.mode & 0o700);
  } catch {
    // Not there yet (created below with 0600) or not ours.
  }
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
      migration.after?.(db);
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
