/**
 * Step 4, scoring (Fellegi-Sunter). For each comparison level, m = P(level | same person) and
 * u = P(level | different people). A pair's match weight is the prior log-odds plus the sum of
 * log2(m/u) over its fields; its probability is 2^w / (1 + 2^w). u comes from random pairs, m from
 * expectation-maximisation over the candidate pairs (no labels needed), and on exact name/city levels
 * u is replaced by that value's frequency: sharing a rare surname is stronger evidence than "martin".
 */
import { COMPARISONS, MISSING, levelOf, unpack, type Comparison } from './comparison.js';
import { view, type Records } from './records.js';

export interface Model {
  /** Per comparison name, one probability per level. */
  m: Record<string, number[]>;
  u: Record<string, number[]>;
  /** Expected duplicate pairs per contact: the prior scales with the store's size. */
  matchesPerContact: number;
  trained: boolean;
}

/** Before training: m from experience with customer files (typos are rare, exact agreement common). */
const DEFAULT_M: Record<string, number[]> = {
  first_name: [0.86, 0.02, 0.06, 0.03, 0.03],
  last_name: [0.88, 0.02, 0.05, 0.02, 0.03],
  birth_date: [0.9, 0.05, 0.02, 0.03],
  email: [0.85, 0.07, 0.08],
  phone: [0.85, 0.05, 0.1],
  postal_code: [0.85, 0.05, 0.1],
  city: [0.85, 0.08, 0.07],
  address: [0.75, 0.12, 0.05, 0.08],
  siret: [0.95, 0.05],
};

/** A small deterministic generator: the same store gives the same u and the same answer. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** u per level from random pairs (nearly all of which are different people). */
export function estimateU(records: Records, samples = 200_000, comparisons: readonly Comparison[] = COMPARISONS): Record<string, number[]> {
  const counts = comparisons.map((c) => new Array<number>(c.levels.length).fill(0));
  const random = rng(20);
  const n = records.size;
  const total = n < 2 ? 0 : Math.min(samples, (n * (n - 1)) / 2);
  for (let s = 0; s < total; s++) {
    const i = Math.floor(random() * n);
    let j = Math.floor(random() * (n - 1));
    if (j >= i) j++;
    const a = view(records, i);
    const b = view(records, j);
    comparisons.forEach((c, k) => {
      const level = levelOf(c, a, b);
      if (level !== MISSING) counts[k][level]++;
    });
  }
  const u: Record<string, number[]> = {};
  comparisons.forEach((c, k) => {
    const sum = counts[k].reduce((x, y) => x + y, 0);
    // Half a count of smoothing: a level never seen in random pairs is rare, not impossible.
    u[c.name] = counts[k].map((x) => (x + 0.5) / (sum + 0.5 * counts[k].length));
  });
  return u;
}

export function defaultModel(records: Records): Model {
  return { m: structuredClone(DEFAULT_M), u: estimateU(records), matchesPerContact: 0.1, trained: false };
}

/** Pair level vectors grouped: EM works on distinct patterns, not on millions of pairs. */
export type PatternCounts = Map<number, number>;

export interface EmResult {
  model: Model;
  iterations: number;
  /** Share of candidate pairs EM believes are matches. */
  matchShare: number;
}

/**
 * Expectation-maximisation of m (and of the candidate pairs' own u and match share) over level patterns,
 * starting from `start`. The u kept in the model is the random-pair u: EM's u describes non-matches that
 * passed blocking, which agree on blocked fields far more often than two random people do.
 */
