/**
 * Step 4, scoring (Fellegi-Sunter). For each comparison level, m = P(level | same person) and
 * u = P(level | different people). A pair's match weight is the prior log-odds plus the sum of
 * log2(m/u) over its fields; its probability is 2^w / (1 + 2^w). u comes from random pairs, m from
 * expectation-maximisation over the candidate pairs (no labels needed), and on exact name/city levels
 * u is replaced by that value's frequency: sharing a rare surname is stronger evidence than "martin".
 */
import { COMPARISONS, HOUSEHOLD_CAP_BITS, MISSING, identitiesDisagree, levelOf, unpack, type Comparison, type TermFrequencyLevel } from './comparison.js';
import type { Shares, TermFrequencies } from './frequencies.js';
import { fill, view, type RecordView, type Records } from './records.js';

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
  email: [0.8, 0.03, 0.03, 0.04, 0.1],
  phone: [0.85, 0.05, 0.1],
  postal_code: [0.85, 0.05, 0.1],
  city: [0.8, 0.1, 0.05, 0.05],
  address: [0.75, 0.12, 0.05, 0.08],
  siret: [0.95, 0.05],
  civility: [0.98, 0.02],
};

/**
 * u before any data is seen, and the pull towards it: a store of a few dozen contacts has too few
 * random pairs to estimate "two strangers share a SIRET" by itself, so its counts are blended with
 * these as if they were U_PRIOR_PAIRS pairs of evidence. A large store's own counts dominate.
 */
const DEFAULT_U: Record<string, number[]> = {
  first_name: [0.01, 0.0001, 0.005, 0.02, 0.9649],
  last_name: [0.005, 0.0001, 0.002, 0.01, 0.9829],
  birth_date: [0.0001, 0.0005, 0.01, 0.9894],
  email: [0.00001, 0.0005, 0.00001, 0.0001, 0.99938],
  phone: [0.00001, 0.0001, 0.99989],
  postal_code: [0.002, 0.01, 0.988],
  city: [0.002, 0.001, 0.002, 0.995],
  address: [0.0001, 0.001, 0.02, 0.9789],
  siret: [0.0001, 0.9999],
  civility: [0.5, 0.5],
};
const U_PRIOR_PAIRS = 2000;

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

/**
 * u per level from random pairs (nearly all of which are different people), drawn among the records
 * whose contact id is a multiple of `step`: the same sample whether the records come from a full run
 * or from `loadRecords(db, { step })`, so explain and dedupe agree to the last digit.
 */
export function estimateU(records: Records, step = 1, samples = 100_000, comparisons: readonly Comparison[] = COMPARISONS): Record<string, number[]> {
  const counts = comparisons.map((c) => new Array<number>(c.levels.length).fill(0));
  const random = rng(20);
  const eligible: number[] = [];
  for (let p = 0; p < records.size; p++) if (records.ids[p] % step === 0) eligible.push(p);
  const n = eligible.length;
  const total = n < 2 ? 0 : Math.min(samples, (n * (n - 1)) / 2);
  const a = view(records, 0);
  const b = view(records, 0);
  for (let s = 0; s < total; s++) {
    const i = Math.floor(random() * n);
    let j = Math.floor(random() * (n - 1));
    if (j >= i) j++;
    fill(a, records, eligible[i]);
    fill(b, records, eligible[j]);
    for (let k = 0; k < comparisons.length; k++) {
      const level = levelOf(comparisons[k], a, b);
      if (level !== MISSING) counts[k][level]++;
    }
  }
  const u: Record<string, number[]> = {};
  comparisons.forEach((c, k) => {
    const sum = counts[k].reduce((x, y) => x + y, 0);
    const prior = DEFAULT_U[c.name] ?? counts[k].map(() => 1 / counts[k].length);
    u[c.name] = counts[k].map((x, l) => (x + U_PRIOR_PAIRS * prior[l]) / (sum + U_PRIOR_PAIRS));
  });
  return u;
}

export function defaultModel(records: Records, step = 1): Model {
  return { m: structuredClone(DEFAULT_M), u: estimateU(records, step), matchesPerContact: 0.1, trained: false };
}

/** Pair level vectors grouped: EM works on distinct patterns, not on millions of pairs. */
export type PatternCounts = Map<number, number>;

