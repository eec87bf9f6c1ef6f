import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { custkit, fixture, queryStore, tempDb, tempDir } from '../helpers/cli.js';

const query = queryStore;

function consentsOf(db: string, email: string): string[] {
  return query<{ channel: string; status: string }>(
    db,
    'SELECT k.channel, k.status FROM consents k JOIN contacts c ON c.id = k.contact_id WHERE c.email_norm = ? ORDER BY k.id',
    email,
  ).map((k) => `${k.channel}:${k.status}`);
}

function brevo(db: string, dir: string, name: string): string {
  const out = path.join(dir, name);
  const result = custkit(['export', '--preset', 'brevo', '--out', out], { db });
  expect(result.code, result.stderr).toBe(0);
  return fs.readFileSync(out, 'utf8');
}

describe('import: consent answers and typed values that cannot be read', () => {
  it('records nothing for an unreadable answer or date, lists row, column and value, and exits 3', () => {
    const db = tempDb();
    const result = custkit(['import', fixture('consent-values.csv')], { db });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('2 rows imported with values that could not be read');
    expect(result.stderr).toContain('row 3, column "Opt-in email": "peut-être"');
    expect(result.stderr).toContain('row 3, column "Date de création": "2024-13-01 10:00"');
    expect(result.stderr).toContain('row 4, column "Opt-in SMS": "maybe"');
    // "Oui." and "x" are yeses, "Acceptée" too; "désabonné" is a withdrawal; K2's date is not stored as text.
    expect(consentsOf(db, 'un@example.fr')).toEqual(['email:granted', 'sms:granted']);
    expect(consentsOf(db, 'deux@example.fr')).toEqual(['sms:withdrawn']);
    expect(consentsOf(db, 'trois@example.fr')).toEqual(['email:withdrawn']);
    expect(consentsOf(db, 'quatre@example.fr')).toEqual(['email:granted']);
    expect(consentsOf(db, 'cinq@example.fr')).toEqual(['email:withdrawn', 'sms:granted']);
    expect(query(db, "SELECT created_at FROM contacts WHERE external_id = 'K2'")).toEqual([{ created_at: null }]);
  });

  it('counts them in --json and keeps them for "custkit rejects", whose --out file fixes and re-imports them', () => {
    const db = tempDb();
    const dir = tempDir();
    const json = JSON.parse(custkit(['import', fixture('consent-values.csv'), '--json'], { db }).stdout);
    expect(json).toMatchObject({ imported: 5, rejected: 0, rows_with_unread_values: 2 });
    expect(json.unread_values.map((u: { row: number; column: string; value: string }) => [u.row, u.column, u.value])).toEqual([
      [3, 'Opt-in email', 'peut-être'], [3, 'Date de création', '2024-13-01 10:00'], [4, 'Opt-in SMS', 'maybe'],
    ]);
    const listed = JSON.parse(custkit(['rejects', '--json'], { db }).stdout);
    expect(listed.map((r: { row: number; row_imported: boolean }) => [r.row, r.row_imported])).toEqual([[3, true], [4, true]]);
    const fix = path.join(dir, 'fix.csv');
    expect(custkit(['rejects', '--import', '1', '--out', fix], { db }).code).toBe(0);
    const text = fs.readFileSync(fix, 'utf8');
    expect(text).toContain('peut-être');
    expect(text).toContain('Opt-in SMS: ""maybe"" is not a consent answer');
    // The user answers the two questions and re-imports the file: the consents are recorded, exit 0.
    fs.writeFileSync(fix, text.replace('peut-être', 'oui').replace('maybe', 'non').replace('2024-13-01 10:00', '2024-12-01'));
    const again = custkit(['import', fix, '--json'], { db });
    expect(again.code, again.stderr).toBe(0);
    expect(consentsOf(db, 'deux@example.fr')).toEqual(['sms:withdrawn', 'email:granted']);
    expect(consentsOf(db, 'trois@example.fr')).toEqual(['email:withdrawn', 'sms:withdrawn']);
    expect(query(db, "SELECT created_at FROM contacts WHERE external_id = 'K2'")).toEqual([{ created_at: '2024-12-01' }]);
  });

  it('rejects purchases whose amount or date cannot be read, naming row, column and value', () => {
    const db = tempDb();
    const result = custkit(['import', fixture('purchases-unreadable.csv'), '--json'], { db });
    expect(result.code).toBe(3);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ imported: 2, rejected: 3 });
    expect(json.unread_values.map((u: { row: number; column: string; value: string }) => [u.row, u.column, u.value])).toEqual([
      [3, 'order_date', '2024-13-01 10:00'], [4, 'amount', '12,3,4'], [5, 'amount', 'abc'],
    ]);
    expect(query(db, 'SELECT order_ref, amount_minor FROM purchases ORDER BY order_ref')).toEqual([
      { order_ref: 'A1', amount_minor: 1250 }, { order_ref: 'A5', amount_minor: 123450 },
    ]);
  });
});

