import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import Papa from 'papaparse';
import { PRESETS } from '../../src/export/columns.js';
import { SelectionError } from '../../src/export/select.js';
import { addSuppression } from '../../src/export/suppressions.js';
import type { Db } from '../../src/store/db.js';
import { addConsent, addContact, addEmailable, addScore, addScoreRun, makeStore } from './store.js';
import { exportFile } from './run.js';

function csv(file: string, delimiter = ','): string[][] {
  return Papa.parse<string[]>(fs.readFileSync(file, 'utf8'), { delimiter, skipEmptyLines: true }).data;
}

/** Rows as header -> value. */
function records(file: string, delimiter = ','): Record<string, string>[] {
  const [header, ...rows] = csv(file, delimiter);
  return rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i] ?? ''])));
}

function consentAt(db: Db, id: number, channel: string, at: string): void {
  db.prepare('UPDATE consents SET recorded_at = ? WHERE contact_id = ? AND channel = ?').run(at, id, channel);
}

/** Jeanne: every channel granted (consents recorded at known times), a region in her imported attributes. */
function store(withScores = true): { db: Db; id: number } {
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
  db.prepare(`UPDATE contacts SET attributes = '{"Région":"Auvergne-Rhône-Alpes","State/Region":"ARA"}' WHERE id = ?`).run(id);
  addConsent(db, id, 'sms', 'granted');
  addConsent(db, id, 'phone', 'granted');
  consentAt(db, id, 'email', '2025-03-01T09:30:00.000Z');
  consentAt(db, id, 'sms', '2025-04-02 10:00:00');
  if (withScores) addScore(db, addScoreRun(db), id, { segment: 'Champions', r: 5, f: 4, m: 3, lastPurchase: '2026-03-10 14:30:00' });
  return { db, id };
}

