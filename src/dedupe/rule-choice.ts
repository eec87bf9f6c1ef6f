/**
 * Blocking chosen from the data. Candidate rules are generated from the keys the store actually holds
 * (block-keys.ts): strong identifiers alone, and every pair of keys from two different attributes —
 * exact values and their typo-tolerant forms (sounds, parts of a birth date), so that for a duplicate
 * with one error in any single field some rule still brings the pair — plus the hand-written rules of
 * blocking.ts. Each candidate's pair count is computed from its key frequencies before any pair is
 * formed (pair-count.ts; equal to blocking.ts countPairs). Rules are then taken greedily by expected
 * yield: the share of true duplicates a rule adds to what the chosen rules already find (from how
 * often a duplicate's fields agree, below, and how many records have them), per pair it costs, until
 * nothing worth its pairs is left or the pair budget is spent. Every rule left out is reported with
 * its reason.
 */
import { BLOCK_KEYS, coverage, keyValue, type Attribute, type KeyName } from './block-keys.js';
import { BLOCKING_RULES, type BlockingRule } from './blocking.js';
import { PairCounter } from './pair-count.js';
import type { RecordView, Records } from './records.js';

/** Default pair budget: this many candidate pairs per contact (at least MIN_BUDGET). */
export const PAIRS_PER_CONTACT = 5;
export const MIN_BUDGET = 100_000;
/** A rule must add at least this share of the expected duplicates... */
const MIN_GAIN = 0.0005;
/** ...and find at least one expected duplicate per this many pairs. */
const MAX_PAIRS_PER_DUPLICATE = 2000;
/** An attribute held by fewer records than this share is not blocked on. */
const MIN_COVERAGE = 0.02;

/**
 * For a true duplicate pair whose attribute is present on both sides: how often each set of its keys
 * agrees (exact values agree with every fuzzier key too). From the generator's and FEBRL's error
 * rates and the default model's m; they rank rules, they do not score pairs.
 */
const AGREEMENT: Record<Attribute, Array<{ keys: KeyName[]; p: number }>> = {
  first_name: [{ keys: ['fn', 'fnPhon', 'fi'], p: 0.84 }, { keys: ['fnPhon', 'fi'], p: 0.05 }, { keys: ['fi'], p: 0.06 }, { keys: [], p: 0.05 }],
  last_name: [{ keys: ['ln', 'lnPhon'], p: 0.87 }, { keys: ['lnPhon'], p: 0.07 }, { keys: [], p: 0.06 }],
  birth_date: [{ keys: ['dob', 'dobYM', 'dobYD', 'dobMD'], p: 0.88 }, { keys: ['dobYM'], p: 0.04 }, { keys: ['dobYD'], p: 0.04 }, { keys: ['dobMD'], p: 0.02 }, { keys: [], p: 0.02 }],
  email: [{ keys: ['email', 'emailLocal'], p: 0.78 }, { keys: ['emailLocal'], p: 0.08 }, { keys: [], p: 0.14 }],
  phone: [{ keys: ['phones'], p: 0.85 }, { keys: [], p: 0.15 }],
  postal_code: [{ keys: ['postal'], p: 0.85 }, { keys: [], p: 0.15 }],
  city: [{ keys: ['city'], p: 0.85 }, { keys: [], p: 0.15 }],
  address: [{ keys: ['addr'], p: 0.75 }, { keys: [], p: 0.25 }],
  siret: [{ keys: ['siret'], p: 0.95 }, { keys: [], p: 0.05 }],
};

/** Keys strong enough to block on alone. */
const ALONE: KeyName[] = ['email', 'phones', 'siret', 'emailLocal', 'addr'];
/** Attributes whose keys are combined two by two. */
const COMBINED: Attribute[] = ['first_name', 'last_name', 'birth_date', 'postal_code', 'city', 'address'];

export interface ChosenRule {
  rule: BlockingRule;
  /** Pairs the rule produces by itself (counted before running). */
  pairs: number;
  /** Expected share of all duplicates this rule adds to the rules chosen before it. */
  gain: number;
}