export function trainEm(patterns: PatternCounts, start: Model, contacts: number, comparisons: readonly Comparison[] = COMPARISONS, maxIterations = 100): EmResult {
  const names = comparisons.map((c) => c.name);
  let m = names.map((n) => [...start.m[n]]);
  let u = names.map((n) => [...start.u[n]]);
  let share = 0.3;
  const entries = [...patterns.entries()].map(([code, count]) => ({ count, levels: names.map((_, k) => unpack(code, k)) }));
  const totalPairs = entries.reduce((s, e) => s + e.count, 0);
  let iterations = 0;
  for (; iterations < maxIterations && totalPairs > 0; iterations++) {
    const mSum = names.map((_, k) => new Array<number>(m[k].length).fill(1e-6));
    const uSum = names.map((_, k) => new Array<number>(u[k].length).fill(1e-6));
    let matchTotal = 0;
    for (const e of entries) {
      let pm = share;
      let pu = 1 - share;
      e.levels.forEach((l, k) => {
        if (l === MISSING) return;
        pm *= m[k][l];
        pu *= u[k][l];
      });
      const p = pm / (pm + pu);
      matchTotal += p * e.count;
      e.levels.forEach((l, k) => {
        if (l === MISSING) return;
        mSum[k][l] += p * e.count;
        uSum[k][l] += (1 - p) * e.count;
      });
    }
    const normalise = (rows: number[][]) => rows.map((row) => {
      const s = row.reduce((x, y) => x + y, 0);
      return row.map((x) => x / s);
    });
    const nextM = normalise(mSum);
    const nextShare = matchTotal / totalPairs;
    const delta = Math.max(Math.abs(nextShare - share), ...nextM.flatMap((row, k) => row.map((x, l) => Math.abs(x - m[k][l]))));
    m = nextM;
    u = normalise(uSum);
    share = nextShare;
    if (delta < 1e-5) break;
  }
  const model: Model = {
    m: Object.fromEntries(names.map((n, k) => [n, m[k]])),
    u: structuredClone(start.u),
    matchesPerContact: contacts > 0 ? Math.max((share * totalPairs) / contacts, 1e-6) : start.matchesPerContact,
    trained: true,
  };
  return { model, iterations, matchShare: share };
}

/** Term frequencies of the tf-adjusted fields: value -> share of keyed contacts holding it. */
export type TermFrequencies = Array<Map<string, number> | null>;

export function termFrequencies(records: Records, comparisons: readonly Comparison[] = COMPARISONS): TermFrequencies {
  return comparisons.map((c) => {
    if (!c.tf) return null;
    const counts = new Map<string, number>();
    for (let i = 0; i < records.size; i++) {
      const value = c.tf(view(records, i));
      if (value !== null) counts.set(value, (counts.get(value) ?? 0) + 1);
    }
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    for (const [value, count] of counts) counts.set(value, count / total);
    return counts;
  });
}

/** Everything needed to turn a level vector into a weight, precomputed once per run. */
export class Scorer {
  readonly prior: number;
  /** weights[k][level] in bits; MISSING contributes nothing. */
  readonly weights: number[][];

  constructor(
    readonly model: Model,
    readonly contacts: number,
    readonly tf: TermFrequencies,
    readonly comparisons: readonly Comparison[] = COMPARISONS,
  ) {
    const n = Math.max(contacts, 2);
    const priorP = Math.min((2 * model.matchesPerContact) / (n - 1), 0.5);
    this.prior = Math.log2(priorP / (1 - priorP));
    this.weights = comparisons.map((c) => c.levels.map((_, l) => Math.log2(model.m[c.name][l] / model.u[c.name][l])));
  }

  /** The weight of one field at a level, with the term-frequency adjustment on exact agreement. */
  fieldWeight(k: number, level: number, a: ReturnType<typeof view>): { weight: number; tfValueShare?: number } {
    if (level === MISSING) return { weight: 0 };
    const c = this.comparisons[k];
    const tfMap = this.tf[k];
    if (level === 0 && c.tf && tfMap) {
      const value = c.tf(a);
      const share = value === null ? undefined : tfMap.get(value);
      if (share !== undefined) {
        // Two different people share value v with probability share(v): that is this pair's u.
        return { weight: Math.log2(this.model.m[c.name][0] / Math.max(share, 1 / (this.contacts * 10))), tfValueShare: share };
      }
    }
    return { weight: this.weights[k][level] };
  }

  weight(code: number, a: ReturnType<typeof view>): number {
    let w = this.prior;
    for (let k = 0; k < this.comparisons.length; k++) w += this.fieldWeight(k, unpack(code, k), a).weight;
    return w;
  }
}

export function probability(weight: number): number {
  const odds = 2 ** weight;
  return Number.isFinite(odds) ? odds / (1 + odds) : 1;
}
