/**
 * The dedupe pipeline up to clusters, without changing any contact: keys -> blocking -> comparison ->
 * scoring -> clustering. `dedupe` (dry run, review, apply) and the benchmark all start here.
 */
import type { Db } from '../store/db.js';
import { block, type BlockingResult, type BlockingRule } from './blocking.js';
import { chooseRules, type RuleChoice } from './rule-choice.js';
import { COMPARISONS, compareLevels, identitiesDisagree, unpack } from './comparison.js';
import { cluster, type Cluster } from './clustering.js';
import { syncKeys } from './keys.js';
import { ensureValidated } from '../validate/ensure.js';
import { latestModel, withDefaults } from './model-store.js';
import { fill, loadRecords, newRecordsBuilder, view, type Records } from './records.js';
import { termFrequencies, termFrequenciesOf } from './frequencies.js';
import { Scorer, defaultModel, probability, type Model, type PatternCounts } from './scoring.js';
import { train, type TrainingReport } from './training.js';

export interface FindOptions {
  threshold: number;
  /** Anti-chaining: each member must reach this against its cluster's centre. */
  chainThreshold: number;
  maxBlock: number;
  /** Only pairs involving contacts added since the last applied run. */
  onlyNew?: boolean;
  /** Estimate m by EM on this run's candidate pairs and store the model. */
  train?: boolean;
  /** Pair budget for the blocking rules (default: rule-choice.ts PAIRS_PER_CONTACT per contact). */
  maxPairs?: number;
}

export interface FindResult {
  contacts: number;
  /** Contacts validate checked first (new or changed since their last validation). */
  validated: number;
  keyed: number;
  blocking: BlockingResult;
  /** The blocking rules chosen for this store, their pair counts, and those left out. */
  rules: RuleChoice;
  matches: number;
  clusters: Cluster[];
  model: Model;
  training?: TrainingReport;
  /** Milliseconds per stage. */
  timings: Record<string, number>;
  /** Scores any two contacts by id (explain, review files, anti-chaining). */
  score: (a: number, b: number) => PairScore;
}

export interface FieldEvidence {
  field: string;
  level: string;
  weight: number;
}

export interface PairScore {
  probability: number;
  weight: number;
  code: number;
  evidence: FieldEvidence[];
}

export const DEFAULT_THRESHOLD = 0.95;
export const DEFAULT_CHAIN_THRESHOLD = 0.5;
export const DEFAULT_MAX_BLOCK = 500;

export function lastAppliedMaxId(db: Db): number {
  return (db.prepare('SELECT coalesce(max(max_contact_id), 0) FROM dedupe_runs').pluck().get() as number);
}

/** About this many contacts are read to estimate u from random pairs. */
const U_SAMPLE = 5000;

export function keyedCount(db: Db): number {
  return db.prepare('SELECT count(*) FROM dedupe_keys').pluck().get() as number;
}

/**
 * The untrained model: default m, u from random pairs — of all records when they are in memory,
 * else of a deterministic sample read from the store (explain, decisions).
 */
export function untrainedModel(db: Db, records?: Records): Model {
  const step = Math.max(1, Math.floor((records?.size ?? keyedCount(db)) / U_SAMPLE));
  return defaultModel(records ?? loadRecords(db, { step }), step);
}

/** The scorer a run uses: the latest trained model (completed with defaults), or the untrained one. */
export function makeScorer(db: Db, records?: Records): Scorer {
  const model = withDefaults(latestModel(db), untrainedModel(db, records));
  return new Scorer(model, records?.size ?? keyedCount(db), records ? termFrequenciesOf(records) : termFrequencies(db));
}

export function scorePair(scorer: Scorer, records: Records, a: number, b: number): PairScore {
  const ia = records.position[a];
  const ib = records.position[b];
  if (ia === undefined || ib === undefined || ia < 0 || ib < 0) return { probability: 0, weight: -Infinity, code: 0, evidence: [] };
  const va = view(records, ia);
  const vb = view(records, ib);
  const code = compareLevels(va, vb);
  const weights = scorer.fieldWeights(code, va, vb);
  const household = identitiesDisagree(code);
  const evidence = COMPARISONS.map((c, k) => {
    const level = unpack(code, k);
    const label = c.levels[level]?.label ?? 'missing';
    return { field: c.name, level: household && c.household && weights[k] > 0 ? `${label} (household, capped)` : label, weight: weights[k] };
  });
  const weight = weights.reduce((s, w) => s + w, scorer.prior);
  return { probability: probability(weight), weight, code, evidence };
}

