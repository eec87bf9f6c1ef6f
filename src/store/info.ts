import fs from 'node:fs';
import type { Db } from './db.js';
import { schemaVersion } from './db.js';

export interface StoreInfo {
  file: string;
  sizeBytes: number;
  schemaVersion: number;
  migrations: Array<{ id: number; name: string; applied_at: string }>;
  tables: Record<string, number>;
  imports: Array<{
    id: number; file_name: string; sheet: string | null; kind: string; source: string; started_at: string;
    rows_read: number; inserted: number; updated: number; unchanged: number; rejected: number; contacts_created: number;
  }>;
}

export function storeInfo(db: Db, file: string): StoreInfo {
  const names = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).pluck().all() as string[];
  const tables: Record<string, number> = {};
  for (const name of names) tables[name] = db.prepare(`SELECT count(*) FROM "${name.replace(/"/g, '""')}"`).pluck().get() as number;
  const size = ['', '-wal'].reduce((sum, suffix) => sum + (fs.existsSync(file + suffix) ? fs.statSync(file + suffix).size : 0), 0);
  return {
    file,
    sizeBytes: size,
    schemaVersion: schemaVersion(db),
    migrations: db.prepare('SELECT id, name, applied_at FROM schema_migrations ORDER BY id').all() as StoreInfo['migrations'],
    tables,
    imports: db.prepare(
      `SELECT id, file_name, sheet, kind, source, started_at, rows_read, inserted, updated, unchanged, rejected, contacts_created
       FROM imports WHERE status = 'completed' ORDER BY id`,
    ).all() as StoreInfo['imports'],
  };
}
