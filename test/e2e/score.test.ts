import Database from 'better-sqlite3-multiple-ciphers';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';
import { custkit, fixture, hasSharedData, SHARED_DATA, tempDb, tempDir } from '../helpers/cli.js';
import { loadCdnow } from '../score/cdnow-data.js';

/** A store holding fixtures/score-purchases.csv (12 customers C01..C12; expected values worked out by hand). */
function fixtureStore(): string {
  const db = tempDb();
  const imported = custkit(['import', fixture('score-purchases.csv')], { db });
  expect(imported.code).toBe(0);
  return db;
}

function segmentsByCustomer(db: string, runId: number): Record<string, string> {
  const store = new Database(db, { readonly: true });
  const rows = store
    .prepare('SELECT c.external_id AS ext, s.segment FROM scores s JOIN contacts c ON c.id = s.contact_id WHERE s.run_id = ?')
    .all(runId) as Array<{ ext: string; segment: string }>;
  store.close();
  return Object.fromEntries(rows.map((r) => [r.ext, r.segment]));
}

function dump(db: string): unknown[] {
  const store = new Database(db, { readonly: true });
  const rows = store.prepare('SELECT * FROM scores ORDER BY run_id, contact_id').all();
  store.close();
  return rows;
}

describe('custkit score / segments on the fixture', () => {
  it('scores and segments every customer as worked out by hand', () => {
    const db = fixtureStore();
    const result = custkit(['--json', 'score', '--as-of', '2025-06-30'], { db });
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ runId: 1, replaced: false, customers: 10, prospects: 1, noNetPurchase: 1, method: 'rfm', segmentMap: 'rfm10' });
    expect(segmentsByCustomer(db, 1)).toEqual({
      C01: 'Champions', C02: 'Loyal', C03: 'About To Sleep', C04: 'Need Attention', C05: "Can't Lose Them",
      C06: 'Hibernating', C07: 'Hibernating', C08: 'Promising', C09: 'At Risk', C10: 'New', C11: 'prospect', C12: 'no net purchase',
    });
  });

  it('prints the segment table: customers, shares, revenue, average order, median recency', () => {
    const db = fixtureStore();
    expect(custkit(['score', '--as-of', '2025-06-30'], { db }).code).toBe(0);
    const json = custkit(['--json', 'segments'], { db });
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout).segments as Array<Record<string, unknown>>;
    const hibernating = rows.find((r) => r.segment === 'Hibernating')!;
    // C06 (20.00, 1 order, 180 days) and C07 (90.00 net, 1 order, 272 days); revenue of the run: 2,255.00 - 30.00
    expect(hibernating).toMatchObject({ customers: 2, revenueMinor: 11000, aovMinor: 5500, medianRecencyDays: 226 });
    expect(hibernating.share).toBeCloseTo(2 / 12, 6);
    expect(hibernating.revenueShare).toBeCloseTo(11000 / 222500, 6);
    // C12 only returned something: its -30.00 is not a prospect's; the table adds up to the net revenue.
    expect(rows.find((r) => r.segment === 'prospect')).toMatchObject({ customers: 1, revenueMinor: 0, aovMinor: null, medianRecencyDays: null });
    expect(rows.find((r) => r.segment === 'no net purchase')).toMatchObject({ customers: 1, revenueMinor: -3000, aovMinor: null, medianRecencyDays: null });
    expect(rows.reduce((sum, r) => sum + (r.revenueMinor as number), 0)).toBe(222500);
    expect(JSON.parse(json.stdout).total).toEqual({ customers: 12, revenueMinor: 222500 });
    const text = custkit(['segments'], { db });
    expect(text.stdout).toMatch(/Can't Lose Them\s.*\s1\s.*8\.3%\s.*1,200\.00\s.*53\.9%\s.*240\.00\s.*121/);
  });

  it('--compare-previous prints the migration matrix between the previous and the latest run', () => {
    const db = fixtureStore();
    expect(custkit(['score', '--as-of', '2024-12-31'], { db }).code).toBe(0);
    expect(custkit(['score', '--as-of', '2025-06-30'], { db }).code).toBe(0);
    const result = custkit(['--json', 'segments', '--compare-previous'], { db });
    expect(result.code).toBe(0);
    const { migration, previous, run } = JSON.parse(result.stdout);
    expect([previous.asOf, run.asOf]).toEqual(['2024-12-31', '2025-06-30']);
    expect(migration).toEqual([
      { from: 'Hibernating', to: 'At Risk', customers: 1 },
      { from: 'Loyal', to: "Can't Lose Them", customers: 1 },
      { from: 'Potential Loyalists', to: 'Hibernating', customers: 1 },
      { from: 'Promising', to: 'Loyal', customers: 1 },
      { from: 'prospect', to: 'About To Sleep', customers: 1 },
      { from: 'prospect', to: 'Champions', customers: 1 },
      { from: 'prospect', to: 'Hibernating', customers: 1 },
      { from: 'prospect', to: 'Need Attention', customers: 1 },
      { from: 'prospect', to: 'New', customers: 1 },
      { from: 'prospect', to: 'Promising', customers: 1 },
      { from: 'prospect', to: 'no net purchase', customers: 1 },
      { from: 'prospect', to: 'prospect', customers: 1 },
    ]);
    const table = custkit(['segments', '--compare-previous'], { db });
    expect(table.stdout).toMatch(/Loyal\s/);
    expect(table.stderr).toMatch(/migration from run 1 \(as of 2024-12-31\) to run 2 \(as of 2025-06-30\)/);
  });

  it('re-running the same as-of date and method replaces the run and gives the same scores', () => {
    const db = fixtureStore();
    expect(custkit(['score', '--as-of', '2025-06-30', '--method', 'rfmcca'], { db }).code).toBe(0);
    const before = dump(db);
    const again = custkit(['score', '--as-of', '2025-06-30', '--method', 'rfmcca'], { db });
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/run 1 \(replaced\)/);
    expect(dump(db)).toEqual(before);
  });

  it('affinities lists rules by lift and stores the next-best category', () => {
    const db = fixtureStore();
    expect(custkit(['score', '--as-of', '2025-06-30'], { db }).code).toBe(0);
    const result = custkit(['--json', 'affinities'], { db });
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.rules[0]).toMatchObject({ antecedent: ['Books', 'Music'], consequent: 'Games', customers: 2 });
    expect(out.rules[0].lift).toBeCloseTo(5 / 3, 6);
    expect(out.withNextBest).toBe(3);
    const store = new Database(db, { readonly: true });
    const nextBest = store
      .prepare("SELECT c.external_id, s.next_best_category FROM scores s JOIN contacts c ON c.id = s.contact_id WHERE s.next_best_category IS NOT NULL ORDER BY 1")
      .raw()
      .all();
    store.close();
    expect(nextBest).toEqual([['C02', 'Games'], ['C08', 'Games'], ['C10', 'Games']]);
  });
});

