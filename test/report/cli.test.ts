/**
 * `custkit report` end to end on the bundled fixtures (imported, deduplicated and scored twice through the
 * CLI, as the demo does): its numbers equal those of `segments`, `validate` and `db info`; the terminal
 * summary fits 100 columns without colour; flags are checked; the HTML file is self-contained.
 */
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { custkit, fixture, queryStore, tempDb, tempDir } from '../helpers/cli.js';

const AS_OF = '2025-06-30';
let db: string;

function ok(args: string[], env?: NodeJS.ProcessEnv) {
  const result = custkit(args, { db, env });
  if (result.code > 3) throw new Error(`custkit ${args.join(' ')}: exit ${result.code}\n${result.stderr}`);
  return result;
}

function json<T>(args: string[]): T {
  return JSON.parse(ok(['--json', ...args]).stdout) as T;
}

beforeAll(() => {
  db = tempDb();
  ok(['import', fixture('clients-fr-cp1252.csv')]);
  ok(['import', fixture('contacts-en-bom.csv'), '--source', 'crm-uk']);
  ok(['import', fixture('purchases-fr.csv')]);
  ok(['import', fixture('workbook.xlsx'), '--all-sheets', '--source', 'boutique']);
  ok(['import', fixture('score-purchases.csv'), '--source', 'shop']);
  ok(['dedupe', '--apply']);
  ok(['score', '--as-of', '2024-12-31']);
  ok(['score', '--as-of', AS_OF]);
}, 120_000);

interface Row { segment: string; customers: number; revenueMinor: number; share: number; revenueShare: number; aovMinor: number | null }
interface ReportJson {
  asOf: string;
  baseline: string | null;
  contacts: { total: number; inFile: number; merged: number; erased: number; customers: number; prospects: number };
  revenueToDateMinor: number;
  fileHealth: { contacts: number; reachable: { email: number; sms: number; post: number }; invalid: Array<{ field: string; invalid: number; filled: number }>; required: { failing: number } };
  duplicates: { merges: number; contactsMerged: number };
  scores: { run: { id: number; asOf: string }; previous: { id: number } | null; segments: Row[]; migration: unknown[]; rfGrid: Array<{ customers: number }> };
  monthly: Array<{ month: string }>;
  headline: Record<string, { value: unknown; previous: unknown }>;
}

describe('custkit report: the same numbers as the other commands', () => {
  let report: ReportJson;
  beforeAll(() => {
    report = json<ReportJson>(['report', '--as-of', AS_OF]);
  });

  it('segments: the same table, the same migration, revenue to date = the segments total', () => {
    const segments = json<{ run: { id: number }; segments: Row[]; migration: unknown[] }>(['segments', '--run', String(report.scores.run.id), '--compare-previous']);
    expect(report.scores.run.asOf).toBe(AS_OF);
    expect(report.scores.segments.map(({ segment, customers, revenueMinor, share, revenueShare, aovMinor }) => ({ segment, customers, revenueMinor, share, revenueShare, aovMinor })))
      .toEqual(segments.segments.map(({ segment, customers, revenueMinor, share, revenueShare, aovMinor }) => ({ segment, customers, revenueMinor, share, revenueShare, aovMinor })));
    expect(report.scores.migration).toEqual(segments.migration);
    expect(report.revenueToDateMinor).toBe(segments.segments.reduce((sum, s) => sum + s.revenueMinor, 0));
    // Every scored contact is a contact of the file; customers are those with an order.
    const scored = segments.segments.reduce((sum, s) => sum + s.customers, 0);
    expect(scored).toBe(report.contacts.inFile);
    // Customers are the run's contacts with at least one order (score_runs.customers).
    const [run] = queryStore<{ customers: number }>(db, 'SELECT customers FROM score_runs WHERE id = ?', report.scores.run.id);
    expect(report.contacts.customers).toBe(run!.customers);
  });

  it('validate: the same contacts, reachability, invalid values and required-fields failures', () => {
    const validate = json<{ contacts: number; reachable: Record<'email' | 'sms' | 'post', { count: number }>; fields: Array<{ field: string; invalid: number; filled: number }>; required: { failing: number } }>(['validate']);
    expect(report.fileHealth.contacts).toBe(validate.contacts);
    expect(report.contacts.inFile).toBe(validate.contacts);
    expect(report.fileHealth.reachable).toEqual({ email: validate.reachable.email.count, sms: validate.reachable.sms.count, post: validate.reachable.post.count });
    expect(report.fileHealth.invalid).toEqual(validate.fields.filter((f) => f.invalid > 0).map((f) => ({ field: f.field, filled: f.filled, invalid: f.invalid })));
    expect(report.fileHealth.required.failing).toBe(validate.required.failing);
  });

  it('db info: the same contact rows; merged contacts counted', () => {
    const info = json<{ tables: Record<string, number> }>(['db', 'info']);
    expect(report.contacts.total).toBe(info.tables.contacts);
    expect(report.contacts.merged).toBeGreaterThan(0); // the fixtures hold duplicates that dedupe --apply merged
    expect(report.duplicates.contactsMerged).toBe(report.contacts.merged);
    expect(report.contacts.erased).toBe(0);
  });

  it('headline changes are measured from the previous score run', () => {
    expect(report.baseline).toBe('2024-12-31');
    expect(report.headline.customers!.previous).not.toBeNull();
    expect(report.monthly.map((m) => m.month)).toHaveLength(12);
    expect(json<ReportJson>(['report', '--as-of', AS_OF, '--months', '3']).monthly.map((m) => m.month)).toEqual(['2025-04', '2025-05', '2025-06']);
  });
});

