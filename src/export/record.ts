/**
 * The export's row in `exports` (what `custkit exports` lists), written in two steps in the export's
 * transaction: opened before the rows (its members refer to it, and an export on worker threads
 * records them while the rows are read), completed once the files are written (rows, hashes, files).
 * The export's time is the completion's, as when the row was written whole at the end.
 */
import path from 'node:path';
import type { Db } from '../store/db.js';
import { nowIso, osUser } from './keys.js';
import type { FileResult } from './writers.js';

/** What is known of an export before its rows: the selection and options, as JSON. */
export interface ExportHeading {
  channel: string;
  includeUnconsented: boolean;
  selection: Record<string, unknown>;
  format: string;
  options: Record<string, unknown>;
  /** --out: a file, or '-' for stdout. */
  out: string;
}

/** Inserts the export's row, to be completed by completeExportRecord() in the same transaction; returns its id. */
export function openExportRecord(db: Db, heading: ExportHeading): number {
  const info = db
    .prepare(
      `INSERT INTO exports (created_at, os_user, channel, include_unconsented, selection, format, options, destination, row_count, seed_count, sha256, files)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, '', '[]')`,
    )
    .run(nowIso(), osUser(), heading.channel, heading.includeUnconsented ? 1 : 0, JSON.stringify(heading.selection), heading.format, JSON.stringify(heading.options), heading.out === '-' ? '-' : path.resolve(heading.out));
  return Number(info.lastInsertRowid);
}

/** Completes export `id` once its files are written. */
export function completeExportRecord(db: Db, id: number, rows: number, seeds: number, files: FileResult[]): void {
  db.prepare('UPDATE exports SET created_at = ?, row_count = ?, seed_count = ?, sha256 = ?, files = ? WHERE id = ?').run(
    nowIso(),
    rows,
    seeds,
    files[0]!.sha256,
    JSON.stringify(files.map((f) => ({ path: f.path === '-' ? '-' : path.resolve(f.path), rows: f.rows, sha256: f.sha256 }))),
    id,
  );
}
