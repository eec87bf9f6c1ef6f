import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { custkit, fixture, tempDir } from '../helpers/cli.js';
import {
  writeCellBomb, writeEntityBomb, writeGiantFieldCsv, writeSharedStringBomb, writeWideSheet, writeWorkbook,
} from '../helpers/hostile-files.js';
import { Readable } from 'node:stream';
import { CsvRecordGuard } from '../../src/io/csv-guard.js';
import { parseCsvText } from '../../src/io/readers.js';
import { DEFAULT_LIMITS, parseLimit, resolveLimits } from '../../src/io/limits.js';
import { guardWorkbook } from '../../src/io/xlsx-guard.js';

const small = { ...DEFAULT_LIMITS, maxCellSize: 1000 };

function refused(run: ReturnType<typeof custkit>, pattern: RegExp, db: string): void {
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr).toMatch(/nothing was imported/);
  expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

describe('input limits', () => {
  it('parses sizes with binary suffixes and refuses nonsense', () => {
    expect(parseLimit('64M', 'bytes')).toBe(64 * 2 ** 20);
    expect(parseLimit('1GiB', 'bytes')).toBe(2 ** 30);
    expect(parseLimit('500000', 'bytes')).toBe(500000);
    expect(parseLimit('12k', 'count')).toBeNull();
    expect(parseLimit('0', 'count')).toBeNull();
    expect(parseLimit('-3', 'bytes')).toBeNull();
    const bad = (message: string): never => {
      throw new Error(message);
    };
    expect(resolveLimits({ maxColumns: '50' }, { CUSTKIT_MAX_COLUMNS: '70', CUSTKIT_MAX_CELL_SIZE: '2M' }, bad)).toMatchObject({ maxColumns: 50, maxCellSize: 2 ** 21 });
    expect(() => resolveLimits({}, { CUSTKIT_MAX_ZIP_RATIO: 'lots' }, bad)).toThrow(/CUSTKIT_MAX_ZIP_RATIO: "lots"/);
  });

  async function parse(chunks: string[], maxCellSize: number): Promise<number> {
    const guard = new CsvRecordGuard('f.csv', { ...DEFAULT_LIMITS, maxCellSize });
    // Counted as the parser pulls them, one chunk ahead at most, as the file's text stream feeds it.
    const text = Readable.from((function* feed() {
      for (const c of chunks) {
        guard.fed(c);
        yield c;
      }
    })(), { objectMode: true, highWaterMark: 1 });
    let rows = 0;
    for await (const batch of parseCsvText(text, ',', guard)) rows += batch.length;
    return rows;
  }

  it('CSV guard: quoted newlines, "" and records near the bound pass', async () => {
    const row = `x,"a""b\nc",${'y'.repeat(30)}\n`;
    expect(await parse(['h1,h2,h3\n', ...Array.from({ length: 200 }, () => row)], 30)).toBe(201);
  });

  it('CSV guard: an unclosed quote is refused at the bound, naming its row, not at the end of the file', async () => {
    const chunks = ['h1,h2\n', 'a,b\n', 'c,"open\n', ...Array.from({ length: 1000 }, () => 'still inside the quote\n'.repeat(100))];
    await expect(parse(chunks, 1000)).rejects.toThrow(/row 3 is a record of more than [\d,]+ characters.*--max-cell-size or CUSTKIT_MAX_CELL_SIZE/);
  });

  it('a workbook written by exceljs passes the guard', async () => {
    await expect(guardWorkbook(fixture('workbook.xlsx'), 'workbook.xlsx', DEFAULT_LIMITS)).resolves.toBeUndefined();
  });

  it('refuses each hostile workbook before exceljs reads it, naming the limit and how to raise it', async () => {
    const dir = tempDir();
    const file = (name: string): string => path.join(dir, name);
    await writeSharedStringBomb(file('sst.xlsx'), 8 * 2 ** 20);
    await expect(guardWorkbook(file('sst.xlsx'), 'sst.xlsx', DEFAULT_LIMITS)).rejects.toThrow(/compressed \d+:1.*--max-zip-ratio or CUSTKIT_MAX_ZIP_RATIO/);
    await expect(guardWorkbook(file('sst.xlsx'), 'sst.xlsx', { ...DEFAULT_LIMITS, maxZipRatio: 1e6, maxSharedStrings: 2 ** 20 }))
      .rejects.toThrow(/shared strings.*--max-shared-strings/);
    await expect(guardWorkbook(file('sst.xlsx'), 'sst.xlsx', { ...DEFAULT_LIMITS, maxZipRatio: 1e6 }))
      .rejects.toThrow(/a text or tag in part xl\/sharedStrings.xml.*--max-cell-size/);
    await expect(guardWorkbook(file('sst.xlsx'), 'sst.xlsx', { ...DEFAULT_LIMITS, maxZipRatio: 1e6, maxUnzippedSize: 4 * 2 ** 20 }))
      .rejects.toThrow(/unzips to more than.*--max-unzipped-size/);

    await writeCellBomb(file('cells.xlsx'), 4 * 2 ** 20);
    await expect(guardWorkbook(file('cells.xlsx'), 'cells.xlsx', DEFAULT_LIMITS)).rejects.toThrow(/sheet1.xml \(compressed/);

    await writeEntityBomb(file('entities.xlsx'));
    await expect(guardWorkbook(file('entities.xlsx'), 'entities.xlsx', DEFAULT_LIMITS)).rejects.toThrow(/declares a DTD or XML entities/);

    await writeWideSheet(file('wide.xlsx'), 2500);
    await expect(guardWorkbook(file('wide.xlsx'), 'wide.xlsx', DEFAULT_LIMITS)).rejects.toThrow(/row 1 of part xl\/worksheets\/sheet1.xml.*--max-columns/);
    await expect(guardWorkbook(file('wide.xlsx'), 'wide.xlsx', { ...DEFAULT_LIMITS, maxColumns: 3000 })).resolves.toBeUndefined();

    await writeWorkbook(file('lie.xlsx'), { edit: (parts) => parts.map((p) => (p.name.includes('sheet1') ? { ...p, declaredSize: 100 } : p)) });
    await expect(guardWorkbook(file('lie.xlsx'), 'lie.xlsx', DEFAULT_LIMITS)).rejects.toThrow(/too many bytes/);

    await writeWorkbook(file('hidden.xlsx'), { edit: (parts) => [{ name: 'xl/sharedStrings.xml', data: 'x', hidden: true }, ...parts] });
    await expect(guardWorkbook(file('hidden.xlsx'), 'hidden.xlsx', DEFAULT_LIMITS)).rejects.toThrow(/does not list/);

    await writeWorkbook(file('ok.xlsx'));
    await expect(guardWorkbook(file('ok.xlsx'), 'ok.xlsx', small)).resolves.toBeUndefined();
  });

  it('import refuses a giant CSV field and a wide workbook with exit 1 and an unchanged store', async () => {
    const dir = tempDir();
    const db = path.join(dir, 's.db');
    expect(custkit(['import', fixture('contacts-en-bom.csv')], { db }).code).toBe(0);
    const before = fs.readFileSync(db);
    const csv = path.join(dir, 'giant.csv');
    writeGiantFieldCsv(csv, 5 * 2 ** 20, true);
    refused(custkit(['import', csv], { db }), /giant.csv: row 2 is a record.*--max-cell-size/, db);
    refused(custkit(['import', csv, '--dry-run'], { db }), /row 2 is a record/, db);
    // Within the record bound but over the cell limit: the cell is named by row and column.
    writeGiantFieldCsv(csv, 3 * 2 ** 20, true);
    refused(custkit(['import', csv, '--max-cell-size', '1M'], { db, env: { CUSTKIT_MAX_CELL_SIZE: '100M' } }), /row 2, column 3 holds 3,145,728 characters/, db);
    // Half-way: 20,000 good rows are read and written before the giant record; the transaction rolls back.
    const late = path.join(dir, 'late.csv');
    const good = Array.from({ length: 20000 }, (_, i) => `late${i}@example.com,Name${i},`).join('\n');
    fs.writeFileSync(late, `email,first_name,notes\n${good}\nlate@example.com,Late,"${'z'.repeat(5 * 2 ** 20)}"\n`);
    refused(custkit(['import', late], { db }), /late.csv: row 20002 is a record of more than/, db);
    const wide = path.join(dir, 'wide.xlsx');
    await writeWideSheet(wide, 300);
    refused(custkit(['import', wide], { db, env: { CUSTKIT_MAX_COLUMNS: '200' } }), /CUSTKIT_MAX_COLUMNS/, db);
    const sst = path.join(dir, 'sst.xlsx');
    await writeSharedStringBomb(sst, 4 * 2 ** 20);
    refused(custkit(['import', sst], { db }), /sst.xlsx: part xl\/sharedStrings.xml \(compressed/, db);
    expect(fs.readFileSync(db).equals(before)).toBe(true);
    const usage = custkit(['import', csv, '--max-columns', 'many'], { db });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--max-columns: "many" is not a positive whole number/);
  }, 600_000);
});
