/**
 * One rule for every file custkit writes for people (docs/export.md): rejects --out, validate --out and
 * dedupe --review as a user runs them, plus the export funnel on the terminal.
 */
import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { custkit, tempDb, tempDir } from '../helpers/cli.js';
import { seedDedupeStore } from '../helpers/dedupe-store.js';
import { addConsent, addContact, addEmailable, makeStore } from '../export/store.js';

/** A French spreadsheet's export: Windows-1252, semicolons, one row with too many cells (rejected). */
function cp1252Source(): string {
  const file = path.join(tempDir(), 'clients.csv');
  const text = 'Civilité;Nom;E-mail;Téléphone\r\nMme;Léa Dupré;lea@example.fr;0612345678\r\nM.;=1+2;-leroy@gmail.com;+33612345678;en trop\r\n';
  fs.writeFileSync(file, iconv.encode(text, 'win1252'));
  return file;
}

describe('rejects --out', () => {
  it('goes out as the source came in (Windows-1252, ";"), neutralises free text, keeps identifiers, 0600', () => {
    const db = tempDb();
    expect(custkit(['import', cp1252Source()], { db }).code).toBe(3);
    const out = path.join(tempDir(), 'fix.csv');
    const r = custkit(['rejects', '--import', '1', '--out', out], { db });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Windows-1252, ";"');
    const bytes = fs.readFileSync(out);
    expect(bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(false);
    const lines = iconv.decode(bytes, 'win1252').split('\r\n');
    expect(lines[0]).toBe('Civilité;Nom;E-mail;Téléphone;reject_reason');
    expect(lines[1]).toMatch(/^M\.;'=1\+2;-leroy@gmail\.com;\+33612345678;en trop;row has 5 columns/);
    expect(fs.statSync(out).mode & 0o777).toBe(0o600);

    const utf8 = path.join(tempDir(), 'fix-utf8.csv');
    expect(custkit(['rejects', '--import', '1', '--out', utf8, '--encoding', 'utf8', '--bom', '--delimiter', ','], { db }).code).toBe(0);
    const text = fs.readFileSync(utf8, 'utf8');
    expect(text.startsWith('\ufeffCivilité,Nom,E-mail,Téléphone,reject_reason\r\n')).toBe(true);
  });

  it('as XLSX: string cells written as they are, never prefixed', async () => {
    const db = tempDb();
    custkit(['import', cp1252Source()], { db });
    const out = path.join(tempDir(), 'fix.xlsx');
    expect(custkit(['rejects', '--import', '1', '--out', out], { db }).code).toBe(0);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(out);
    const row = workbook.worksheets[0]!.getRow(2);
    expect([1, 2, 3, 4].map((c) => row.getCell(c).text)).toEqual(['M.', '=1+2', '-leroy@gmail.com', '+33612345678']);
    expect(row.getCell(2).formula).toBeUndefined();
    expect(fs.statSync(out).mode & 0o777).toBe(0o600);
  });
});

describe('validate --out', () => {
  it('takes --delimiter and --bom, and its file is 0600', () => {
    const db = tempDb();
    custkit(['import', cp1252Source()], { db });
    const out = path.join(tempDir(), 'issues.csv');
    const r = custkit(['validate', '--out', out, '--delimiter', ';', '--bom'], { db });
    expect([0, 3]).toContain(r.code);
    const text = fs.readFileSync(out, 'utf8');
    expect(text.startsWith('\ufeffuid;field;value;issue;suggestion\r\n')).toBe(true);
    expect(fs.statSync(out).mode & 0o777).toBe(0o600);
    expect(custkit(['validate', '--bom'], { db }).code).toBe(2);
  });
});

describe('dedupe --review', () => {
  it('XLSX and CSV review files are 0600, and a ";" CSV reads back', () => {
    const db = tempDb();
    seedDedupeStore(db).close();
    const xlsx = path.join(tempDir(), 'review.xlsx');
    expect(custkit(['dedupe', '--review', xlsx], { db }).code).toBe(0);
    expect(fs.statSync(xlsx).mode & 0o777).toBe(0o600);
    const csv = path.join(tempDir(), 'review.csv');
    expect(custkit(['dedupe', '--review', csv, '--delimiter', ';', '--bom'], { db }).code).toBe(0);
    expect(fs.statSync(csv).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(csv, 'utf8').startsWith('\ufeffcluster;decision;probability;')).toBe(true);
    const applied = custkit(['dedupe', '--apply', '--decisions', csv, '--json'], { db });
    expect(applied.code, applied.stderr).toBe(0);
    expect(JSON.parse(applied.stdout).merges.length).toBeGreaterThan(0);
  });
});

describe('export funnel on the terminal', () => {
  function store(): string {
    const { db, file } = makeStore();
    for (let i = 0; i < 12; i++) addContact(db, { email: `p${i}@example.com`, tags: ['fair'] });
    addEmailable(db, { email: 'ok@example.com', tags: ['shop'] });
    addConsent(db, addContact(db, { email: 'no@example.com', tags: ['shop'] }), 'email', 'withdrawn');
    db.close();
    return file;
  }

  it('prints every step on stderr, says why a list is empty (as a warning), and --json returns it', () => {
    const db = store();
    const out = path.join(tempDir(), 'fair.csv');
    const empty = custkit(['export', '--tag', 'fair', '--out', out], { db });
    expect(empty.code).toBe(0);
    expect(empty.stderr).toMatch(/selected\s+12/);
    expect(empty.stderr).toMatch(/- no email consent\s+-12/);
    expect(empty.stderr).toContain('0 written: all 12 selected contacts lack email consent');
    // -q silences everything but data and errors (the CLI contract): the funnel and the warning too.
    expect(custkit(['export', '--tag', 'fair', '--out', out, '-q'], { db }).stderr).toBe('');
    const json = JSON.parse(custkit(['export', '--tag', 'shop', '--out', out, '--json'], { db }).stdout);
    expect(json.funnel).toEqual({ channel: 'email', selected: 2, noAddress: 0, undeliverable: null, noConsent: 1, suppressed: 0, sameAddress: 0, pressure: null, overLimit: 0, written: 1, seeds: 0 });
  });
});
