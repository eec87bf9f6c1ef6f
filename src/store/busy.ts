/**
 * Writers wait for each other instead of failing: a nightly import that collides with a manual `clean
 * --fix` waits up to a bound (--wait, CUSTKIT_WAIT, 10 minutes by default), says on a terminal what it
 * is waiting for, and then fails naming the other process when it is known.
 *
 * SQLite allows one writer at a time. Every write transaction of a read-write connection begins
 * IMMEDIATE, taking the write lock first: a deferred transaction that read before writing cannot wait
 * for another writer (once that writer commits, SQLite fails it at once with SQLITE_BUSY_SNAPSHOT).
 * Readers are not involved: in WAL mode they read a consistent snapshot beside the writer.
 * The process holding the lock writes who it is in `<store>-writer` (pid, command, start), so that a
 * waiting one can name it; a file left by a killed process names a pid that is gone and is ignored.
 */
import fs from 'node:fs';
import os from 'node:os';
import type { Db } from './db.js';
import { StoreError } from './errors.js';
import { StoreVanishedError } from './failures.js';

export interface WaitOptions {
  /** How long a writer waits for the lock, in milliseconds (0: fail at once). */
  waitMs: number;
  /** The command as the holder file names it ("custkit import"). */
  command: string;
  /** Called about twice a second while waiting (for a message on a terminal). */
  onWaiting?: (holder: Holder | null, waitedMs: number, waitMs: number) => void;
  /** Called once the lock is had after waiting (to clear that message). */
  onWaited?: () => void;
}

export interface Holder {
  pid: number;
  command: string;
  user: string | null;
  host: string;
  /** When the process started, ISO. */
  started_at: string;
}

export const DEFAULT_WAIT_MS = 10 * 60_000;

/** "10m", "90s", "1h30m", "500ms", "0", "45" (seconds) as milliseconds; null when it is none of these. */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed.replace(/\s+/g, '')) return null;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2]!]!, 0));
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  return `${Math.floor(m / 60)}h${m % 60 ? `${m % 60}m` : ''}`;
}

export class StoreBusyError extends StoreError {}

function inodeOf(file: string): number | null {
  try {
    return fs.statSync(file).ino;
  } catch {
    return null;
  }
}

const STARTED_AT = new Date(Date.now() - process.uptime() * 1000).toISOString();

function holderFile(store: string): string {
  return `${store}-writer`;
}

/** Whether a process of this host is running (EPERM: it is, as another user). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The custkit process that last took the write lock, if it is still running on this machine. */
export function readHolder(store: string): Holder | null {
  try {
    const holder = JSON.parse(fs.readFileSync(holderFile(store), 'utf8')) as Holder;
    if (holder.pid === process.pid || (holder.host === os.hostname() && !alive(holder.pid))) return null;
    return holder;
  } catch {
    return null;
  }
}

export function describeHolder(holder: Holder): string {
  const when = holder.started_at.slice(0, 19).replace('T', ' ');
  const host = holder.host === os.hostname() ? '' : ` on ${holder.host}`;
  return `${holder.command} (pid ${holder.pid}${host}${holder.user ? `, user ${holder.user}` : ''}, started ${when} UTC)`;
}

