import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import Papa from 'papaparse';
import { PRESETS } from '../../src/export/columns.js';
import { addConsent, addContact, addEmailable, addScore, addScoreRun, makeStore } from './store.js';
import { exportFile } from './run.js';

function csv(file: string, delimiter = ','): string[][] {
  return Papa.parse<string[]>(fs.readFileSync(file, 'utf8'), { delimiter, skipEmptyLines: true }).data;
}

function store(withScores = true) {
  const { db } = makeStore();
  const id = addEmailable(db, {
    email: 'Jeanne.Martin@Example.fr',
    firstName: 'Jeanne',
    lastName: 'Martin',
    sms: '+33612345678',
    phone: '+33478123456',
    address: '12, rue de la République',
    postalCode: '69002',
    city: 'Lyon',
    country: 'FR',
    birthDate: '1985-07-14',
    company: 'Soierie Martin',
    tags: ['vip', 'salon, 2025'],
  });
  addConsent(db, id, 'sms', 'granted');
  if (withScores) addScore(db, addScoreRun(db), id, { segment: 'Champions', r: 5, f: 4, m: 3, lastPurchase: '2026-03-10 14:30:00' });
  return db;
}

describe('mailing-tool presets', () => {
  it('mailchimp: documented headers, one-cell address, MM/DD birthday, comma-separated tags', async () => {
    const { file } = await exportFile(store(), {}, { format: 'csv', preset: 'mailchimp' });
    const [header, row] = csv(file);
    expect(header).toEqual(['Email Address', 'First Name', 'Last Name', 'Address', 'Phone Number', 'Birthday', 'Tags', 'Segment', 'Recency Score', 'Frequency Score', 'Monetary Score', 'Last Purchase']);
    expect(row).toEqual(['jeanne.martin@example.fr', 'Jeanne', 'Martin', '12 rue de la République  Lyon  69002  FR', '+33612345678', '07/14', 'vip,"salon, 2025"', 'Champions', '5', '4', '3', '2026-03-10']);
  });

  it('brevo: upper-case attributes, semicolons, SMS in E.164, dates dd-mm-yyyy', async () => {
    const { file } = await exportFile(store(), {}, { format: 'csv', preset: 'brevo' });
    const text = fs.readFileSync(file, 'utf8');
    expect(text.split('\r\n')[0]).toBe('EMAIL;FIRSTNAME;LASTNAME;SMS;LANDLINE_NUMBER;EXT_ID;TAGS;SEGMENT;RFM_R;RFM_F;RFM_M;LAST_PURCHASE');
    const [, row] = csv(file, ';');
    expect(row!.slice(0, 5)).toEqual(['jeanne.martin@example.fr', 'Jeanne', 'Martin', '+33612345678', '+33478123456']);
    expect(row![5]).toMatch(/^[0-9a-f-]{36}$/);
    expect(row!.slice(7)).toEqual(['Champions', '5', '4', '3', '10-03-2026']);
  });

  it('klaviyo: Email first (Phone Number first for sms), consent as Subscribe', async () => {
    const db = store();
    const email = csv((await exportFile(db, {}, { format: 'csv', preset: 'klaviyo' })).file);
    expect(email[0]).toEqual(['Email', 'Phone Number', 'First Name', 'Last Name', 'City', 'Zip Code', 'Country', 'Email Marketing Consent', 'Tags', 'Segment', 'Recency Score', 'Frequency Score', 'Monetary Score', 'Last Purchase Date']);
    expect(email[1]!.slice(0, 8)).toEqual(['jeanne.martin@example.fr', '+33612345678', 'Jeanne', 'Martin', 'Lyon', '69002', 'FR', 'Subscribe']);
    const sms = csv((await exportFile(db, { channel: 'sms' }, { format: 'csv', preset: 'klaviyo' })).file);
    expect(sms[0]!.slice(0, 2)).toEqual(['Phone Number', 'Email']);
    expect(sms[1]!.slice(0, 2)).toEqual(['+33612345678', 'jeanne.martin@example.fr']);
    expect(sms[1]![sms[0]!.indexOf('Email Marketing Consent')]).toBe('Subscribe');
  });

  it('klaviyo: internal lists say Unsubscribed or Never subscribed for people who did not consent', async () => {
    const db = store(false);
    const withdrawn = addContact(db, { email: 'left@example.com' });
    addConsent(db, withdrawn, 'email', 'withdrawn');
    addContact(db, { email: 'never@example.com' });
    const rows = csv((await exportFile(db, { includeUnconsented: true }, { format: 'csv', preset: 'klaviyo' })).file);
    const at = rows[0]!.indexOf('Email Marketing Consent');
    expect(rows.slice(1).map((r) => [r[0], r[at]])).toEqual([
      ['jeanne.martin@example.fr', 'Subscribe'],
      ['left@example.com', 'Unsubscribed'],
      ['never@example.com', 'Never subscribed'],
    ]);
  });

  it('hubspot: its property names, and numbered files past the rows-per-file limit', async () => {
    expect(PRESETS.hubspot!.maxRowsPerFile).toBe(1_048_576);
    const db = store(false);
    for (let i = 0; i < 4; i++) addEmailable(db, { email: `p${i}@example.com`, firstName: `P${i}` });
    const { file, result } = await exportFile(db, {}, { format: 'csv', preset: 'hubspot', maxRowsPerFile: 3 }, 'hubspot');
    expect(fs.existsSync(file)).toBe(false);
    expect(result.files.map((f) => path.basename(f.path))).toEqual(['hubspot-1.csv', 'hubspot-2.csv', 'hubspot-3.csv']);
    expect(result.files.map((f) => f.rows)).toEqual([2, 2, 1]);
    const parts = result.files.map((f) => csv(f.path));
    for (const part of parts) expect(part[0]).toEqual(['Email', 'First Name', 'Last Name', 'Phone Number', 'Mobile Phone Number', 'Street Address', 'City', 'Postal Code', 'Country/Region', 'Company Name']);
    expect(parts.flatMap((p) => p.slice(1).map((r) => r[0])).sort()).toEqual(['jeanne.martin@example.fr', 'p0@example.com', 'p1@example.com', 'p2@example.com', 'p3@example.com']);
    const logged = JSON.parse((db.prepare('SELECT files FROM exports WHERE id = ?').get(result.exportId) as { files: string }).files) as unknown[];
    expect(logged).toHaveLength(3);
  });

  it('leaves score columns out when the store has no score run', async () => {
    const { file } = await exportFile(store(false), {}, { format: 'csv', preset: 'brevo' });
    expect(csv(file, ';')[0]).toEqual(['EMAIL', 'FIRSTNAME', 'LASTNAME', 'SMS', 'LANDLINE_NUMBER', 'EXT_ID', 'TAGS']);
  });
});
