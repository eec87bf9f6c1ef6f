import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.js';
import { buildReport, type Report } from '../../src/report/build.js';
import { renderHtml } from '../../src/report/html.js';
import { langFromEnv } from '../../src/report/i18n.js';
import { bar, renderTerminal } from '../../src/report/terminal.js';
import { addLines } from '../score/store-helpers.js';
import { AS_OF, fixtureStore } from './fixture.js';

let db: Db;
let report: Report;

beforeEach(() => {
  db = fixtureStore();
  // A category name written by someone who knows HTML, and one far too long for any column.
  addLines(db, [
    { customer: 'A', order: 'A9', date: '2025-05-02', amount: 12, category: '<b>Bio & "Co"</b>', channel: 'Marketplace partenaire avec un nom vraiment beaucoup trop long pour une colonne' },
  ]);
  report = buildReport(db, { asOf: AS_OF, months: 6, baseline: '2024-12-31' });
});
afterEach(() => db.close());

describe('terminal summary', () => {
  it('fits 100 columns in both languages, long names cut with an ellipsis', () => {
    for (const lang of ['en', 'fr'] as const) {
      const text = renderTerminal(report, lang);
      for (const line of text.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(100);
      expect(text).toMatch(/  Marketplace partenaire ?… /);
    }
  });

  it('shows each headline with its change since the baseline', () => {
    const text = renderTerminal(report, 'en');
    expect(text).toMatch(/Customers\s+6\s+\+2/); // 4 at the baseline
    expect(text).toContain('change since 2024-12-31');
    expect(renderTerminal(report, 'fr')).toMatch(/Clients\s+6\s+\+2/);
  });

  it('draws bars in eighths of a cell', () => {
    expect(bar(1, 1, 4)).toBe('████');
    expect(bar(1, 2, 4)).toBe('██');
    expect(bar(1, 2, 1)).toBe('▌');
    expect(bar(3, 8, 1)).toBe('▍');
    expect(bar(0, 2, 4)).toBe('');
  });
});

describe('HTML report', () => {
  it('escapes values from the store, in the page and in the charts', async () => {
    const html = await renderHtml(report, 'en');
    expect(html).not.toContain('<b>Bio');
    expect(html).toContain('&lt;b&gt;Bio &amp; &quot;Co&quot;&lt;/b&gt;');
  });

  it('labels in the language asked, which defaults from the locale', async () => {
    expect(await renderHtml(report, 'fr')).toContain('<html lang="fr">');
    expect(langFromEnv({ LANG: 'fr_FR.UTF-8' })).toBe('fr');
    expect(langFromEnv({ LC_ALL: 'en_US.UTF-8', LANG: 'fr_FR.UTF-8' })).toBe('en');
    expect(langFromEnv({ LANG: 'de_DE.UTF-8' })).toBe('en');
  });

  it('leaves out the sections without data: no score run, no segment or CLV chart', async () => {
    const html = await renderHtml(report, 'en');
    expect(report.scores).toBeNull();
    expect(html).not.toContain('Segment migration');
    expect(html).not.toContain('Customer lifetime value');
    expect(html).toContain('No score run');
    expect(html).toContain('Satisfaction — Satisfaction');
  });
});
