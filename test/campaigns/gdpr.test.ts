/**
 * A person's campaign rows in the right of access (every row about them, with the campaigns as context)
 * and after erasure (their data gone, the campaigns' figures unchanged).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.js';
import { accessBundle } from '../../src/gdpr/access.js';
import { eraseContacts } from '../../src/gdpr/erase.js';
import { importResults } from '../../src/campaigns/results.js';
import { importReturns } from '../../src/campaigns/returns.js';
import { listCampaigns } from '../../src/campaigns/report.js';
import { addConsent, addEmailable, makeStore } from '../export/store.js';
import { exportFile, exportJsonl } from '../export/run.js';
import { fixture, tempDir } from '../helpers/cli.js';

/** Jeanne and Arthur, emailed (campaign #1) and written to (campaign #2, post); results and a return read. */
async function lived(): Promise<{ db: Db; jeanne: number; arthur: number }> {
  const { db } = makeStore();
  const jeanne = addEmailable(db, { email: 'jeanne.martin@example.fr', address: '12 rue A', postalCode: '69002', city: 'Lyon', country: 'FR' });
  const arthur = addEmailable(db, { email: 'arthur.moreau@example.fr', address: '22 bd B', postalCode: '59800', city: 'Lille', country: 'FR' });
  for (const id of [jeanne, arthur]) addConsent(db, id, 'post', 'granted');
  await exportJsonl(db, {}, { name: 'janvier' });
  await exportFile(db, { channel: 'post' }, { format: 'csv' });
  await importResults(db, fixture('campaigns/brevo-events.csv'), { campaign: 1 });
  const returns = path.join(tempDir(), 'pnd.csv');
  fs.writeFileSync(returns, `Email;Motif\njeanne.martin@example.fr;NPAI\nnot.here@example.fr;inconnu\njeanne.martin@example.fr;NPAI\n`);
  await importReturns(db, returns);
  return { db, jeanne, arthur };
}

describe('campaign rows and the GDPR', () => {
  it('access lists the person\'s members, events and returns, and the campaigns they belong to', async () => {
    const { db, jeanne } = await lived();
    const bundle = accessBundle(db, jeanne);
    expect(bundle.tables.export_members?.map((r) => r.export_id)).toEqual([1, 2]);
    expect(bundle.tables.campaign_events?.map((r) => r.event).sort()).toEqual(['clicked', 'delivered', 'opened']);
    expect(bundle.tables.postal_returns).toHaveLength(1);
    expect(bundle.context.exports?.map((e) => [e.id, e.channel, e.campaign_name])).toEqual([[1, 'email', 'janvier'], [2, 'post', null]]);
    expect(bundle.notes.join(' ')).not.toContain('does not record which people');
  });

  it('erasure empties the person\'s campaign data and keeps the campaigns\' figures', async () => {
    const { db, jeanne, arthur } = await lived();
    const before = listCampaigns(db).find((c) => c.id === 1)!.results;
    db.transaction(() => eraseContacts(db, [jeanne], { reason: 'request', source: 'gdpr erase', defaultCountry: 'FR' }))();
    expect(db.prepare('SELECT address_hash FROM export_members WHERE contact_id = ?').pluck().all(jeanne)).toEqual([null, null]);
    expect(db.prepare('SELECT DISTINCT at FROM campaign_events WHERE contact_id = ?').pluck().all(jeanne)).toEqual(['']);
    expect(db.prepare('SELECT count(*) FROM postal_returns WHERE contact_id = ?').pluck().get(jeanne)).toBe(0);
    // Arthur's rows are his own: untouched.
    expect(db.prepare("SELECT count(*) FROM campaign_events WHERE contact_id = ? AND at <> ''").pluck().get(arthur)).toBe(2);
    expect(listCampaigns(db).find((c) => c.id === 1)!.results).toEqual(before);
    // No row of any results file still holds her address.
    expect(JSON.stringify(db.prepare('SELECT raw FROM campaign_unmatched').pluck().all())).not.toContain('jeanne.martin');
  });
});

