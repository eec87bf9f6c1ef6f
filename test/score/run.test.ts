import { beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Db } from '../../src/store/db.js';
import { scoreRun, type ScoreOptions } from '../../src/score/run.js';
import { addContact, addLines, loadPurchasesCsv, baseScoreOptions } from './store-helpers.js';
import { fixture } from '../helpers/cli.js';

const base = baseScoreOptions;

interface Row {
  ext: string;
  recency_days: number | null;
  frequency: number;
  monetary_minor: number;
  r_score: number | null;
  f_score: number | null;
  m_score: number | null;
  segment: string;
  [key: string]: unknown;
}

function scores(db: Db, runId: number): Map<string, Row> {
  const rows = db
    .prepare('SELECT c.external_id AS ext, s.* FROM scores s JOIN contacts c ON c.id = s.contact_id WHERE run_id = ? ORDER BY c.external_id')
    .all(runId) as Row[];
  return new Map(rows.map((r) => [r.ext, r]));
}

describe('score run on fixtures/score-purchases.csv', () => {
  let db: Db;
  beforeEach(() => {
    db = openStore(':memory:');
    loadPurchasesCsv(db, fixture('score-purchases.csv'));
  });

  it('computes recency, frequency, net monetary and quantile scores as worked out by hand', () => {
    const run = scoreRun(db, base);
    const s = scores(db, run.runId);
    const pick = (ext: string) => {
      const r = s.get(ext)!;
      return [r.recency_days, r.frequency, r.monetary_minor, r.r_score, r.f_score, r.m_score, r.segment];
    };
    expect(pick('C01')).toEqual([5, 4, 35000, 5, 5, 5, 'Champions']);
    expect(pick('C02')).toEqual([10, 3, 13000, 4, 4, 4, 'Loyal']);
    expect(pick('C03')).toEqual([29, 1, 20000, 3, 1, 4, 'About To Sleep']);
    expect(pick('C04')).toEqual([60, 2, 6000, 3, 3, 2, 'Need Attention']);
    expect(pick('C05')).toEqual([121, 5, 120000, 2, 5, 5, "Can't Lose Them"]);
    expect(pick('C06')).toEqual([180, 1, 2000, 2, 1, 1, 'Hibernating']);
    // O701 was fully returned: not an order, and the return (2025-01-10) does not refresh recency.
    expect(pick('C07')).toEqual([272, 1, 9000, 1, 1, 3, 'Hibernating']);
    // The separate return R801 lowers monetary (150 - 50) but is not an order and keeps recency at O801.
    expect(pick('C08')).toEqual([20, 1, 10000, 4, 1, 3, 'Promising']);
    expect(pick('C09')).toEqual([333, 2, 8000, 1, 3, 2, 'At Risk']);
    // Bought on the as-of date (counts), and after it (ignored).
    expect(pick('C10')).toEqual([0, 1, 2500, 5, 1, 1, 'New']);
    // Only a purchase after the as-of date: a prospect. Only a return: not a prospect (it has revenue, -30.00).
    expect(pick('C11')).toEqual([null, 0, 0, null, null, null, 'prospect']);
    expect(pick('C12')).toEqual([null, 0, -3000, null, null, null, 'no net purchase']);
    expect(run.customers).toBe(10);
    expect(run.prospects).toBe(1);
    expect(run.noNetPurchase).toBe(1);
    expect(run.cuts).toEqual({ recency: [5, 20, 60, 180], frequency: [1, 1, 2, 3], monetary: [2500, 8000, 10000, 20000] });
  });

  it('scores an as-of date in the past from the purchases up to that date only', () => {
    const run = scoreRun(db, { ...base, asOf: '2024-12-31' });
    const s = scores(db, run.runId);
    expect(run.customers).toBe(4);
    // C07's O701 is dated on the as-of date (counts); its return is dated after (ignored).
    expect([s.get('C07')!.recency_days, s.get('C07')!.frequency, s.get('C07')!.monetary_minor]).toEqual([0, 2, 16000]);
    expect([s.get('C05')!.recency_days, s.get('C05')!.frequency, s.get('C05')!.monetary_minor]).toEqual([60, 4, 70000]);
    expect(s.get('C09')!.recency_days).toBe(152);
    expect(Object.fromEntries([...s].map(([k, v]) => [k, v.segment]))).toMatchObject({
      C02: 'Promising', C05: 'Loyal', C07: 'Potential Loyalists', C09: 'Hibernating', C01: 'prospect', C10: 'prospect',
    });
  });

  it('does not score merged or erased contacts; scores inactive ones', () => {
    const merged = addContact(db, 'M1', 'merged');
    const erased = addContact(db, 'E1', 'erased');
    addContact(db, 'I1', 'inactive');
    addLines(db, [{ customer: 'M1', order: 'M-1', date: '2025-06-01', amount: 10 }, { customer: 'E1', order: 'E-1', date: '2025-06-01', amount: 10 }]);
    const run = scoreRun(db, base);
    const ids = db.prepare('SELECT contact_id FROM scores WHERE run_id = ?').pluck().all(run.runId) as number[];
    expect(ids).not.toContain(merged);
    expect(ids).not.toContain(erased);
    expect(scores(db, run.runId).get('I1')!.segment).toBe('prospect');
    expect(run.customers).toBe(10);
  });

  it('re-running the same as-of date and method replaces the run: same id, identical scores', () => {
    const first = scoreRun(db, base);
    const before = db.prepare('SELECT * FROM scores WHERE run_id = ? ORDER BY contact_id').all(first.runId);
    const second = scoreRun(db, base);
    expect(second.runId).toBe(first.runId);
    expect(second.replaced).toBe(true);
    expect(db.prepare('SELECT * FROM scores WHERE run_id = ? ORDER BY contact_id').all(second.runId)).toEqual(before);
    expect(db.prepare('SELECT count(*) FROM score_runs').pluck().get()).toBe(1);
    // Another method for the same date is another run.
    expect(scoreRun(db, { ...base, method: 'rfmcca' }).runId).not.toBe(first.runId);
  });

  it("the run's segment counts are its stored rows', whatever the map names its segments; foreign-key checks come back on", () => {
    // A custom map whose fallback is also called "prospect": one count for the name, as the table shows it.
    const map = { name: 'odd', bins: 5 as const, fallback: 'prospect', segments: [{ name: 'Top', r: [4, 5] as [number, number], f: [3, 5] as [number, number] }] };
    for (const options of [base, { ...base, binning: 'ntile' as const }, { ...base, segmentMap: map, segmentMapLabel: 'odd' }]) {
      const run = scoreRun(db, options);
      const stored = db.prepare('SELECT segment, count(*) AS customers FROM scores WHERE run_id = ? GROUP BY segment').all(run.runId) as Array<{ segment: string; customers: number }>;
      expect(Object.fromEntries(run.segments.map((x) => [x.segment, x.customers]))).toEqual(Object.fromEntries(stored.map((x) => [x.segment, x.customers])));
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    }
    // Inside a caller's transaction (the pipeline) the pragma cannot change: the checks stay on.
    db.transaction(() => scoreRun(db, base))();
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('foreign_key_check')).toEqual([]);
  });

  it('ntile splits ties deterministically by contact id into equal buckets', () => {
    const run = scoreRun(db, { ...base, binning: 'ntile' });
    const s = scores(db, run.runId);
    const f = ['C01', 'C02', 'C03', 'C04', 'C05', 'C06', 'C07', 'C08', 'C09', 'C10'].map((k) => s.get(k)!.f_score);
    // Frequency order (value, then id): C03 C06 C07 C08 C10 (1) C04 C09 (2) C02 (3) C01 (4) C05 (5).
    expect(f).toEqual([5, 4, 1, 3, 5, 1, 2, 2, 4, 3]);
  });

  it('RFMCCA adds category breadth, main category and channels, and the next-best category', () => {
    const run = scoreRun(db, { ...base, method: 'rfmcca' });
    const s = scores(db, run.runId);
    const c01 = s.get('C01')!;
    expect([c01.categories, c01.main_category, c01.channels, c01.main_channel, c01.multichannel]).toEqual([3, 'Books', 2, 'web', 1]);
    // C07's Books line was returned in full: its categories are Games (60) and Books (30).
    expect([s.get('C07')!.categories, s.get('C07')!.main_category]).toEqual([2, 'Games']);
    expect([s.get('C04')!.channels, s.get('C04')!.multichannel, s.get('C04')!.ca_score]).toEqual([1, 0, 1]);
    // Books + Music -> Games has lift (2/3) / (4/10) = 1.667, the strongest rule C02 can use.
    expect([s.get('C02')!.next_best_category, s.get('C02')!.next_best_lift]).toEqual(['Games', 1.666667]);
    expect([s.get('C08')!.next_best_category, s.get('C08')!.next_best_lift]).toEqual(['Games', 1.428571]);
    expect(s.get('C01')!.next_best_category).toBeNull();
    expect(run.affinities).toMatchObject({ basketCustomers: 10, withNextBest: 3 });
  });
});

describe('order refs shared by two contacts', () => {
  it('each contact keeps its own lines of the ref (a data error, but scores stay exact)', () => {
    const db = openStore(':memory:');
    addLines(db, [
      { customer: 'A', order: 'X1', line: 1, date: '2025-06-01', amount: 30 },
      { customer: 'B', order: 'X1', line: 2, date: '2025-06-10', amount: 50 },
      { customer: 'B', order: 'X2', line: 1, date: '2025-05-01', amount: 20 },
    ]);
    const run = scoreRun(db, base);
    const s = scores(db, run.runId);
    expect([s.get('A')!.frequency, s.get('A')!.monetary_minor, s.get('A')!.recency_days]).toEqual([1, 3000, 29]);
    expect([s.get('B')!.frequency, s.get('B')!.monetary_minor, s.get('B')!.recency_days]).toEqual([2, 7000, 20]);
  });
});
