import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { addSuppression, findAddressColumn, importSuppressions, SuppressionInputError, suppressionKey } from '../../src/export/suppressions.js';
import { emailHash, phoneHash } from '../../src/export/keys.js';
import { addEmailable, makeStore } from './store.js';
import { exportJsonl } from './run.js';
import { tempDir } from '../helpers/cli.js';

function write(name: string, text: string): string {
  const file = path.join(tempDir(), name);
  fs.writeFileSync(file, text);
  return file;
}

const count = (db: ReturnType<typeof makeStore>['db']): number => (db.prepare('SELECT count(*) AS n FROM suppressions').get() as { n: number }).n;

describe('suppressions', () => {
  it('keys an email by its trimmed lower-case form and a phone by E.164', () => {
    expect(suppressionKey(' Jeanne@Example.FR ', 'FR')).toEqual({ hash: emailHash('jeanne@example.fr'), keyType: 'email' });
    expect(suppressionKey('06 12 34 56 78', 'FR')).toEqual({ hash: phoneHash('+33612345678'), keyType: 'phone' });
    expect(suppressionKey('0033 6 12 34 56 78', 'FR')).toEqual({ hash: phoneHash('+33612345678'), keyType: 'phone' });
    expect(suppressionKey('+44 20 7946 0958', 'FR')?.hash).toBe(phoneHash('+442079460958'));
    expect(suppressionKey('not@valid', 'FR')).toBeNull();
    expect(suppressionKey('12', 'FR')).toBeNull();
  });

  it('adds one address once per kind', () => {
    const { db } = makeStore();
    expect(addSuppression(db, 'a@example.com', 'unsubscribed').added).toBe(true);
    expect(addSuppression(db, 'A@example.com ', 'unsubscribed').added).toBe(false);
    expect(addSuppression(db, 'a@example.com', 'bounced').added).toBe(true);
    expect(() => addSuppression(db, 'hello', 'bounced')).toThrow(SuppressionInputError);
    expect(count(db)).toBe(2);
  });

  it('finds the address column of mailing-tool exports by its header', () => {
    expect(findAddressColumn(['Email Address', 'First Name', 'UNSUB_TIME'])).toBe(0);
    expect(findAddressColumn(['contact_id', 'EMAIL', 'reason'])).toBe(1);
    expect(findAddressColumn(['Id', 'Adresse e-mail'])).toBe(1);
    expect(findAddressColumn(['Name', 'Phone Number'])).toBe(1);
    expect(findAddressColumn(['Name', 'Mobile'], 'mobile')).toBe(1);
    expect(() => findAddressColumn(['Name', 'City'])).toThrow(/no email or phone column/);
  });

  it('imports a Mailchimp-style unsubscribe CSV, reporting rejected rows by number', async () => {
    const { db } = makeStore();
    addEmailable(db, { email: 'stay@example.com' });
    addEmailable(db, { email: 'left@example.com' });
    const file = write('unsubscribed.csv', 'Email Address,First Name,UNSUB_TIME\n LEFT@example.com ,Léa,2026-01-02\nnot-an-address,X,2026-01-02\n,Y,\nother@example.com,Z,2026-01-03\nleft@example.com,Léa,2026-01-04\n');
    const summary = await importSuppressions(db, file, { kind: 'unsubscribed' });
    expect(summary).toMatchObject({ column: 'Email Address', rows: 5, added: 2, already: 1, empty: 1 });
    expect(summary.rejected).toEqual([{ row: 3, column: 'Email Address', reason: 'neither an email address nor a phone number' }]);
    expect((await exportJsonl(db, {}, { columns: ['email'] })).rows).toEqual([{ email: 'stay@example.com' }]);
  });

  it('imports phones (semicolon file, Windows-1252) and a headerless list', async () => {
    const { db } = makeStore();
    const phones = path.join(tempDir(), 'stop.csv');
    fs.writeFileSync(phones, iconv.encode('Nom;Téléphone\nAndré;06 12 34 56 78\nBob;+33 7 00 00 00 01\n', 'win1252'));
    const phoneSummary = await importSuppressions(db, phones, { kind: 'unsubscribed' });
    expect(phoneSummary).toMatchObject({ rows: 2, added: 2, rejected: [] });
    const plain = write('list.txt', 'one@example.com\ntwo@example.com\n');
    expect(await importSuppressions(db, plain, { kind: 'bounced' })).toMatchObject({ column: 'column 1', rows: 2, added: 2 });
    expect(count(db)).toBe(4);
  });

  it('reads the first sheet of an XLSX export', async () => {
    const { db } = makeStore();
    const file = path.join(tempDir(), 'bounces.xlsx');
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Bounces');
    sheet.addRow(['Email', 'Bounce type']);
    sheet.addRow(['hard@example.com', 'hard']);
    await workbook.xlsx.writeFile(file);
    expect(await importSuppressions(db, file, { kind: 'bounced' })).toMatchObject({ column: 'Email', added: 1 });
  });

  it('changes nothing when the file cannot be used', async () => {
    const { db } = makeStore();
    const file = write('odd.csv', 'Name,City\nAnn,Lyon\n');
    await expect(importSuppressions(db, file, { kind: 'unsubscribed' })).rejects.toThrow(/no email or phone column/);
    await expect(importSuppressions(db, write('e.csv', 'Email\na@example.com\n'), { kind: 'unsubscribed', column: 'Mail' })).rejects.toThrow(/--column "Mail"/);
    expect(count(db)).toBe(0);
    expect(db.inTransaction).toBe(false);
  });
});