describe('custkit report: terminal, flags, HTML', () => {
  it('the summary fits 100 columns and has no colour off a TTY, in English and French', () => {
    for (const lang of ['en', 'fr']) {
      const result = ok(['report', '--as-of', AS_OF, '--lang', lang], { NO_COLOR: undefined, FORCE_COLOR: undefined });
      expect(result.code).toBe(0);
      const lines = result.stdout.split('\n');
      expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThanOrEqual(100);
      expect(result.stdout).not.toMatch(/\x1b\[/);
      expect(result.stdout).toContain(lang === 'fr' ? 'Rapport clients' : 'Customer report');
      expect(result.stdout).toMatch(lang === 'fr' ? /Segments — calcul de score/ : /Segments — score run/);
    }
  });

  it('the language defaults to the locale', () => {
    expect(ok(['report', '--as-of', AS_OF], { LANG: 'fr_FR.UTF-8', LC_ALL: '' }).stdout).toContain('Rapport clients');
    expect(ok(['report', '--as-of', AS_OF], { LANG: 'en_GB.UTF-8', LC_ALL: '' }).stdout).toContain('Customer report');
  });

  it('refuses bad flags with exit 2 and a missing store with exit 1', () => {
    expect(custkit(['report', '--as-of', '2025-02-30'], { db }).code).toBe(2);
    expect(custkit(['report', '--months', '0'], { db }).code).toBe(2);
    expect(custkit(['report', '--lang', 'de'], { db }).code).toBe(2);
    const missing = custkit(['report'], { db: `${tempDir()}/none.db` });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no custkit store/);
  });

  it('--html writes one self-contained file (0600), with nothing to fetch and no script', () => {
    const out = `${tempDir()}/report.html`;
    const result = ok(['report', '--as-of', AS_OF, '--html', out, '--lang', 'fr']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(out);
    expect(fs.statSync(out).mode & 0o777).toBe(0o600);
    const html = fs.readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<html lang="fr">');
    expect(html).not.toMatch(/<script|<link|@import|url\((?!#)/i); // url(#id): a clip path inside the same SVG
    expect(html).not.toMatch(/\s(src|href)=/i);
    expect(html.match(/<svg/g)?.length).toBeGreaterThanOrEqual(5);
  });

  it('a store without purchases or scores still gets a report (no segments, no charts made up)', () => {
    const empty = tempDb();
    expect(custkit(['import', fixture('contacts-en-bom.csv')], { db: empty }).code).toBeLessThanOrEqual(3);
    const result = custkit(['--json', 'report', '--as-of', AS_OF], { db: empty });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as ReportJson & { cohorts: unknown[]; categories: unknown[] };
    expect(report.scores).toBeNull();
    expect(report.contacts.customers).toBe(0);
    expect(report.cohorts).toEqual([]);
    expect(report.categories).toEqual([]);
    const text = custkit(['report', '--as-of', AS_OF, '--lang', 'en'], { db: empty });
    expect(text.stdout).toContain('No score run');
  });
});
