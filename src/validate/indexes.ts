/**
 * Bulk writes without index upkeep. Writing a column that an index covers moves that row's entry to a
 * random place in the index; for a run that rewrites a large share of the contacts (a first
 * validation writes sms_e164 and phone_e164 on every row, which export indexes), dropping those
 * indexes and building them again by one sort afterwards is several times cheaper. Only inside a
 * transaction: the drop and the rebuild commit together, so no one ever sees the store without them.
 */
import type { Db } from '../store/db.js';

export interface DroppedIndex {
  name: string;
  sql: string;
}

/** The indexes on `table` whose definition (columns or partial-index condition) names one of `columns`. */
export function indexesNaming(db: Db, table: string, columns: readonly string[]): DroppedIndex[] {
  const named = new RegExp(`\\b(?:${columns.join('|')})\\b`, 'i');
  const indexes = db
    .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name")
    .all(table) as DroppedIndex[];
  return indexes.filter((index) => named.test(index.sql));
}

/** Runs `write` with `indexes` dropped, then builds them again from their own SQL. */
export function withoutIndexes<T>(db: Db, indexes: DroppedIndex[], write: () => T): T {
  if (!db.inTransaction) throw new Error('withoutIndexes needs a transaction');
  for (const index of indexes) db.exec(`DROP INDEX "${index.name.replace(/"/g, '""')}"`);
  let result: T;
  try {
    result = write();
  } catch (error) {
    // The caller rolls back; should it carry on in its transaction instead, its indexes are there.
    for (const index of indexes) {
      try {
        db.exec(index.sql);
      } catch {
        // The transaction is failing anyway; the rollback restores the index.
      }
    }
    throw error;
  }
  for (const index of indexes) db.exec(index.sql);
  return result;
}
