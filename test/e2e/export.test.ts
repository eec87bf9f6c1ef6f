import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { BIN, custkit, fixture, tempDir } from '../helpers/cli.js';
import { addConsent, addContact, addEmailable, addScore, addScoreRun, makeStore } from '../export/store.js';

/** A small store made with SQL: three emailable people (one hostile name), one without consent, scores. */
function fixtureStore(extra = 0): string {
  const { db, file } = makeStore();
  const run = addScoreRun(db);
  addScore(db, run, addEmailable(db, { email: 'ann@example.com', firstName: 'Ann', city: 'Lyon', sms: '+33611111111' }), { segment: 'Champions', r: 5 });
  addScore(db, run, addEmailable(db, { email: 'bob@example.com', firstName: '=1+1', city: 'Paris' }), { segment: 'At Risk', r: 2 });
  addScore(db, run, addEmailable(db, { email: 'cid@example.com', firstName: 'Cid', city: 'Lyon' }), { segment: 'At Risk', r: 1 });
  const dan = addContact(db, { email: 'dan@example.com', firstName: 'Dan' });
  addConsent(db, dan, 'email', 'withdrawn');
  db.transaction(() => {
    for (let i = 0; i < extra; i++) addEmailable(db, { email: `bulk${i}@example.com`, firstName: `Bulk ${i}` });
  })();
  db.close();
  return file;
}

