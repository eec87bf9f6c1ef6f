import { recordAudit } from '../gdpr/audit.js';
import type { Db } from '../store/db.js';
import { refreshPurchaseTotals } from '../store/purchase-totals.js';
import { buildOrderTables, dropTempTables } from './aggregate.js';
import { buildMixTables, type Baskets } from './mix.js';
import { computeNextBest, computeRules, saveRules } from './affinities.js';
import type { Binning, Bins, CutPoints } from './binning.js';
import { buildCells } from './cells.js';
import { computeClv, type ClvModel, type ClvOptions } from './clv/clv.js';
import { NO_NET_PURCHASE_SEGMENT, PROSPECT_SEGMENT, type SegmentMap } from './presets.js';
import { segmentOf } from './segment-map.js';

export type Method = 'rfm' | 'rfmcca';

export interface ScoreOptions {
  /** yyyy-mm-dd: purchases dated after it are ignored, those on it count. */
  asOf: string;
  method: Method;
  bins: Bins;
  binning: Binning;
  /** Required when binning is 'thresholds'. */
  thresholds?: CutPoints;
  segmentMap: SegmentMap;
  /** Preset name or file, as the user gave it. */
  segmentMapLabel: string;
  clv?: ClvOptions;
  /** Affinity rules' minimum support (RFMCCA), a share of customers with a category. */
  minSupport: number;
}

export interface ScoreRunResult {
  runId: number;
  replaced: boolean;
  asOf: string;
  method: Method;
  bins: Bins;
  binning: Binning;
  segmentMap: string;
  customers: number;
  /** Contacts without any purchase line up to the as-of date. */
  prospects: number;
  /** Contacts with lines but no order (returns only, fully refunded orders): segment "no net purchase". */
  noNetPurchase: number;
  cuts?: CutPoints;
  segments: Array<{ segment: string; customers: number }>;
  affinities?: { basketCustomers: number; rules: number; withNextBest: number };
  clv?: ClvModel;
}

/**
 * One scoring run, in one transaction: builds the aggregates, scores and segments every scorable
 * contact, and replaces the run with the same as-of date and method (keeping its id), so a re-run
 * gives the same store. Throws (and changes nothing) when the CLV fit fails.
 */
export function scoreRun(db: Db, options: ScoreOptions): ScoreRunResult {
  // Every score row refers to a contact the statement itself reads and to the run it just wrote: the
  // foreign-key checks would only cost two look-ups per row (a quarter of writing a million rows). The
  // pragma can only change outside a transaction; inside a caller's (the pipeline) the checks stay on.
  const foreignKeys = !db.inTransaction && (db.pragma('foreign_keys', { simple: true }) as number) === 1;
  if (foreignKeys) db.pragma('foreign_keys = OFF');
  try {
    return db.transaction(() => {
      const result = runInTransaction(db, options);
      recordAudit(db, {
        action: 'score',
        counts: { customers: result.customers, prospects: result.prospects },
        details: { run_id: result.runId, as_of: result.asOf, method: result.method, replaced: result.replaced },
      });
      return result;
    })();
  } finally {
    dropTempTables(db);
    if (foreignKeys) db.pragma('foreign_keys = ON');
  }
}

