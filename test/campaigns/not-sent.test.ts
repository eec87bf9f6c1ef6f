/**
 * A campaign marked not sent (campaigns not-sent, export --preview): it leaves the pressure cap, is
 * listed as not sent, takes no results (refused with --campaign; rows found by name or address go to a
 * campaign sent), is audited, and --undo makes it count again. One with results cannot be marked.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.js';
import { importResults } from '../../src/campaigns/results.js';
import { CampaignError } from '../../src/campaigns/lookup.js';
import { markNotSent, markSent } from '../../src/campaigns/not-sent.js';
import { listCampaigns, showCampaign } from '../../src/campaigns/report.js';
import { addEmailable, makeStore } from '../export/store.js';
import { exportJsonl } from '../export/run.js';
import { fixture, tempDir } from '../helpers/cli.js';

const PEOPLE = ['jeanne.martin', 'louis.bernard', 'camille.petit', 'hugo.durand', 'lea.leroy', 'arthur.moreau', 'chloe.simon', 'jules.laurent'];

function store(): Db {
  const { db } = makeStore();
  for (const p of PEOPLE) addEmailable(db, { email: `${p}@example.fr` });
  return db;
}

async function capped(db: Db): Promise<number | null> {
  return (await exportJsonl(db, { pressure: { maxSends: 1, period: '30d' } })).result.funnel.pressure;
}

function audit(db: Db): { action: string; details: string }[] {
  return db.prepare("SELECT action, details FROM audit_log WHERE action LIKE 'campaigns.%' ORDER BY id").all() as { action: string; details: string }[];
}

describe('campaigns not-sent', () => {
  it('takes the campaign out of the pressure cap, lists it as not sent, and --undo puts it back', async () => {
    const db = store();
    await exportJsonl(db, {}); // #1: all 8
    expect(await capped(db)).toBe(8); // #2 (writes nobody)
    const change = markNotSent(db, 1, 'looked at the list');
    expect(change).toMatchObject({ id: 1, changed: true, reason: 'looked at the list', members: 8 });
    expect(await capped(db)).toBe(0); // #3 writes all 8: the cap counts it from now on
    markNotSent(db, 3);
    expect(await capped(db)).toBe(0); // #4 writes all 8
    markNotSent(db, 4);

    const listed = listCampaigns(db);
    expect(listed.map((c) => [c.id, c.sent])).toEqual([[4, false], [3, false], [2, true], [1, false]]);
    expect(listed.find((c) => c.id === 1)!.notSent).toMatchObject({ reason: 'looked at the list' });
    expect(showCampaign(db, 1).notSent?.at).toMatch(/^\d{4}-\d{2}-\d{2}/);

    // Marking twice changes nothing (no second audit entry).
    expect(markNotSent(db, 1, 'again')).toMatchObject({ changed: false, reason: 'looked at the list' });
    const undo = markSent(db, 1);
    expect(undo).toMatchObject({ changed: true, notSentAt: null, members: 8 });
    expect(markSent(db, 1).changed).toBe(false);
    expect(listCampaigns(db).find((c) => c.id === 1)).toMatchObject({ sent: true, notSent: null });
    expect((await exportJsonl(db, { pressure: { maxSends: 1, period: '30d' } })).result.funnel.pressure).toBe(8);
    expect(audit(db).map((a) => [a.action, JSON.parse(a.details).export_id])).toEqual([
      ['campaigns.not-sent', 1], ['campaigns.not-sent', 3], ['campaigns.not-sent', 4], ['campaigns.sent', 1],
    ]);
    expect(() => markNotSent(db, 99)).toThrow(CampaignError);
  });

  it('export --preview records the export as not sent at once; its name stays', async () => {
    const db = store();
    const preview = await exportJsonl(db, {}, { preview: true, name: 'Soldes' });
    expect(preview.result.preview).toBe(true);
    expect(preview.rows).toHaveLength(8); // the file is written as a send would be
    expect(listCampaigns(db)[0]).toMatchObject({ id: 1, name: 'Soldes', sent: false, notSent: { reason: 'export --preview' } });
    expect(await capped(db)).toBe(0);
    // A preview applies the cap like the send it previews.
    await exportJsonl(db, {});
    expect((await exportJsonl(db, { pressure: { maxSends: 1, period: '30d' } }, { preview: true })).result.funnel.pressure).toBe(8);
  });

  it('results: --campaign naming it is refused, nothing read; rows named for it go to the campaign sent', async () => {
    const db = store();
    await exportJsonl(db, {}, { name: "Soldes d'hiver", preview: true }); // #1, the preview
    const before = db.prepare('SELECT (SELECT count(*) FROM campaign_imports) + (SELECT count(*) FROM campaign_events)').pluck().get();
    await expect(importResults(db, fixture('campaigns/brevo-events.csv'), { campaign: 1 })).rejects.toThrow(/campaign #1 "Soldes d'hiver" is marked not sent .*no results can belong to it.*not-sent 1 --undo/);
    expect(db.prepare('SELECT (SELECT count(*) FROM campaign_imports) + (SELECT count(*) FROM campaign_events)').pluck().get()).toBe(before);
    // No campaign sent: the rows naming it match nothing, and say why.
    const alone = await importResults(db, fixture('campaigns/brevo-events.csv'));
    expect(alone.matched).toBe(0);
    expect(alone.unmatchedRows[0]!.reason).toContain('campaign #1 "Soldes d\'hiver" is marked not sent');
    // The real send, named the same: the file's campaign name finds it, not the preview.
    await exportJsonl(db, {}, { name: "Soldes d'hiver" }); // #2
    const copy = path.join(tempDir('custkit-not-sent-'), 'brevo.csv');
    fs.copyFileSync(fixture('campaigns/brevo-events.csv'), copy);
    fs.appendFileSync(copy, '\n'); // other bytes: read again
    const read = await importResults(db, copy);
    expect(read.campaigns.map((c) => c.id)).toEqual([2]);
    expect(db.prepare('SELECT count(*) FROM campaign_events WHERE export_id = 1').pluck().get()).toBe(0);
    // A campaign with results was sent: it cannot be marked not sent.
    expect(() => markNotSent(db, 2)).toThrow(/campaign #2: it has \d+ result event\(s\) from the mailing tool, so it was sent/);
    expect(listCampaigns(db).find((c) => c.id === 2)!.sent).toBe(true);
  });
});