describe('custkit score: other binnings and maps', () => {
  it('--binning thresholds scores against the user cut points', () => {
    const db = fixtureStore();
    const cuts = path.join(tempDir(), 'cuts.json');
    fs.writeFileSync(cuts, JSON.stringify({ recency: [7, 30, 90, 180], frequency: [1, 2, 3, 4], monetary: [25, 50, 100, 500] }));
    const result = custkit(['--json', 'score', '--as-of', '2025-06-30', '--binning', 'thresholds', '--thresholds', cuts], { db });
    expect(result.code).toBe(0);
    const store = new Database(db, { readonly: true });
    const rows = store
      .prepare("SELECT c.external_id, s.r_score, s.f_score, s.m_score FROM scores s JOIN contacts c ON c.id = s.contact_id WHERE c.external_id IN ('C01', 'C05', 'C09', 'C10') ORDER BY 1")
      .raw()
      .all();
    store.close();
    // C01: 5 days, 4 orders, 350.00; C05: 121 days, 5 orders, 1,200.00; C09: 333 days, 2, 80.00; C10: 0 days, 1, 25.00
    expect(rows).toEqual([['C01', 5, 4, 4], ['C05', 2, 5, 5], ['C09', 1, 2, 3], ['C10', 5, 1, 1]]);
  });

  it('--bins 4 uses the PyMC-Marketing quartile lists by default', () => {
    const db = fixtureStore();
    const result = custkit(['--json', 'score', '--as-of', '2025-06-30', '--bins', '4'], { db });
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.segmentMap).toBe('pymc-quartiles');
    const names = new Set(Object.values(segmentsByCustomer(db, summary.runId)));
    for (const name of names) expect(['Premium Customer', 'Repeat Customer', 'Top Spender', 'At Risk Customer', 'Inactive Customer', 'Other', 'prospect', 'no net purchase']).toContain(name);
    // C01 (5 days, 4 orders, 350.00) is in the top quartile on all three: "444" is Premium.
    expect(segmentsByCustomer(db, summary.runId).C01).toBe('Premium Customer');
  });
});