function runInTransaction(db: Db, o: ScoreOptions): ScoreRunResult {
  refreshPurchaseTotals(db);
  buildOrderTables(db, o.asOf, { days: o.clv !== undefined ? 'summary' : false });
  const rfmcca = o.method === 'rfmcca';
  const baskets: Baskets | undefined = rfmcca ? buildMixTables(db, o.asOf) : undefined;
  if (!rfmcca) db.exec('CREATE TEMP TABLE score_mix (contact_id INTEGER PRIMARY KEY, categories INTEGER, main_category TEXT, channels INTEGER, main_channel TEXT, basket TEXT)');

  // Parameters by name, bound as the statements below are written.
  const params: Record<string, number | string> = {};
  const bind = (value: number | string) => {
    const name = `p${Object.keys(params).length}`;
    params[name] = value;
    return `@${name}`;
  };
  const cells = buildCells(db, { binning: o.binning, bins: o.bins, thresholds: o.thresholds, rfmcca, bind });
  const cuts = cells.cuts;
  const { customers, bySegment } = segmentCounts(o, cells.counts);

  let affinities: ScoreRunResult['affinities'];
  let rules: ReturnType<typeof computeRules> | undefined;
  if (baskets) {
    rules = computeRules(baskets, o.minSupport);
    const withNextBest = computeNextBest(db, baskets, rules.rules);
    affinities = { basketCustomers: rules.basketCustomers, rules: rules.rules.length, withNextBest };
  } else db.exec('CREATE TEMP TABLE score_nba (basket TEXT PRIMARY KEY, category TEXT, lift REAL)');

  const clv = o.clv ? computeClv(db, o.asOf, o.clv) : undefined;
  if (!clv) db.exec('CREATE TEMP TABLE score_clv (contact_id INTEGER PRIMARY KEY, p_alive REAL, expected_purchases REAL, expected_aov_minor INTEGER, clv_minor INTEGER)');

  const { runId, replaced } = upsertRun(db, o, { cuts, clv, affinities });
  // A customer's segment is looked up by cell in the map spelt out (at most bins³ rows), not a CASE per row.
  // The cell's own scores come back from the same row: each customer's scores are computed once, for the key.
  db.exec('CREATE TEMP TABLE score_segments (cell INTEGER PRIMARY KEY, r INTEGER NOT NULL, f INTEGER NOT NULL, m INTEGER NOT NULL, segment TEXT NOT NULL)');
  const cellSegment = db.prepare('INSERT INTO score_segments VALUES (?, ?, ?, ?, ?)');
  for (let i = 1; i <= o.bins; i++) for (let j = 1; j <= o.bins; j++) for (let l = 1; l <= o.bins; l++) cellSegment.run(i * 100 + j * 10 + l, i, j, l, segmentOf(o.segmentMap, i, j, l));
  const rfmOnly = !rfmcca;
  const inserted = db.prepare(
    `INSERT INTO scores (run_id, contact_id, recency_days, frequency, monetary_minor, aov_minor, first_purchase_at,
       last_purchase_at, r_score, f_score, m_score, segment, categories, c_score, main_category, channels, ca_score,
       main_channel, multichannel, next_best_category, next_best_lift, p_alive, expected_purchases,
       expected_aov_minor, clv_minor)
     SELECT ${bind(runId)}, c.id, s.recency, coalesce(s.frequency, 0), coalesce(s.monetary, 0),
       CASE WHEN s.frequency > 0 THEN CAST(round(1.0 * s.monetary / s.frequency) AS INTEGER) END,
       s.first_day, s.last_day, g.r, g.f, g.m,
       CASE WHEN s.frequency > 0 THEN g.segment WHEN s.contact_id IS NULL THEN ${bind(PROSPECT_SEGMENT)} ELSE ${bind(NO_NET_PURCHASE_SEGMENT)} END,
       ${rfmOnly ? 'NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL' : `x.categories, ${cells.c}, x.main_category, x.channels,
       CASE WHEN x.channels > 0 THEN min(x.channels, ${bind(o.bins)}) END, x.main_channel,
       CASE WHEN x.channels IS NOT NULL THEN x.channels > 1 END, n.category, n.lift`},
       ${clv ? 'v.p_alive, v.expected_purchases, v.expected_aov_minor, v.clv_minor' : 'NULL, NULL, NULL, NULL'}
     FROM contacts c
     LEFT JOIN score_customers s ON s.contact_id = c.id
     ${cells.join}
     LEFT JOIN score_segments g ON g.cell = ${cells.r} * 100 + ${cells.f} * 10 + ${cells.m}
     ${rfmOnly ? '' : 'LEFT JOIN score_mix x ON x.contact_id = c.id LEFT JOIN score_nba n ON n.basket = x.basket'}
     ${clv ? 'LEFT JOIN score_clv v ON v.contact_id = c.id' : ''}
     WHERE c.status NOT IN ('merged', 'erased')
     ORDER BY c.id`,
  ).run(params);
  if (rules) saveRules(db, runId, rules.rules);
  else db.prepare('DELETE FROM affinity_rules WHERE run_id = ?').run(runId);

  const noNetPurchase = db.prepare('SELECT count(*) FROM score_customers WHERE frequency = 0').pluck().get() as number;
  // score_runs.prospects keeps its meaning (contacts scored without an order); the result splits it.
  const counts = { customers, prospects: inserted.changes - customers };
  db.prepare('UPDATE score_runs SET customers = ?, prospects = ? WHERE id = ?').run(counts.customers, counts.prospects, runId);
  // Added by name: a custom map may call one of its segments "prospect" too (one row, as in the table).
  const add = (segment: string, n: number) => n > 0 && bySegment.set(segment, (bySegment.get(segment) ?? 0) + n);
  add(PROSPECT_SEGMENT, counts.prospects - noNetPurchase);
  add(NO_NET_PURCHASE_SEGMENT, noNetPurchase);
  const segments = [...bySegment]
    .map(([segment, n]) => ({ segment, customers: n }))
    .sort((a, b) => b.customers - a.customers || (a.segment < b.segment ? -1 : a.segment > b.segment ? 1 : 0));
  return {
    runId,
    replaced,
    asOf: o.asOf,
    method: o.method,
    bins: o.bins,
    binning: o.binning,
    segmentMap: o.segmentMapLabel,
    customers: counts.customers,
    prospects: counts.prospects - noNetPurchase,
    noNetPurchase,
    cuts: o.binning === 'ntile' ? undefined : cuts,
    segments,
    affinities,
    clv,
  };
}

