/**
 * One export's selection resolved against the store, once: the score run, the segments' stored names,
 * the compiled filter, what the rules must check, and the marketing-pressure cap with the people it
 * leaves out. select.ts builds every statement of the export from it.
 */
import type { Db } from '../store/db.js';
import { CHANNEL_RULES, SelectionError, type ChannelRule, type DriveKey, type Selection } from './channels.js';
import { compileFilter, segmentKey, type CompiledFilter } from './filter.js';

function tableExists(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** The run --segment and score columns read: --run, else the latest (highest id); null when none. */
export function resolveRun(db: Db, run: number | undefined): number | null {
  if (!tableExists(db, 'score_runs') || !tableExists(db, 'scores')) {
    if (run !== undefined) throw new SelectionError(`--run ${run}: the store has no score runs (run "custkit score" first)`);
    return null;
  }
  if (run !== undefined) {
    if (!db.prepare('SELECT 1 FROM score_runs WHERE id = ?').get(run)) throw new SelectionError(`--run ${run}: no such score run (see "custkit segments")`);
    return run;
  }
  const row = db.prepare('SELECT max(id) AS id FROM score_runs').get() as { id: number | null };
  return row.id;
}

/** The segment names a run's segment map can give (its segments, its fallback, and "prospect"); empty when the run did not record its map. */
function mapSegmentNames(db: Db, runId: number): string[] {
  const raw = db.prepare('SELECT parameters FROM score_runs WHERE id = ?').pluck().get(runId) as string | undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw ?? '{}');
  } catch {
    return [];
  }
  const map = (parsed as { segmentMap?: { segments?: { name?: unknown }[]; fallback?: unknown } }).segmentMap;
  if (!map || !Array.isArray(map.segments)) return [];
  const names = map.segments.map((s) => s.name).filter((n): n is string => typeof n === 'string');
  if (typeof map.fallback === 'string') names.push(map.fallback);
  return [...names, 'prospect'];
}

/**
 * --segment names to the run's stored names, matched case- and punctuation-insensitively. One probe per
 * name stops at the first match (a run has few segments and many rows); the full list of names is read
 * only to explain a miss. A name the run's segment map defines but no one fell into tonight is not a
 * typo: it selects nobody, and is returned in `empty` so the export says so (a nightly pipeline
 * exporting "Champions" must not fail on the night there are none).
 */
function resolveSegments(db: Db, runId: number, wanted: string[]): { names: string[]; empty: string[] } {
  const probe = db.prepare('SELECT segment FROM scores WHERE run_id = ? AND ck_segkey(segment) = ? LIMIT 1').pluck();
  const names: string[] = [];
  const empty: string[] = [];
  let mapNames: string[] | null = null;
  for (const want of wanted) {
    const found = probe.get(runId, segmentKey(want)) as string | undefined;
    if (found !== undefined) {
      names.push(found);
      continue;
    }
    mapNames ??= mapSegmentNames(db, runId);
    const defined = mapNames.find((n) => segmentKey(n) === segmentKey(want));
    if (defined !== undefined) {
      empty.push(defined);
      continue;
    }
    const stored = (db.prepare('SELECT DISTINCT segment FROM scores WHERE run_id = ? AND segment IS NOT NULL').pluck().all(runId) as string[]).sort();
    const known = [...new Set([...stored, ...mapNames])].sort();
    throw new SelectionError(`--segment "${want}": score run ${runId} has no such segment (it has: ${known.join(', ') || 'none'})`);
  }
  return { names: [...new Set(names)], empty: [...new Set(empty)] };
}

/**
 * A selection on segments or score fields is driven by the run's scores, each row joined to its contact
 * by primary key, so the scores columns come for free. Reading one run through the (run_id, contact_id)
 * key of a rowid table costs two B-tree seeks per score; a plain scan is four times cheaper per row
 * (measured on 1M scores), so it wins while the table holds few runs. Either way the order is fixed.
 */
function scoresDrive(db: Db): { from: string; order: DriveKey } {
  const table = db.prepare("SELECT wr FROM pragma_table_list WHERE schema = 'main' AND name = 'scores'").get() as { wr: number } | undefined;
  const runs = (db.prepare('SELECT count(*) AS n FROM score_runs').get() as { n: number }).n;
  if (table?.wr === 1 || runs > 3) return { from: 'scores s JOIN contacts c ON c.id = s.contact_id', order: 's.contact_id' };
  return { from: 'scores s NOT INDEXED JOIN contacts c ON c.id = s.contact_id', order: 's.rowid' };
}

function countRows(db: Db, sql: string): number {
  return (db.prepare(sql).get() as { n: number }).n;
}