describe('mailing-tool presets', () => {
  it('mailchimp: documented headers, full address with state, SMS Phone Number, OPTIN_TIME', async () => {
    const { file } = await exportFile(store().db, {}, { format: 'csv', preset: 'mailchimp' });
    const [row] = records(file);
    expect(Object.keys(row!)).toEqual(['Email Address', 'First Name', 'Last Name', 'Address', 'Phone Number', 'SMS Phone Number', 'Birthday', 'Tags', 'OPTIN_TIME', 'Segment', 'Recency Score', 'Frequency Score', 'Monetary Score', 'Last Purchase']);
    expect(row).toMatchObject({
      'Email Address': 'jeanne.martin@example.fr',
      Address: '12 rue de la République  Lyon  ARA  69002  FR',
      'Phone Number': '+33478123456',
      'SMS Phone Number': '+33612345678',
      Birthday: '07/14',
      Tags: 'vip,"salon, 2025"',
      OPTIN_TIME: '2025-03-01 09:30:00',
      'Last Purchase': '2026-03-10',
    });
  });

  it('mailchimp and klaviyo import CSV only: --format xlsx is refused, naming the tool', async () => {
    for (const [preset, tool] of [['mailchimp', 'Mailchimp'], ['klaviyo', 'Klaviyo']] as const) {
      await expect(exportFile(store().db, {}, { format: 'xlsx', preset })).rejects.toThrow(SelectionError);
      await expect(exportFile(store().db, {}, { format: 'xlsx', preset })).rejects.toThrow(new RegExp(`--format xlsx: ${tool} imports CSV files only`));
    }
    await expect(exportFile(store().db, {}, { format: 'json', preset: 'brevo' })).rejects.toThrow(/Brevo imports CSV or XLSX files only/);
    expect((await exportFile(store().db, {}, { format: 'xlsx', preset: 'brevo' })).result.rows).toBe(1);
  });

  it('brevo: SMS and LANDLINE_NUMBER only for people whose consent on that channel is granted and not suppressed', async () => {
    const { db } = store(false);
    // Opt-in SMS = non: the SMS column stays empty (Brevo would treat the number as subscribed).
    const refused = addEmailable(db, { email: 'refused@example.com', sms: '+33610203040', phone: '+33478000001' });
    addConsent(db, refused, 'sms', 'withdrawn');
    const never = addEmailable(db, { email: 'never@example.com', sms: '+33610203041' });
    const stopped = addEmailable(db, { email: 'stopped@example.com', sms: '+33610203042' });
    addConsent(db, stopped, 'sms', 'granted');
    addSuppression(db, '+33610203042', 'unsubscribed');
    const { file } = await exportFile(db, {}, { format: 'csv', preset: 'brevo' });
    const rows = Object.fromEntries(records(file, ';').map((r) => [r.EMAIL, r]));
    expect(rows['jeanne.martin@example.fr']).toMatchObject({ SMS: '+33612345678', LANDLINE_NUMBER: '+33478123456' });
    expect(rows['refused@example.com']).toMatchObject({ SMS: '', LANDLINE_NUMBER: '' });
    expect(rows['never@example.com']!.SMS).toBe('');
    expect(rows['stopped@example.com']!.SMS).toBe('');
    expect(never).toBeGreaterThan(0);
    // On an SMS export, the email is written only for people who accept email.
    addConsent(db, refused, 'sms', 'granted');
    addConsent(db, refused, 'email', 'withdrawn');
    const sms = records((await exportFile(db, { channel: 'sms' }, { format: 'csv', preset: 'brevo' })).file, ';');
    expect(sms.find((r) => r.SMS === '+33610203040')!.EMAIL).toBe('');
  });

  it('brevo: --lang fr names the default attributes as a French account does', async () => {
    const { file } = await exportFile(store().db, {}, { format: 'csv', preset: 'brevo', lang: 'fr' });
    expect(fs.readFileSync(file, 'utf8').split('\r\n')[0]).toBe('EMAIL;PRENOM;NOM;SMS;LANDLINE_NUMBER;EXT_ID;TAGS;SEGMENT;RFM_R;RFM_F;RFM_M;DERNIER_ACHAT');
    const en = await exportFile(store().db, {}, { format: 'csv', preset: 'brevo' });
    expect(fs.readFileSync(en.file, 'utf8').split('\r\n')[0]).toBe('EMAIL;FIRSTNAME;LASTNAME;SMS;LANDLINE_NUMBER;EXT_ID;TAGS;SEGMENT;RFM_R;RFM_F;RFM_M;LAST_PURCHASE');
    await expect(exportFile(store().db, {}, { format: 'csv', preset: 'klaviyo', lang: 'fr' })).rejects.toThrow(/--lang fr/);
  });

  it('klaviyo: Phone Number first for sms, per-row consent and its timestamp for email and SMS', async () => {
    const { db } = store();
    const email = records((await exportFile(db, {}, { format: 'csv', preset: 'klaviyo' })).file);
    expect(Object.keys(email[0]!).slice(0, 13)).toEqual(['Email', 'Phone Number', 'First Name', 'Last Name', 'City', 'Region', 'Zip Code', 'Country', 'Email Marketing Consent', 'Email Marketing Consent Timestamp', 'SMS Marketing Consent', 'SMS Marketing Consent Timestamp', 'Tags']);
    expect(email[0]).toMatchObject({
      Email: 'jeanne.martin@example.fr',
      'Phone Number': '+33612345678',
      Region: 'ARA',
      'Email Marketing Consent': 'SUBSCRIBED',
      'Email Marketing Consent Timestamp': '2025-03-01T09:30:00Z',
      'SMS Marketing Consent': 'SUBSCRIBED',
      'SMS Marketing Consent Timestamp': '2025-04-02T10:00:00Z',
    });
    const sms = csv((await exportFile(db, { channel: 'sms' }, { format: 'csv', preset: 'klaviyo' })).file);
    expect(sms[0]!.slice(0, 2)).toEqual(['Phone Number', 'Email']);
    expect(sms[1]!.slice(0, 2)).toEqual(['+33612345678', 'jeanne.martin@example.fr']);
  });

  it('klaviyo: internal lists say UNSUBSCRIBED or NEVER_SUBSCRIBED for people who did not consent', async () => {
    const { db } = store(false);
    const withdrawn = addContact(db, { email: 'left@example.com' });
    addConsent(db, withdrawn, 'email', 'withdrawn');
    addContact(db, { email: 'never@example.com' });
    const rows = records((await exportFile(db, { includeUnconsented: true }, { format: 'csv', preset: 'klaviyo' })).file);
    expect(rows.map((r) => [r.Email, r['Email Marketing Consent']])).toEqual([
      ['jeanne.martin@example.fr', 'SUBSCRIBED'],
      ['left@example.com', 'UNSUBSCRIBED'],
      ['never@example.com', 'NEVER_SUBSCRIBED'],
    ]);
    expect(rows[2]!['Email Marketing Consent Timestamp']).toBe('');
  });

  it('hubspot: marketing contact status and legal basis per row, and numbered files past the rows-per-file limit', async () => {
    expect(PRESETS.hubspot!.maxRowsPerFile).toBe(1_048_576);
    const { db } = store(false);
    for (let i = 0; i < 4; i++) addEmailable(db, { email: `p${i}@example.com`, firstName: `P${i}` });
    const { file, result } = await exportFile(db, {}, { format: 'csv', preset: 'hubspot', maxRowsPerFile: 3 }, 'hubspot');
    expect(fs.existsSync(file)).toBe(false);
    expect(result.files.map((f) => path.basename(f.path))).toEqual(['hubspot-1.csv', 'hubspot-2.csv', 'hubspot-3.csv']);
    expect(result.files.map((f) => f.rows)).toEqual([2, 2, 1]);
    const parts = result.files.map((f) => csv(f.path));
    for (const part of parts) {
      expect(part[0]).toEqual(['Email', 'First Name', 'Last Name', 'Phone Number', 'Mobile Phone Number', 'Street Address', 'City', 'State/Region', 'Postal Code', 'Country/Region', 'Company Name', 'Marketing contact status', "Legal basis for processing contact's data"]);
    }
    expect(parts.flatMap((p) => p.slice(1).map((r) => r[0])).sort()).toEqual(['jeanne.martin@example.fr', 'p0@example.com', 'p1@example.com', 'p2@example.com', 'p3@example.com']);
    expect(parts[0]![1]!.slice(11)).toEqual(['true', 'Freely given consent from contact']);
    const logged = JSON.parse((db.prepare('SELECT files FROM exports WHERE id = ?').get(result.exportId) as { files: string }).files) as unknown[];
    expect(logged).toHaveLength(3);
  });

  it("splits at the tool's file size: every part under the limit, header on each, no row lost", async () => {
    expect(PRESETS.brevo!.maxBytesPerFile).toBe(250_000_000);
    expect(PRESETS.klaviyo!.maxBytesPerFile).toBe(50_000_000);
    expect(PRESETS.hubspot!.maxBytesPerFile).toBe(20_000_000);
    const { db } = makeStore();
    for (let i = 0; i < 40; i++) addEmailable(db, { email: `person${i}@example.com`, firstName: `Prénom ${i}` });
    const { result } = await exportFile(db, {}, { format: 'csv', preset: 'brevo', maxBytesPerFile: 1200 }, 'brevo');
    expect(result.files.length).toBeGreaterThan(1);
    let rows = 0;
    for (const f of result.files) {
      expect(fs.statSync(f.path).size).toBeLessThanOrEqual(1200);
      const part = csv(f.path, ';');
      expect(part[0]![0]).toBe('EMAIL');
      rows += part.length - 1;
    }
    expect(rows).toBe(40);
  });

  it('leaves score columns out when the store has no score run', async () => {
    const { file } = await exportFile(store(false).db, {}, { format: 'csv', preset: 'brevo' });
    expect(csv(file, ';')[0]).toEqual(['EMAIL', 'FIRSTNAME', 'LASTNAME', 'SMS', 'LANDLINE_NUMBER', 'EXT_ID', 'TAGS']);
  });
});
