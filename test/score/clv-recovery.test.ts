import { describe, expect, it } from 'vitest';
import { bgnbdData, fitBgNbd, fitGammaGamma } from '../../src/score/clv/models.js';
import { mulberry32 as prng, gammaVariate as gamma } from '../../bench/random.js';

describe('maximum likelihood on a large synthetic population (sample-started fit)', () => {
  it('recovers the BG/NBD and Gamma-Gamma parameters it was generated from', () => {
    const rand = prng(7);
    const truth = { r: 0.5, alpha: 6, a: 1.5, b: 4, p: 5, q: 4, gamma: 30 };
    const n = 40_000; // above the 20,000-row threshold: exercises the sample fit + full polish
    const x = new Float64Array(n);
    const tx = new Float64Array(n);
    const T = new Float64Array(n);
    const repeatX: number[] = [];
    const repeatM: number[] = [];
    for (let i = 0; i < n; i++) {
      const lambda = gamma(rand, truth.r) / truth.alpha;
      const ga = gamma(rand, truth.a);
      const p = ga / (ga + gamma(rand, truth.b));
      T[i] = 20 + rand() * 60;
      let t = 0;
      let count = 0;
      for (;;) {
        t += -Math.log(1 - rand()) / lambda;
        if (t > T[i]!) break;
        count++;
        tx[i] = t;
        if (rand() < p) break; // BG/NBD: may drop out after each repeat purchase (never at time 0)
      }
      x[i] = count;
      if (count > 0) {
        const nu = gamma(rand, truth.q) / truth.gamma;
        let sum = 0;
        for (let k = 0; k < count; k++) sum += gamma(rand, truth.p) / nu;
        repeatX.push(count);
        repeatM.push(sum / count);
      }
    }
    const bg = fitBgNbd(bgnbdData(x, tx, T, new Float64Array(n).fill(1))).params;
    for (const key of ['r', 'alpha', 'a', 'b'] as const) expect(Math.abs(bg[key] - truth[key]) / truth[key]).toBeLessThan(0.15);
    const gg = fitGammaGamma(Float64Array.from(repeatX), Float64Array.from(repeatM)).params;
    for (const key of ['p', 'q', 'gamma'] as const) expect(Math.abs(gg[key] - truth[key]) / truth[key]).toBeLessThan(0.15);
  });
});
