import fs from 'node:fs';
import ExcelJS from 'exceljs';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { custkit, fixture, hasSharedData, SHARED_DATA, tempDb, tempDir, queryStore } from '../helpers/cli.js';

const query = queryStore;

function count(db: string, table: string): number {
  return query<{ n: number }>(db, `SELECT count(*) AS n FROM ${table}`)[0]!.n;
}

/** Everything a user would consider "the content of the store", for before/after comparisons. */
function snapshot(db: string): string {
  return ['contacts', 'consents', 'purchases', 'imports', 'rejects']
    .map((t) => JSON.stringify(query(db, `SELECT * FROM ${t} ORDER BY id`)))
    .join('\n');
}

describe('custkit import (end to end)', () => {
  it('imports a Windows-1252 French export with ; and dd/mm/yyyy dates', () => {
    const db = tempDb();
    const result = custkit(['import', fixture('clients-fr-cp1252.csv')], { db });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('10 contacts rows read -> 10 new');
    expect(result.stderr).toContain('encoding cp1252, delimiter ";", dates dd/mm/yyyy');
    const [helene] = query<Record<string, string>>(db, "SELECT * FROM contacts WHERE external_id = 'C001'");
    expect(helene).toMatchObject({ first_name: 'Hélène', last_name: 'Dupont', birth_date: '1985-07-14', created_at: '2023-01-03', postal_code: '75002', phone_digits: '0142685300', mobile_digits: '0612345678' });
    expect(JSON.parse(helene!.attributes)).toEqual({ Notes: 'Cliente fidèle – préfère l’e-mail' });
    const consents = query<{ channel: string; status: string; proof: string }>(db, 'SELECT channel, status, proof FROM consents WHERE contact_id = ? ORDER BY channel', helene!.id);
    expect(consents.map((c) => `${c.channel}:${c.status}`)).toEqual(['email:granted', 'sms:granted']);
    expect(consents[0]!.proof).toMatch(/import 1, row 2, column 'Opt-in email'/);
    expect(fs.statSync(db).mode & 0o777).toBe(0o600);
  });

  it('refuses a CSV whose quote is never closed, naming its row and column, and imports nothing (dry run too)', () => {
    const db = tempDb();
    const file = path.join(tempDir(), 'open-quote.csv');
    fs.writeFileSync(file, 'Email;Prénom\nanne@example.fr;Anne\n"broken@example.fr;Jeanne\nzoe@example.fr;Zoé\n');
    for (const args of [['import', file], ['import', file, '--dry-run']]) {
      const result = custkit(args, { db });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('open-quote.csv: row 3, column 1: a quote (") opens a cell and is never closed');
    }
    expect(fs.existsSync(db) ? count(db, 'contacts') : 0).toBe(0);
  });

  it('a dry run reads the whole file: a quote never closed or a row over the column limit far below the first rows is refused as the import refuses it', () => {
    const db = tempDb();
    const rows = Array.from({ length: 3000 }, (_, i) => `client${i}@example.fr;Client ${i}`);
    const quote = path.join(tempDir(), 'late-quote.csv');
    fs.writeFileSync(quote, ['Email;Prénom', ...rows.slice(0, 2500), '"late@example.fr;Late', ...rows.slice(2500)].join('\n'));
    const wide = path.join(tempDir(), 'late-wide.csv');
    fs.writeFileSync(wide, ['Email;Prénom', ...rows.slice(0, 2500), `wide@example.fr;${'x;'.repeat(3000)}`, ...rows.slice(2500)].join('\n'));
    for (const [file, message] of [[quote, 'late-quote.csv: row 2502, column 1: a quote (") opens a cell and is never closed'], [wide, 'late-wide.csv']] as const) {
      const real = custkit(['import', file], { db });
      const dry = custkit(['import', file, '--dry-run'], { db });
      expect([real.code, dry.code]).toEqual([1, 1]);
      expect(dry.stderr).toContain(message);
      expect(dry.stderr.trim().split('\n').at(-1)).toBe(real.stderr.trim().split('\n').at(-1));
    }
    expect(fs.existsSync(db) ? count(db, 'contacts') : 0).toBe(0);
    // A sound file's dry run says how many rows it read.
    const sound = path.join(tempDir(), 'sound.csv');
    fs.writeFileSync(sound, ['Email;Prénom', ...rows].join('\n'));
    expect(custkit(['import', sound, '--dry-run'], { db }).stdout).toContain('(dry run: 3,000 rows read after the header; nothing was written)');
  });

  it('re-importing the same file is skipped, --force updates nothing that did not change', () => {
    const db = tempDb();
    custkit(['import', fixture('clients-fr-cp1252.csv')], { db });
    // 15 yes/no answers in the file's two opt-in columns.
    expect(count(db, 'consents')).toBe(15);
    const again = custkit(['import', fixture('clients-fr-cp1252.csv'), '--json'], { db });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ skipped: true, previous_import_id: 1, imported: 0 });
    const forced = custkit(['import', fixture('clients-fr-cp1252.csv'), '--force', '--json'], { db });
    expect(JSON.parse(forced.stdout)).toMatchObject({ skipped: false, imported: 0, updated: 0, unchanged: 10, import_id: 2 });
    expect(count(db, 'contacts')).toBe(10);
    expect(count(db, 'consents')).toBe(15);
  });

  it('updates a contact when a newer export of the same source changes it, and records a changed consent', () => {
    const db = tempDb();
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'v1.csv'), 'Code client;Nom;Ville;Newsletter\nA1;Durand;Lyon;oui\nA2;Roux;Nice;oui\n');
    fs.writeFileSync(path.join(dir, 'v2.csv'), 'Code client;Nom;Ville;Newsletter\nA1;Durand;Paris;non\nA2;Roux;;oui\nA3;Petit;Metz;\n');
    custkit(['import', path.join(dir, 'v1.csv')], { db });
    const second = custkit(['import', path.join(dir, 'v2.csv'), '--json'], { db });
    expect(JSON.parse(second.stdout)).toMatchObject({ imported: 1, updated: 1, unchanged: 1 });
    expect(query(db, 'SELECT external_id, city FROM contacts ORDER BY external_id')).toEqual([
      { external_id: 'A1', city: 'Paris' }, { external_id: 'A2', city: 'Nice' }, { external_id: 'A3', city: 'Metz' },
    ]);
    const a1 = query<{ status: string }>(db, "SELECT c.status FROM consents c JOIN contacts k ON k.id = c.contact_id WHERE k.external_id = 'A1' ORDER BY c.id");
    expect(a1.map((c) => c.status)).toEqual(['granted', 'withdrawn']);
  });

  it('folds a customer code repeated within a first load into one contact, later values winning, a withdrawal winning over a grant', () => {
    const db = tempDb();
    const file = path.join(tempDir(), 'dup.csv');
    fs.writeFileSync(file, 'Code client;Nom;Ville;Newsletter\nA1;Durand;Lyon;oui\nA1;Durand;Paris;non\nA2;Roux;Nice;\n');
    expect(JSON.parse(custkit(['import', file, '--json'], { db }).stdout)).toMatchObject({ imported: 2, updated: 1, repeated_rows: 1, consent_conflicts: 1 });
    expect(query(db, 'SELECT external_id, city FROM contacts ORDER BY id')).toEqual([{ external_id: 'A1', city: 'Paris' }, { external_id: 'A2', city: 'Nice' }]);
    // The grant of row 2 is not kept beside the withdrawal of row 3 of the same file.
    expect(query(db, 'SELECT contact_id, status FROM consents ORDER BY id')).toEqual([{ contact_id: 1, status: 'withdrawn' }]);
  });

  it('sends a re-imported row of a merged-away record to its survivor', () => {
    const db = tempDb();
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'v1.csv'), 'Code client;Nom;Ville\nA1;Durand;Lyon\nA2;Durand;Lyon\n');
    fs.writeFileSync(path.join(dir, 'v2.csv'), 'Code client;Nom;Ville;Newsletter\nA2;Durand;Paris;non\n');
    custkit(['import', path.join(dir, 'v1.csv')], { db });
    const handle = new Database(db);
    handle.exec("UPDATE contacts SET status = 'merged', merged_into = (SELECT id FROM contacts WHERE external_id = 'A1') WHERE external_id = 'A2'");
    handle.close();
    expect(JSON.parse(custkit(['import', path.join(dir, 'v2.csv'), '--json'], { db }).stdout)).toMatchObject({ updated: 1 });
    expect(query(db, 'SELECT external_id, city, status FROM contacts ORDER BY external_id')).toEqual([
      { external_id: 'A1', city: 'Paris', status: 'active' }, { external_id: 'A2', city: 'Lyon', status: 'merged' },
    ]);
    expect(query(db, "SELECT k.external_id, c.status FROM consents c JOIN contacts k ON k.id = c.contact_id")).toEqual([{ external_id: 'A1', status: 'withdrawn' }]);
  });

  it('handles UTF-8 with BOM, quoted newlines and quotes, and tags', () => {
    const db = tempDb();
    expect(custkit(['import', fixture('contacts-en-bom.csv')], { db }).code).toBe(0);
    const rows = query<Record<string, string>>(db, 'SELECT external_id, address_line1, company, tags FROM contacts ORDER BY external_id');
    expect(rows[0]).toMatchObject({ external_id: 'EN-1', address_line1: '221B Baker Street\r\nFlat 2', tags: '["vip","newsletter"]' });
    expect(rows[1]!.company).toBe('Smith "The Baker" Ltd');
  });

  it('imports purchases: links customers, creates unknown ones, negative returns, rejects with reasons', () => {
    const db = tempDb();
    custkit(['import', fixture('clients-fr-cp1252.csv')], { db });
    const result = custkit(['import', fixture('purchases-fr.csv')], { db });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('11 purchases rows read -> 9 new, 0 updated, 0 unchanged, 2 rejected');
    expect(result.stderr).toContain('1 customers were not in the store yet');
    const lines = query<{ order_ref: string; line_no: number; amount_minor: number; external_id: string; ordered_at: string }>(db,
      'SELECT p.order_ref, p.line_no, p.amount_minor, c.external_id, p.ordered_at FROM purchases p JOIN contacts c ON c.id = p.contact_id ORDER BY p.id');
    expect(lines.slice(0, 3)).toEqual([
      { order_ref: 'CMD-1001', line_no: 1, amount_minor: 4590, external_id: 'C001', ordered_at: '2025-01-05' },
      { order_ref: 'CMD-1001', line_no: 2, amount_minor: 2500, external_id: 'C001', ordered_at: '2025-01-05' },
      { order_ref: 'CMD-1002', line_no: 1, amount_minor: 123456, external_id: 'C002', ordered_at: '2025-02-18 14:30:00' },
    ]);
    expect(lines.find((l) => l.order_ref === 'CMD-1004')!.amount_minor).toBe(-3900);
    expect(lines.filter((l) => l.order_ref === 'CMD-1005').map((l) => l.amount_minor)).toEqual([5990, -1500]);
    expect(query(db, "SELECT email_norm FROM contacts WHERE external_id = 'C099'")).toEqual([{ email_norm: 'nouveau.client@example.fr' }]);
    const rejects = JSON.parse(custkit(['rejects', '--json'], { db }).stdout) as Array<{ row: number; reasons: Array<{ column: string; message: string }> }>;
    expect(rejects.map((r) => [r.row, r.reasons[0]!.column])).toEqual([[10, 'Code client'], [11, 'Date commande']]);
    // Re-importing the same purchases with --force writes no new line.
    const again = JSON.parse(custkit(['import', fixture('purchases-fr.csv'), '--force', '--json'], { db }).stdout);
    expect(again).toMatchObject({ imported: 0, updated: 0, unchanged: 9, rejected: 2 });
  });

  it('writes rejected rows back with their columns and a reason, ready to fix and re-import', () => {
    const db = tempDb();
    const result = custkit(['import', fixture('broken-contacts.csv')], { db });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/5 contacts rows read -> 2 new, 0 updated, 0 unchanged, 2 rejected/);
    const out = path.join(tempDir(), 'fix.csv');
    expect(custkit(['rejects', '--import', '1', '--out', out], { db }).code).toBe(0);
    const text = fs.readFileSync(out, 'utf8');
    expect(text.split('\r\n')[0]).toBe('Nom;Prénom;E-mail;Téléphone;reject_reason');
    // Every cell of the row is kept, the extra ones too: the reason comes last.
    expect(text).toContain('Lefort;Anne;anne.lefort@orange.fr;0687654321;en trop;encore;row has 6 columns, the header has 4');
    // The user fixes the file (here: removes the extra cells, completes the short row) and imports it again.
    const fixed = text.replace('Blanc;Luc;;;row has 2 columns, the header has 4', 'Blanc;Luc;luc.blanc@free.fr;;').replace(';en trop;encore;row has 6 columns, the header has 4', ';');
    fs.writeFileSync(out, fixed);
    const reimport = custkit(['import', out, '--json'], { db });
    expect(reimport.code).toBe(0);
    expect(JSON.parse(reimport.stdout)).toMatchObject({ imported: 2, rejected: 0 });
    expect(query(db, "SELECT attributes FROM contacts WHERE last_name = 'Blanc'")).toEqual([{ attributes: '{}' }]);
  });

  it('reads stdin', () => {
    const db = tempDb();
    const result = custkit(['import', '-', '--json'], { db, input: 'Nom;Prénom;Email\nDurand;Marc;marc@example.fr\n' });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ file: 'stdin', imported: 1 });
  });

  it('imports workbooks: first sheet with data, a sheet by name or index, or every sheet', () => {
    const db = tempDb();
    const first = custkit(['import', fixture('workbook.xlsx'), '--json'], { db });
    expect(JSON.parse(first.stdout)).toMatchObject({ sheet: 'Clients', kind: 'contacts', imported: 3 });
    const rows = query<Record<string, string>>(db, 'SELECT external_id, phone, mobile, postal_code, birth_date, attributes FROM contacts ORDER BY external_id');
    // The sheet's lone mobile column is the mobile, not the landline.
    expect(rows[0]).toMatchObject({ phone: null, mobile: '612345678', birth_date: '1973-09-17', attributes: '{"Fidélité":"42"}' });
    expect(rows[1]).toMatchObject({ postal_code: '1000', birth_date: '1968-06-11', attributes: '{"Fidélité":"Or plus"}' });
    const byIndex = custkit(['import', fixture('workbook.xlsx'), '--sheet', '3', '--json'], { db });
    expect(JSON.parse(byIndex.stdout)).toMatchObject({ sheet: 'Commandes', kind: 'purchases', imported: 3 });
    expect(query(db, "SELECT amount_minor FROM purchases ORDER BY id")).toEqual([{ amount_minor: 4900 }, { amount_minor: 8000 }, { amount_minor: -8000 }]);
    const all = custkit(['import', fixture('workbook.xlsx'), '--all-sheets', '--json'], { db: tempDb() });
    expect((JSON.parse(all.stdout) as Array<{ sheet: string }>).map((s) => s.sheet)).toEqual(['Clients', 'Commandes']);
    const missing = custkit(['import', fixture('workbook.xlsx'), '--sheet', 'Stock'], { db });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no sheet "Stock" with data (sheets: 1 "Vide", 2 "Clients", 3 "Commandes")');
  });

  it('--dry-run shows detection, mapping and rows, and writes nothing', () => {
    const dir = tempDir();
    const db = path.join(dir, 'never.db');
    const result = custkit(['import', fixture('clients-fr-cp1252.csv'), '--dry-run'], { db });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('kind contacts; encoding cp1252; delimiter ";"; dates dd/mm/yyyy');
    expect(result.stdout).toMatch(/Code postal\s*│ postal_code/);
    expect(result.stdout).toContain('row 2: external_id=C001');
    expect(result.stdout).toContain('row 6:');
    expect(result.stdout).not.toContain('row 7:');
    expect(fs.existsSync(db)).toBe(false);
  });

  it('a file that fails half-way leaves the store exactly as it was', () => {
    const db = tempDb();
    custkit(['import', fixture('clients-fr-cp1252.csv')], { db });
    const before = snapshot(db);
    const broken = path.join(tempDir(), 'truncated.xlsx');
    const bytes = fs.readFileSync(fixture('workbook.xlsx'));
    fs.writeFileSync(broken, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const result = custkit(['import', broken], { db });
    expect(result.code).toBe(1);
    // Refused by the workbook guard (src/io/xlsx-guard.ts) before exceljs reads it, or by exceljs.
    expect(result.stderr).toMatch(/truncated\.xlsx: (cannot read the workbook|not a valid \.xlsx workbook) .*nothing was imported/);
    expect(snapshot(db)).toBe(before);
  });

  it('refuses a file whose header names no known column, says how to map it, and writes nothing', () => {
    const db = tempDb();
    custkit(['import', fixture('clients-fr-cp1252.csv')], { db });
    const before = snapshot(db);
    // A headerless, space-separated dump: its first line is read as the header.
    const dump = path.join(tempDir(), 'dump.txt');
    fs.writeFileSync(dump, ' 00004 0001 19970101  2   29.33\n 00004 0001 19970118  2   29.73\n');
    const result = custkit(['import', dump], { db });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/dump\.txt: no column is one custkit recognises \(header: "00004 0001 19970101  2   29\.33"\).*--delimiter.*--map "Column=field,…" \(contacts fields: external_id, .*nothing was imported/s);
    expect(snapshot(db)).toBe(before);
    const preview = custkit(['import', dump, '--dry-run'], { db });
    // The dry run shows what it read and gives the import's verdict and exit code.
    expect(preview.code).toBe(1);
    expect(preview.stdout).toContain('(kept in attributes)');
    expect(preview.stderr).toMatch(/\S*dump\.txt: no column is one custkit recognises/);
    // One column named --map, or a CRM's record id, is enough.
    expect(custkit(['import', dump, '--map', '00004 0001 19970101  2   29.33=external_id'], { db }).code).toBe(0);
    const named = path.join(tempDir(), 'named.csv');
    fs.writeFileSync(named, 'ID;frequency\n1;2\n2;1\n');
    const mapped = custkit(['import', named, '--json'], { db });
    expect(mapped.code).toBe(0);
    expect(JSON.parse(mapped.stdout)).toMatchObject({ imported: 2, rejected: 0 });
  });

  it('passes over a sheet of notes among --all-sheets, and refuses it when it is the sheet asked for', async () => {
    const db = tempDb();
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet('Clients').addRows([['Code client', 'Nom', 'Email'], ['C1', 'Durand', 'd@x.fr'], ['C2', 'Roux', 'r@x.fr']]);
    workbook.addWorksheet('Notes').addRows([['Remarques'], ['exporté par Paul'], ['à relancer en mars']]);
    const file = path.join(tempDir(), 'crm.xlsx');
    await workbook.xlsx.writeFile(file);
    const all = custkit(['import', file, '--all-sheets', '--json'], { db });
    expect(all.code).toBe(0);
    const [clients, notes] = JSON.parse(all.stdout);
    expect(clients).toMatchObject({ sheet: 'Clients', imported: 2 });
    expect(notes).toMatchObject({ sheet: 'Notes', skipped: true, imported: 0 });
    expect(notes.skip_reason).toMatch(/crm\.xlsx \[Notes\]: no column is one custkit recognises \(header: "Remarques"\)/);
    const text = custkit(['import', file, '--all-sheets', '--force'], { db });
    expect(text.stderr).toMatch(/\[Notes\]: no column is one custkit recognises .*; sheet skipped/);
    const asked = custkit(['import', file, '--sheet', 'Notes'], { db });
    expect(asked.code).toBe(1);
    expect(asked.stderr).toMatch(/\[Notes\]: no column is one custkit recognises.*nothing was imported/);
  });

  it('explains bad input with an exit code: unreadable file, wrong flag, bad mapping', () => {
    const db = tempDb();
    const missing = custkit(['import', 'nope.csv'], { db });
    expect(missing).toMatchObject({ code: 1 });
    expect(missing.stderr).toContain('nope.csv: no such file');
    const notWorkbook = custkit(['import', fixture('not-a-workbook.xlsx')], { db });
    expect(notWorkbook.code).toBe(1);
    expect(notWorkbook.stderr).toContain('not a valid .xlsx workbook');
    const binary = path.join(tempDir(), 'photo.csv');
    fs.writeFileSync(binary, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]));
    const notText = custkit(['import', binary], { db });
    expect(notText.code).toBe(1);
    expect(notText.stderr).toContain('photo.csv: not a text file');
    const flag = custkit(['import', fixture('clients-fr-cp1252.csv'), '--bogus'], { db });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("unknown option '--bogus'");
    const kind = custkit(['import', fixture('clients-fr-cp1252.csv'), '--kind', 'orders'], { db });
    expect(kind.code).toBe(2);
    const map = custkit(['import', fixture('clients-fr-cp1252.csv'), '--map', 'Ville=town'], { db });
    expect(map.code).toBe(2);
    expect(map.stderr).toContain('"town" is not a contacts field');
    expect(fs.existsSync(db) ? count(db, 'contacts') : 0).toBe(0);
  });

  it('uses CUSTKIT_DB when --db is not given, and db info lists the imports', () => {
    const dir = tempDir();
    const db = path.join(dir, 'env.db');
    expect(custkit(['import', fixture('clients-fr-cp1252.csv')], { env: { CUSTKIT_DB: db } }).code).toBe(0);
    const info = custkit(['db', 'info', '--json'], { env: { CUSTKIT_DB: db } });
    const parsed = JSON.parse(info.stdout);
    expect(parsed.tables.contacts).toBe(10);
    expect(parsed.schema_version).toBeGreaterThanOrEqual(1);
    expect(parsed.imports[0]).toMatchObject({ id: 1, kind: 'contacts', inserted: 10 });
    const text = custkit(['db', 'info'], { env: { CUSTKIT_DB: db } });
    expect(text.stdout).toMatch(/contacts\s*│\s*10/);
    expect(custkit(['db', 'info'], { db: path.join(dir, 'missing.db') }).code).toBe(1);
  });

  it.skipIf(!hasSharedData('excel'))('imports the Online Retail II sample (line-level, cancellations, missing customers)', () => {
    const db = tempDb();
    const result = custkit(['import', path.join(SHARED_DATA, 'excel/online_retail_II_sample.xlsx'), '--all-sheets', '--json'], { db });
    expect(result.code).toBe(3);
    const summaries = JSON.parse(result.stdout) as Array<{ rows_read: number; imported: number; rejected: number }>;
    expect(summaries.map((s) => s.rows_read)).toEqual([499, 499]);
    expect(summaries.reduce((n, s) => n + s.imported + s.rejected, 0)).toBe(998);
    const cancelled = query<{ n: number; positive: number }>(db, "SELECT count(*) AS n, sum(amount_minor > 0) AS positive FROM purchases WHERE order_ref LIKE 'C%'")[0]!;
    expect(cancelled.n).toBeGreaterThan(0);
    expect(cancelled.positive).toBe(0);
  });
});

if (!hasSharedData('excel')) console.warn('skipping the Online Retail II test: ../shared/data/excel is absent');
