/**
 * The dedupe pipeline up to clusters, without changing any contact: keys -> blocking -> comparison ->
 * scoring -> clustering. `dedupe` (dry run, review, apply) and the benchmark all start here.
 */
import type { Db } from '../store/db.js';
import { block, type BlockingResult, type BlockingRule } from './blocking.js';
import { chooseRules, fieldSet, type RuleChoice } from './rule-choice.js';
import { COMPARISONS, compareLevels, identitiesDisagree, unpack } from './comparison.js';
import { cluster, type Cluster } from './clustering.js';
import { syncKeys } from './keys.js';
import { ensureValidated } from '../validate/ensure.js';
import { latestModel, latestModelFields, withDefaults } from './model-store.js';
import { fill, loadRecords, newRecordsBuilder, view, type Records } from './records.js';
import { termFrequencies, termFrequenciesOf } from './frequencies.js';
import { Scorer, defaultModel, probability, type Model, type PatternCounts } from './scoring.js';
import { train, trainingRulesFrom, type FitReason, type TrainingReport } from './training.js';

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
/**
 * Below this many contacts no model is fitted unasked: EM on a few dozen candidate pairs learns noise
 * (on the 16-contact fixture it unlearnt a true pair), and the defaults do better. --train still fits one.
 */
export const MIN_FIT_CONTACTS = 1000;

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
  const known = records && untrained.get(records);
  if (known) return structuredClone(known);
  const step = Math.max(1, Math.floor((records?.size ?? keyedCount(db)) / U_SAMPLE));
  const model = defaultModel(records ?? loadRecords(db, { step }), step);
  if (records) untrained.set(records, structuredClone(model));
  return model;
}

/** u from random pairs is estimated once per run (fitting and scoring both start from it). */
const untrained = new WeakMap<Records, Model>();

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
  // No closure over `builder` (or, below, over the candidate pairs): every closure of this function
  // shares one context, and `score` lives on through --apply, keeping whatever that context holds.
  const keyed = db.transaction(syncKeys)(db, builder);
  lap('keys');
  const records = builder?.finish() ?? loadRecords(db);
  lap('load');
  const prior = withDefaults(latestModel(db), { m: {}, u: {}, matchesPerContact: 0.1, trained: false }).matchesPerContact;
  const rules = chooseRules(records, { maxBlock: options.maxBlock, maxPairs: options.maxPairs, matchesPerContact: prior });
  saveRuleChoice(db, rules, records.size);
  lap('rule choice');
  const blockingOptions = { maxBlock: options.maxBlock, newAbove: options.onlyNew ? lastAppliedMaxId(db) : 0, rules: rules.chosen.map((c) => c.rule) };

  const { pairs, patterns, blocking } = comparePairs(db, records, blockingOptions);
  lap('blocking + comparison');

  // A model fitted to this file when none was, for its set of fields (or --train): u from random
  // pairs, m by EM on the chosen blocks, stored for later runs.
  const fields = fieldSet(records);
  const storedFields = latestModelFields(db);
  const fit: FitReason | null = options.train ? 'asked (--train)'
    : records.size < MIN_FIT_CONTACTS ? null
      : storedFields === null ? 'no model yet' : storedFields !== undefined && storedFields !== fields ? 'the fields changed' : null;
  let training: TrainingReport | undefined;
  if (fit) {
    const start = fit === 'the fields changed' ? untrainedModel(db, records) : withDefaults(latestModel(db), untrainedModel(db, records));
    const chosen = trainingRulesFrom(rules.chosen.map((c) => c.rule));
    training = train(db, records, start, patterns, options.maxBlock, {
      rules: chosen.length > 0 ? chosen : undefined, fields, fittedBy: options.train ? 'train' : 'auto',
    });
    training.reason = fit;
    training.fields = fields;
    lap('training');
  }
  const scorer = makeScorer(db, records);
  lap('model');
  const matched: Array<{ a: number; b: number; probability: number }> = [];
  const left = view(records, 0);
  const right = view(records, 0);
  for (let p = 0; p < pairs.size; p++) {
    const i = pairs.left[p];
    const j = pairs.right[p];
    const weight = scorer.weight(pairs.codes[p], fill(left, records, i), fill(right, records, j));
    const probabilityOf = probability(weight);
    if (probabilityOf >= options.threshold) matched.push({ a: records.ids[i], b: records.ids[j], probability: probabilityOf });
  }
  lap('scoring');
  const score = (a: number, b: number) => scorePair(scorer, records, a, b);
  const clusters = cluster(matched, options.chainThreshold, (a, b) => score(a, b).probability);
  lap('clustering');
  return { contacts: records.size, validated, keyed, blocking, rules, matches: matched.length, clusters, model: scorer.model, training, timings, score };
}

/**
 * Compares each candidate pair once and keeps its level vector (12 bytes a pair): the model may have to
 * be fitted on these very pairs before anything is scored.
 */
function comparePairs(db: Db, records: Records, options: Parameters<typeof block>[1]): { pairs: PairBuffer; patterns: PatternCounts; blocking: BlockingResult } {
  const pairs = new PairBuffer();
  const left = view(records, 0);
  const right = view(records, 0);
  // Pairs a person kept apart in a review are never proposed again.
  const apart = new Set((db.prepare('SELECT a_id, b_id FROM dedupe_decisions').raw().all() as Array<[number, number]>).map(([a, b]) => `${a},${b}`));
  const patterns: PatternCounts = new Map();
  const blocking = block(records, options, (i, j) => {
    if (apart.size > 0 && apart.has(`${records.ids[i]},${records.ids[j]}`)) return;
    const code = compareLevels(fill(left, records, i), fill(right, records, j));
    pairs.push(i, j, code);
    patterns.set(code, (patterns.get(code) ?? 0) + 1);
  });
  return { pairs, patterns, blocking };
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

/** Candidate pairs as three growing typed arrays (record positions and level vector), not objects. */
class PairBuffer {
  size = 0;
  left = new Int32Array(1024);
  right = new Int32Array(1024);
  codes = new Int32Array(1024);
  push(i: number, j: number, code: number): void {
    if (this.size === this.left.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.left = grow(this.left);
      this.right = grow(this.right);
      this.codes = grow(this.codes);
    }
    this.left[this.size] = i;
    this.right[this.size] = j;
    this.codes[this.size++] = code;
  }
}
