import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.js';
import { prepareScope, addMonths, monthsEnding, type Scope } from '../../src/report/scope.js';
import {
  activeCustomers, averageOrderValue, churn, cohortRetention, customerCount, monthlySeries, newCustomers12, orders12,
  purchaseFrequency, repeatPurchaseRate, revenue12, revenueBy, revenueToDate,
} from '../../src/report/sales.js';
import { contactCounts, duplicates, readAnswer, surveyKind, surveys } from '../../src/report/file.js';
import { clvDistribution, rfGrid } from '../../src/report/scores.js';
import { AS_OF, BASELINE, fixtureStore } from './fixture.js';

let db: Db;
let scope: Scope;

beforeEach(() => {
  db = fixtureStore();
  scope = prepareScope(db, { asOf: AS_OF, months: 6, baseline: BASELINE });
});
afterEach(() => db.close());

describe('dates', () => {
  it('steps months back, clamping the day to the shorter month', () => {
    expect(addMonths('2025-06-30', -12)).toBe('2024-06-30');
    expect(addMonths('2024-02-29', -12)).toBe('2023-02-28');
    expect(addMonths('2025-03-31', -1)).toBe('2025-02-28');
    expect(monthsEnding('2025-02-10', 3)).toEqual(['2024-12', '2025-01', '2025-02']);
  });
});

describe('KPIs as of 2025-06-30 (hand-computed, see fixture.ts)', () => {
  it('counts contacts by status, customers and prospects', () => {
    expect(contactCounts(db, scope.current)).toEqual({ total: 10, inFile: 8, active: 7, inactive: 1, merged: 1, erased: 1, customers: 6, prospects: 2 });
  });

  it('customers, active, new in the last 12 months', () => {
    const p = scope.current;
    expect(customerCount(db, p)).toBe(6); // A B C D F I (J's only order was fully returned)
    expect(activeCustomers(db, p)).toBe(5); // A C D F I
    expect(newCustomers12(db, p)).toBe(4); // C D F I
  });

  it('orders, revenue, average order value and frequency over the last 12 months', () => {
    const p = scope.current;
    expect(orders12(db, p)).toBe(7); // A2 C1 D1 D2 F1 I1 I2
    // 80 + 60 + 20 - 20 + 200 + 10 + 30 - 10 + 25 + 35 + 50 - 50
    expect(revenue12(db, p)).toBe(43_000);
    expect(averageOrderValue(db, p)).toBe(6_143); // 43000 / 7
    expect(purchaseFrequency(db, p)).toBeCloseTo(7 / 5, 10);
    expect(revenueToDate(db, p)).toBe(57_000); // A 180, B 40, C 60, D 210, F 20, I 60, J 0
  });

  it('repeat-purchase rate and churn', () => {
    expect(repeatPurchaseRate(db, scope.current)).toEqual({ repeaters: 3, customers: 6, rate: 0.5 }); // A D I
    expect(churn(db, scope.current)).toEqual({ churned: 1, base: 2, rate: 0.5 }); // A and B bought the year before; B not since
  });

  it('the same KPIs at the baseline (2024-12-31), a return after it not yet counted', () => {
    const p = scope.baseline!;
    expect(p.date).toBe(BASELINE);
    expect(customerCount(db, p)).toBe(4); // A B F J
    expect(activeCustomers(db, p)).toBe(3); // B F J
    expect(newCustomers12(db, p)).toBe(3);
    expect(orders12(db, p)).toBe(3);
    expect(revenue12(db, p)).toBe(12_000); // 40 + 30 + 50
    expect(averageOrderValue(db, p)).toBe(4_000);
    expect(repeatPurchaseRate(db, p).rate).toBe(0);
    expect(churn(db, p)).toEqual({ churned: 1, base: 1, rate: 1 }); // A bought in 2023, not in 2024
  });

  it('monthly revenue (lines on their own day), orders and new customers', () => {
    expect(monthlySeries(db, scope)).toEqual([
      { month: '2025-01', revenueMinor: 5_000, orders: 1, newCustomers: 1 },
      { month: '2025-02', revenueMinor: 5_500, orders: 2, newCustomers: 1 },
      { month: '2025-03', revenueMinor: 0, orders: 0, newCustomers: 0 },
      { month: '2025-04', revenueMinor: 3_500, orders: 1, newCustomers: 0 },
      { month: '2025-05', revenueMinor: 0, orders: 0, newCustomers: 0 },
      { month: '2025-06', revenueMinor: 21_000, orders: 2, newCustomers: 1 },
    ]);
  });

  it('revenue by category and channel over the months shown', () => {
    expect(revenueBy(db, scope, 'category')).toEqual([
      { name: 'Z', revenueMinor: 21_000, share: 0.6 },
      { name: 'Y', revenueMinor: 14_000, share: 0.4 },
      { name: 'X', revenueMinor: 0, share: 0 },
    ]);
    expect(revenueBy(db, scope, 'channel')).toEqual([
      { name: 'app', revenueMinor: 21_000, share: 0.6 },
      { name: 'store', revenueMinor: 8_000, share: 8 / 35 },
      { name: 'web', revenueMinor: 6_000, share: 6 / 35 },
    ]);
  });

  it('cohort retention: first-order month, share ordering again k months later', () => {
    expect(cohortRetention(db, scope)).toEqual([
      { month: '2025-01', customers: 1, retained: [0, 0, 0, 0, 0] }, // C's second ref was returned
      { month: '2025-02', customers: 1, retained: [0, 1, 0, 0] }, // I again in April
      { month: '2025-06', customers: 1, retained: [] },
    ]);
  });

  it('duplicates merged (an undone merge not counted)', () => {
    expect(duplicates(db)).toEqual({ merges: 1, contactsMerged: 1, undone: 1 });
  });

  it('NPS and satisfaction from recognised attribute columns, merged contacts left out', () => {
    const found = surveys(db);
    expect(found.map((s) => s.column)).toEqual(['Note de recommandation', 'Satisfaction']);
    const nps = found[0]!;
    expect(nps.kind).toBe('nps');
    expect(nps.responses).toBe(4);
    expect(nps.nps).toEqual({ promoters: 0.5, passives: 0.25, detractors: 0.25, score: 25 });
    const sat = found[1]!;
    expect(sat).toMatchObject({ kind: 'satisfaction', responses: 3, scale: 5, average: 4 });
    expect(sat.satisfied).toBeCloseTo(2 / 3, 10);
    expect(sat.distribution).toEqual([{ value: 3, count: 1 }, { value: 4, count: 1 }, { value: 5, count: 1 }]);
  });

  it('recognises survey headers by their words, not free-text notes', () => {
    expect(surveyKind('NPS')).toBe('nps');
    expect(surveyKind('Likely to recommend (0-10)')).toBe('nps');
    expect(surveyKind('Note de satisfaction')).toBe('satisfaction');
    expect(surveyKind('Notes')).toBeNull();
    expect(surveyKind('Annotation')).toBeNull();
    expect(readAnswer('8/10')).toEqual({ value: 8, outOf: 10 });
    expect(readAnswer('4,5')).toEqual({ value: 4.5, outOf: null });
    expect(readAnswer('très bien')).toBeNull();
  });
});