/** The cap on marketing pressure an export applies: people sent `maxSends` campaigns on the channel since `since` are left out. */
export interface PressureCap {
  maxSends: number;
  period: string;
  /** 'yyyy-mm-dd': exports made on or after this day count. */
  since: string;
  /** Where the cap came from: the export's flags, or the store's default for the channel. */
  origin: 'flags' | 'store default';
}

/**
 * One export's selection, resolved once: the score run, the segments' stored names, the compiled
 * filter, what the store holds that the rules must check (person-wide suppressions, seeds, postal
 * returns) and the pressure cap with the people it leaves out. Every statement of the export (its rows,
 * its workers' ranges, the seed count, the funnel) and its members table are built from this one object.
 */
export interface SelectionPlan {
  selection: Selection;
  rule: ChannelRule;
  runId: number | null;
  segmentNames: string[];
  /** Segments asked for that the run's map defines but that no one is in tonight (they select nobody). */
  emptySegments: string[];
  filter: CompiledFilter | null;
  suppressPerson: boolean;
  seeds: boolean;
  /** Post: some postal returns are recorded (the undeliverable-address rule is then in the statement). */
  returns: boolean;
  drive: { from: string; order: DriveKey } | null;
  pressure: PressureCap | null;
  /** Contact ids at the cap, one byte each (1: leave out); null without a cap. Read once, shared with workers. */
  pressured: Uint8Array | null;
  /** How many contacts are at the cap (whether selected or not). */
  pressuredCount: number;
}

/**
 * The contacts at the cap: sent `maxSends` or more exports of the channel since the day given (records
 * merged since count for the record they were merged into). Exports made with --include-unconsented
 * are internal lists, not campaigns, and exports marked not sent (campaigns not-sent, export --preview)
 * went to nobody: neither counts. One set-based query; parameters: channel, since, maxSends.
 */
export const PRESSURED_SQL = `SELECT coalesce(c.merged_into, m.contact_id) AS id
  FROM exports e JOIN export_members m ON m.export_id = e.id JOIN contacts c ON c.id = m.contact_id
  WHERE e.channel = ? AND e.created_at >= ? AND e.include_unconsented = 0
    AND e.id NOT IN (SELECT export_id FROM campaigns WHERE not_sent_at IS NOT NULL)
  GROUP BY 1 HAVING count(DISTINCT m.export_id) >= ?`;

/** Resolves a selection against the store, once per export. */
export function planSelection(db: Db, selection: Selection, pressure: PressureCap | null = null): SelectionPlan {
  const rule = CHANNEL_RULES[selection.channel];
  const runId = resolveRun(db, selection.run);
  const filter = selection.where ? compileFilter(selection.where) : null;
  if (filter?.usesScores && runId === null) throw new SelectionError('--where uses score fields, but the store has no score runs (run "custkit score" first)');
  if (selection.segments.length && runId === null) throw new SelectionError('--segment needs a score run (run "custkit score" first)');
  const resolved = selection.segments.length && runId !== null ? resolveSegments(db, runId, selection.segments) : { names: [], empty: [] };
  const segmentNames = resolved.names;
  // A selection on segments or score fields is driven by the run's scores (each score row joined to its
  // contact, scores columns for free); otherwise contacts are read in id order.
  const drive = segmentNames.length > 0 || filter?.usesScores === true ? scoresDrive(db) : null;
  let pressured: Uint8Array | null = null;
  let pressuredCount = 0;
  if (pressure && tableExists(db, 'export_members')) {
    const ids = db.prepare(PRESSURED_SQL).pluck().all(selection.channel, pressure.since, pressure.maxSends) as number[];
    const maxId = (db.prepare('SELECT coalesce(max(id), 0) FROM contacts').pluck().get() as number);
    pressured = new Uint8Array(maxId + 1);
    for (const id of ids) if (id <= maxId) pressured[id] = 1;
    pressuredCount = ids.length;
  }
  return {
    selection,
    rule,
    runId,
    segmentNames,
    emptySegments: resolved.empty,
    filter,
    suppressPerson: countRows(db, "SELECT count(*) AS n FROM suppressions WHERE kind IN ('erased', 'opposition')") > 0,
    seeds: countRows(db, 'SELECT count(*) AS n FROM seeds') > 0,
    returns: selection.channel === 'post' && tableExists(db, 'postal_returns') && countRows(db, 'SELECT count(*) AS n FROM postal_returns') > 0,
    drive,
    pressure,
    pressured: pressuredCount > 0 ? pressured : null,
    pressuredCount,
  };
}

