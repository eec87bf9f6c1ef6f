import { describe, expect, it } from 'vitest';
import { bgnbdData, expectedPurchases, fitBgNbd, pAlive } from '../../src/score/clv/bgnbd.js';
import { ClvFitError } from '../../src/score/clv/fit.js';
import { expectedOrderValue, fitGammaGamma } from '../../src/score/clv/gamma-gamma.js';
import { openStore } from '../../src/store/db.js';
import { scoreRun, type ScoreOptions } from '../../src/score/run.js';
import { fixture } from '../helpers/cli.js';
import { addLines, baseScoreOptions, loadPurchasesCsv } from './store-helpers.js';
import { mulberry32 as prng, gammaVariate as gamma } from '../../bench/random.js';

/** A buy-till-you-die population (BG/NBD's process); dropout = false draws no dropout at all (b → ∞). */
function population(seed: number, n: number, t: { r: number; alpha: number; a: number; b: number; p: number; q: number; gamma: number }, dropout = true) {
  const rand = prng(seed);
  const x = new Float64Array(n);
  const tx = new Float64Array(n);
  const T = new Float64Array(n);
  const repeatX: number[] = [];
  const repeatM: number[] = [];
  for (let i = 0; i < n; i++) {
    const lambda = gamma(rand, t.r) / t.alpha;
    const ga = gamma(rand, t.a);
    const p = dropout ? ga / (ga + gamma(rand, t.b)) : 0;
    T[i] = 20 + rand() * 60;
    let time = 0;
    let count = 0;
    for (;;) {
      time += -Math.log(1 - rand()) / lambda;
      if (time > T[i]!) break;
      count++;
      tx[i] = time;
      if (rand() < p) break; // may drop out after each repeat purchase (never at time 0)
    }
    x[i] = count;
    if (count > 0) {
      const nu = gamma(rand, t.q) / t.gamma;
      let sum = 0;
      for (let k = 0; k < count; k++) sum += gamma(rand, t.p) / nu;
      repeatX.push(count);
      repeatM.push(sum / count);
    }
  }
  return { data: bgnbdData(x, tx, T, new Float64Array(n).fill(1)), repeatX: Float64Array.from(repeatX), repeatM: Float64Array.from(repeatM) };
}

const relative = (value: number, truth: number) => Math.abs(value - truth) / truth;

