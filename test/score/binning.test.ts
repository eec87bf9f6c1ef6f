import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadThresholds, quantileCuts, scoreCaseSql, scoreOf, selectQuantileCuts } from '../../src/score/binning.js';
import { openStore } from '../../src/store/db.js';
import { rng } from '../../src/dedupe/scoring.js';
import { tempDir } from '../helpers/cli.js';

const sorted = (values: number[]) => Float64Array.from(values).sort();

describe('quantile binning', () => {
  it('splits ten distinct values into five bins of two', () => {
    const values = [0, 5, 10, 20, 29, 60, 121, 180, 272, 333];
    const cuts = quantileCuts(sorted(values), 5);
    expect(cuts).toEqual([5, 20, 60, 180]);
    expect(values.map((v) => scoreOf(v, cuts, 5, false))).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    // Recency is reversed: the most recent customers score 5.
    expect(values.map((v) => scoreOf(v, cuts, 5, true))).toEqual([5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
  });

  it('gives equal values the same score, even across a bin boundary', () => {
    const values = [1, 1, 1, 1, 1, 2, 2, 3, 4, 5];
    const cuts = quantileCuts(sorted(values), 5);
    const scores = values.map((v) => scoreOf(v, cuts, 5, false));
    expect(new Set(scores.slice(0, 5))).toEqual(new Set([1]));
    expect(scores[5]).toBe(scores[6]);
    expect(scores).toEqual([1, 1, 1, 1, 1, 3, 3, 4, 5, 5]);
  });
});

describe('quantile cut points by selection (what a run uses)', () => {
  it('equal the cut points of the sorted values, on heavy ties, sorted, reversed and negative inputs', () => {
    const r = rng(7);
    const cases: number[][] = [[], [3], [2, 1], [5, 5, 5, 5, 5, 5, 5]];
    for (const n of [9, 10, 11, 100, 1001, 20_000]) {
      cases.push(Array.from({ length: n }, () => Math.floor(r() * 4))); // mostly ties, like frequency
      cases.push(Array.from({ length: n }, () => Math.round((r() - 0.2) * 1e6))); // monetary with returns
      cases.push(Array.from({ length: n }, (_, i) => i)); // already sorted
      cases.push(Array.from({ length: n }, (_, i) => n - i)); // reversed
    }
    for (const values of cases) {
      for (const bins of [4, 5] as const) {
        expect(selectQuantileCuts(Float64Array.from(values), bins)).toEqual(quantileCuts(sorted(values), bins));
      }
    }
  });
});

describe('thresholds file', () => {
  const write = (value: unknown) => {
    const file = path.join(tempDir(), 'cuts.json');
    fs.writeFileSync(file, JSON.stringify(value));
    return file;
  };

  it('reads days, orders and currency units (monetary converted to minor units)', () => {
    const cuts = loadThresholds(write({ recency: [30, 90, 180, 365], frequency: [1, 2, 3, 5], monetary: [50, 100, 250, 1000] }), 5);
    expect(cuts.monetary).toEqual([5000, 10000, 25000, 100000]);
    expect(cuts.categories).toEqual([1, 2, 3, 4]);
    // recency <= 30 days scores 5, 31..90 scores 4, over 365 scores 1
    expect([30, 31, 90, 366].map((v) => scoreOf(v, cuts.recency!, 5, true))).toEqual([5, 4, 4, 1]);
  });

  it('rejects a wrong number of cut points or unsorted ones, naming the measure', () => {
    expect(() => loadThresholds(write({ recency: [30, 90], frequency: [1, 2, 3, 5], monetary: [1, 2, 3, 4] }), 5)).toThrow(/recency: 5 bins need 4 cut points, found 2/);
    expect(() => loadThresholds(write({ recency: [30, 20, 180, 365], frequency: [1, 2, 3, 5], monetary: [1, 2, 3, 4] }), 5)).toThrow(/recency: cut points must be strictly ascending/);
    expect(() => loadThresholds(path.join(tempDir(), 'missing.json'), 5)).toThrow(/no such file/);
  });
});

describe('scores in SQL (what a run writes)', () => {
  it('the CASE form scores every value as scoreOf does: ties between cut points, values on a cut, NULL', () => {
    const db = openStore(':memory:');
    const r = rng(7);
    for (let trial = 0; trial < 40; trial++) {
      const bins = (trial % 2 === 0 ? 5 : 4) as 4 | 5;
      // Ascending cut points with repeats (heavily tied measures give equal cut points).
      const cuts = Array.from({ length: bins - 1 }, () => Math.floor(r() * 8)).sort((a, b) => a - b);
      const reversed = trial % 3 === 0;
      const values = Array.from({ length: 30 }, () => Math.floor(r() * 10) - 1);
      const params: Record<string, number> = {};
      const bind = (v: number) => ((params[`p${Object.keys(params).length}`] = v), `@p${Object.keys(params).length - 1}`);
      const sql = scoreCaseSql('v', cuts, bins, reversed, bind);
      const got = values.map((v) => db.prepare(`SELECT ${sql} FROM (SELECT @v AS v)`).pluck().get({ ...params, v }));
      expect(got).toEqual(values.map((v) => scoreOf(v, cuts, bins, reversed)));
      expect(db.prepare(`SELECT ${sql} FROM (SELECT NULL AS v)`).pluck().get(params)).toBeNull();
    }
    db.close();
  });
});
