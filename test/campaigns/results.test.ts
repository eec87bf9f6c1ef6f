/**
 * Campaign results read from each tool's fixture (fixtures/campaigns/): the same story told four ways
 * (Jeanne opens and clicks, Louis unsubscribes, Camille hard-bounces, Hugo soft-bounces, Léa complains,
 * Arthur opens), plus one row about nobody. Counts, suppressions, activity dates, idempotence.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.js';
import { emailHash } from '../../src/export/keys.js';
import { importResults } from '../../src/campaigns/results.js';
import { setSoftBounceLimit } from '../../src/campaigns/settings.js';
import { listCampaigns, showCampaign } from '../../src/campaigns/report.js';
import { addEmailable, addScore, addScoreRun, makeStore } from '../export/store.js';
import { exportJsonl } from '../export/run.js';
import { fixture, tempDir } from '../helpers/cli.js';

const PEOPLE = ['jeanne.martin', 'louis.bernard', 'camille.petit', 'hugo.durand', 'lea.leroy', 'arthur.moreau', 'chloe.simon', 'jules.laurent'];

/** The eight people of the fixtures, emailable, scored, and one campaign (export #1) sent to all of them. */
async function campaignStore(name?: string): Promise<{ db: Db; ids: Record<string, number> }> {
  const { db } = makeStore();
  const run = addScoreRun(db);
  const ids: Record<string, number> = {};
  PEOPLE.forEach((p, i) => {
    ids[p] = addEmailable(db, { email: `${p}@example.fr`, firstName: p.split('.')[0]! });
    addScore(db, run, ids[p]!, { segment: i < 4 ? 'Champions' : 'At Risk', r: 5 - (i % 3), f: 4, m: 3 });
  });
  const { result } = await exportJsonl(db, {}, { name });
  expect(result.members).toBe(8);
  return { db, ids };
}

function suppressed(db: Db, person: string): string[] {
  return (db.prepare('SELECT kind FROM suppressions WHERE hash = ? ORDER BY kind').pluck().all(emailHash(`${person}@example.fr`)) as string[]);
}

function activity(db: Db, id: number): string | null {
  return db.prepare('SELECT last_activity_at FROM contacts WHERE id = ?').pluck().get(id) as string | null;
}

/** Everything a results import may change, to compare before and after. */
function snapshot(db: Db): string {
  const tables = ['campaign_events', 'campaign_imports', 'campaign_unmatched', 'suppressions', 'consents', 'audit_log', 'campaigns'];
  const rows = tables.map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all());
  return JSON.stringify([rows, db.prepare('SELECT id, last_activity_at FROM contacts ORDER BY id').all()]);
}

const TOOLS = [
  { file: 'brevo-events.csv', tool: 'Brevo', rows: 13, matched: 11, events: 11, ignored: 1 },
  { file: 'mailchimp-activity.csv', tool: 'Mailchimp', rows: 9, matched: 8, events: 8, ignored: 0 },
  { file: 'klaviyo-activity.csv', tool: 'Klaviyo', rows: 14, matched: 11, events: 11, ignored: 2 },
  { file: 'hubspot-recipients.xlsx', tool: 'HubSpot', rows: 14, matched: 11, events: 11, ignored: 2 },
];

