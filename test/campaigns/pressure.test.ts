/**
 * Members and marketing pressure on a store with an export history: each export records the people
 * it wrote (the same on one thread or on workers, with the address hashes suppressions use), and a cap
 * leaves out whoever was already sent N campaigns on the channel in the period, counted in the funnel.
 */
import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.js';
import { emailHash } from '../../src/export/keys.js';
import { addSuppression } from '../../src/export/suppressions.js';
import { setPressureDefault } from '../../src/campaigns/settings.js';
import { addConsent, addContact, addEmailable, addScore, addScoreRun, makeStore } from '../export/store.js';
import { showCampaign } from '../../src/campaigns/report.js';
import { exportFile, exportJsonl } from '../export/run.js';

function emailStore(n = 30): Db {
  const { db } = makeStore();
  for (let i = 0; i < n; i++) addEmailable(db, { email: `p${i}@example.fr`, tags: i % 2 ? ['odd'] : [] });
  return db;
}

interface Member {
  contact_id: number;
  address_hash: string;
  segment: string | null;
  rfm_cell: string | null;
}

function members(db: Db, exportId: number): Member[] {
  return db
    .prepare("SELECT contact_id, nullif(lower(hex(address_hash)), '') AS address_hash, segment, rfm_cell FROM export_members WHERE export_id = ? ORDER BY contact_id")
    .all(exportId) as Member[];
}

describe('export members', () => {
  it.each([
    { label: 'one thread', parallel: { workers: 0 } },
    { label: 'workers, small ranges', parallel: { workers: 2, rangeKeys: 4 } },
  ])('are the rows written, with their address hash ($label)', async ({ parallel }) => {
    const db = emailStore();
    addSuppression(db, 'p3@example.fr', 'unsubscribed'); // the rules hash addresses: the members reuse it
    const { rows, result } = await exportJsonl(db, { limit: 20 }, { parallel, columns: ['uid', 'email'] });
    expect(result.workers).toBe(parallel.workers);
    const recorded = members(db, result.exportId);
    expect(recorded.length).toBe(rows.length);
    expect(result.members).toBe(rows.length);
    const byId = new Map(db.prepare('SELECT id, email_norm FROM contacts').all().map((c) => [(c as { id: number }).id, (c as { email_norm: string }).email_norm]));
    expect(recorded.map((m) => m.address_hash)).toEqual(recorded.map((m) => emailHash(byId.get(m.contact_id)!)));
    expect(new Set(rows.map((r) => r.email))).toEqual(new Set(recorded.map((m) => byId.get(m.contact_id))));
  });

  it.each([
    { label: 'one thread', parallel: { workers: 0 }, columns: undefined },
    { label: 'workers, CSV lines', parallel: { workers: 2, rangeKeys: 3 }, columns: undefined },
    { label: 'workers, no score column written', parallel: { workers: 2, rangeKeys: 3 }, columns: ['email'] },
  ])('keep the segment and RFM cell of the export\'s score run, whatever later runs say ($label)', async ({ parallel, columns }) => {
    const db = emailStore(12);
    const run = addScoreRun(db);
    const ids = db.prepare('SELECT id FROM contacts ORDER BY id').pluck().all() as number[];
    // The last two are not scored in the run.
    ids.slice(0, 10).forEach((id, i) => addScore(db, run, id, { segment: i % 2 ? 'Champions' : 'At Risk', r: 1 + (i % 5), f: 2, m: 3 }));
    const { result } = await exportFile(db, {}, { format: 'csv', parallel, columns });
    expect(result.workers).toBe(parallel.workers);
    const recorded = members(db, result.exportId);
    expect(recorded).toHaveLength(12);
    const expected = ids.map((id, i) => [id, i < 10 ? (i % 2 ? 'Champions' : 'At Risk') : null, i < 10 ? `R${1 + (i % 5)} F2 M3` : null]);
    expect(recorded.map((m) => [m.contact_id, m.segment, m.rfm_cell])).toEqual(expected);
    // The run scored again (score --as-of the same day replaces its scores): the campaign keeps what was.
    db.prepare('UPDATE scores SET segment = ?, r_score = 5 WHERE run_id = ?').run('Hibernating', run);
    const shown = showCampaign(db, result.exportId);
    expect(shown.bySegment.map((b) => [b.group, b.members])).toEqual([['At Risk', 5], ['Champions', 5], ['(not scored)', 2]]);
    expect(shown.byRfmCell.find((b) => b.group === 'R1 F2 M3')?.members).toBe(2);
  });

  it('without a score run, members have no segment nor cell', async () => {
    const db = emailStore(5);
    for (const parallel of [{ workers: 0 }, { workers: 2, rangeKeys: 2 }]) {
      const { result } = await exportFile(db, {}, { format: 'csv', parallel });
      expect(members(db, result.exportId).map((m) => [m.segment, m.rfm_cell])).toEqual(Array.from({ length: 5 }, () => [null, null]));
    }
  });

  it('seeds are not members; post members hash the postal address', async () => {
    const db = emailStore(3);
    const id = addContact(db, { email: 'post@example.fr', address: '1 rue A', postalCode: '69001', city: 'Lyon', country: 'FR' });
    addConsent(db, id, 'post', 'granted');
    const { result } = await exportFile(db, { channel: 'post' }, { format: 'csv' });
    expect(members(db, result.exportId).map((m) => m.contact_id)).toEqual([id]);
    expect(members(db, result.exportId)[0]!.address_hash).toMatch(/^[0-9a-f]{64}$/);
    // Post members keep their segment and cell too.
    const run = addScoreRun(db);
    addScore(db, run, id, { segment: 'Loyal', r: 4, f: 4, m: 2 });
    const again = await exportFile(db, { channel: 'post' }, { format: 'csv' }, 'again');
    expect(members(db, again.result.exportId).map((m) => [m.contact_id, m.segment, m.rfm_cell])).toEqual([[id, 'Loyal', 'R4 F4 M2']]);
  });
});

