/** Runs an export into a temporary file and reads it back, for tests that check who is listed. */
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { Db } from '../../src/store/db.js';
import { runExport, type ExportRequest, type ExportResult } from '../../src/export/run.js';
import type { Selection } from '../../src/export/select.js';
import { tempDir } from '../helpers/cli.js';

export function selection(overrides: Partial<Selection> = {}): Selection {
  return { segments: [], tags: [], status: 'active', channel: 'email', includeUnconsented: false, ...overrides };
}

export async function exportJsonl(
  db: Db,
  sel: Partial<Selection> = {},
  extra: Partial<ExportRequest> = {},
): Promise<{ rows: Record<string, unknown>[]; result: ExportResult; file: string }> {
  const file = path.join(tempDir('custkit-export-'), 'out.jsonl');
  const result = await runExport(db, { selection: selection(sel), format: 'jsonl', out: file, stdout: new PassThrough(), ...extra });
  const text = fs.readFileSync(file, 'utf8');
  const rows = text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  return { rows, result, file };
}

export async function exportFile(db: Db, sel: Partial<Selection>, extra: Partial<ExportRequest> & { format: ExportRequest['format'] }, name = 'out'): Promise<{ file: string; result: ExportResult }> {
  const file = path.join(tempDir('custkit-export-'), `${name}.${extra.format}`);
  const result = await runExport(db, { selection: selection(sel), out: file, stdout: new PassThrough(), ...extra });
  return { file, result };
}
