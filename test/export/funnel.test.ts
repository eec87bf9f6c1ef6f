import { describe, expect, it } from 'vitest';
import { addSuppression } from '../../src/export/suppressions.js';
import { funnelLines, funnelVerdict, type Funnel } from '../../src/export/funnel.js';
import type { Db } from '../../src/store/db.js';
import { addConsent, addContact, addEmailable, makeStore } from './store.js';
import { exportFile, exportJsonl } from './run.js';

/**
 * A store where every step of the email funnel removes someone, in a `club` tag, plus people outside
 * the tag: 2 without a valid email, 3 without consent, 1 suppressed, 1 sharing its address with a
 * more recent record, 4 written (11 in the tag).
 */
function funnelStore(db: Db = makeStore().db): Db {
  const club = { tags: ['club'] };
  addContact(db, { ...club, email: null, firstName: 'NoEmail' });
  addContact(db, { ...club, email: 'broken@', emailValid: 0 });
  addContact(db, { ...club, email: 'never@example.com' });
  addConsent(db, addContact(db, { ...club, email: 'left@example.com' }), 'email', 'withdrawn');
  addConsent(db, addContact(db, { ...club, email: 'sms-only@example.com' }), 'sms', 'granted');
  addEmailable(db, { ...club, email: 'gone@example.com' });
  addSuppression(db, 'gone@example.com', 'unsubscribed');
  addEmailable(db, { ...club, email: 'twice@example.com', updatedAt: '2025-01-01 00:00:00' });
  addEmailable(db, { ...club, email: 'twice@example.com', updatedAt: '2026-02-01 00:00:00' });
  for (const name of ['a', 'b', 'c']) addEmailable(db, { ...club, email: `${name}@example.com` });
  addEmailable(db, { email: 'outside@example.com' });
  return db;
}

const EXPECTED: Omit<Funnel, 'overLimit' | 'written' | 'seeds'> = { channel: 'email', selected: 11, noAddress: 2, undeliverable: null, noConsent: 3, suppressed: 1, sameAddress: 1, pressure: null };

describe('export funnel', () => {
  it('counts each step once, in order, on one thread and on workers alike', async () => {
    const db = funnelStore();
    const one = await exportJsonl(db, { tags: ['club'] }, { parallel: { workers: 0 } });
    expect(one.rows).toHaveLength(4);
    expect(one.result.funnel).toEqual({ ...EXPECTED, overLimit: 0, written: 4, seeds: 0 });
    for (const width of [1, 3, 100]) {
      const many = await exportJsonl(db, { tags: ['club'] }, { parallel: { workers: 2, rangeKeys: width } });
      expect(many.result.workers).toBe(2);
      expect(many.result.funnel, `range width ${width}`).toEqual(one.result.funnel);
    }
  });

  it('--limit: the rows not examined are counted as beyond the limit, the same on workers', async () => {
    const db = funnelStore();
    for (const limit of [1, 3, 5, 50]) {
      const one = await exportJsonl(db, { tags: ['club'], limit }, { parallel: { workers: 0 } });
      const many = await exportJsonl(db, { tags: ['club'], limit }, { parallel: { workers: 2, rangeKeys: 2 } });
      const f = one.result.funnel;
      expect(f.written).toBe(Math.min(limit, 4));
      expect(f.selected).toBe(11);
      expect(f.noAddress + f.noConsent! + f.suppressed + f.sameAddress + f.overLimit + f.written).toBe(11);
      expect(many.result.funnel, `--limit ${limit}`).toEqual(f);
    }
  });

  it('an empty list says which step emptied it', async () => {
    const { db } = makeStore();
    for (let i = 0; i < 12; i++) addContact(db, { email: `p${i}@example.com`, tags: ['fair'] });
    const { result } = await exportJsonl(db, { tags: ['fair'] });
    expect(result.rows).toBe(0);
    expect(result.funnel.noConsent).toBe(12);
    expect(funnelVerdict(result.funnel, 'tag fair')).toBe('0 written: all 12 selected contacts lack email consent');
    const sms = await exportJsonl(db, { tags: ['fair'], channel: 'sms' });
    expect(funnelVerdict(sms.result.funnel, 'tag fair')).toBe('0 written: all 12 selected contacts have no mobile number');
    const none = await exportJsonl(db, { tags: ['nobody'] });
    expect(funnelVerdict(none.result.funnel, 'tag nobody')).toBe('0 written: no contact matches the selection (tag nobody)');
  });

  it('a short list names every step that removed people, the largest first; a full one says nothing more', async () => {
    const db = funnelStore();
    const { result } = await exportJsonl(db, { tags: ['club'] });
    expect(funnelVerdict(result.funnel, 'tag club')).toBe(
      'only 4 of 11 selected contacts written: 3 lack email consent, 2 have no valid email address, ' +
        '1 is suppressed (unsubscribed, bounced, opposition or erased), 1 shares their address with a more recently updated record',
    );
    const lines = funnelLines(result.funnel);
    expect(lines.map((l) => l.trim().replace(/\s+/g, ' '))).toEqual([
      'selected 11',
      '- no valid email address -2',
      '- no email consent -3',
      '- suppressed -1',
      '- same address as another record -1',
      '= written 4',
    ]);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1); // aligned
    const all = await exportJsonl(db, { tags: ['club'], includeUnconsented: true });
    expect(all.result.funnel.noConsent).toBeNull();
    expect(funnelVerdict(all.result.funnel, 'tag club')).toBeNull();
  });

  it('post: the same funnel from one statement', async () => {
    const { db } = makeStore();
    const full = { address: '1 rue A', postalCode: '69001', city: 'Lyon', tags: ['club'] };
    addContact(db, { ...full, address: null, email: null });
    addConsent(db, addContact(db, { ...full, firstName: 'Ann' }), 'post', 'granted');
    addConsent(db, addContact(db, { ...full, firstName: 'Bob' }), 'post', 'granted');
    addContact(db, { ...full, firstName: 'Cid' });
    const { result } = await exportFile(db, { tags: ['club'], channel: 'post' }, { format: 'csv' });
    expect(result.funnel).toEqual({ channel: 'post', selected: 4, undeliverable: 0, pressure: null, noAddress: 1, noConsent: 1, suppressed: 0, sameAddress: 0, overLimit: 0, written: 2, seeds: 0 });
    const limited = await exportFile(db, { tags: ['club'], channel: 'post', limit: 1 }, { format: 'csv' });
    expect(limited.result.funnel).toMatchObject({ selected: 4, overLimit: 1, written: 1 });
  });
});

describe('the verdict reads right for one person', () => {
  const funnel = (over: Partial<Funnel>): Funnel => ({
    channel: 'email', selected: 0, noAddress: 0, undeliverable: null, noConsent: 0, suppressed: 0, sameAddress: 0, pressure: null, overLimit: 0, written: 0, seeds: 0, ...over,
  });
  it('singular verbs for a count of one, plural otherwise', () => {
    expect(funnelVerdict(funnel({ selected: 1, suppressed: 1 }), 'all')).toBe('0 written: the one selected contact is suppressed (unsubscribed, bounced, opposition or erased)');
    expect(funnelVerdict(funnel({ selected: 2, noConsent: 1, noAddress: 1 }), 'all')).toBe('0 written: of 2 selected contacts, 1 has no valid email address, 1 lacks email consent');
    expect(funnelVerdict(funnel({ selected: 9, noConsent: 6, pressure: 1, written: 2 }), 'all')).toBe(
      'only 2 of 9 selected contacts written: 6 lack email consent, 1 was already sent the most email campaigns the pressure cap allows',
    );
  });
});