function userName(): string | null {
  try {
    return os.userInfo().username;
  } catch {
    return null;
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleep(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/**
 * Makes every write transaction of `db` begin IMMEDIATE and wait for the lock as the options say.
 * Applies to better-sqlite3's transaction functions and to BEGIN/COMMIT written by hand.
 */
export function waitForWriters(db: Db, store: string, options: WaitOptions): void {
  const exec = db.exec.bind(db);
  const holderPath = holderFile(store);
  const opened = store === ':memory:' || store === '' ? null : inodeOf(store);
  let lastNoted = 0;
  const note = (): void => {
    // Rewritten at most once a second: some stages commit in batches, and a name a second old is current enough.
    if (store === ':memory:' || Date.now() - lastNoted < 1000) return;
    lastNoted = Date.now();
    const holder: Holder = { pid: process.pid, command: options.command, user: userName(), host: os.hostname(), started_at: STARTED_AT };
    try {
      fs.writeFileSync(holderPath, JSON.stringify(holder), { mode: 0o600 });
    } catch {
      // Naming the holder is a courtesy to the next writer: a read-only folder must not stop this one.
    }
  };
  const begin = (): void => {
    // On Linux a deleted or moved store stays writable through the open handle, and what is written
    // then is lost when the command ends: a store whose path is gone is not written to.
    if (store !== ':memory:' && store !== '') {
      const now = inodeOf(store);
      if (now === null) throw new StoreVanishedError(`${store}: the store file is gone`);
      // db restore, encrypt, decrypt and rekey put a new file in the store's place: what this
      // connection would write would go to the old one, and be lost with it.
      if (opened !== null && now !== opened) throw new StoreVanishedError(`${store}: the store was replaced by another command (db restore, encrypt, decrypt or rekey) while this one ran; nothing was changed: run it again`);
    }
    const started = Date.now();
    // A caller that lowered busy_timeout on this connection (to fall back at once when the store is
    // busy, as the parallel export does) is taken at its word.
    const current = db.pragma('busy_timeout', { simple: true }) as number;
    const waitMs = Math.min(options.waitMs, current);
    let waited = false;
    for (;;) {
      const left = waitMs - (Date.now() - started);
      db.pragma(`busy_timeout = ${Math.max(0, Math.min(500, left))}`);
      try {
        exec('BEGIN IMMEDIATE');
        break;
      } catch (error) {
        if (!isBusy(error)) throw error;
        const holder = readHolder(store);
        if (Date.now() - started >= waitMs) {
          const who = holder ? describeHolder(holder) : 'another process';
          throw new StoreBusyError(`${store}: the store is busy: ${who} is writing to it; waited ${formatDuration(Date.now() - started)} and nothing was changed. `
            + 'Run the command again when it has finished, or wait longer with --wait DURATION (or CUSTKIT_WAIT), e.g. --wait 30m');
        }
        waited = true;
        options.onWaiting?.(holder, Date.now() - started, waitMs);
        if (left < 500) sleep(Math.max(1, Math.min(50, left)));
      } finally {
        db.pragma(`busy_timeout = ${current}`);
      }
    }
    if (waited) options.onWaited?.();
    note();
  };
  db.pragma(`busy_timeout = ${options.waitMs}`);
  // Hand-written transactions: BEGIN (deferred) becomes IMMEDIATE for the reason above.
  db.exec = (sql: string): Db => {
    const statements = sql.trim().replace(/;\s*$/, '').split(/\s*;\s*/);
    if (statements.length === 2 && /^COMMIT$/i.test(statements[0]!) && /^BEGIN( DEFERRED| IMMEDIATE)?$/i.test(statements[1]!)) {
      exec('COMMIT');
      begin();
      return db;
    }
    if (statements.length === 1 && /^BEGIN( DEFERRED| IMMEDIATE)?( TRANSACTION)?$/i.test(statements[0]!)) {
      begin();
      return db;
    }
    return exec(sql);
  };
  // better-sqlite3's transaction(fn)() begins deferred: its default becomes the immediate variant, whose
  // BEGIN goes through the waiting above when it is the outermost transaction.
  const transaction = db.transaction.bind(db);
  db.transaction = ((fn: (...args: unknown[]) => unknown) => {
    const wrapped = (...args: unknown[]): unknown => {
      if (db.inTransaction) return transaction(fn)(...args);
      begin();
      try {
        const result = transaction(fn)(...args);
        exec('COMMIT');
        return result;
      } catch (error) {
        if (db.inTransaction) exec('ROLLBACK');
        throw error;
      }
    };
    const t = transaction(fn);
    return Object.assign(wrapped, { default: wrapped, deferred: t.deferred, immediate: wrapped, exclusive: t.exclusive });
  }) as typeof db.transaction;
}

/** Removes this process's name from the holder file when it lets go of the store. */
export function forgetHolder(store: string): void {
  try {
    const holder = JSON.parse(fs.readFileSync(holderFile(store), 'utf8')) as Holder;
    if (holder.pid === process.pid) fs.unlinkSync(holderFile(store));
  } catch {
    // No file, or another's: nothing to do.
  }
}
