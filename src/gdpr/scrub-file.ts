/**
 * Erased values must leave the store *file*, not only its tables: SQLite keeps deleted cells in free
 * space, old page images in the WAL, and stale copies of a row in pages a long-ago update freed.
 * `withSecureDelete` runs a change with `secure_delete` on (freed content is overwritten with zeros),
 * then checkpoints the WAL into the file and truncates it. `scrubFile` then reads the file's bytes for
 * the erased addresses; a copy left from before (free space written when secure_delete was off) makes
 * it VACUUM the store, which rewrites every page, and look again.
 */
import fs from 'node:fs';
import type { Db } from '../store/db.js';

export interface FileScrub {
  /** The WAL was copied into the store and truncated to zero bytes. */
  walTruncated: boolean;
  /** A copy of an erased value was found in the file and the store was rewritten (VACUUM). */
  vacuumed: boolean;
  /**
   * After the work, no erased value is left in the file's bytes; null: not checked (an in-memory store,
   * or too many addresses to look for one by one: the store was rewritten instead).
   */
  clean: boolean | null;
}

/** Runs `change` in one transaction with secure_delete on, restoring the connection's setting after. */
export function withSecureDelete<T>(db: Db, change: () => T): T {
  const before = db.pragma('secure_delete', { simple: true }) as number;
  db.pragma('secure_delete = ON');
  try {
    return db.transaction(change)();
  } finally {
    db.pragma(`secure_delete = ${before ? 'ON' : 'OFF'}`);
  }
}

function checkpoint(db: Db): boolean {
  // Another connection reading an old snapshot blocks the truncation: wait for it a little.
  for (let attempt = 0; attempt < 20; attempt++) {
    const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number; log: number; checkpointed: number }>;
    if (!result || result.busy === 0) return true;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
  return false;
}

const CHUNK = 8 * 1024 * 1024;

/** True when any of the strings appears in the file's bytes (UTF-8, case as given and lower case). */
export function fileHolds(file: string, needles: readonly string[]): boolean {
  if (needles.length === 0 || !fs.existsSync(file)) return false;
  const patterns = [...new Set(needles.flatMap((n) => [n, n.toLowerCase()]))].map((n) => Buffer.from(n, 'utf8'));
  const overlap = Math.max(...patterns.map((p) => p.length));
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(CHUNK + overlap);
    let position = 0;
    let carried = 0;
    for (;;) {
      const read = fs.readSync(fd, buffer, carried, CHUNK, position);
      if (read === 0) return false;
      const view = buffer.subarray(0, carried + read);
      if (patterns.some((p) => view.includes(p))) return true;
      position += read;
      carried = Math.min(overlap, view.length);
      view.copyWithin(0, view.length - carried);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Each address is one pass over the file's bytes: beyond this many (a purge), rewriting the store from
 * its scrubbed tables (VACUUM) costs less than looking, and is as sure.
 */
export const SCAN_AT_MOST = 64;

/**
 * After an erasure committed: WAL checkpointed and truncated; when the file still holds one of the
 * erased values (or there are too many to look for), VACUUM, then checkpoint again.
 */
export function scrubFile(db: Db, needles: readonly string[]): FileScrub {
  const file = db.name;
  let walTruncated = checkpoint(db);
  if (db.memory || !file || file === ':memory:') return { walTruncated, vacuumed: false, clean: null };
  let vacuumed = false;
  const many = needles.length > SCAN_AT_MOST;
  if (many || fileHolds(file, needles) || fileHolds(`${file}-wal`, needles)) {
    const before = db.pragma('secure_delete', { simple: true }) as number;
    db.pragma('secure_delete = ON');
    try {
      db.exec('VACUUM');
    } finally {
      db.pragma(`secure_delete = ${before ? 'ON' : 'OFF'}`);
    }
    vacuumed = true;
    walTruncated = checkpoint(db);
  }
  const clean = many ? null : !fileHolds(file, needles) && !fileHolds(`${file}-wal`, needles);
  return { walTruncated, vacuumed, clean };
}
