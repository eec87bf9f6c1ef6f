/**
 * `dedupe --train`: u from random pairs, m by EM once per training rule (each leaving out the
 * comparisons its rule blocks on), each comparison's m averaged over the rules that estimated it, then
 * the match share of all candidate pairs with the new m. The model is stored for later runs.
 */
import type { Db } from '../store/db.js';
import { BLOCKING_RULES, block, type BlockingRule } from './blocking.js';
import { COMPARISONS, compareLevels } from './comparison.js';
import { saveModel } from './model-store.js';
import { view, type Records } from './records.js';
import { estimateShare, trainEm, type Model, type PatternCounts } from './scoring.js';

export interface TrainingRule {
  rule: string;
  /** Comparisons the rule's pairs agree on by construction (or nearly: city follows postcode). */
  excludes: string[];
}

export const TRAINING_RULES: readonly TrainingRule[] = [
  { rule: 'first + last name + birth date', excludes: ['first_name', 'last_name', 'birth_date'] },
  { rule: 'same email', excludes: ['email'] },
  { rule: 'birth date + postcode', excludes: ['birth_date', 'postal_code', 'city'] },
  { rule: 'same phone', excludes: ['phone'] },
];

export interface TrainingReport {
  modelId: number;
  model: Model;
  rules: Array<{ rule: string; pairs: number; iterations: number; matchShare: number }>;
  /** Share of all candidate pairs estimated to be matches. */
  matchShare: number;
}

function patternsOf(records: Records, rule: BlockingRule, maxBlock: number): { patterns: PatternCounts; pairs: number } {
  const patterns: PatternCounts = new Map();
  const { pairs } = block(records, { maxBlock, rules: [rule] }, (i, j) => {
    const code = compareLevels(view(records, i), view(records, j));
    patterns.set(code, (patterns.get(code) ?? 0) + 1);
  });
  return { patterns, pairs };
}

export function train(db: Db, records: Records, start: Model, candidates: PatternCounts, maxBlock: number): TrainingReport {
  const estimates = new Map<string, number[][]>();
  const rules: TrainingReport['rules'] = [];
  for (const t of TRAINING_RULES) {
    const rule = BLOCKING_RULES.find((r) => r.name === t.rule);
    if (!rule) continue;
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
  const matchShare = estimateShare(candidates, model);
  model.matchesPerContact = Math.max((matchShare * candidatePairs) / Math.max(records.size, 1), 1e-6);
  const modelId = db.transaction(() => saveModel(db, model, records.size, candidatePairs))();
  return { modelId, model, rules, matchShare };
}
