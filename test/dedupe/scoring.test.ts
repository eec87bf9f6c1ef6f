import { describe, expect, it } from 'vitest';
import { COMPARISONS, LEVEL_BITS, MISSING } from '../../src/dedupe/comparison.js';
import { Scorer, estimateMatchesPerContact, probability, rng, trainEm, type Model, type PatternCounts } from '../../src/dedupe/scoring.js';

/** A small labelled set: pairs drawn from known m (matches) and u (non-matches), as level patterns. */
function labelledPatterns(m: Record<string, number[]>, u: Record<string, number[]>, matches: number, nonMatches: number): PatternCounts {
  const random = rng(3);
  const draw = (p: number[]) => {
    let x = random();
    for (let l = 0; l < p.length; l++) if ((x -= p[l]) <= 0) return l;
    return p.length - 1;
  };
  const patterns: PatternCounts = new Map();
  const add = (probs: Record<string, number[]>) => {
    let code = 0;
    COMPARISONS.forEach((c, k) => {
      const level = probs[c.name] ? draw(probs[c.name]) : MISSING;
      code += level * 2 ** (k * LEVEL_BITS);
    });
    patterns.set(code, (patterns.get(code) ?? 0) + 1);
  };
  for (let i = 0; i < matches; i++) add(m);
  for (let i = 0; i < nonMatches; i++) add(u);
  return patterns;
}

const TRUE_M = {
  first_name: [0.8, 0.02, 0.1, 0.05, 0.03], last_name: [0.85, 0.02, 0.08, 0.02, 0.03], birth_date: [0.9, 0.06, 0.01, 0.03],
  email: [0.7, 0.1, 0.1, 0.1], postal_code: [0.75, 0.05, 0.2],
};
const TRUE_U = {
  first_name: [0.02, 0.001, 0.01, 0.05, 0.919], last_name: [0.05, 0.001, 0.02, 0.05, 0.879], birth_date: [0.001, 0.01, 0.03, 0.959],
  email: [0.0001, 0.0009, 0.01, 0.989], postal_code: [0.3, 0.1, 0.6],
};

function startModel(): Model {
  const flat = (n: number) => Array.from({ length: n }, (_, i) => (i === 0 ? 0.5 : 0.5 / (n - 1)));
  const m = Object.fromEntries(COMPARISONS.map((c) => [c.name, flat(c.levels.length)]));
  const u = Object.fromEntries(COMPARISONS.map((c) => [c.name, TRUE_U[c.name as keyof typeof TRUE_U] ?? flat(c.levels.length)]));
  return { m, u, matchesPerContact: 0.1, trained: false };
}

describe('EM', () => {
  it('recovers m and the match share from unlabelled pairs of a labelled set', () => {
    const patterns = labelledPatterns(TRUE_M, TRUE_U, 3000, 7000);
    const em = trainEm(patterns, startModel(), new Set());
    expect(em.matchShare).toBeCloseTo(0.3, 1);
    for (const [name, m] of Object.entries(TRUE_M)) {
      em.m[name].slice(0, m.length).forEach((x, l) => expect(Math.abs(x - m[l])).toBeLessThan(0.05));
    }
  });

  it('leaves the comparisons a rule blocked on untouched', () => {
    const start = startModel();
    const em = trainEm(labelledPatterns(TRUE_M, TRUE_U, 500, 500), start, new Set(['email']));
    expect(em.m.email).toBeUndefined();
    expect(em.m.first_name[0]).toBeGreaterThan(0.7);
  });

  it('estimates the matches per contact when m and u are known', () => {
    const model = { ...startModel(), m: { ...startModel().m, ...TRUE_M } };
    // 10,000 contacts, 2,000 true pairs among the candidates: 0.2 duplicate pairs per contact.
    const perContact = estimateMatchesPerContact(labelledPatterns(TRUE_M, TRUE_U, 2000, 8000), model, 10_000);
    expect(perContact).toBeGreaterThan(0.15);
    expect(perContact).toBeLessThan(0.25);
  });
});

describe('Scorer', () => {
  const model = { ...startModel(), m: { ...startModel().m, ...TRUE_M } };
  const view = (fn: string, ln: string) => ({ fn, fi: fn[0], ln, lnPhon: null, email: null, postal: null, dob: null, siret: null, addr: null, city: null, sex: null, phones: null });

  it('weighs agreement on a rare surname above agreement on a common one', () => {
    const tf = COMPARISONS.map((c) => (c.name === 'last_name' ? new Map([[0, new Map([['martin', 0.05], ['quinquis', 0.0001]])]]) : null));
    const scorer = new Scorer(model, 10_000, tf);
    const k = COMPARISONS.findIndex((c) => c.name === 'last_name');
    const common = scorer.fieldWeight(k, 0, view('jean', 'martin')).weight;
    const rare = scorer.fieldWeight(k, 0, view('jean', 'quinquis')).weight;
    expect(rare).toBeGreaterThan(common + 5);
    expect(common).toBeGreaterThan(0);
  });

  it('turns weights into probabilities, and the prior shrinks as the store grows', () => {
    expect(probability(0)).toBe(0.5);
    expect(probability(10)).toBeGreaterThan(0.999);
    expect(probability(2000)).toBe(1);
    const tf = COMPARISONS.map(() => null);
    expect(new Scorer(model, 1_000_000, tf).prior).toBeLessThan(new Scorer(model, 1000, tf).prior - 9);
  });
});
