import type { Db } from '../store/db.js';

/**
 * Inserts rows into a table many at a time: one statement per 256 rows instead of one per row, which
 * roughly halves the cost of writing a million score rows from JavaScript.
 */
export function batchInsert(db: Db, table: string, columns: number, rows: Iterable<unknown[]>): number {
  const BATCH = 256;
  const tuple = `(${new Array(columns).fill('?').join(', ')})`;
  const full = db.prepare(`INSERT INTO ${table} VALUES ${new Array(BATCH).fill(tuple).join(', ')}`);
  let pending: unknown[] = [];
  let count = 0;
  for (const row of rows) {
    pending.push(...row);
    count++;
    if (pending.length === BATCH * columns) {
      full.run(pending);
      pending = [];
    }
  }
  if (pending.length > 0) {
    db.prepare(`INSERT INTO ${table} VALUES ${new Array(pending.length / columns).fill(tuple).join(', ')}`).run(pending);
  }
  return count;
}
