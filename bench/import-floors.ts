/**
 * Floors for the import benchmark: what a million-row first load costs with parts of the work taken
 * away, so the figures say where the time goes and what no change to parsing or mapping can win back.
 *
 * - store floor: sqlite3 alone copies custkit's finished rows into an empty store of the same schema,
 *   builds the indexes and commits. No import into this schema can beat it.
 * - writer floor: custkit's own writer (dist/store/import-writer.js) is handed the finished rows from
 *   memory: binding them through better-sqlite3, inserting, consents, indexes, commit. Only reading,
 *   decoding, parsing and mapping the file are left out. One SQLite connection cannot do better than this.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { OUT, ROOT } from './common.js';

/**
 * Flushes the files earlier steps wrote, so the kernel's write-back of one measurement does not land in
 * the next (a store floor timed right after a 600 MB copy took 4.7 s instead of 3.3 s).
 */
export function settle(): void {
  try {
    execFileSync('sync');
  } catch {
    // no sync command: the figures are just noisier
  }
}

export function freshDb(name: string): string {
  const db = path.join(OUT, name);
  for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(db + suffix, { force: true });
  return db;
}

/** sqlite3 copying the finished contacts and consents into an empty store, indexes, commit (rollback journal). */
export function timeStoreFloor(importedDb: string): number {
  const db = freshDb('bench-floor.db');
  const schema = execFileSync('sqlite3', [importedDb, '.schema'], { encoding: 'utf8' });
  const statements = schema.split(/;\s*\n/).filter((sql) => sql.trim() !== '' && !/^CREATE TABLE sqlite_/.test(sql.trim()));
  const indexes = statements.filter((sql) => /^CREATE (UNIQUE )?INDEX \S+ ON (contacts|consents)\b/.test(sql.trim()));
  execFileSync('sqlite3', [db], { input: statements.filter((sql) => !indexes.includes(sql)).join(';\n') + ';\n' });
  const script = [
    'PRAGMA journal_mode = DELETE;', 'PRAGMA synchronous = NORMAL;', 'PRAGMA cache_size = -16384;',
    `ATTACH '${importedDb}' AS done;`, 'BEGIN;',
    'INSERT INTO contacts SELECT * FROM done.contacts;', 'INSERT INTO consents SELECT * FROM done.consents;',
    ...indexes.map((sql) => `${sql.trim()};`), 'COMMIT;',
  ].join('\n');
  settle();
  const started = process.hrtime.bigint();
  execFileSync('sqlite3', [db], { input: script, stdio: ['pipe', 'ignore', 'inherit'] });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  freshDb('bench-floor.db');
  return seconds;
}

const CHUNK = 50_000;

/**
 * custkit's writer fed the finished contacts of `importedDb` (and their consents) as drafts, read ahead
 * in chunks outside the timed part, into a new store at `target` on the first-load path.
 */
export async function timeWriterFloor(importedDb: string, target: string): Promise<{ seconds: number; rowsSeconds: number; finishSeconds: number }> {
  const dist = (file: string): string => path.join(ROOT, 'dist', file);
  const { openStore } = await import(dist('store/db.js')) as typeof import('../src/store/db.js');
  const { ImportWriter } = await import(dist('store/import-writer.js')) as typeof import('../src/store/import-writer.js');
  const { firstLoadPragmas } = await import(dist('io/import.js')) as typeof import('../src/io/import.js');
  const { CONTACT_COLUMNS } = await import(dist('io/record-mapper.js')) as typeof import('../src/io/record-mapper.js');
  type Draft = import('../src/io/record-mapper.js').ContactDraft;

  const source = openStore(importedDb, { readonly: true });
  const read = source.prepare(
    `SELECT c.id, c.external_key, ${CONTACT_COLUMNS.map((column) => `c.${column}`).join(', ')},
       (SELECT json_group_array(json_array(k.channel, k.status, substr(k.proof, instr(k.proof, 'column ''') + 8, length(k.proof) - instr(k.proof, 'column ''') - 8)))
          FROM consents k WHERE k.contact_id = c.id) AS consents
     FROM contacts c WHERE c.id > ? ORDER BY c.id LIMIT ${CHUNK}`,
  ).raw();
  const db = openStore(target);
  const restore = firstLoadPragmas(db);
  const importId = Number(db.prepare(
    `INSERT INTO imports (file_name, sha256, kind, source, columns, mapping, started_at, status) VALUES ('floor', 'floor', 'contacts', 'default', '[]', '{}', ?, 'running')`,
  ).run(new Date().toISOString()).lastInsertRowid);
  let timed = 0n;
  settle();
  db.exec('BEGIN IMMEDIATE');
  const writer = new ImportWriter(db, importId, 'default', { bulk: true });
  for (let after = 0; ;) {
    const rows = read.all(after) as unknown[][];
    if (rows.length === 0) break;
    after = rows[rows.length - 1]![0] as number;
    const drafts = rows.map((row): { draft: Draft; number: number } => {
      const values = Object.fromEntries(CONTACT_COLUMNS.map((column, i) => [column, row[i + 2] as string | null])) as Draft['values'];
      const consents = (JSON.parse(row[row.length - 1] as string) as Array<[string, string, string]>)
        .map(([channel, status, column]) => ({ channel: channel as Draft['consents'][number]['channel'], granted: status === 'granted', column }));
      return { draft: { externalKey: row[1] as string, values, consents, issues: [] }, number: (row[0] as number) + 1 };
    });
    const started = process.hrtime.bigint();
    for (const { draft, number } of drafts) writer.contact(draft, number);
    timed += process.hrtime.bigint() - started;
  }
  const finishing = process.hrtime.bigint();
  writer.finish();
  db.exec('COMMIT');
  const finishSeconds = Number(process.hrtime.bigint() - finishing) / 1e9;
  restore();
  db.close();
  source.close();
  freshDb(path.basename(target));
  const rowsSeconds = Number(timed) / 1e9;
  return { seconds: rowsSeconds + finishSeconds, rowsSeconds, finishSeconds };
}
