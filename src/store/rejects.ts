import type { Db } from './db.js';
import type { RejectReason } from '../io/record-mapper.js';

export interface RejectImport {
  id: number;
  file_name: string;
  /** How the file came in ('utf8', 'cp1252', 'utf16le'...; null for XLSX), for the rejects file to go out the same way. */
  encoding: string | null;
  delimiter: string | null;
  columns: string[];
  /** Header -> field the import mapped it to (null: kept in attributes). */
  mapping: Record<string, string | null>;
}

export interface RejectRow {
  row_number: number;
  raw: string[];
  reasons: RejectReason[];
  /** True for a row that was imported, with cells that could not be read (the reasons name them). */
  row_imported: boolean;
}

/** Imports that have rejected rows (or the one asked for), oldest first. */
export function rejectsImports(db: Db, importId?: number): RejectImport[] {
  const rows = db.prepare(
    `SELECT i.id, i.file_name, i.encoding, i.delimiter, i.columns, i.mapping FROM imports i
     WHERE (? IS NULL OR i.id = ?) AND EXISTS (SELECT 1 FROM rejects r WHERE r.import_id = i.id) ORDER BY i.id`,
  ).all(importId ?? null, importId ?? null) as Array<Omit<RejectImport, 'columns' | 'mapping'> & { columns: string; mapping: string }>;
  return rows.map((r) => ({ ...r, columns: JSON.parse(r.columns) as string[], mapping: JSON.parse(r.mapping) as Record<string, string | null> }));
}

export function listRejects(db: Db, importId: number): RejectRow[] {
  const rows = db.prepare('SELECT row_number, raw, reasons, row_imported FROM rejects WHERE import_id = ? ORDER BY row_number').all(importId) as Array<{ row_number: number; raw: string; reasons: string; row_imported: number }>;
  return rows.map((r) => ({ row_number: r.row_number, raw: JSON.parse(r.raw) as string[], reasons: JSON.parse(r.reasons) as RejectReason[], row_imported: r.row_imported === 1 }));
}

/** The same rows, one at a time (a rejects file may hold millions: none is kept in memory). */
export function* iterateRejects(db: Db, importId: number): Generator<RejectRow, void, undefined> {
  const rows = db.prepare('SELECT row_number, raw, reasons, row_imported FROM rejects WHERE import_id = ? ORDER BY row_number').iterate(importId) as IterableIterator<{ row_number: number; raw: string; reasons: string; row_imported: number }>;
  for (const r of rows) yield { row_number: r.row_number, raw: JSON.parse(r.raw) as string[], reasons: JSON.parse(r.reasons) as RejectReason[], row_imported: r.row_imported === 1 };
}