describe('score-run KPIs', () => {
  it('CLV and P(alive) distributions in buckets; none for a run without CLV', () => {
    db.exec(`INSERT INTO score_runs (id, as_of, method, parameters) VALUES (7, '2025-06-30', 'rfm', '{"clv":{"horizonMonths":12}}'),
                                                                       (8, '2025-05-31', 'rfm', '{}')`);
    const ids = db.prepare("SELECT id FROM contacts WHERE external_id IN ('A', 'B', 'C') ORDER BY external_id").pluck().all() as number[];
    const insert = db.prepare('INSERT INTO scores (run_id, contact_id, monetary_minor, frequency, segment, r_score, f_score, p_alive, expected_purchases, clv_minor) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?)');
    insert.run(7, ids[0], 1_000, 'S', 5, 1, 0.05, 0.1, 500);
    insert.run(7, ids[1], 2_500, 'S', 5, 1, 0.55, 1.5, 3_000);
    insert.run(7, ids[2], 99, 'T', 1, 2, 1, 2, 600_000);
    insert.run(8, ids[0], 1_000, 'S', 3, 3, null, null, null);
    const clv = clvDistribution(db, 7)!;
    expect(clv).toMatchObject({ customers: 3, predictedMinor: 603_500, historicalMinor: 3_599, horizonMonths: 12 });
    expect(clv.expectedPurchases).toBeCloseTo(3.6, 10);
    expect(clv.meanPAlive).toBeCloseTo(1.6 / 3, 10);
    const at = (buckets: Array<{ from: number; customers: number }>) => Object.fromEntries(buckets.filter((b) => b.customers > 0).map((b) => [b.from, b.customers]));
    expect(at(clv.predicted)).toEqual({ 0: 1, 2500: 1, 500000: 1 }); // 5, 30 and 6,000 currency units
    expect(at(clv.historical)).toEqual({ 0: 1, 1000: 1, 2500: 1 });
    expect(at(clv.pAlive)).toEqual({ 0: 1, 0.5: 1, 0.9: 1 });
    expect(clvDistribution(db, 8)).toBeNull();
    expect(rfGrid(db, 7)).toEqual([
      { r: 1, f: 2, customers: 1, revenueMinor: 99 },
      { r: 5, f: 1, customers: 2, revenueMinor: 3_500 },
    ]);
  });
});

describe('segment migration', () => {
  it("is score's migration matrix (contacts in one run only included), and each segment's previous size its row", async () => {
    const { scoreRun } = await import('../../src/score/run.js');
    const { PRESETS } = await import('../../src/score/presets.js');
    const { migrationMatrix } = await import('../../src/score/report.js');
    const { currentRun, segmentSizes } = await import('../../src/report/scores.js');
    const base = { bins: 5 as const, segmentMap: PRESETS['rfm10']!, segmentMapLabel: 'rfm10', minSupport: 0.01, method: 'rfm' as const, binning: 'quantile' as const };
    const first = scoreRun(db, { ...base, asOf: BASELINE }).runId;
    db.prepare("UPDATE contacts SET status = 'erased' WHERE external_id = 'B'").run(); // in the first run only
    const second = scoreRun(db, { ...base, asOf: AS_OF }).runId;
    const sizes = segmentSizes(db, currentRun(db, AS_OF)!);
    expect(sizes.previous?.id).toBe(first);
    expect(sizes.migration).toEqual(migrationMatrix(db, first, second));
    expect(sizes.migration.some((c) => c.to === '(not scored)')).toBe(true);
    const before = db.prepare('SELECT segment, count(*) FROM scores WHERE run_id = ? GROUP BY 1').raw(true).all(first) as Array<[string, number]>;
    for (const s of sizes.segments) expect(s.previousCustomers).toBe(before.find(([name]) => name === s.segment)?.[1] ?? 0);
  });
});
