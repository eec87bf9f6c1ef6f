import { recordAudit } from '../gdpr/audit.js';
import type { Db } from '../store/db.js';
import { refreshPurchaseTotals } from '../store/purchase-totals.js';
import { buildOrderTables, dropTempTables } from './aggregate.js';
import { buildMixTables, compareText, type Baskets } from './mix.js';
import { batchInsert } from '../store/batch-insert.js';

/**
 * Category association rules over customers' purchase sets (baskets: the categories each customer
 * bought with a positive net spend), restricted to frequent categories (apriori: an
 * infrequent category cannot be in a frequent pair or triple).
 */
export interface AffinityRule {
  antecedent: string[];
  consequent: string;
  /** Customers who bought every category of the rule. */
  customers: number;
  support: number;
  confidence: number;
  lift: number;
}

export interface AffinityResult {
  /** Customers with at least one category (the support denominator). */
  basketCustomers: number;
  minSupport: number;
  rules: AffinityRule[];
}

/** Triples are many and mostly echo their pairs: keep the strongest few. */
const TOP_TRIPLE_RULES = 20;

function byStrength(a: AffinityRule, b: AffinityRule): number {
  return b.lift - a.lift || b.confidence - a.confidence || b.customers - a.customers ||
    compareText(a.antecedent.join('\u0000'), b.antecedent.join('\u0000')) || compareText(a.consequent, b.consequent);
}

/**
 * Frequent items, pairs and triples counted in one pass over the customers' baskets, with dense
 * counters indexed by item number. (A SQL self-join does the same work but materialises every triple
 * of every customer: ten times slower at a million customers.)
 */
export function computeRules(baskets: Baskets, minSupport: number): AffinityResult {
  const sets = baskets.weights.length;
  let basketCustomers = 0;
  for (const w of baskets.weights) basketCustomers += w;
  if (basketCustomers === 0) return { basketCustomers, minSupport, rules: [] };
  const minCount = Math.max(1, Math.ceil(minSupport * basketCustomers - 1e-9));
  const counts = new Int32Array(baskets.names.length);
  for (let s = 0; s < sets; s++) for (let i = baskets.offsets[s]!; i < baskets.offsets[s + 1]!; i++) counts[baskets.items[i]!]! += baskets.weights[s]!;
  // Frequent categories, numbered densely in name order (codes already follow it).
  const items: Array<[string, number]> = [];
  const number = new Int32Array(baskets.names.length).fill(-1);
  baskets.names.forEach((name, code) => {
    if (counts[code]! >= minCount) number[code] = items.push([name, counts[code]!]) - 1;
  });
  const itemCounts = new Map(items);
  const n = items.length;
  const pairCount = new Int32Array(n * n);
  // Dense triple counters while they fit in a few MB; a map beyond (stores with hundreds of categories).
  const dense = n <= 100;
  const tripleDense = new Int32Array(dense ? n * n * n : 0);
  const tripleCount = new Map<number, number>();
  // Each distinct set counts for the customers who have it.
  const count = (set: number[], w: number) => {
    set.sort((a, b) => a - b);
    for (let i = 0; i < set.length; i++)
      for (let j = i + 1; j < set.length; j++) {
        pairCount[set[i]! * n + set[j]!]! += w;
        for (let k = j + 1; k < set.length; k++) {
          const key = (set[i]! * n + set[j]!) * n + set[k]!;
          if (dense) tripleDense[key]! += w;
          else tripleCount.set(key, (tripleCount.get(key) ?? 0) + w);
        }
      }
  };
  const set: number[] = [];
  for (let s = 0; s < sets; s++) {
    set.length = 0;
    for (let i = baskets.offsets[s]!; i < baskets.offsets[s + 1]!; i++) {
      const at = number[baskets.items[i]!]!;
      if (at >= 0) set.push(at);
    }
    if (set.length > 1) count(set, baskets.weights[s]!);
  }

  const make = (antecedent: string[], antecedentCount: number, consequent: string, customers: number): AffinityRule => {
    const confidence = customers / antecedentCount;
    return {
      antecedent,
      consequent,
      customers,
      support: customers / basketCustomers,
      confidence,
      lift: confidence / (itemCounts.get(consequent)! / basketCustomers),
    };
  };
  const rules: AffinityRule[] = [];
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const c = pairCount[i * n + j]!;
      if (c < minCount) continue;
      const [a, ca] = items[i]!;
      const [b, cb] = items[j]!;
      rules.push(make([a], ca, b, c), make([b], cb, a, c));
    }
  const tripleRules: AffinityRule[] = [];
  if (dense) tripleDense.forEach((c, key) => c > 0 && tripleCount.set(key, c));
  for (const [key, c] of tripleCount) {
    if (c < minCount) continue;
    const k = key % n;
    const j = Math.floor(key / n) % n;
    const i = Math.floor(key / (n * n));
    for (const [x, y, z] of [[i, j, k], [i, k, j], [j, k, i]] as const) {
      tripleRules.push(make([items[x]![0], items[y]![0]], pairCount[x * n + y]!, items[z]![0], c));
    }
  }
  tripleRules.sort(byStrength);
  rules.push(...tripleRules.slice(0, TOP_TRIPLE_RULES));
  rules.sort(byStrength);
  return { basketCustomers, minSupport, rules };
}