export interface LeftOutRule {
  rule: string;
  pairs: number;
  /** Why: no pair at all, the chosen rules already bring (nearly) all its pairs, the budget, or its cost. */
  why: 'no pairs' | 'redundant' | 'over budget' | 'costly';
  reason: string;
}

export interface RuleChoice {
  chosen: ChosenRule[];
  leftOut: LeftOutRule[];
  budget: number;
  /** Sum of the chosen rules' own pair counts (an upper bound of the candidate pairs). */
  pairs: number;
  /** Expected share of duplicates the chosen rules bring together. */
  expectedRecall: number;
}

export interface ChoiceOptions {
  maxBlock: number;
  /** The pair budget; default PAIRS_PER_CONTACT per contact. */
  maxPairs?: number;
  /** Expected duplicate pairs per contact (the model's prior). */
  matchesPerContact: number;
}

export function defaultBudget(contacts: number): number {
  return Math.max(PAIRS_PER_CONTACT * contacts, MIN_BUDGET);
}

function ruleName(keys: KeyName[]): string {
  return keys.length === 1 ? `same ${BLOCK_KEYS[keys[0]].label}` : keys.map((k) => BLOCK_KEYS[k].label).join(' + ');
}

/** Candidate rules over the attributes present (hand-written ones first, then generated, each field set once). */
export function candidateRules(present: ReadonlySet<KeyName>): BlockingRule[] {
  const out: BlockingRule[] = [];
  const seen = new Set<string>();
  const add = (rule: BlockingRule) => {
    const id = `${[...rule.fields].sort().join('+')}|${rule.swapWith?.join('+') ?? ''}`;
    if (seen.has(id) || !rule.fields.every((f) => present.has(f))) return;
    seen.add(id);
    out.push(rule);
  };
  for (const rule of BLOCKING_RULES) add(rule);
  for (const k of ALONE) add({ name: ruleName([k]), fields: [k], sensitive: BLOCK_KEYS[k].sensitive });
  const keysOf = (a: Attribute) => (Object.values(BLOCK_KEYS).filter((k) => k.attribute === a).map((k) => k.name));
  for (let x = 0; x < COMBINED.length; x++) {
    for (let y = x + 1; y < COMBINED.length; y++) {
      for (const a of keysOf(COMBINED[x])) for (const b of keysOf(COMBINED[y])) add({ name: ruleName([a, b]), fields: [a, b], sensitive: false });
    }
  }
  return out;
}

const KEY_BIT = new Map((Object.keys(BLOCK_KEYS) as KeyName[]).map((k, i) => [k, 1 << i]));
const maskOf = (keys: readonly KeyName[]): number => keys.reduce((m, k) => m | KEY_BIT.get(k)!, 0);

/** The joint agreement patterns of a true duplicate pair: which keys agree (a bit mask), with what probability. */
function patterns(records: Records): Array<{ keys: number; p: number }> {
  let out = [{ keys: 0, p: 1 }];
  for (const attribute of Object.keys(AGREEMENT) as Attribute[]) {
    const main = AGREEMENT[attribute][0].keys[0];
    const c = coverage(records, main);
    if (c < MIN_COVERAGE) continue;
    const both = c * c;
    const next: typeof out = [];
    for (const base of out) {
      for (const o of AGREEMENT[attribute]) {
        const p = base.p * (o.keys.length === 0 ? o.p * both + (1 - both) : o.p * both);
        if (p > 0) next.push({ keys: base.keys | maskOf(o.keys), p });
      }
    }
    out = next;
  }
  return out;
}

function covers(rule: BlockingRule, keys: number): boolean {
  // A swapped rule's pairs are not in the patterns (names in each other's place): it covers nothing
  // there and is judged on its pairs alone (gainOf gives it 0, the choice MIN_GAIN).
  const mask = maskOf(rule.fields);
  return !rule.swapWith && (keys & mask) === mask;
}

/** The attributes the store holds (for at least MIN_COVERAGE of its contacts), as a model records them. */
export function fieldSet(records: Records): string {
  return (Object.keys(AGREEMENT) as Attribute[]).filter((a) => coverage(records, AGREEMENT[a][0].keys[0]) >= MIN_COVERAGE).join(',');
}

