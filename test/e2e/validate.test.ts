import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';
import { custkit, fixture, tempDb, tempDir, queryStore } from '../helpers/cli.js';
import { seedContacts, type SeedContact } from '../validate/seed.js';

const RAW = 'uid, email, phone, mobile, postal_code, country, first_name, last_name, civility, gender, updated_at, status';

function importedStore(): string {
  const db = tempDb();
  expect(custkit(['import', fixture('clients-fr-cp1252.csv')], { db }).code).toBe(0);
  expect(custkit(['import', fixture('contacts-en-bom.csv')], { db }).code).toBe(0);
  return db;
}

const rows = (db: string, sql: string): unknown[] => queryStore(db, sql);

describe('custkit validate', () => {
  it('reports per field, flags issues with example uids, exits 3, and leaves the data as imported', () => {
    const db = importedStore();
    const before = rows(db, `SELECT ${RAW} FROM contacts ORDER BY id`);
    const result = custkit(['validate'], { db });
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/^email\s+12\s+9\s+3\s+1$/m);
    expect(result.stdout).toMatch(/email:domain_typo\s+2/);
    expect(result.stdout).toMatch(/by email \(valid address \+ consent\):\s+\d+/);
    expect(result.stdout).toContain('Completeness');
    expect(rows(db, `SELECT ${RAW} FROM contacts ORDER BY id`)).toEqual(before);
    // the findings are recorded beside the raw values
    expect(rows(db, 'SELECT count(*) AS n FROM contacts WHERE validated_at IS NULL')).toEqual([{ n: 0 }]);
  });

  it('--json gives the same report to scripts, and --out writes one line per issue', () => {
    const db = importedStore();
    const out = path.join(tempDir(), 'issues.csv');
    const result = custkit(['--json', 'validate', '--out', out], { db });
    expect(result.code).toBe(3);
    const report = JSON.parse(result.stdout);
    const email = report.fields.find((f: { field: string }) => f.field === 'email');
    expect(email).toMatchObject({ filled: 12, valid: 9, invalid: 3, empty: 1 });
    const typo = email.issues.find((i: { code: string }) => i.code === 'domain_typo');
    expect(typo.examples).toHaveLength(2);
    const lines = fs.readFileSync(out, 'utf8').trim().split(/\r?\n/);
    expect(lines[0]).toBe('uid,field,value,issue,suggestion');
    expect(lines.some((l) => /,email,jp\.martin@gmial\.com,domain_typo,jp\.martin@gmail\.com$/.test(l))).toBe(true);
    expect(lines.length - 1).toBe(report.issuesWritten);
    expect(fs.statSync(out).mode & 0o077).toBe(0);
  });

  it('refuses bad flags with exit 2 and a missing store with exit 1, changing nothing', () => {
    const db = importedStore();
    const before = rows(db, 'SELECT count(*) AS n FROM contacts WHERE validated_at IS NOT NULL');
    const bad = custkit(['validate', '--require', 'email|fax'], { db });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown field "fax"');
    expect(custkit(['validate', '--country', 'Narnia'], { db }).code).toBe(2);
    expect(custkit(['validate', '--workers', 'many'], { db }).code).toBe(2);
    expect(rows(db, 'SELECT count(*) AS n FROM contacts WHERE validated_at IS NOT NULL')).toEqual(before);
    const missing = custkit(['validate'], { db: path.join(tempDir(), 'none.db') });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no custkit store');
  });

  it('exits 0 when every value is valid', () => {
    const db = tempDb();
    const handle = openStore(db);
    seedContacts(handle, [{ first_name: 'Jean', last_name: 'Dupont', email: 'jean@free.fr', phone: '06 12 34 56 78' }]);
    handle.close();
    expect(custkit(['validate'], { db }).code).toBe(0);
  });

  // 52,000 contacts: enough for workers (from 20,000), for the bulk path that drops and rebuilds the
  // indexes on the columns validate writes (from 50,000) and for a report on two threads (from 50,000).
  it('worker threads give exactly the results of one thread, and the indexes are all there after', () => {
    const db = tempDb();
    const handle = openStore(db);
    const samples: SeedContact[] = [
      { email: 'a@gmial.com', phone: '06 12 34 56 78', postal_code: '1000', country: 'France', first_name: 'JEAN', civility: 'Mme', gender: 'H' },
      { email: 'élodie@free.fr', mobile: '0590 12 34 56', postal_code: '2A000', last_name: 'de la tour', birth_date: '2090-01-01' },
      { email: 'contact@acme.fr', phone: '0470 12 34 56', country: 'BE', postal_code: '1000', siret: '73282932000075' },
      { email: 'x@yopmail.com', phone: '07 01 23 45 67', mobile: '01 42 68 53 00', first_name: 'X2' },
    ];
    const contacts: SeedContact[] = [];
    for (let i = 0; i < 52_000; i++) {
      const s = samples[i % samples.length]!;
      contacts.push({ ...s, email: s.email?.replace('@', `${i}@`), phone: s.phone?.replace(/56( 78)?$/, String(10 + (i % 90))) });
    }
    seedContacts(handle, contacts);
    const indexes = () => rows(db, "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name");
    handle.close();
    const before = indexes();
    const columns = 'email_valid, email_suggestion, phone_e164, phone_type, mobile_e164, sms_e164, postal_code_norm, country_code, address_complete, first_name_norm, last_name_norm, gender_norm, completeness, validation_issues';
    const withWorkers = custkit(['--json', 'validate', '--workers', '2'], { db });
    expect(withWorkers.code).toBe(3);
    const parallel = rows(db, `SELECT ${columns} FROM contacts ORDER BY id`);
    const alone = custkit(['--json', 'validate', '--all', '--workers', '0'], { db });
    expect(alone.code).toBe(3);
    expect(rows(db, `SELECT ${columns} FROM contacts ORDER BY id`)).toEqual(parallel);
    // the report of a store this large is read by two threads, unless --workers 0
    expect(JSON.parse(withWorkers.stdout)).toEqual(JSON.parse(alone.stdout));
    expect(rows(db, 'SELECT count(DISTINCT validation_issues) AS n FROM contacts')).toEqual([{ n: 4 }]);
    expect(indexes()).toEqual(before);
  });
});
