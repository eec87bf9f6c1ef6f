import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Db } from '../../src/store/db.js';
import { migrationMatrix, NOT_SCORED, segmentTable } from '../../src/score/report.js';
import { addContact } from './store-helpers.js';

/**
 * Two hand-made runs: contacts 1-8 in run 1, 3-10 in run 2 (1 and 2 only in the first, 9 and 10 only
 * in the second), so every kind of migration cell is there, and segment tables whose medians are read
 * off by eye (odd and even sizes, a segment without recency).
 */
let db: Db;
const ids: number[] = [];

function run(id: number, asOf: string): void {
  db.prepare(
    `INSERT INTO score_runs (id, as_of, method, bins, binning, segment_map, created_at, updated_at)
     VALUES (?, ?, 'rfm', 5, 'quantile', 'rfm10', '2025-01-01', '2025-01-01')`,
  ).run(id, asOf);
}

function score(runId: number, contact: number, segment: string, recency: number | null, frequency = 1, monetary = 1_000): void {
  db.prepare('INSERT INTO scores (run_id, contact_id, segment, recency_days, frequency, monetary_minor) VALUES (?, ?, ?, ?, ?, ?)')
    .run(runId, ids[contact - 1], segment, recency, frequency, monetary);
}

beforeEach(() => {
  db = openStore(':memory:');
  ids.length = 0;
  for (let i = 1; i <= 10; i++) ids.push(addContact(db, `C${i}`));
  run(1, '2025-03-31');
  run(2, '2025-06-30');
  // Run 1: Champions 1, 3, 4; At Risk 2, 5, 6, 7; prospect 8.
  for (const [c, s, r] of [[1, 'Champions', 5], [3, 'Champions', 9], [4, 'Champions', 2], [2, 'At Risk', 200], [5, 'At Risk', 100],
    [6, 'At Risk', 300], [7, 'At Risk', 150], [8, 'prospect', null]] as Array<[number, string, number | null]>) score(1, c, s, r);
  // Run 2: 3 stays Champion, 4 becomes At Risk, 5 and 6 become Champions, 7 stays At Risk, 8 stays a
  // prospect; 9 (Champions) and 10 (prospect) are new.
  for (const [c, s, r] of [[3, 'Champions', 10], [4, 'At Risk', 120], [5, 'Champions', 20], [6, 'Champions', 40], [7, 'At Risk', 240],
    [8, 'prospect', null], [9, 'Champions', 30], [10, 'prospect', null]] as Array<[number, string, number | null]>) score(2, c, s, r);
});
afterEach(() => db.close());

describe('migrationMatrix', () => {
  it('counts every from -> to pair, contacts in one run only as not scored (hand-counted)', () => {
    expect(migrationMatrix(db, 1, 2)).toEqual([
      { from: NOT_SCORED, to: 'Champions', customers: 1 }, // 9
      { from: NOT_SCORED, to: 'prospect', customers: 1 }, // 10
      { from: 'At Risk', to: NOT_SCORED, customers: 1 }, // 2
      { from: 'At Risk', to: 'At Risk', customers: 1 }, // 7
      { from: 'At Risk', to: 'Champions', customers: 2 }, // 5, 6
      { from: 'Champions', to: NOT_SCORED, customers: 1 }, // 1
      { from: 'Champions', to: 'At Risk', customers: 1 }, // 4
      { from: 'Champions', to: 'Champions', customers: 1 }, // 3
      { from: 'prospect', to: 'prospect', customers: 1 }, // 8
    ]);
  });

  it('reversed, the same cells with from and to swapped', () => {
    const swap = migrationMatrix(db, 1, 2).map((c) => ({ from: c.to, to: c.from, customers: c.customers }));
    const key = (c: { from: string; to: string }) => `${c.from}\u0000${c.to}`;
    expect(migrationMatrix(db, 2, 1).map(key)).toEqual(swap.map(key).sort());
    expect(migrationMatrix(db, 2, 1).reduce((n, c) => n + c.customers, 0)).toBe(10);
  });
});

describe('segmentTable', () => {
  it('medians of odd and even segments, none without recency; shares and order value', () => {
    const rows = segmentTable(db, 1);
    expect(rows.map((r) => [r.segment, r.customers, r.medianRecencyDays])).toEqual([
      ['At Risk', 4, 175], // 100 150 200 300: (150 + 200) / 2
      ['Champions', 3, 5], // 2 5 9
      ['prospect', 1, null],
    ]);
    expect(rows[0]).toMatchObject({ share: 0.5, revenueMinor: 4_000, revenueShare: 0.5, aovMinor: 1_000 });
  });

  it('a median between two equal middle values, and ties across the middle', () => {
    for (const [c, r] of [[9, 240], [10, 240]] as Array<[number, number]>) score(1, c, 'At Risk', r);
    // At Risk in run 1 is now 100 150 200 240 240 300: (200 + 240) / 2; then 100 150 240 240 240 300: 240.
    expect(segmentTable(db, 1).find((r) => r.segment === 'At Risk')!.medianRecencyDays).toBe(220);
    db.prepare('UPDATE scores SET recency_days = 240 WHERE run_id = 1 AND contact_id = ?').run(ids[1]); // 200 -> 240
    expect(segmentTable(db, 1).find((r) => r.segment === 'At Risk')!.medianRecencyDays).toBe(240);
    expect(segmentTable(db, 2).find((r) => r.segment === 'Champions')!.medianRecencyDays).toBe(25); // 10 20 30 40
  });
});
