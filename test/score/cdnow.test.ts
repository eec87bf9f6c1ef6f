import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore, type Db } from '../../src/store/db.js';
import { buildOrderTables } from '../../src/score/aggregate.js';
import { clvSummary, groupSummary, summaryRow } from '../../src/score/clv/clv.js';
import { bgnbdData, expectedPurchases, fitBgNbd } from '../../src/score/clv/bgnbd.js';
import { ClvFitError } from '../../src/score/clv/fit.js';
import { fitGammaGamma } from '../../src/score/clv/gamma-gamma.js';
import { clvHoldout } from '../../src/score/clv/holdout.js';
import { hasSharedData } from '../helpers/cli.js';
import { CDNOW, loadCdnow } from './cdnow-data.js';

/**
 * Correctness against Fader, Hardie & Lee (2005) on the CDNOW sample: the summary is rebuilt by the
 * same SQL the score command uses, from the raw purchase records.
 */
const present = hasSharedData('cdnow/CDNOW_sample.txt');
if (!present) console.warn(`skipping CDNOW correctness tests: ${CDNOW} is absent (it lives outside the repository)`);

const within = (value: number, expected: number, share: number) => expect(Math.abs(value - expected) / expected).toBeLessThanOrEqual(share);

describe.skipIf(!present)('CLV on CDNOW (shared data)', () => {
  const db = present ? openStore(':memory:') : (undefined as unknown as Db);
  if (present) {
    loadCdnow(db);
    buildOrderTables(db, '1997-09-30');
  }
  const summary = () => {
    const ids = new Map(db.prepare("SELECT id, external_id FROM contacts WHERE source = 'cdnow'").raw().all() as Array<[number, string]>);
    const s = clvSummary(db, '1997-09-30');
    return Array.from({ length: s.length }, (_, i) => summaryRow(s, i)).map((r) => ({ ...r, id: Number(ids.get(r.contactId)) }));
  };

  it('rebuilds all 2,357 rows of the published summary (x, t_x, T in weeks)', () => {
    const published = fs.readFileSync(path.join(CDNOW, 'cdnow_customers_summary.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const ours = new Map(summary().map((r) => [r.id, r]));
    expect(ours.size).toBe(2357);
    expect(published).toHaveLength(2357);
    const mismatches = published.filter(([id, x, tx, T]) => {
      const r = ours.get(Number(id));
      return !r || r.x !== Number(x) || (r.txDays / 7).toFixed(2) !== Number(tx).toFixed(2) || (r.TDays / 7).toFixed(2) !== Number(T).toFixed(2);
    });
    expect(mismatches).toEqual([]);
  });

  it('rebuilds the mean repeat spend (zbar) of the published Gamma-Gamma input', () => {
    const published = fs.readFileSync(path.join(CDNOW, 'cdnow_customers_summary_with_transactions.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
    const ours = new Map(summary().map((r) => [r.id, r]));
    const off = published.filter(([id, , , , zbar]) => Math.abs(ours.get(id!)!.repeatMeanMinor / 100 - zbar!) > 0.0051);
    expect(off).toEqual([]);
  });

  it('fits BG/NBD to the paper with penalizer 0: r, alpha, a, b to the third decimal, log-likelihood -9582.4 +- 0.05', () => {
    const fit = fitBgNbd(groupSummary(clvSummary(db, '1997-09-30')).data, 0);
    expect(fit.model.kind).toBe('bgnbd');
    expect(fit.warnings).toEqual([]);
    const { r, alpha, a, b } = fit.report.params as { r: number; alpha: number; a: number; b: number };
    expect([r, alpha, a, b].map((v) => v.toFixed(3))).toEqual(['0.243', '4.414', '0.793', '2.426']);
    expect(Math.abs(fit.report.logLikelihood - -9582.4)).toBeLessThanOrEqual(0.05);
    // Converged for real: a tiny gradient, every start at the same optimum, nothing at a limit.
    expect(fit.report.gradientNorm).toBeLessThan(1e-5);
    expect(fit.report.startsAgreeing).toBe(fit.report.starts);
    expect(fit.report.atLimit).toEqual([]);
    // Customer 1 (x = 2, t_x = 30.43, T = 38.86) expects 1.226 purchases in the next 39 weeks.
    expect(Math.abs(expectedPurchases(fit.model, 39, 2, 30.43, 38.86) - 1.226)).toBeLessThanOrEqual(0.001);
  });

  it('a penalizer shrinks the parameters (lifetimes semantics) and lowers the likelihood', () => {
    const data = groupSummary(clvSummary(db, '1997-09-30')).data;
    const plain = fitBgNbd(data, 0).report;
    const penalized = fitBgNbd(data, 0.01).report;
    const p0 = plain.params as { a: number; b: number };
    const p1 = penalized.params as { a: number; b: number };
    expect(p1.b).toBeLessThan(p0.b);
    expect(penalized.logLikelihood).toBeLessThan(plain.logLikelihood);
    expect(penalized.penalizer).toBe(0.01);
  });

  it('fits Gamma-Gamma on the 946 repeat buyers: p, q, gamma as published, and reports the independence check', () => {
    const repeat = summary().filter((r) => r.x > 0);
    expect(repeat).toHaveLength(946);
    const fit = fitGammaGamma(Float64Array.from(repeat, (r) => r.x), Float64Array.from(repeat, (r) => r.repeatMeanMinor / 100), 0);
    const { p, q, gamma } = fit.report.params;
    expect([p.toFixed(2), q.toFixed(2), gamma.toFixed(2)]).toEqual(['6.25', '3.74', '15.44']);
    expect(fit.model.kind).toBe('gamma-gamma');
    // Fader & Hardie (2013) report a correlation of 0.11 between frequency and mean spend on this sample.
    expect(fit.frequencySpendCorrelation!.toFixed(2)).toBe('0.11');
    expect(fit.warnings).toEqual([]);
  });

  it('holdout: weeks 40-78 predicted per calibration frequency as the paper (Figure 2) does', () => {
    const rows = summary(); // the calibration summary, before the check rebuilds (and drops) the temp tables
    const h = clvHoldout(db, '1998-06-30', { days: 273, label: '39w' }, 0);
    expect(h.calibrationEnd).toBe('1997-09-30');
    expect(h.holdoutWeeks).toBe(39);
    // Group sizes and actual means are facts of the data (BTYD's CDNOW walkthrough shows the same).
    expect(h.groups.map((g) => g.customers)).toEqual([1411, 439, 214, 100, 62, 38, 29, 64]);
    expect(h.groups.map((g) => g.actualMean.toFixed(2))).toEqual(['0.24', '0.70', '1.39', '1.56', '2.53', '2.95', '3.86', '6.36']);
    // The prediction is the paper's model: the conditional expectation with the published parameters.
    const paper = { kind: 'bgnbd' as const, params: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 } };
    h.groups.forEach((g, i) => {
      const members = rows.filter((r) => Math.min(r.x, 7) === i);
      const expected = members.reduce((s, r) => s + expectedPurchases(paper, 39, r.x, r.txDays / 7, r.TDays / 7), 0) / members.length;
      expect(Math.abs(g.predictedMean - expected)).toBeLessThanOrEqual(0.002 * Math.max(1, expected));
    });
    // Rising with past frequency, and within the paper's accuracy overall (it under-forecasts a little).
    expect(h.groups.map((g) => g.predictedMean)).toEqual([...h.groups.map((g) => g.predictedMean)].sort((a, b) => a - b));
    expect(h.overall.actualPurchases).toBe(1882);
    expect(h.overall.predictedPurchases).toBeGreaterThan(1882 * 0.85);
    expect(h.overall.predictedPurchases).toBeLessThan(1882);
  });
});

describe('fit failures are loud', () => {
  it('BG/NBD on customers who never came back: ClvFitError saying the data lack repeat purchases', () => {
    const n = 50;
    const data = bgnbdData(new Float64Array(n), new Float64Array(n), Float64Array.from({ length: n }, (_, i) => 10 + i), new Float64Array(n).fill(1));
    expect(() => fitBgNbd(data)).toThrow(ClvFitError);
    expect(() => fitBgNbd(data)).toThrow(/lack repeat purchases/);
  });
});