describe('CLV fits on generated populations', () => {
  it('recovers the BG/NBD and Gamma-Gamma parameters it was generated from (each within 15 %, 40,000 customers)', () => {
    const truth = { r: 0.5, alpha: 6, a: 1.5, b: 4, p: 5, q: 4, gamma: 30 };
    const pop = population(7, 40_000, truth); // above the 20,000-row threshold: sample starts + full polish
    const bg = fitBgNbd(pop.data);
    expect(bg.model.kind).toBe('bgnbd');
    expect(bg.warnings).toEqual([]);
    const params = bg.report.params as typeof truth;
    for (const key of ['r', 'alpha', 'a', 'b'] as const) expect(relative(params[key], truth[key])).toBeLessThan(0.15);
    expect(bg.report.gradientNorm).toBeLessThan(1e-4);
    const gg = fitGammaGamma(pop.repeatX, pop.repeatM);
    for (const key of ['p', 'q', 'gamma'] as const) expect(relative(gg.report.params[key], truth[key])).toBeLessThan(0.15);
    // Spend was drawn independently of frequency: the assumption check passes.
    expect(Math.abs(gg.frequencySpendCorrelation!)).toBeLessThan(0.1);
    expect(gg.warnings).toEqual([]);
  });

  it('no dropout (b → ∞): succeeds with the limiting NBD model, a warning, P(alive) = 1, r and alpha recovered within 15 %', () => {
    const truth = { r: 0.8, alpha: 10, a: 1, b: 1, p: 5, q: 4, gamma: 30 };
    const pop = population(11, 5_000, truth, false);
    const bg = fitBgNbd(pop.data);
    expect(bg.model.kind).toBe('nbd');
    expect(bg.warnings[0]).toMatch(/BG\/NBD: .*(b → ∞|a → 0).*no customer is seen to drop out.*NBD model: P\(alive\) = 1/);
    expect(bg.fullModel!.atLimit.length).toBeGreaterThan(0);
    const params = bg.report.params as { r: number; alpha: number };
    expect(relative(params.r, truth.r)).toBeLessThan(0.15);
    expect(relative(params.alpha, truth.alpha)).toBeLessThan(0.15);
    expect(pAlive(bg.model, 3, 5, 50)).toBe(1);
    // NBD: E[X(t) | x, T] = (r + x) t / (alpha + T).
    expect(expectedPurchases(bg.model, 10, 3, 5, 50)).toBeCloseTo(((params.r + 3) * 10) / (params.alpha + 50), 10);
  });

  it('constant spend (gamma → ∞): succeeds with the observed mean as everyone\'s expected order value, and a warning', () => {
    const rand = prng(3);
    const x = Float64Array.from({ length: 300 }, () => 1 + Math.floor(rand() * 6));
    const m = new Float64Array(300).fill(25);
    const gg = fitGammaGamma(x, m);
    expect(gg.model).toEqual({ kind: 'observed-mean', mean: 25 });
    expect(gg.warnings.join('\n')).toMatch(/spend does not vary between customers; expected order value = the observed mean spend 25\.00/);
    expect(expectedOrderValue(gg.model, 3, 25)).toBe(25);
    expect(expectedOrderValue(gg.model, 0, 0)).toBe(25);
  });
});

const base: ScoreOptions = { ...baseScoreOptions, clv: { horizonMonths: 12, discountMonthly: 0.01, penalizer: 0 } };

describe('CLV on tiny stores', () => {
  it('ten customers (the fixture): succeeds, says which limits were reached, writes finite values', () => {
    const db = openStore(':memory:');
    loadPurchasesCsv(db, fixture('score-purchases.csv'));
    const run = scoreRun(db, base);
    const clv = run.clv!;
    expect(clv.customers).toBe(10);
    expect(clv.warnings.length).toBeGreaterThan(0);
    expect(clv.warnings.join('\n')).toMatch(/correlation is 0\.90/); // 5 repeat buyers: frequency and spend move together
    for (const f of [clv.purchaseModel, clv.spendModel]) {
      expect(Number.isFinite(f.logLikelihood)).toBe(true);
      expect(f.iterations).toBeGreaterThan(0);
      expect(f.gradientNorm).toBeLessThan(1e-4);
    }
    const rows = db.prepare('SELECT p_alive, expected_purchases, clv_minor FROM scores WHERE run_id = ? AND frequency > 0').all(run.runId) as Array<Record<string, number>>;
    expect(rows).toHaveLength(10);
    for (const r of rows) {
      expect(r.p_alive).toBeGreaterThan(0);
      expect(r.p_alive).toBeLessThanOrEqual(1);
      expect(Number.isFinite(r.expected_purchases) && r.expected_purchases >= 0).toBe(true);
      expect(Number.isInteger(r.clv_minor) && r.clv_minor >= 0).toBe(true);
    }
  });

  it('one customer: ClvFitError saying what the data lack, nothing written', () => {
    const db = openStore(':memory:');
    addLines(db, [
      { customer: 'A', order: 'A1', date: '2025-01-10', amount: 20 },
      { customer: 'A', order: 'A2', date: '2025-03-10', amount: 30 },
    ]);
    expect(() => scoreRun(db, base)).toThrow(ClvFitError);
    expect(() => scoreRun(db, base)).toThrow(/CLV needs at least 10 customers and 3 of them with a purchase on a second day .*found 1 and 1/);
    expect(db.prepare('SELECT count(*) FROM score_runs').pluck().get()).toBe(0);
  });
});
