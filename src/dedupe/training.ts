/**
 * `dedupe --train`: u from random pairs, m by EM once per training rule (each leaving out the
 * comparisons its rule blocks on), each comparison's m averaged over the rules that estimated it, then
 * the match share of all candidate pairs with the new m. The model is stored for later runs.
 */
import type { Db } from '../store/db.js';
import { BLOCK_KEYS, type Attribute } from './block-keys.js';
import { BLOCKING_RULES, block, countPairs, type BlockingRule } from './blocking.js';
import { COMPARISONS, compareLevels } from './comparison.js';
import { saveModel } from './model-store.js';
import { fill, view, type Records } from './records.js';
import { estimateMatchesPerContact, trainEm, type Model, type PatternCounts } from './scoring.js';

export interface TrainingRule {
  rule: string;
  /** Comparisons the rule's pairs agree on by construction (or nearly: city follows postcode). */
  excludes: string[];
}

/**
 * "same email" is deliberately not a training rule: files where several people share an address
 * (a family, "jean.martin@" at a big provider) feed EM pairs of different people that agree on email,
 * and it learns to trust email far too much. Email's m is learnt from the other rules' pairs.
 */
export const TRAINING_RULES: readonly TrainingRule[] = [
  { rule: 'first + last name + birth date', excludes: ['first_name', 'last_name', 'birth_date'] },
  { rule: 'birth date + postcode', excludes: ['birth_date', 'postal_code', 'city'] },
  { rule: 'same phone', excludes: ['phone'] },
];

/** Why a model was fitted on this run. */
export type FitReason = 'asked (--train)' | 'no model yet' | 'the fields changed';

export interface TrainingReport {
  reason?: FitReason;
  /** The store's attributes the model was fitted for. */
  fields?: string;
  modelId: number;
  model: Model;
  rules: Array<{ rule: string; pairs: number; iterations: number; matchShare: number }>;
  /** Share of all candidate pairs estimated to be matches. */
  matchShare: number;
}

/** EM needs the mix of levels, not every pair: a rule's pairs beyond this are sampled evenly. */
const EM_PAIRS = 100_000;

function patternsOf(records: Records, rule: BlockingRule, maxBlock: number): { patterns: PatternCounts; pairs: number } {
  const patterns: PatternCounts = new Map();
  const stride = Math.max(1, Math.ceil(countPairs(records, rule, maxBlock) / EM_PAIRS));
  let seen = 0;
  const a = view(records, 0);
  const b = view(records, 0);
  const { pairs } = block(records, { maxBlock, rules: [rule] }, (i, j) => {
    if (seen++ % stride !== 0) return;
    const code = compareLevels(fill(a, records, i), fill(b, records, j));
    patterns.set(code, (patterns.get(code) ?? 0) + 1);
  });
  return { patterns, pairs };
}

/** The comparisons a blocking key's pairs agree on by construction (a postcode block agrees on the city too). */
const EXCLUDED_BY: Record<Attribute, string[]> = {
  first_name: ['first_name'], last_name: ['last_name'], birth_date: ['birth_date'], email: ['email'], phone: ['phone'],
  postal_code: ['postal_code', 'city'], city: ['city'], address: ['address'], siret: ['siret'],
};

/**
 * Training rules taken from the rules blocking chose for this store (a file without postcodes or phones
 * has no use for the fixed ones): every chosen rule but those on email (see TRAINING_RULES) and swapped
 * names, each leaving out the comparisons its keys decide.
 */
export function trainingRulesFrom(chosen: readonly BlockingRule[]): Array<{ rule: BlockingRule; excludes: string[] }> {
  return chosen
    .filter((r) => !r.swapWith && !r.fields.some((f) => BLOCK_KEYS[f].attribute === 'email'))
    .map((rule) => ({ rule, excludes: [...new Set(rule.fields.flatMap((f) => EXCLUDED_BY[BLOCK_KEYS[f].attribute]))] }));
}

export interface TrainOptions {
  /** The rules to run EM on (default: TRAINING_RULES). */
  rules?: Array<{ rule: BlockingRule; excludes: string[] }>;
  /** The store's set of fields, recorded with the model. */
  fields?: string;
  fittedBy?: 'train' | 'auto';
}

export function train(db: Db, records: Records, start: Model, candidates: PatternCounts, maxBlock: number, options: TrainOptions = {}): TrainingReport {
  const estimates = new Map<string, number[][]>();
  const rules: TrainingReport['rules'] = [];
  const fixed = TRAINING_RULES.flatMap((t) => {
    const rule = BLOCKING_RULES.find((r) => r.name === t.rule);
    return rule ? [{ rule, excludes: t.excludes }] : [];
  });
  for (const { rule, excludes } of options.rules ?? fixed) {
    const t = { rule: rule.name, excludes };
    const { patterns, pairs } = patternsOf(records, rule, maxBlock);
    if (pairs === 0) continue;
    const em = trainEm(patterns, start, new Set(t.excludes));
    rules.push({ rule: t.rule, pairs, iterations: em.iterations, matchShare: em.matchShare });
    for (const [name, m] of Object.entries(em.m)) estimates.set(name, [...(estimates.get(name) ?? []), m]);
  }
  const m = { ...start.m };
  for (const c of COMPARISONS) {
    const list = estimates.get(c.name);
    if (!list || list.length === 0) continue;
    m[c.name] = m[c.name].map((_, l) => list.reduce((s, x) => s + x[l], 0) / list.length);
  }
  const model: Model = { m, u: start.u, matchesPerContact: start.matchesPerContact, trained: true };
  const candidatePairs = [...candidates.values()].reduce((s, n) => s + n, 0);
  model.matchesPerContact = estimateMatchesPerContact(candidates, model, records.size);
  const matchShare = candidatePairs > 0 ? (model.matchesPerContact * records.size) / candidatePairs : 0;
  const modelId = db.transaction(() => saveModel(db, model, records.size, candidatePairs, options.fields ?? null, options.fittedBy ?? 'train'))();
  return { modelId, model, rules, matchShare };
}