export function chooseRules(records: Records, options: ChoiceOptions): RuleChoice {
  const n = records.size;
  const budget = options.maxPairs ?? defaultBudget(n);
  const present = new Set<KeyName>();
  for (const key of Object.keys(BLOCK_KEYS) as KeyName[]) if (coverage(records, key) >= MIN_COVERAGE) present.add(key);
  const rules = candidateRules(present);
  const counts = new PairCounter(records, options.maxBlock).countAll(rules);
  const candidates = rules.map((rule, i) => ({ rule, pairs: counts[i] }));
  const all = patterns(records);
  const covered = new Uint8Array(all.length);
  const expected = Math.max(options.matchesPerContact * n, 1);
  const chosen: ChosenRule[] = [];
  const leftOut: LeftOutRule[] = [];
  let spent = 0;
  let remaining = candidates.filter((c) => {
    if (c.pairs > 0) return true;
    leftOut.push({ rule: c.rule.name, pairs: 0, why: 'no pairs', reason: 'produces no pair on this store' });
    return false;
  });
  const gainOf = (rule: BlockingRule) => {
    if (rule.swapWith) return 0;
    const mask = maskOf(rule.fields);
    let g = 0;
    for (let p = 0; p < all.length; p++) if (!covered[p] && (all[p].keys & mask) === mask) g += all[p].p;
    return g;
  };
  for (;;) {
    let best: { rule: BlockingRule; pairs: number; gain: number; value: number } | null = null;
    for (const c of remaining) {
      if (spent + c.pairs > budget) continue;
      const gain = c.rule.swapWith ? MIN_GAIN : gainOf(c.rule);
      const value = (gain * expected) / c.pairs;
      if (gain < MIN_GAIN || value * MAX_PAIRS_PER_DUPLICATE < 1) continue;
      if (!best || value > best.value) best = { ...c, gain, value };
    }
    if (!best) break;
    chosen.push({ rule: best.rule, pairs: best.pairs, gain: best.rule.swapWith ? 0 : best.gain });
    spent += best.pairs;
    all.forEach((pattern, p) => {
      if (covers(best!.rule, pattern.keys)) covered[p] = 1;
    });
    remaining = remaining.filter((c) => c.rule !== best!.rule);
  }
  for (const c of remaining) {
    const gain = c.rule.swapWith ? MIN_GAIN : gainOf(c.rule);
    const why: LeftOutRule['why'] = gain < MIN_GAIN ? 'redundant' : spent + c.pairs > budget ? 'over budget' : 'costly';
    const reason = why === 'redundant'
      ? gain === 0 ? 'adds nothing: the chosen rules already bring every pair it would' : `adds little: about ${(gain * 100).toFixed(2)} % more duplicates expected`
      : why === 'over budget' ? `over the pair budget: ${c.pairs.toLocaleString('en')} pairs, ${Math.max(budget - spent, 0).toLocaleString('en')} left of ${budget.toLocaleString('en')} (--max-pairs)`
        : `too many pairs per duplicate: about one in ${Math.round(c.pairs / (gain * expected)).toLocaleString('en')}`;
    leftOut.push({ rule: c.rule.name, pairs: c.pairs, why, reason });
  }
  const recall = all.reduce((s, pattern, p) => s + (covered[p] ? pattern.p : 0), 0);
  return { chosen, leftOut, budget, pairs: spent, expectedRecall: recall };
}

/** The rule (of those given, in order) that brings two records together, or null: explain says it. */
export function broughtBy(rules: readonly BlockingRule[], a: RecordView, b: RecordView): BlockingRule | null {
  const agree = (x: RecordView, y: RecordView, left: KeyName[], right: KeyName[]) => left.every((k, i) => {
    if (k === 'phones') return x.phones !== null && y.phones !== null && x.phones.some((p) => y.phones!.includes(p));
    const v = keyValue(k, x);
    return v !== null && v !== '' && v === keyValue(right[i], y);
  });
  for (const rule of rules) {
    const right = rule.swapWith ?? rule.fields;
    if (agree(a, b, rule.fields, right) || (rule.swapWith && agree(b, a, rule.fields, right))) return rule;
  }
  return null;
}