describe('custkit score: bad input changes nothing', () => {
  it.each([
    [['--bins', '7'], /--bins 7: expected 5 or 4/],
    [['--as-of', '2025-02-30'], /--as-of 2025-02-30: expected a date/],
    [['--method', 'rfmx'], /--method rfmx/],
    [['--binning', 'thresholds'], /needs --thresholds FILE/],
    [['--segments', 'nope.json'], /--segments nope.json: not a preset/],
    [['--bins', '4', '--segments', 'rfm10'], /map is for 5 bins/],
    [['--clv', '--horizon', 'soon'], /--horizon soon/],
  ])('%j exits 2 with a message', (args, message) => {
    const db = fixtureStore();
    const result = custkit(['score', ...args], { db });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(dump(db)).toEqual([]);
  });

  it('a custom segment map file with an error names the file and the rule', () => {
    const db = fixtureStore();
    const file = path.join(tempDir(), 'map.json');
    fs.writeFileSync(file, JSON.stringify({ bins: 5, fallback: 'Rest', segments: [{ name: 'VIP', r: [5, 9] }] }));
    const result = custkit(['score', '--segments', file], { db });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${file}: segments.0.r: scores go up to 5`);
  });

  it('--clv on ten customers succeeds: limits and the Gamma-Gamma check as warnings on stderr and in --json', () => {
    const db = fixtureStore();
    const result = custkit(['--json', 'score', '--as-of', '2025-06-30', '--clv'], { db });
    expect(result.code).toBe(0);
    const { clv } = JSON.parse(result.stdout);
    expect(clv.warnings.length).toBeGreaterThan(0);
    for (const warning of clv.warnings) expect(result.stderr).toContain(`warning: ${warning}`);
    expect(clv.spendModel.frequencySpendCorrelation).toBeCloseTo(0.904, 3);
    for (const key of ['logLikelihood', 'iterations', 'gradientNorm', 'params']) expect(clv.purchaseModel).toHaveProperty(key);
    const text = custkit(['score', '--as-of', '2025-06-30', '--clv'], { db });
    expect(text.code).toBe(0);
    expect(text.stderr).toMatch(/CLV fit BG\/NBD: r=.* log-likelihood -?\d+\.\d\d, \d+ iterations, gradient norm \d\.\de-?\d+/);
    expect(text.stderr).toMatch(/Gamma-Gamma assumption: correlation of frequency and mean spend 0\.904/);
  });

  it('--clv on a store with one customer fails with exit 1, says what the data lack, and leaves the store unchanged', () => {
    const db = tempDb();
    const csv = path.join(tempDir(), 'one.csv');
    fs.writeFileSync(csv, 'customer_id,order_id,date,amount\nA,1,2025-01-10,20\nA,2,2025-03-10,30\n');
    expect(custkit(['import', csv, '--kind', 'purchases'], { db }).code).toBe(0);
    const result = custkit(['score', '--as-of', '2025-06-30', '--clv'], { db });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/CLV needs at least 10 customers .* found 1 and 1 .*store unchanged/);
    const store = new Database(db, { readonly: true });
    expect(store.prepare('SELECT count(*) FROM score_runs').pluck().get()).toBe(0);
    store.close();
  });

  it('--penalizer and --holdout go with --clv and are checked', () => {
    const db = fixtureStore();
    expect(custkit(['score', '--penalizer', '0.1'], { db }).stderr).toMatch(/--penalizer goes with --clv/);
    expect(custkit(['score', '--clv', '--penalizer', '-1'], { db }).code).toBe(2);
    expect(custkit(['score', '--clv', '--holdout', 'soon'], { db }).stderr).toMatch(/--holdout soon: expected a span/);
    expect(dump(db)).toEqual([]);
  });

  it('segments before any run says what to do', () => {
    const db = fixtureStore();
    const result = custkit(['segments'], { db });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no scoring run yet: run "custkit score" first/);
  });
});

describe.skipIf(!hasSharedData('cdnow/CDNOW_sample.txt'))('custkit score --clv on CDNOW (shared data)', () => {
  it('fits the paper and predicts customer 1 over 39 weeks', () => {
    const db = tempDb();
    const store = openStore(db);
    loadCdnow(store);
    store.close();
    const result = custkit(['--json', 'score', '--as-of', '1997-09-30', '--clv', '--horizon', '39w', '--discount', '0'], { db });
    expect(result.code).toBe(0);
    const { clv, runId } = JSON.parse(result.stdout);
    expect(clv.purchaseModel.params.r).toBeCloseTo(0.243, 3);
    expect(clv.purchaseModel.logLikelihood).toBeCloseTo(-9582.4, 1);
    expect(clv.warnings).toEqual([]);
    const ro = new Database(db, { readonly: true });
    const one = ro
      .prepare("SELECT s.expected_purchases, s.p_alive FROM scores s JOIN contacts c ON c.id = s.contact_id WHERE c.external_id = '1' AND s.run_id = ?")
      .get(runId) as { expected_purchases: number; p_alive: number };
    ro.close();
    expect(Math.abs(one.expected_purchases - 1.226)).toBeLessThanOrEqual(0.001);
    expect(one.p_alive).toBeGreaterThan(0);
    expect(one.p_alive).toBeLessThanOrEqual(1);
  });

  it('--holdout 39w as of 1998-06-30: the paper calibration/holdout check, printed and in --json, nothing written', () => {
    const db = tempDb();
    const store = openStore(db);
    loadCdnow(store);
    store.close();
    const result = custkit(['--json', 'score', '--as-of', '1998-06-30', '--clv', '--holdout', '39w'], { db });
    expect(result.code).toBe(0);
    const h = JSON.parse(result.stdout);
    expect(h).toMatchObject({ calibrationEnd: '1997-09-30', holdoutWeeks: 39, customers: 2357 });
    expect(h.groups.map((g: { frequency: string }) => g.frequency)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7+']);
    expect(h.overall.actualPurchases).toBe(1882);
    expect(h.model.purchaseModel.params.r).toBeCloseTo(0.243, 3);
    const text = custkit(['score', '--as-of', '1998-06-30', '--clv', '--holdout', '39w'], { db });
    expect(text.stdout).toMatch(/7\+\s*│\s*64\s*│\s*6\.359/);
    expect(text.stderr).toMatch(/purchase days in the holdout: predicted 1653\.\d, actual 1,882 \(-12\.\d %\)/);
    const ro = new Database(db, { readonly: true });
    expect(ro.prepare('SELECT count(*) FROM score_runs').pluck().get()).toBe(0);
    ro.close();
  });
});

describe.skipIf(!hasSharedData('excel/online_retail_II_sample.xlsx'))('custkit score --clv on the Online Retail II sample (shared data)', () => {
  it('refuses the holdout check with what the data lack: two days of invoices a year apart hold no repeat purchase', () => {
    const db = tempDb();
    expect(custkit(['import', path.join(SHARED_DATA, 'excel/online_retail_II_sample.xlsx'), '--all-sheets'], { db }).code).toBe(3);
    const holdout = custkit(['score', '--as-of', '2010-12-01', '--clv', '--holdout', '6m'], { db });
    expect(holdout.code).toBe(1);
    expect(holdout.stderr).toMatch(/CLV needs at least 10 customers and 3 of them with a purchase on a second day .* up to 2010-06-01; found 25 and 0/);
    const store = new Database(db, { readonly: true });
    expect(store.prepare('SELECT count(*) FROM score_runs').pluck().get()).toBe(0);
    store.close();
  });
});