describe('campaigns results: one fixture per tool', () => {
  it.each(TOOLS)('$tool ($file): counts, suppressions, a click as activity, an open not', async (t) => {
    const { db, ids } = await campaignStore();
    const s = await importResults(db, fixture(`campaigns/${t.file}`), { campaign: 1 });
    expect(s.tool).toBe(t.tool);
    expect({ rows: s.rows, matched: s.matched, unmatched: s.unmatched, events: s.eventsAdded }).toEqual({ rows: t.rows, matched: t.matched, unmatched: 1, events: t.events });
    expect(Object.values(s.ignored).reduce((a, b) => a + b, 0)).toBe(t.ignored);
    expect(s.unknown).toEqual({});
    expect(s.campaigns).toEqual([{ id: 1, name: null, rows: t.matched, how: 'given with --campaign' }]);
    // Hard bounce, unsubscribe, spam complaint: suppressed with the campaign as source; one soft bounce is not.
    expect(suppressed(db, 'camille.petit')).toEqual(['bounced']);
    expect(suppressed(db, 'louis.bernard')).toEqual(['unsubscribed']);
    expect(suppressed(db, 'lea.leroy')).toEqual(['unsubscribed']);
    expect(suppressed(db, 'hugo.durand')).toEqual([]);
    expect(db.prepare("SELECT DISTINCT source FROM suppressions WHERE source LIKE 'campaign #1%' ORDER BY 1").pluck().all()).toEqual(['campaign #1 (hard bounce)', 'campaign #1 (spam complaint)', 'campaign #1 (unsubscribe)']);
    expect(s.suppressed).toEqual({ hardBounces: 1, unsubscribes: 1, complaints: 1, softBounceStreaks: 0 });
    // The unsubscribe and the complaint are also the person's choice: a withdrawn email consent, dated, sourced.
    const withdrawn = db.prepare("SELECT contact_id, channel, status, source FROM consents WHERE source LIKE 'campaign #1%' ORDER BY contact_id").all();
    expect(withdrawn).toEqual([
      { contact_id: ids['louis.bernard'], channel: 'email', status: 'withdrawn', source: 'campaign #1 (unsubscribe)' },
      { contact_id: ids['lea.leroy'], channel: 'email', status: 'withdrawn', source: 'campaign #1 (spam complaint)' },
    ].sort((a, b) => a.contact_id! - b.contact_id!));
    expect(s.consentsWithdrawn).toBe(2);
    // Jeanne clicked on the 12th (mixed-case address in the file); Arthur only opened.
    expect(activity(db, ids['jeanne.martin']!)).toBe('2026-01-12');
    expect(activity(db, ids['arthur.moreau']!)).toBeNull();
    expect(s.activityMoved).toBe(1);
    // The stranger's row is kept, with why.
    const unmatched = db.prepare('SELECT reason FROM campaign_unmatched').pluck().all();
    expect(unmatched).toEqual(['not a member of campaign #1']);
    const [summary] = listCampaigns(db);
    expect(summary!.results).toMatchObject({ members: 8, opened: 2, clicked: 1, bounced: 2, hardBounced: 1, softBounced: 1, unsubscribed: 1, complained: 1 });
    // Every change is in the audit log, in the same transaction.
    expect(db.prepare("SELECT count(*) FROM audit_log WHERE action = 'campaigns.results'").pluck().get()).toBe(1);
  });

  it.each(TOOLS)('$tool: reading the same report again changes nothing', async (t) => {
    const { db } = await campaignStore();
    await importResults(db, fixture(`campaigns/${t.file}`), { campaign: 1 });
    const before = snapshot(db);
    const again = await importResults(db, fixture(`campaigns/${t.file}`), { campaign: 1 });
    expect(again.alreadyImported).not.toBeNull();
    expect(snapshot(db)).toBe(before);
  });

  it('the same events in another file (a copy with one more row) are added once', async () => {
    const { db } = await campaignStore();
    await importResults(db, fixture('campaigns/brevo-events.csv'), { campaign: 1 });
    const copy = path.join(tempDir(), 'brevo-later.csv');
    fs.writeFileSync(copy, `${fs.readFileSync(fixture('campaigns/brevo-events.csv'), 'utf8')}880114;47;arthur.moreau@example.fr;Soldes d'hiver;2026-01-12 09:00:00;2026-01-15 10:00:00;click;;;1768208400;1768471200;1768471200;https://boutique.example.fr/\n`);
    const suppressionsBefore = db.prepare('SELECT count(*) FROM suppressions').pluck().get();
    const s = await importResults(db, copy, { campaign: 1 });
    expect({ added: s.eventsAdded, known: s.eventsKnown }).toEqual({ added: 1, known: 11 });
    expect(db.prepare('SELECT count(*) FROM suppressions').pluck().get()).toBe(suppressionsBefore);
    expect(db.prepare("SELECT last_activity_at FROM contacts WHERE email_norm = 'arthur.moreau@example.fr'").pluck().get()).toBe('2026-01-15');
  });

  it('without --campaign: by the campaign name the export was given, then the tool id it learnt', async () => {
    const { db } = await campaignStore("Soldes d'hiver");
    const s = await importResults(db, fixture('campaigns/brevo-events.csv'));
    expect(s.campaigns).toEqual([{ id: 1, name: "Soldes d'hiver", rows: 11, how: 'named "Soldes d\'hiver" in column "campaign name"' }]);
    // The tool's campaign id is learnt: the Mailchimp file names the same campaign differently.
    expect(db.prepare('SELECT tool, tool_campaign_id FROM campaigns WHERE export_id = 1').get()).toEqual({ tool: 'Brevo', tool_campaign_id: '47' });
  });

  it('without --campaign or a known name: the most recent campaign holding each address, said so', async () => {
    const { db } = await campaignStore();
    await exportJsonl(db, { where: 'email starts with "j"' }); // campaign #2: Jeanne and Jules
    const s = await importResults(db, fixture('campaigns/klaviyo-activity.csv'));
    expect(s.campaigns.map((c) => [c.id, c.rows])).toEqual([[2, 3], [1, 8]]);
    expect(s.campaigns[0]!.how).toContain('the most recent campaign holding the address');
    expect(s.unmatchedRows).toEqual([{ row: 15, reason: 'campaign "Soldes d\'hiver" is not known and no campaign holds this address: pass --campaign ID' }]);
  });

  it("Mailchimp's unsubscribed and cleaned audience exports: UNSUB_TIME and CLEAN_TIME are the events, the campaign named in their columns", async () => {
    const { db, ids } = await campaignStore("Soldes d'hiver");
    const unsub = await importResults(db, fixture('campaigns/mailchimp-unsubscribed.csv'));
    expect(unsub.tool).toBe('Mailchimp');
    expect({ rows: unsub.rows, matched: unsub.matched, unmatched: unsub.unmatched }).toEqual({ rows: 3, matched: 2, unmatched: 1 });
    expect(unsub.campaigns).toEqual([{ id: 1, name: "Soldes d'hiver", rows: 2, how: 'named "Soldes d\'hiver" in column "UNSUB_CAMPAIGN_TITLE"' }]);
    expect(suppressed(db, 'louis.bernard')).toEqual(['unsubscribed']);
    expect(suppressed(db, 'lea.leroy')).toEqual(['unsubscribed']);
    // The withdrawal is dated at UNSUB_TIME.
    expect(db.prepare("SELECT recorded_at FROM consents WHERE contact_id = ? AND source LIKE 'campaign #1%'").pluck().get(ids['louis.bernard'])).toMatch(/^2026-01-13/);
    // The Mailchimp campaign id was learnt from UNSUB_CAMPAIGN_ID: the cleaned export finds the campaign by it.
    const cleaned = await importResults(db, fixture('campaigns/mailchimp-cleaned.csv'));
    expect(cleaned.campaigns).toEqual([{ id: 1, name: "Soldes d'hiver", rows: 1, how: 'named "8f3b1c2d4e" in column "CLEAN_CAMPAIGN_ID"' }]);
    expect(suppressed(db, 'camille.petit')).toEqual(['bounced']);
    expect(listCampaigns(db)[0]!.results).toMatchObject({ members: 8, hardBounced: 1, unsubscribed: 2, complained: 0 });
  });

  it("HubSpot's STATUSCHANGE is an unsubscribe only when portalSubscriptionStatus says UNSUBSCRIBED; temporary bounce categories are soft", async () => {
    const { db } = await campaignStore();
    const s = await importResults(db, fixture('campaigns/hubspot-recipients.xlsx'), { campaign: 1 });
    expect(s.ignored).toEqual({ SENT: 1, STATUSCHANGE: 1 });
    expect(suppressed(db, 'louis.bernard')).toEqual(['unsubscribed']);
    expect(suppressed(db, 'jules.laurent')).toEqual([]);
    expect(suppressed(db, 'hugo.durand')).toEqual([]); // MAILBOX_FULL: a soft bounce
  });

  it('soft bounces suppress the address once they are N in a row (setting)', async () => {
    const { db } = await campaignStore();
    setSoftBounceLimit(db, 2);
    await importResults(db, fixture('campaigns/mailchimp-activity.csv'), { campaign: 1 });
    expect(suppressed(db, 'hugo.durand')).toEqual([]);
    await exportJsonl(db, { where: 'email starts with "h"' }); // campaign #2: Hugo only (the others are suppressed or not)
    const s = await importResults(db, fixture('campaigns/brevo-events.csv'), { campaign: 2 });
    expect(s.suppressed.softBounceStreaks).toBe(1);
    expect(suppressed(db, 'hugo.durand')).toEqual(['bounced']);
    expect(db.prepare("SELECT source FROM suppressions WHERE kind = 'bounced' AND source LIKE '%soft%'").pluck().get()).toBe('campaign #2 (2 soft bounces in a row)');
  });

  it('show: by segment and RFM cell of the run the export read', async () => {
    const { db } = await campaignStore();
    await importResults(db, fixture('campaigns/brevo-events.csv'), { campaign: 1 });
    const detail = showCampaign(db, 1);
    expect(detail.bySegment.map((b) => [b.group, b.members, b.opened, b.bounced])).toEqual([['At Risk', 4, 1, 0], ['Champions', 4, 1, 2]]);
    expect(detail.byRfmCell.map((b) => b.group).sort()).toEqual(['R3 F4 M3', 'R4 F4 M3', 'R5 F4 M3']);
    expect(detail.byRfmCell.reduce((a, b) => a + b.members, 0)).toBe(8);
  });
});