describe('marketing pressure', () => {
  it('leaves out people sent N campaigns on the channel in the period, and the funnel counts them', async () => {
    const db = emailStore();
    await exportJsonl(db, { tags: ['odd'] }); // 15 people, twice
    await exportJsonl(db, { tags: ['odd'] });
    const capped = await exportJsonl(db, { pressure: { maxSends: 2, period: '30d' } });
    expect(capped.rows.length).toBe(15);
    expect(capped.rows.every((r) => Number(String(r.email).slice(1, -11)) % 2 === 0)).toBe(true);
    expect(capped.result.funnel).toMatchObject({ selected: 30, pressure: 15, written: 15 });
    expect(capped.result.pressure).toMatchObject({ maxSends: 2, period: '30d', origin: 'flags' });
    // Now odd people were sent 2, even ones 1: a cap of 1 leaves everyone out. Older exports do not count.
    expect((await exportJsonl(db, { pressure: { maxSends: 1, period: '30d' } })).result.funnel.pressure).toBe(30);
    db.prepare("UPDATE exports SET created_at = '2020-01-01 00:00:00'").run();
    expect((await exportJsonl(db, { pressure: { maxSends: 1, period: '30d' } })).result.funnel.pressure).toBe(0);
  });

  it('on workers too, and --include-unconsented lists are not campaigns', async () => {
    const db = emailStore();
    await exportJsonl(db, { includeUnconsented: true });
    await exportJsonl(db, { tags: ['odd'] });
    const capped = await exportJsonl(db, { pressure: { maxSends: 1, period: '4w' } }, { parallel: { workers: 2, rangeKeys: 5 } });
    expect(capped.result.workers).toBe(2);
    expect(capped.result.funnel).toMatchObject({ pressure: 15, written: 15 });
  });

  it("the store's default applies unless the export says otherwise; null lifts it", async () => {
    const db = emailStore(10);
    await exportJsonl(db, {});
    setPressureDefault(db, 'email', { maxSends: 1, period: '30d' });
    const byDefault = await exportJsonl(db, {});
    expect(byDefault.rows.length).toBe(0);
    expect(byDefault.result.pressure).toMatchObject({ origin: 'store default' });
    expect(byDefault.result.funnel.pressure).toBe(10);
    expect((await exportJsonl(db, { pressure: null })).rows.length).toBe(10);
    // sms has no default
    expect((await exportJsonl(db, { channel: 'sms' })).result.pressure).toBeNull();
  });

  it('post: the cap and postal returns are steps of the funnel in SQL', async () => {
    const { db } = makeStore();
    for (let i = 0; i < 4; i++) addConsent(db, addContact(db, { firstName: `N${i}`, address: `${i} rue A`, postalCode: '69001', city: 'Lyon', country: 'FR' }), 'post', 'granted');
    const first = await exportFile(db, { channel: 'post', limit: 2 }, { format: 'csv' });
    expect(first.result.members).toBe(2);
    const capped = await exportFile(db, { channel: 'post', pressure: { maxSends: 1, period: '30d' } }, { format: 'csv' });
    expect(capped.result.funnel).toMatchObject({ selected: 4, undeliverable: 0, pressure: 2, written: 2 });
  });
});