function exportsCount(dbFile: string): number {
  const { db } = makeStore(dbFile);
  try {
    return (db.prepare('SELECT count(*) AS n FROM exports').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('custkit export (built CLI)', () => {
  let db: string;
  beforeAll(() => {
    db = fixtureStore();
  });

  it('writes the list on stdout and the summary on stderr, so it pipes', () => {
    const result = custkit(['export', '--columns', 'email,first_name'], { db });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("email,first_name\r\nann@example.com,Ann\r\nbob@example.com,'=1+1\r\ncid@example.com,Cid\r\n");
    expect(result.stderr).toMatch(/exported 3 row\(s\) to stdout \(export #\d+/);
    const piped = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" --db "${db}" -q export --columns email --where 'city = "Lyon"' | tail -n +2 | sort -r`], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(piped.status).toBe(0);
    expect(piped.stdout).toBe('cid@example.com\r\nann@example.com\r\n');
    expect(piped.stderr).toBe('');
  });

  it('stops cleanly when the reader of stdout goes away, and records nothing', () => {
    const big = fixtureStore(30_000);
    const before = exportsCount(big);
    const piped = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" --db "${big}" export --columns email,first_name | head -n 2`], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(piped.stdout.split('\n').slice(0, 2)).toEqual(['email,first_name\r', 'ann@example.com,Ann\r']);
    expect(piped.stderr).not.toMatch(/unexpected failure|at .*\.js:\d+/);
    expect(exportsCount(big)).toBe(before);
  });

  it('infers XLSX from --out and writes a workbook Excel can open', async () => {
    const out = path.join(tempDir(), 'list.xlsx');
    const result = custkit(['export', '--segment', 'at-risk', '--out', out, '--json'], { db });
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as { rows: number; files: { path: string }[] };
    expect(summary.rows).toBe(2);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(out);
    const sheet = workbook.worksheets[0]!;
    expect(sheet.getRow(1).getCell(4).text).toBe('email');
    expect(sheet.rowCount).toBe(3);
  });

  it('gives exit 2 with the column of a --where mistake, and changes nothing', () => {
    const before = exportsCount(db);
    const result = custkit(['export', '--where', 'city = "Lyon" and r >> 4'], { db });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('found ">" at column 22');
    expect(result.stderr).toContain('city = "Lyon" and r >> 4\n');
    expect(result.stdout).toBe('');
    expect(custkit(['export', '--segment', 'nobody'], { db }).stderr).toMatch(/has no such segment \(it has: At Risk, Champions\)/);
    expect(custkit(['export', '--preset', 'sendgrid'], { db }).code).toBe(2);
    expect(custkit(['export', '--json'], { db }).code).toBe(2);
    expect(custkit(['export', '--limit', '0'], { db }).code).toBe(2);
    const missing = custkit(['export', '--out', path.join(tempDir(), 'no/such/dir/list.csv')], { db });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/does not exist/);
    expect(exportsCount(db)).toBe(before);
  });

  it('suppress, then export: the address is gone; --include-unconsented is spelled out and recorded', () => {
    const store = fixtureStore();
    expect(custkit(['suppress', 'ANN@example.com', '--reason', 'unsubscribed'], { db: store }).code).toBe(0);
    const file = path.join(tempDir(), 'bounces.csv');
    fs.writeFileSync(file, 'Email,Type\ncid@example.com,hard\nnonsense,hard\n');
    const imported = custkit(['suppress', '--import', file, '--reason', 'bounced'], { db: store });
    expect(imported.code).toBe(3);
    expect(imported.stderr).toMatch(/row 3, column "Email"/);
    expect(imported.stderr).not.toContain('nonsense');
    expect(custkit(['export', '--columns', 'email'], { db: store }).stdout).toBe('email\r\nbob@example.com\r\n');
    const internal = custkit(['export', '--columns', 'email', '--include-unconsented'], { db: store });
    expect(internal.stdout).toBe('email\r\nbob@example.com\r\ndan@example.com\r\n');
    expect(internal.stderr).toMatch(/must not be used for marketing/);
    expect(custkit(['export', '--include-unc'], { db: store }).code).toBe(2);
    const log = JSON.parse(custkit(['exports', '--json'], { db: store }).stdout) as { include_unconsented: boolean; row_count: number }[];
    expect(log[0]).toMatchObject({ include_unconsented: true, row_count: 2 });
    expect(custkit(['suppress', '--list'], { db: store }).stdout).toMatch(/bounced\s+email\s+1\nunsubscribed\s+email\s+1/);
  });

  it('from the bundled fixtures: import, export for Brevo, load a Mailchimp unsubscribe file, export again', () => {
    const store = path.join(tempDir(), 'fixtures.db');
    expect(custkit(['import', fixture('clients-fr-cp1252.csv')], { db: store }).code).toBeLessThanOrEqual(3);
    const before = custkit(['export', '--preset', 'brevo'], { db: store });
    expect(before.code).toBe(0);
    expect(before.stdout.split('\r\n')[0]).toBe('EMAIL;FIRSTNAME;LASTNAME;SMS;LANDLINE_NUMBER;EXT_ID;TAGS');
    expect(before.stdout).toContain('chloe.lefevre@free.fr;Chloé;Lefèvre;');
    expect(before.stdout).toContain('ines.garcia@yahoo.fr;');
    expect(before.stdout).not.toContain('jp.martin@gmial.com'); // opted out in the file
    const suppressed = custkit(['suppress', '--import', fixture('unsubscribed-mailchimp.csv')], { db: store });
    expect(suppressed.code).toBe(3); // one row is not an address
    expect(suppressed.stderr).toContain('2 suppressed');
    const after = custkit(['export', '--preset', 'brevo'], { db: store });
    expect(after.stdout).not.toContain('chloe.lefevre@free.fr');
    expect(after.stdout).not.toContain('ines.garcia@yahoo.fr');
    expect(after.stdout.split('\r\n').length).toBe(before.stdout.split('\r\n').length - 2);
  });

  it('seeds: add, export with seeds, trace the file and the address back to the export', () => {
    const store = fixtureStore();
    expect(custkit(['seeds', 'add', 'trap@traps.example', '--name', 'Camille Roux'], { db: store }).code).toBe(0);
    const out = path.join(tempDir(), 'partner.csv');
    const exported = custkit(['export', '--with-seeds', '1', '--out', out, '--preset', 'mailchimp'], { db: store });
    expect(exported.code).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toContain('trap@traps.example,Camille,Roux');
    const id = /export #(\d+)/.exec(exported.stderr)![1];
    const byFile = custkit(['seeds', 'trace', out], { db: store });
    expect(byFile.code).toBe(0);
    expect(byFile.stdout).toContain(`identical to export #${id}`);
    const byEmail = custkit(['seeds', 'trace', 'Trap@traps.example'], { db: store });
    expect(byEmail.stdout).toMatch(new RegExp(`^export #${id} .* row \\d`));
    expect(custkit(['seeds', 'list'], { db: store }).stdout).toContain('trap@traps.example  Camille Roux  in 1 export(s)');
    const normal = custkit(['export', '--columns', 'email'], { db: store });
    expect(normal.stdout).not.toContain('trap@');
    expect(custkit(['exports'], { db: store }).stdout).toMatch(/mailchimp/);
  });

  it('--workers: worker threads (the built worker) write the bytes one thread writes, on stdout and in files', () => {
    const store = fixtureStore(300);
    for (const args of [['--columns', 'email,first_name,city,sms,r'], ['--format', 'json'], ['--encoding', 'cp1252', '--delimiter', ';'], ['--preset', 'mailchimp']]) {
      const one = custkit(['export', '--workers', '0', ...args], { db: store });
      const many = custkit(['export', '--workers', '2', ...args], { db: store });
      expect(one.code).toBe(0);
      expect(many.code).toBe(0);
      expect(many.stdout).toBe(one.stdout);
    }
    const out = path.join(tempDir(), 'list.csv');
    const summary = custkit(['export', '--workers', '3', '--out', out, '--json'], { db: store });
    expect(summary.code).toBe(0);
    expect(JSON.parse(summary.stdout)).toMatchObject({ rows: 303, workers: 3 });
    expect(fs.readFileSync(out, 'utf8')).toBe(custkit(['export', '--workers', '0'], { db: store }).stdout);
    expect(custkit(['export', '--workers', 'many'], { db: store }).code).toBe(2);
  });
});