/**
 * The next-best category per customer: among rules with lift > 1 whose antecedent the customer bought
 * and whose consequent they did not, the strongest (lift, then confidence, then name). It depends on
 * the customer's set only: written once per distinct set to temp.score_nba (basket, category, lift),
 * which score_mix.basket joins. Returns the customers who get one.
 */
export function computeNextBest(db: Db, baskets: Baskets, rules: AffinityRule[]): number {
  db.exec(`DROP TABLE IF EXISTS temp.score_nba;
    CREATE TEMP TABLE score_nba (basket TEXT PRIMARY KEY, category TEXT NOT NULL, lift REAL NOT NULL)`);
  const useful = rules.filter((r) => r.lift > 1).sort(byStrength);
  const single = new Map<string, AffinityRule[]>();
  const multi: AffinityRule[] = [];
  for (const rule of useful) {
    if (rule.antecedent.length === 1) {
      const list = single.get(rule.antecedent[0]!) ?? [];
      list.push(rule);
      single.set(rule.antecedent[0]!, list);
    } else multi.push(rule);
  }
  if (useful.length === 0) return 0;
  const found: Array<[string, string, number]> = [];
  let customers = 0;
  const flush = (set: number, bought: Set<string>) => {
    let best: AffinityRule | undefined;
    const consider = (rule: AffinityRule) => {
      if (!best || byStrength(rule, best) < 0) best = rule;
    };
    for (const category of bought) {
      const first = single.get(category)?.find((rule) => !bought.has(rule.consequent));
      if (first) consider(first);
    }
    for (const rule of multi) if (!bought.has(rule.consequent) && rule.antecedent.every((c) => bought.has(c))) consider(rule);
    if (best) {
      found.push([baskets.keys[set]!, best.consequent, Math.round(best.lift * 1e6) / 1e6]);
      customers += baskets.weights[set]!;
    }
  };
  for (let s = 0; s < baskets.weights.length; s++) {
    const bought = new Set<string>();
    for (let i = baskets.offsets[s]!; i < baskets.offsets[s + 1]!; i++) bought.add(baskets.names[baskets.items[i]!]!);
    flush(s, bought);
  }
  batchInsert(db, 'score_nba', 3, found);
  return customers;
}

/** Replaces a run's stored rules. */
export function saveRules(db: Db, runId: number, rules: AffinityRule[]): void {
  db.prepare('DELETE FROM affinity_rules WHERE run_id = ?').run(runId);
  const insert = db.prepare(
    'INSERT INTO affinity_rules (run_id, antecedent, consequent, customers, support, confidence, lift) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  for (const r of rules) insert.run(runId, JSON.stringify(r.antecedent), r.consequent, r.customers, r.support, r.confidence, r.lift);
}

/**
 * `custkit affinities`: recomputes the rules for a stored run's as-of date and stores them, with each
 * customer's next-best category, on that run's scores (one transaction).
 */
export function affinitiesForRun(db: Db, run: { id: number; asOf: string }, minSupport: number): AffinityResult & { withNextBest: number } {
  try {
    return db.transaction(() => {
      refreshPurchaseTotals(db);
      buildOrderTables(db, run.asOf, { days: false });
      const baskets = buildMixTables(db, run.asOf);
      const result = computeRules(baskets, minSupport);
      const withNextBest = computeNextBest(db, baskets, result.rules);
      saveRules(db, run.id, result.rules);
      db.prepare('UPDATE scores SET next_best_category = NULL, next_best_lift = NULL WHERE run_id = ?').run(run.id);
      db.prepare(
        `UPDATE scores SET next_best_category = n.category, next_best_lift = n.lift
         FROM score_mix x JOIN score_nba n ON n.basket = x.basket WHERE scores.run_id = ? AND scores.contact_id = x.contact_id`,
      ).run(run.id);
      const summary = JSON.stringify({ basketCustomers: result.basketCustomers, rules: result.rules.length, withNextBest });
      db.prepare(`UPDATE score_runs SET parameters = json_set(parameters, '$.minSupport', ?, '$.affinities', json(?)) WHERE id = ?`).run(
        minSupport, summary, run.id,
      );
      recordAudit(db, { action: 'score.affinities', counts: { rules: result.rules.length, with_next_best: withNextBest }, details: { run_id: run.id } });
      return { ...result, withNextBest };
    })();
  } finally {
    dropTempTables(db);
  }
}