export function findDuplicates(db: Db, options: FindOptions): FindResult {
  const timings: Record<string, number> = {};
  let t = performance.now();
  const lap = (stage: string) => {
    const now = performance.now();
    timings[stage] = Math.round(now - t);
    t = now;
  };
  // The contract between stages: dedupe validates what changed first (validate's E.164 phones,
  // normalised postcodes and countries then feed the keys).
  const validated = ensureValidated(db);
  lap('validate');
  // The first run on a store keys every contact: its records are built as they are keyed.
  const builder = db.prepare('SELECT 1 FROM dedupe_keys LIMIT 1').get() ? undefined : newRecordsBuilder(db);
  const keyed = db.transaction(() => syncKeys(db, builder))();
  lap('keys');
  const records = builder?.finish() ?? loadRecords(db);
  lap('load');
  const prior = withDefaults(latestModel(db), { m: {}, u: {}, matchesPerContact: 0.1, trained: false }).matchesPerContact;
  const rules = chooseRules(records, { maxBlock: options.maxBlock, maxPairs: options.maxPairs, matchesPerContact: prior });
  saveRuleChoice(db, rules, records.size);
  lap('rule choice');
  const blockingOptions = { maxBlock: options.maxBlock, newAbove: options.onlyNew ? lastAppliedMaxId(db) : 0, rules: rules.chosen.map((c) => c.rule) };

  let training: TrainingReport | undefined;
  if (options.train) {
    const patterns: PatternCounts = new Map();
    block(records, blockingOptions, (i, j) => {
      const code = compareLevels(view(records, i), view(records, j));
      patterns.set(code, (patterns.get(code) ?? 0) + 1);
    });
    training = train(db, records, withDefaults(latestModel(db), untrainedModel(db, records)), patterns, options.maxBlock);
    lap('training');
  }
  const scorer = makeScorer(db, records);
  lap('model');
  // Compare and score as pairs come out of blocking: only the matches are kept.
  const matched: Array<{ a: number; b: number; probability: number }> = [];
  // Pairs a person kept apart in a review are never proposed again.
  const left = view(records, 0);
  const right = view(records, 0);
  const apart = new Set((db.prepare('SELECT a_id, b_id FROM dedupe_decisions').raw().all() as Array<[number, number]>).map(([a, b]) => `${a},${b}`));
  const blocking = block(records, blockingOptions, (i, j) => {
    if (apart.size > 0 && apart.has(`${records.ids[i]},${records.ids[j]}`)) return;
    const a = fill(left, records, i);
    const b = fill(right, records, j);
    const code = compareLevels(a, b);
    const p = probability(scorer.weight(code, a, b));
    if (p >= options.threshold) matched.push({ a: records.ids[i], b: records.ids[j], probability: p });
  });
  lap('blocking + comparison + scoring');
  const score = (a: number, b: number) => scorePair(scorer, records, a, b);
  const clusters = cluster(matched, options.chainThreshold, (a, b) => score(a, b).probability);
  lap('clustering');
  return { contacts: records.size, validated, keyed, blocking, rules, matches: matched.length, clusters, model: scorer.model, training, timings, score };
}

/** Keeps the rules this run chose (only the latest): explain says which one brings a pair. */
function saveRuleChoice(db: Db, choice: RuleChoice, contacts: number): void {
  const rules = choice.chosen.map((c) => ({ ...c.rule, pairs: c.pairs }));
  db.transaction(() => {
    db.prepare('DELETE FROM dedupe_blocking').run();
    db.prepare('INSERT INTO dedupe_blocking (chosen_at, contacts, budget, rules) VALUES (?, ?, ?, ?)').run(new Date().toISOString(), contacts, choice.budget, JSON.stringify(rules));
  })();
}

/** The rules the last run chose, or null before any run. */
export function lastRuleChoice(db: Db): BlockingRule[] | null {
  const row = db.prepare('SELECT rules FROM dedupe_blocking ORDER BY id DESC LIMIT 1').pluck().get() as string | undefined;
  return row ? (JSON.parse(row) as BlockingRule[]) : null;
}