export interface EmResult {
  /** m per comparison, for the comparisons estimated (not excluded). */
  m: Record<string, number[]>;
  iterations: number;
  /** Share of the pairs EM believes are matches. */
  matchShare: number;
}

function decode(patterns: PatternCounts, k: number): Array<{ count: number; levels: number[] }> {
  return [...patterns.entries()].map(([code, count]) => ({ count, levels: Array.from({ length: k }, (_, i) => unpack(code, i)) }));
}

/**
 * Expectation-maximisation of m and of the match share over the level patterns of pairs found by one
 * blocking rule, with u fixed (from random pairs) and the rule's own comparisons left out: pairs that
 * were blocked on a field agree on it whether they match or not, so it says nothing there (Splink's way).
 */
export function trainEm(patterns: PatternCounts, start: Model, exclude: ReadonlySet<string>, comparisons: readonly Comparison[] = COMPARISONS, maxIterations = 200): EmResult {
  const names = comparisons.map((c) => c.name);
  const used = names.map((n) => !exclude.has(n));
  let m = names.map((n) => [...start.m[n]]);
  const u = names.map((n) => start.u[n]);
  let share = 0.5;
  const entries = decode(patterns, names.length);
  const total = entries.reduce((s, e) => s + e.count, 0);
  let iterations = 0;
  for (; iterations < maxIterations && total > 0; iterations++) {
    const mSum = names.map((_, k) => new Array<number>(m[k].length).fill(1e-9));
    let matchTotal = 0;
    for (const e of entries) {
      let pm = share;
      let pu = 1 - share;
      for (let k = 0; k < names.length; k++) {
        const l = e.levels[k];
        if (!used[k] || l === MISSING || comparisons[k].levels[l].neutral) continue;
        pm *= m[k][l];
        pu *= u[k][l];
      }
      const p = pm / (pm + pu);
      matchTotal += p * e.count;
      for (let k = 0; k < names.length; k++) if (used[k] && e.levels[k] !== MISSING) mSum[k][e.levels[k]] += p * e.count;
    }
    const nextM = mSum.map((row, k) => {
      if (!used[k]) return m[k];
      const s = row.reduce((x, y) => x + y, 0);
      // A level no match ever reached still keeps a sliver of probability (log2 of 0 is -infinity).
      return row.map((x) => Math.max(x / s, 1e-4));
    });
    const nextShare = matchTotal / total;
    const delta = Math.max(Math.abs(nextShare - share), ...nextM.flatMap((row, k) => row.map((x, l) => Math.abs(x - m[k][l]))));
    m = nextM;
    share = nextShare;
    if (delta < 1e-6) break;
  }
  return { m: Object.fromEntries(names.filter((_, k) => used[k]).map((n) => [n, m[names.indexOf(n)]])), iterations, matchShare: share };
}

/**
 * Expected duplicate pairs per contact, m and u fixed: EM on the prior over all N(N-1)/2 pairs, where
 * the pairs blocking left out count as non-matches. (The share of matches among candidate pairs would
 * overstate it: candidates agree on their blocking fields whether they match or not.)
 */
export function estimateMatchesPerContact(patterns: PatternCounts, model: Model, contacts: number, comparisons: readonly Comparison[] = COMPARISONS): number {
  const entries = decode(patterns, comparisons.length).map((e) => {
    let ratio = 1; // prod(m) / prod(u) over the fields present
    e.levels.forEach((l, k) => {
      if (l !== MISSING && !comparisons[k].levels[l].neutral) ratio *= model.m[comparisons[k].name][l] / model.u[comparisons[k].name][l];
    });
    return { count: e.count, ratio };
  });
  const n = Math.max(contacts, 2);
  let perContact = model.matchesPerContact;
  for (let it = 0; it < 500; it++) {
    const prior = Math.min((2 * perContact) / (n - 1), 0.5);
    let matches = 0;
    for (const e of entries) matches += ((prior * e.ratio) / (prior * e.ratio + 1 - prior)) * e.count;
    const next = Math.max(matches / n, 1e-6);
    if (Math.abs(next - perContact) < 1e-9) return next;
    perContact = next;
  }
  return perContact;
}

