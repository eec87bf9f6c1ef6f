/**
 * The report's campaign results: the latest campaigns whose results were read, with the figures
 * `custkit campaigns` gives, in the terminal and the HTML file; nothing when no results were read.
 */
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../src/report/build.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { renderHtml } from '../../src/report/html.js';
import { importResults } from '../../src/campaigns/results.js';
import { listCampaigns } from '../../src/campaigns/report.js';
import { addEmailable, makeStore } from '../export/store.js';
import { exportJsonl } from '../export/run.js';
import { fixture } from '../helpers/cli.js';

const PEOPLE = ['jeanne.martin', 'louis.bernard', 'camille.petit', 'hugo.durand', 'lea.leroy', 'arthur.moreau', 'chloe.simon', 'jules.laurent'];
const TODAY = new Date().toISOString().slice(0, 10);

describe('report: campaign results', () => {
  it('lists the campaigns with results, newest first, with the figures of custkit campaigns', async () => {
    const { db } = makeStore();
    for (const p of PEOPLE) addEmailable(db, { email: `${p}@example.fr`, firstName: p.split('.')[0]! });
    await exportJsonl(db, {}, { name: 'Soldes' });
    await exportJsonl(db, {}, { name: 'No results yet' });
    expect(buildReport(db, { asOf: TODAY, sideThread: false }).campaigns).toEqual([]);

    await importResults(db, fixture('campaigns/brevo-events.csv'), { campaign: 1 });
    const report = buildReport(db, { asOf: TODAY, sideThread: false });
    const listed = listCampaigns(db).find((c) => c.id === 1)!;
    expect(report.campaigns).toEqual([{ id: 1, name: 'Soldes', channel: 'email', sentOn: TODAY, size: 8, results: listed.results }]);
    expect(report.campaigns[0]!.results).toMatchObject({ members: 8, unsubscribed: 1, complained: 1, hardBounced: 1 });

    const text = renderTerminal(report, 'en');
    expect(text).toContain('Campaign results');
    expect(text).toMatch(/#1 email Soldes\s+\d{4}-\d{2}-\d{2}\s+8\s+50%/);
    expect(text.split("\n").filter((line) => line.length > 100)).toEqual([]);
    const html = await renderHtml(report, 'fr');
    expect(html).toContain('Résultats des campagnes');
    expect(html).toContain('#1 Soldes');
    // A report dated before the campaign left shows none.
    expect(buildReport(db, { asOf: '2000-01-01', sideThread: false }).campaigns).toEqual([]);
    db.close();
  });
});