/** The run's customers per segment, from the customers per score cell (at most bins³ of them, each named by the map). */
function segmentCounts(o: ScoreOptions, counts: Map<number, number>): { customers: number; bySegment: Map<string, number> } {
  const bySegment = new Map<string, number>();
  let customers = 0;
  for (const [at, n] of counts) {
    const segment = segmentOf(o.segmentMap, Math.floor(at / 100), Math.floor(at / 10) % 10, at % 10);
    bySegment.set(segment, (bySegment.get(segment) ?? 0) + n);
    customers += n;
  }
  return { customers, bySegment };
}

function upsertRun(
  db: Db,
  o: ScoreOptions,
  extra: { cuts?: CutPoints; clv?: ClvModel; affinities?: ScoreRunResult['affinities'] },
): { runId: number; replaced: boolean } {
  const now = new Date().toISOString();
  const parameters = JSON.stringify({
    cuts: extra.cuts,
    segmentMap: o.segmentMap,
    minSupport: o.method === 'rfmcca' ? o.minSupport : undefined,
    affinities: extra.affinities,
    clv: extra.clv,
  });
  const existing = db.prepare('SELECT id FROM score_runs WHERE as_of = ? AND method = ?').pluck().get(o.asOf, o.method) as number | undefined;
  if (existing !== undefined) {
    db.prepare('DELETE FROM scores WHERE run_id = ?').run(existing);
    db.prepare('UPDATE score_runs SET bins = ?, binning = ?, segment_map = ?, parameters = ?, updated_at = ? WHERE id = ?').run(
      o.bins, o.binning, o.segmentMapLabel, parameters, now, existing,
    );
    return { runId: existing, replaced: true };
  }
  const info = db
    .prepare('INSERT INTO score_runs (as_of, method, bins, binning, segment_map, parameters, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    .run(o.asOf, o.method, o.bins, o.binning, o.segmentMapLabel, parameters, now, now);
  return { runId: Number(info.lastInsertRowid), replaced: false };
}
