/**
 * One pipeline run at a time per store. The lock is SQLite's own: an exclusive transaction held open on
 * a small lock database beside the run logs. The operating system releases it when the process ends in
 * any way, SIGKILL included, so a lock left by a dead run is simply free: no pid to trust, no age to guess.
 * Who holds it is written beside it (`holder.json`) once it is held; that file is only a name for the
 * message, never the lock itself.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openAuxiliary, type Db } from '../store/db.js';
import { alive } from '../store/busy.js';

export interface RunHolder {
  pid: number;
  host: string;
  user: string | null;
  run: string;
  pipeline: string;
  /** ISO time the run took the lock. */
  since: string;
}

export interface HeldLock {
  /** The holder of the previous run, when it never released the lock properly (killed). */
  previous: RunHolder | null;
  release: () => void;
}

function userName(): string | null {
  try {
    return os.userInfo().username;
  } catch {
    return null;
  }
}

export function holderFile(runsDir: string): string {
  return path.join(runsDir, 'holder.json');
}

export function readRunHolder(runsDir: string): RunHolder | null {
  try {
    return JSON.parse(fs.readFileSync(holderFile(runsDir), 'utf8')) as RunHolder;
  } catch {
    return null;
  }
}

export function describeRunHolder(holder: RunHolder): string {
  const host = holder.host === os.hostname() ? '' : ` on ${holder.host}`;
  return `run ${holder.run} of ${holder.pipeline} (pid ${holder.pid}${host}${holder.user ? `, user ${holder.user}` : ''}, since ${holder.since.slice(0, 19).replace('T', ' ')} UTC)`;
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

function open(runsDir: string): Db {
  fs.mkdirSync(runsDir, { recursive: true, mode: 0o700 });
  const db = openAuxiliary(path.join(runsDir, 'lock.sqlite'));
  // Fail at once: a second run must say who holds the lock, not wait behind it.
  db.pragma('busy_timeout = 0');
  return db;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Takes the lock, or returns who holds it. The holder's name is written a moment after the lock is
 * taken: a loser that reads a name not yet current (a dead pid, or none) looks again for up to a second.
 */
export function acquireRunLock(runsDir: string, me: Omit<RunHolder, 'pid' | 'host' | 'user' | 'since'>): HeldLock | { heldBy: RunHolder | null } {
  const db = open(runsDir);
  try {
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    if (!isBusy(error)) throw error;
    for (let tries = 0; tries < 20; tries += 1) {
      const holder = readRunHolder(runsDir);
      if (holder && (holder.host !== os.hostname() || alive(holder.pid))) return { heldBy: holder };
      Atomics.wait(sleeper, 0, 0, 50);
    }
    return { heldBy: null };
  }
  const previous = readRunHolder(runsDir);
  const holder: RunHolder = { ...me, pid: process.pid, host: os.hostname(), user: userName(), since: new Date().toISOString() };
  const temp = `${holderFile(runsDir)}.${process.pid}`;
  fs.writeFileSync(temp, JSON.stringify(holder), { mode: 0o600 });
  fs.renameSync(temp, holderFile(runsDir));
  return {
    previous,
    release: () => {
      // The name goes first: after the rollback another run may take the lock and write its own.
      fs.rmSync(holderFile(runsDir), { force: true });
      if (db.inTransaction) db.exec('ROLLBACK');
      db.close();
    },
  };
}

/** Whether a run holds the lock now (for a dry run's warning and for `custkit runs`), without keeping it. */
export function runLockHolder(runsDir: string): RunHolder | null | 'free' {
  if (!fs.existsSync(path.join(runsDir, 'lock.sqlite'))) return 'free';
  const db = open(runsDir);
  try {
    db.exec('BEGIN EXCLUSIVE');
    db.exec('ROLLBACK');
    return 'free';
  } catch (error) {
    if (!isBusy(error)) throw error;
    return readRunHolder(runsDir);
  } finally {
    db.close();
  }
}

