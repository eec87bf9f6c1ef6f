/**
 * Remembered mappings: the --map a user gave for a source (a CRM, a shop) is kept, so the next export from
 * the same place imports without it. One row per (source, kind, column); a later --map for the same column
 * replaces it. `custkit mappings` lists them and forgets them.
 */
import type { Db } from './db.js';

export interface RememberedColumn {
  source: string;
  kind: 'contacts' | 'purchases';
  columnKey: string;
  column: string;
  /** null: the column is kept in attributes. */
  field: string | null;
  savedAt: string;
  importId: number | null;
}

interface Row {
  source: string;
  kind: 'contacts' | 'purchases';
  column_key: string;
  column_name: string;
  field: string | null;
  saved_at: string;
  import_id: number | null;
}

function toRemembered(row: Row): RememberedColumn {
  return { source: row.source, kind: row.kind, columnKey: row.column_key, column: row.column_name, field: row.field, savedAt: row.saved_at, importId: row.import_id };
}

/** A store made before migration 3 opened read-only (a dry run) has no such table: nothing is remembered. */
function hasTable(db: Db): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'source_mappings'").get() !== undefined;
}

/** Every remembered column, or those of one source, by source, kind and column. */
export function listRemembered(db: Db, source?: string): RememberedColumn[] {
  if (!hasTable(db)) return [];
  const rows = db.prepare(
    `SELECT * FROM source_mappings WHERE @source IS NULL OR source = @source ORDER BY source, kind, column_name`,
  ).all({ source: source ?? null }) as Row[];
  return rows.map(toRemembered);
}

/** Saves (or replaces) the columns given for a source and kind; the caller's transaction holds it. */
export function remember(db: Db, source: string, kind: 'contacts' | 'purchases', columns: Array<{ key: string; column: string; field: string | null }>, importId: number | null): void {
  const upsert = db.prepare(
    `INSERT INTO source_mappings (source, kind, column_key, column_name, field, saved_at, import_id) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (source, kind, column_key) DO UPDATE SET column_name = excluded.column_name, field = excluded.field,
       saved_at = excluded.saved_at, import_id = excluded.import_id`,
  );
  const now = new Date().toISOString();
  for (const c of columns) upsert.run(source, kind, c.key, c.column, c.field, now, importId);
}

/** Forgets a source's remembered columns (of one kind, or one column, when given); returns how many. */
export function forget(db: Db, source: string, options: { kind?: 'contacts' | 'purchases'; columnKey?: string } = {}): number {
  return db.prepare(
    `DELETE FROM source_mappings WHERE source = @source AND (@kind IS NULL OR kind = @kind) AND (@key IS NULL OR column_key = @key)`,
  ).run({ source, kind: options.kind ?? null, key: options.columnKey ?? null }).changes;
}