/** Everything needed to turn a level vector into a weight, precomputed once per run. */
export class Scorer {
  readonly prior: number;
  /** weights[k][level] in bits; MISSING contributes nothing. */
  readonly weights: number[][];
  /** Per comparison and level, its term-frequency adjustment if it has one (looked up once, not per pair). */
  private readonly tfLevels: Array<Array<(TermFrequencyLevel & { shares: Shares }) | null>>;
  private readonly household: boolean[];

  constructor(
    readonly model: Model,
    readonly contacts: number,
    readonly tf: TermFrequencies,
    readonly comparisons: readonly Comparison[] = COMPARISONS,
  ) {
    const n = Math.max(contacts, 2);
    const priorP = Math.min((2 * model.matchesPerContact) / (n - 1), 0.5);
    this.prior = Math.log2(priorP / (1 - priorP));
    this.weights = comparisons.map((c) => c.levels.map((level, l) => (level.neutral ? 0 : Math.log2(model.m[c.name][l] / model.u[c.name][l]))));
    this.tfLevels = comparisons.map((c, k) => c.levels.map((level, l) => {
      const shares = this.tf[k]?.get(l);
      const t = c.tf?.find((x) => x.level === l);
      return shares && t && !level.neutral ? { ...t, shares } : null;
    }));
    this.household = comparisons.map((c) => c.household === true);
  }

  /**
   * Each field's weight for a pair (0 when missing), the household cap applied: explain and the review
   * file show these, and they add up to `weight(...) - prior`.
   */
  fieldWeights(code: number, a: RecordView, b: RecordView): number[] {
    const out = this.comparisons.map((_, k) => this.rawWeight(k, unpack(code, k), a, b));
    if (this.comparisons === COMPARISONS && identitiesDisagree(code)) {
      let shared = 0;
      for (let k = 0; k < out.length; k++) if (this.household[k] && out[k] > 0) shared += out[k];
      if (shared > HOUSEHOLD_CAP_BITS) for (let k = 0; k < out.length; k++) if (this.household[k] && out[k] > 0) out[k] *= HOUSEHOLD_CAP_BITS / shared;
    }
    return out;
  }

  /** The weight of one field at a level, with the term-frequency adjustment on exact agreement. */
  fieldWeight(k: number, level: number, a: RecordView, b: RecordView = a): { weight: number; tfValueShare?: number } {
    const c = this.comparisons[k];
    if (level === MISSING || c.levels[level].neutral) return { weight: 0 };
    const share = this.valueShare(k, level, a, b);
    // Two different people share value v with probability share(v): that is this pair's u.
    if (share !== undefined) return { weight: this.tfWeight(k, level, share), tfValueShare: share };
    return { weight: this.weights[k][level] };
  }

  private rawWeight(k: number, level: number, a: RecordView, b: RecordView): number {
    if (level === MISSING) return 0;
    // Only tf-adjusted levels need the value; the rest is a table lookup (millions of pairs per run).
    const share = this.tfLevels[k][level] ? this.valueShare(k, level, a, b) : undefined;
    return share === undefined ? this.weights[k][level] : this.tfWeight(k, level, share);
  }

  /** The share of other contacts holding the pair's value, on a tf-adjusted level; undefined elsewhere. */
  private valueShare(k: number, level: number, a: RecordView, b: RecordView): number | undefined {
    const t = this.tfLevels[k][level];
    if (!t) return undefined;
    if (t.column === 'phones') {
      const shared = a.phones?.find((p) => b.phones?.includes(p));
      return shared === undefined ? undefined : t.shares.get(shared);
    }
    const value = a[t.column];
    return value === null ? undefined : t.shares.get(t.key ? t.key(value) : value);
  }

  private tfWeight(k: number, level: number, share: number): number {
    return Math.log2(this.model.m[this.comparisons[k].name][level] / Math.max(share, 1 / (this.contacts * 10)));
  }

  weight(code: number, a: RecordView, b: RecordView): number {
    if (this.comparisons === COMPARISONS && identitiesDisagree(code)) return this.fieldWeights(code, a, b).reduce((s, w) => s + w, this.prior);
    let w = this.prior;
    for (let k = 0; k < this.comparisons.length; k++) w += this.rawWeight(k, unpack(code, k), a, b);
    return w;
  }
}

export function probability(weight: number): number {
  const odds = 2 ** weight;
  return Number.isFinite(odds) ? odds / (1 + odds) : 1;
}
