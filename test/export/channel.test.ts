import { describe, expect, it } from 'vitest';
import { addSuppression } from '../../src/export/suppressions.js';
import { emailHash } from '../../src/export/keys.js';
import { addConsent, addContact, addEmailable, addScore, addScoreRun, makeStore } from './store.js';
import fs from 'node:fs';
import { exportFile, exportJsonl } from './run.js';
import { contestedAddresses, maxContactId, readSharedAddresses } from '../../src/export/bulk.js';

const emails = (rows: Record<string, unknown>[]): string[] => rows.map((r) => String(r.email)).sort();

describe('channel rules', () => {
  it('lists only valid addresses whose latest consent is granted', async () => {
    const { db } = makeStore();
    addEmailable(db, { email: 'granted@example.com' });
    addContact(db, { email: 'none@example.com' });
    const withdrawn = addContact(db, { email: 'withdrawn@example.com' });
    addConsent(db, withdrawn, 'email', 'granted', '2025-01-01 00:00:00');
    addConsent(db, withdrawn, 'email', 'withdrawn', '2025-03-01 00:00:00');
    const regranted = addContact(db, { email: 'regranted@example.com' });
    addConsent(db, regranted, 'email', 'withdrawn', '2025-01-01 00:00:00');
    addConsent(db, regranted, 'email', 'granted', '2025-03-01 00:00:00');
    // Same instant: the later row (higher id) is the current choice.
    const tie = addContact(db, { email: 'tie@example.com' });
    addConsent(db, tie, 'email', 'granted', '2025-03-01 00:00:00');
    addConsent(db, tie, 'email', 'withdrawn', '2025-03-01 00:00:00');
    const invalid = addContact(db, { email: 'not-valid@example', emailValid: 0 });
    addConsent(db, invalid, 'email', 'granted');
    const smsOnly = addContact(db, { email: 'smsconsent@example.com' });
    addConsent(db, smsOnly, 'sms', 'granted');
    // Row by row, and from the bulk reads (no address is shared here).
    for (const tuning of [{}, { bulkFrom: 0 }]) {
      const { rows } = await exportJsonl(db, {}, { tuning });
      expect(emails(rows)).toEqual(['granted@example.com', 'regranted@example.com']);
    }
  });

  it('decides every row exactly when the consents cannot be read in bulk', async () => {
    const { db } = makeStore();
    addEmailable(db, { email: 'granted@example.com' });
    const odd = addContact(db, { email: 'odd@example.com' });
    addConsent(db, odd, 'email', 'granted', '2025-01-01 00:00:00');
    addConsent(db, odd, 'email', 'withdrawn', '2025-01-01 🎉'); // later than 00:00:00 for SQLite (byte order)
    const shared = addContact(db, { email: 'shared@example.com', updatedAt: '2026-01-01 00:00:00' });
    addConsent(db, shared, 'email', 'granted', '2025-01-01 00:00:00');
    addConsent(db, addContact(db, { email: 'shared@example.com' }), 'email', 'withdrawn', '2024-01-01 00:00:00');
    for (const tuning of [{}, { bulkFrom: 0 }]) {
      expect(emails((await exportJsonl(db, {}, { tuning })).rows)).toEqual(['granted@example.com', 'shared@example.com']);
    }
    // On workers, CSV lines: with no bulk consents, no row goes without its line.
    const one = await exportFile(db, {}, { format: 'csv', parallel: { workers: 0 } });
    const many = await exportFile(db, {}, { format: 'csv', parallel: { workers: 2, rangeKeys: 2 } });
    expect(many.result.workers).toBe(2);
    expect(fs.readFileSync(many.file, 'utf8')).toBe(fs.readFileSync(one.file, 'utf8'));
    expect(many.result.rows).toBe(2);
  });

  it('gives one row per address: the most recently updated record', async () => {
    const { db } = makeStore();
    addEmailable(db, { email: 'same@example.com', firstName: 'Old', updatedAt: '2025-01-01 00:00:00' });
    addEmailable(db, { email: ' SAME@example.com', firstName: 'New', updatedAt: '2026-02-01 00:00:00' });
    addEmailable(db, { email: 'same@example.com', firstName: 'Middle', updatedAt: '2025-06-01 00:00:00' });
    const { rows, result } = await exportJsonl(db);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.first_name).toBe('New');
    expect(result.rows).toBe(1);
  });

  it('picks the most recent record among those selected, with segments and score filters', async () => {
    const { db } = makeStore();
    const run = addScoreRun(db);
    const older = addEmailable(db, { email: 'shared@example.com', firstName: 'Older', updatedAt: '2025-01-01 00:00:00' });
    const newer = addEmailable(db, { email: 'shared@example.com', firstName: 'Newer', updatedAt: '2026-01-01 00:00:00' });
    addScore(db, run, older, { segment: 'Champions', r: 5 });
    addScore(db, run, newer, { segment: 'Hibernating', r: 1 });
    const names = async (sel: Parameters<typeof exportJsonl>[1]) => (await exportJsonl(db, sel, { columns: ['first_name'] })).rows.map((r) => r.first_name);
    expect(await names({})).toEqual(['Newer']);
    expect(await names({ segments: ['champions'] })).toEqual(['Older']);
    expect(await names({ where: 'r >= 4' })).toEqual(['Older']);
    expect(await names({ where: 'r <= 2', segments: ['hibernating'] })).toEqual(['Newer']);
    expect(await names({ segments: ['champions', 'hibernating'] })).toEqual(['Newer']);
  });

  it('post: one letter per person and address, the most recently updated record', async () => {
    const { db } = makeStore();
    const base = { lastName: 'Roux', address: '1 rue Neuve', postalCode: '69001', city: 'Lyon', country: 'FR' };
    for (const [firstName, updatedAt] of [['Ann', '2025-01-01 00:00:00'], ['ANN ', '2026-01-01 00:00:00'], ['Paul', '2024-01-01 00:00:00']] as const) {
      addConsent(db, addContact(db, { ...base, firstName, updatedAt }), 'post', 'granted');
    }
    const { rows } = await exportJsonl(db, { channel: 'post' }, { columns: ['first_name'] });
    expect(rows.map((r) => r.first_name).sort()).toEqual(['ANN ', 'Paul']);
  });

  it('honours a withdrawal recorded on another record of the same address', async () => {
    const { db } = makeStore();
    addEmailable(db, { email: 'twice@example.com', updatedAt: '2026-01-01 00:00:00' });
    const older = addContact(db, { email: 'twice@example.com', updatedAt: '2024-01-01 00:00:00' });
    addConsent(db, older, 'email', 'withdrawn', '2026-05-01 00:00:00');
    expect((await exportJsonl(db)).rows).toHaveLength(0);
  });

  it('never lists a suppressed address, even with --include-unconsented', async () => {
    const { db } = makeStore();
    addEmailable(db, { email: 'keep@example.com', sms: '+33611111111' });
    addEmailable(db, { email: 'Gone@Example.com', sms: '+33622222222' });
    addContact(db, { email: 'noconsent@example.com' });
    addSuppression(db, '  gone@example.COM ', 'unsubscribed');
    expect(emails((await exportJsonl(db)).rows)).toEqual(['keep@example.com']);
    expect(emails((await exportJsonl(db, {}, { tuning: { bulkFrom: 0 } })).rows)).toEqual(['keep@example.com']);
    const internal = await exportJsonl(db, { includeUnconsented: true });
    expect(emails(internal.rows)).toEqual(['keep@example.com', 'noconsent@example.com']);
    const logged = db.prepare('SELECT include_unconsented FROM exports WHERE id = ?').get(internal.result.exportId) as { include_unconsented: number };
    expect(logged.include_unconsented).toBe(1);
    // Only a hash is stored, never the address.
    const stored = db.prepare('SELECT hash FROM suppressions').all() as { hash: string }[];
    expect(stored).toEqual([{ hash: emailHash('gone@example.com') }]);
  });

  it('applies an email unsubscribe to email only, a phone one to sms, and opposition everywhere', async () => {
    const { db } = makeStore();
    const a = addEmailable(db, { email: 'a@example.com', sms: '+33611111111' });
    addConsent(db, a, 'sms', 'granted');
    const b = addEmailable(db, { email: 'b@example.com', sms: '+33622222222' });
    addConsent(db, b, 'sms', 'granted');
    const c = addEmailable(db, { email: 'c@example.com', sms: '+33633333333' });
    addConsent(db, c, 'sms', 'granted');
    addSuppression(db, 'a@example.com', 'unsubscribed');
    addSuppression(db, '06 22 22 22 22', 'unsubscribed');
    addSuppression(db, '+33633333333', 'opposition');
    expect(emails((await exportJsonl(db, { channel: 'email' })).rows)).toEqual(['b@example.com']);
    const sms = await exportJsonl(db, { channel: 'sms' }, { columns: ['sms'] });
    expect(sms.rows.map((r) => r.sms)).toEqual(['+33611111111']);
  });

  it('post needs a complete address and consent for post; phone needs a valid phone', async () => {
    const { db } = makeStore();
    const full = addContact(db, { firstName: 'Ann', lastName: 'Roux', address: '1 rue Neuve', postalCode: '69001', city: 'Lyon', country: 'FR' });
    addConsent(db, full, 'post', 'granted');
    const partial = addContact(db, { firstName: 'Bea', address: '2 rue Neuve', city: 'Lyon' });
    addConsent(db, partial, 'post', 'granted');
    const phone = addContact(db, { phone: '+33478000000' });
    addConsent(db, phone, 'phone', 'granted');
    const post = await exportJsonl(db, { channel: 'post' }, { columns: ['first_name', 'postal_code'] });
    expect(post.rows).toEqual([{ first_name: 'Ann', postal_code: '69001' }]);
    const calls = await exportJsonl(db, { channel: 'phone' }, { columns: ['phone'] });
    expect(calls.rows).toEqual([{ phone: '+33478000000' }]);
  });

  it('selects by status and tag, and stops at --limit', async () => {
    const { db } = makeStore();
    addEmailable(db, { email: 'a@example.com', tags: ['VIP', 'newsletter'] });
    addEmailable(db, { email: 'b@example.com', tags: ['newsletter'] });
    addEmailable(db, { email: 'c@example.com', status: 'inactive', tags: ['vip'] });
    addEmailable(db, { email: 'd@example.com', status: 'merged', tags: ['vip'] });
    expect(emails((await exportJsonl(db, { tags: ['vip'] })).rows)).toEqual(['a@example.com']);
    expect(emails((await exportJsonl(db, { tags: ['vip'], status: 'all' })).rows)).toEqual(['a@example.com', 'c@example.com']);
    expect(emails((await exportJsonl(db, { status: 'inactive' })).rows)).toEqual(['c@example.com']);
    expect((await exportJsonl(db, { limit: 2 })).rows).toHaveLength(2);
  });

  it('after dedupe: an address shared only with merged records is the survivor\'s, unless a merged record holds a consent', async () => {
    const { db } = makeStore();
    // A survivor and two records merged into it (no consent of their own: dedupe moved them).
    const survivor = addEmailable(db, { email: 'kept@example.com', updatedAt: '2025-01-01 00:00:00' });
    addContact(db, { email: 'kept@example.com', status: 'merged', updatedAt: '2026-01-01 00:00:00' });
    addContact(db, { email: ' KEPT@example.com', status: 'merged', updatedAt: '2026-02-01 00:00:00' });
    // A merged record that still holds the person's latest choice: withdrawn, so the address is out.
    addEmailable(db, { email: 'withdrawn@example.com', updatedAt: '2025-01-01 00:00:00' });
    const merged = addContact(db, { email: 'withdrawn@example.com', status: 'merged' });
    addConsent(db, merged, 'email', 'withdrawn', '2026-03-01 00:00:00');
    // Two live records at one address: the more recent one takes it.
    addEmailable(db, { email: 'two@example.com', firstName: 'Older', updatedAt: '2025-01-01 00:00:00' });
    const newer = addEmailable(db, { email: 'two@example.com', firstName: 'Newer', updatedAt: '2026-01-01 00:00:00' });
    addContact(db, { email: 'two@example.com', status: 'merged' });

    const maxId = maxContactId(db);
    const all = readSharedAddresses(db, 'email_norm', maxId)!;
    expect(all.starts.length - 1).toBe(3);
    const contested = contestedAddresses(db, all, 'email')!;
    // Only the address of two live records, and the one where a merged record's consent counts, keep their group.
    expect(contested.starts.length - 1).toBe(2);
    expect(contested.groupOf[survivor]).toBe(0);
    expect(contested.groupOf[newer]).not.toBe(0);
    expect(contested.groupOf[merged]).not.toBe(0);
    // Without consent checks, a merged record's consent does not matter.
    expect(contestedAddresses(db, all, null)!.starts.length - 1).toBe(1);

    const expected = ['kept@example.com', 'two@example.com'];
    for (const tuning of [{}, { bulkFrom: 0 }]) expect(emails((await exportJsonl(db, {}, { tuning })).rows)).toEqual(expected);
    expect(emails((await exportJsonl(db, {}, { parallel: { workers: 2, rangeKeys: 2 } })).rows)).toEqual(expected);
    // The scan of contacts in chunks of one id: the merged records and their consents come from both workers.
    expect(emails((await exportJsonl(db, {}, { parallel: { workers: 2, rangeKeys: 2, scanKeys: 1 } })).rows)).toEqual(expected);
    expect((await exportJsonl(db, {}, { tuning: { bulkFrom: 0 }, columns: ['first_name'] })).rows.map((r) => r.first_name)).toContain('Newer');
    // CSV lines on workers: rows the consents leave out come without a line (select.ts); the same bytes.
    const none = addContact(db, { email: 'none@example.com' });
    addConsent(db, none, 'email', 'withdrawn');
    const one = await exportFile(db, {}, { format: 'csv', parallel: { workers: 0 } });
    const many = await exportFile(db, {}, { format: 'csv', parallel: { workers: 2, rangeKeys: 2, scanKeys: 3 } });
    expect(many.result.workers).toBe(2);
    expect(fs.readFileSync(many.file, 'utf8')).toBe(fs.readFileSync(one.file, 'utf8'));
    expect(fs.readFileSync(one.file, 'utf8').split('\n').filter((l) => l.includes('@')).map((l) => /[a-z]+@example\.com/.exec(l)![0]).sort()).toEqual(expected);
    expect(many.result.funnel).toMatchObject({ noConsent: 2, sameAddress: 1, written: 2 });
    // With a person-wide suppression, rows carry the person's identifiers (left out of rows without consent).
    addSuppression(db, 'two@example.com', 'opposition');
    const oneAgain = await exportFile(db, {}, { format: 'csv', parallel: { workers: 0 } });
    const manyAgain = await exportFile(db, {}, { format: 'csv', parallel: { workers: 2, rangeKeys: 2 } });
    expect(fs.readFileSync(manyAgain.file, 'utf8')).toBe(fs.readFileSync(oneAgain.file, 'utf8'));
    expect(manyAgain.result.funnel).toEqual(oneAgain.result.funnel);
    expect(manyAgain.result.funnel).toMatchObject({ noConsent: 2, suppressed: 2, written: 1 });
  });
});