describe('import: several rows of one file for the same person', () => {
  for (const into of ['an empty store', 'a store that has contacts']) {
    it(`a withdrawal wins over a later grant, and the summary shows the rows (into ${into})`, () => {
      const db = tempDb();
      const dir = tempDir();
      if (into !== 'an empty store') {
        fs.writeFileSync(path.join(dir, 'seed.csv'), 'Email;Nom\nsomeone@example.fr;Else\n');
        expect(custkit(['import', path.join(dir, 'seed.csv')], { db }).code).toBe(0);
      }
      const result = custkit(['import', fixture('same-person-twice.csv')], { db });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain('2 rows repeat a contact of an earlier row of the file (same customer code or email): row 15 (as row 9), row 20 (as row 4)');
      expect(result.stderr).toContain('2 contacts both granted and withdrew consent in this file; the withdrawal was kept');
      expect(result.stderr).toContain('email: rows 4 and 20');
      expect(result.stderr).toContain('sms: rows 9 and 15');
      expect(result.stderr).not.toContain('chloe');
      // Row 4 said "non" to the newsletter, row 20 "oui": the person is not mailed.
      const current = query<{ status: string }>(db,
        `SELECT k.status FROM consents k JOIN contacts c ON c.id = k.contact_id WHERE c.email_norm = 'chloe.petit@example.fr' AND k.channel = 'email'
         ORDER BY k.recorded_at DESC, k.id DESC LIMIT 1`);
      expect(current).toEqual([{ status: 'withdrawn' }]);
      const sms = query<{ status: string }>(db,
        `SELECT k.status FROM consents k JOIN contacts c ON c.id = k.contact_id WHERE c.email_norm = 'bruno.durand@example.fr' AND k.channel = 'sms'
         ORDER BY k.recorded_at DESC, k.id DESC LIMIT 1`);
      expect(sms).toEqual([{ status: 'withdrawn' }]);
      const exported = brevo(db, dir, 'brevo.csv');
      expect(exported.toLowerCase()).not.toContain('chloe.petit@example.fr');
      expect(exported).toContain('bruno.durand@example.fr');
      const json = JSON.parse(custkit(['import', fixture('same-person-twice.csv'), '--force', '--json'], { db }).stdout);
      expect(json).toMatchObject({ repeated_rows: 2, consent_conflicts: 2 });
      expect(json.repeated).toEqual([{ row: 15, first_row: 9 }, { row: 20, first_row: 4 }]);
    });
  }
});

describe('import: re-imports respect cleaning', () => {
  it('import, clean --fix --fix-typos, import --force of the same file: 0 updated, the Brevo export byte-identical', () => {
    const db = tempDb();
    const dir = tempDir();
    expect(custkit(['import', fixture('reimport-after-clean.csv')], { db }).code).toBe(0);
    expect(custkit(['clean', '--fix', '--fix-typos'], { db }).code).toBe(0);
    const before = brevo(db, dir, 'before.csv');
    const stored = query(db, 'SELECT * FROM contacts ORDER BY id');
    const again = custkit(['import', fixture('reimport-after-clean.csv'), '--force', '--json'], { db });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ imported: 0, updated: 0, unchanged: 3 });
    expect(brevo(db, dir, 'after.csv')).toBe(before);
    expect(query(db, 'SELECT * FROM contacts ORDER BY id')).toEqual(stored);
    expect(before).toContain('marie.dupont@hotmail.fr');
    expect(before).not.toMatch(/DUPONT|MARTIN|hotmial/);
  });

  it('a newer export with the old spellings changes nothing; a genuinely new value updates', () => {
    const db = tempDb();
    custkit(['import', fixture('reimport-after-clean.csv')], { db });
    custkit(['clean', '--fix', '--fix-typos'], { db });
    const result = custkit(['import', fixture('reimport-newer-export.csv'), '--json'], { db });
    expect(JSON.parse(result.stdout)).toMatchObject({ imported: 0, updated: 1, unchanged: 2 });
    expect(query(db, 'SELECT external_id, civility, first_name, last_name, email, phone, postal_code, city, country FROM contacts ORDER BY external_id')).toEqual([
      { external_id: 'C1', civility: 'Mme', first_name: 'Marie', last_name: 'Dupont', email: 'marie.dupont@hotmail.fr', phone: '+33698765432', postal_code: '75002', city: 'Paris', country: 'FR' },
      // Only the city is new (Bourg-en-Bresse -> Lyon); "+33 1 42 68 53 00" and "01000" are the stored values.
      { external_id: 'C2', civility: 'M.', first_name: 'Jean', last_name: 'Martin', email: 'jean.martin@gmail.com', phone: '+33142685300', postal_code: '01000', city: 'Lyon', country: 'FR' },
      { external_id: 'C3', civility: 'Mme', first_name: 'Lucie', last_name: 'Petit', email: 'lucie.petit@orange.fr', phone: '+33611223344', postal_code: '69001', city: 'Lyon', country: 'FR' },
    ]);
  });

  it('keeps a value clean replaced even when no normal form explains it (the clean history is read)', () => {
    const db = tempDb();
    const dir = tempDir();
    const file = path.join(dir, 'c.csv');
    fs.writeFileSync(file, 'Code client;Nom;Téléphone\nC1;Roux;06.98.76.54.32\n');
    custkit(['import', file], { db });
    custkit(['clean', '--fix'], { db });
    // A default country that reads the old spelling differently: only clean's record of it remains.
    custkit(['validate', '--country', 'BE'], { db });
    fs.writeFileSync(file, 'Code client;Nom;Téléphone\nC1;Roux;06.98.76.54.32\n\n');
    const result = custkit(['import', file, '--json'], { db });
    expect(JSON.parse(result.stdout)).toMatchObject({ updated: 0, unchanged: 1 });
    expect(query(db, "SELECT phone FROM contacts WHERE external_id = 'C1'")).toEqual([{ phone: '+33698765432' }]);
  });
});
