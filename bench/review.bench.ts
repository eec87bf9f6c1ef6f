/**
 * The dedupe review file's memory: N rows (default 30,000, issue 13's figure) written as .xlsx the way
 * custkit writes it (export/table-file: exceljs's streaming WorkbookWriter, rows flushed as they go),
 * next to the same rows in an in-memory ExcelJS.Workbook (how the review file was written before), each
 * in a child process so its peak RSS is its own.
 *
 *   npx tsx bench/review.bench.ts                 # 30,000 rows
 *   npx tsx bench/review.bench.ts --rows 100000
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ExcelJS from 'exceljs';
import { REVIEW_COLUMNS, REVIEW_KINDS } from '../src/dedupe/review.js';
import { writeTableFile, type TableRow } from '../src/export/table-file.js';
import { argValue, OUT } from './common.js';

function* rows(n: number): Generator<TableRow, void, undefined> {
  for (let i = 0; i < n; i++) {
    yield {
      values: [
        Math.floor(i / 2) + 1, 'merge', '0.9871', `0193a0b2-7c3d-7e11-9f00-${String(i).padStart(12, '0')}`, `0193a0b2-7c3d-7e11-9f01-${String(i).padStart(12, '0')}`,
        `Jeanne Lefèvre ${i}`, `Jeanne Lefevre ${i}`, `jeanne.lefevre${i}@orange.fr`, `j.lefevre${i}@orange.fr`, '+33612345678', '06 12 34 56 78',
        '69002', '69002', '1985-07-14', '1985-07-14', 'email: similar (+4.2); last_name: same (+6.1); phone: same (+7.9); postal_code: same (+2.3)',
      ],
    };
  }
}

async function child(mode: string, n: number, out: string): Promise<void> {
  const started = process.hrtime.bigint();
  if (mode === 'stream') {
    await writeTableFile([...REVIEW_COLUMNS], REVIEW_KINDS, rows(n), { out, stdout: process.stdout, delimiter: ',', encoding: 'utf8', bom: false, sheet: 'review' });
  } else {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('review');
    sheet.addRow([...REVIEW_COLUMNS]);
    for (const row of rows(n)) sheet.addRow(row.values);
    await workbook.xlsx.writeFile(out);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(JSON.stringify({ seconds, maxRssMb: process.resourceUsage().maxRSS / 1024, bytes: fs.statSync(out).size }));
}

async function main(): Promise<void> {
  const n = Number(argValue('rows', '30000'));
  if (process.argv.includes('--child')) {
    await child(argValue('mode')!, n, argValue('out')!);
    return;
  }
  fs.mkdirSync(OUT, { recursive: true });
  for (const mode of ['stream', 'workbook']) {
    const out = path.join(OUT, `review-${mode}.xlsx`);
    fs.rmSync(out, { force: true });
    const result = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', '--mode', mode, '--rows', String(n), '--out', out], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(result.stderr);
    const r = JSON.parse(result.stdout) as { seconds: number; maxRssMb: number; bytes: number };
    const label = mode === 'stream' ? 'streamed (custkit dedupe --review x.xlsx)' : 'in-memory workbook (before)';
    console.log(`${n.toLocaleString('en')} review rows, ${label}: peak RSS ${r.maxRssMb.toFixed(0)} MB, ${r.seconds.toFixed(2)} s, ${(r.bytes / 1e6).toFixed(1)} MB file`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
