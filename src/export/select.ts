/**
 * Who an export lists, as one SQL statement: the selection (status, segments of a score run, tags,
 * --where), the channel's rules (a valid address, consent granted, not suppressed) and one row per
 * address (the most recently updated record wins). Every value is a bound parameter; the only text
 * pasted into the SQL comes from the fixed tables in this folder.
 */
import type { Db } from '../store/db.js';
import type { Channel } from '../store/types.js';
import { COLUMNS } from './columns.js';
import { compileFilter, segmentKey } from './filter.js';
import { emailHash, sha256Hex } from './keys.js';

export type StatusFilter = 'active' | 'inactive' | 'all';

export interface Selection {
  segments: string[];
  run?: number;
  tags: string[];
  where?: string;
  limit?: number;
  status: StatusFilter;
  channel: Channel;
  includeUnconsented: boolean;
}

/** A selection the store cannot satisfy as asked (unknown segment, no score run...): a usage error. */
export class SelectionError extends Error {}

interface ChannelRule {
  /** The address a row is unique on. */
  key: string;
  reachable: string;
  /** How the key is hashed to meet `suppressions.hash` (null: no address-level suppression, e.g. post). */
  keyHash: string | null;
  /** Consent across every record sharing the address (the person's latest choice), or per contact. */
  consent: 'address' | 'contact';
  /** Column of `contacts` the key is looked up by, for consent by address. */
  lookup?: string;
}

const CHANNEL_RULES: Record<Channel, ChannelRule> = {
  email: { key: 'c.email_norm', reachable: "c.email_valid = 1 AND c.email_norm IS NOT NULL AND c.email_norm <> ''", keyHash: 'ck_email_hash(c.email_norm)', consent: 'address', lookup: 'email_norm' },
  sms: { key: 'c.sms_e164', reachable: 'c.sms_e164 IS NOT NULL', keyHash: 'ck_sha256(c.sms_e164)', consent: 'address', lookup: 'sms_e164' },
  phone: { key: 'c.phone_e164', reachable: 'c.phone_e164 IS NOT NULL', keyHash: 'ck_sha256(c.phone_e164)', consent: 'address', lookup: 'phone_e164' },
  post: {
    // A household can hold several people: one letter per person and postal address.
    key: "lower(trim(coalesce(c.first_name, ''))) || '|' || lower(trim(coalesce(c.last_name, ''))) || '|' || lower(trim(c.address_line1)) || '|' || coalesce(c.postal_code_norm, c.postal_code, '') || '|' || coalesce(c.country_code, '')",
    reachable: 'c.address_complete = 1',
    keyHash: null,
    consent: 'contact',
  },
};

export interface BuiltQuery {
  sql: string;
  params: unknown[];
  /** The score run read, or null when the store has none (score columns are then left out). */
  runId: number | null;
  columns: string[];
}

/** SQL functions the statement calls; registered once per connection. */
export function registerFunctions(db: Db): void {
  db.function('ck_email_hash', { deterministic: true }, (value: unknown) => (typeof value === 'string' && value !== '' ? emailHash(value) : null));
  db.function('ck_sha256', { deterministic: true }, (value: unknown) => (typeof value === 'string' && value !== '' ? sha256Hex(value) : null));
  db.function('ck_segkey', { deterministic: true }, (value: unknown) => (typeof value === 'string' ? segmentKey(value) : null));
}

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

/**
 * --segment names to the run's stored names, matched case- and punctuation-insensitively. One probe per
 * name stops at the first match (a run has few segments and many rows); the full list of names is read
 * only to explain a miss.
 */
function resolveSegments(db: Db, runId: number, wanted: string[]): string[] {
  const probe = db.prepare('SELECT segment FROM scores WHERE run_id = ? AND ck_segkey(segment) = ? LIMIT 1').pluck();
  const names: string[] = [];
  for (const want of wanted) {
    const found = probe.get(runId, segmentKey(want)) as string | undefined;
    if (found === undefined) {
      const stored = (db.prepare('SELECT DISTINCT segment FROM scores WHERE run_id = ? AND segment IS NOT NULL').pluck().all(runId) as string[]).sort();
      throw new SelectionError(`--segment "${want}": score run ${runId} has no such segment (it has: ${stored.join(', ') || 'none'})`);
    }
    names.push(found);
  }
  return [...new Set(names)];
}

function countRows(db: Db, sql: string): number {
  return (db.prepare(sql).get() as { n: number }).n;
}

/**
 * Builds the statement. `mode: 'rows'` selects the output columns; `mode: 'count'` counts the rows the
 * same selection gives (used to place seed rows at random positions before streaming).
 */
export function buildQuery(db: Db, selection: Selection, columnKeys: string[], mode: 'rows' | 'count' = 'rows'): BuiltQuery {
  const rule = CHANNEL_RULES[selection.channel];
  const runId = resolveRun(db, selection.run);
  const filter = selection.where ? compileFilter(selection.where) : null;
  if (filter?.usesScores && runId === null) throw new SelectionError('--where uses score fields, but the store has no score runs (run "custkit score" first)');
  if (selection.segments.length && runId === null) throw new SelectionError('--segment needs a score run (run "custkit score" first)');
  const segmentNames = selection.segments.length && runId !== null ? resolveSegments(db, runId, selection.segments) : [];
  const innerScores = segmentNames.length > 0 || filter?.usesScores === true;

  const innerParams: unknown[] = [];
  const where: string[] = [];
  where.push(selection.status === 'all' ? "c.status IN ('active', 'inactive')" : selection.status === 'inactive' ? "c.status = 'inactive'" : "c.status = 'active'");
  where.push(rule.reachable);
  if (segmentNames.length) {
    where.push(`s.segment IN (${segmentNames.map(() => '?').join(', ')})`);
    innerParams.push(...segmentNames);
  }
  if (selection.tags.length) {
    where.push(`EXISTS (SELECT 1 FROM json_each(c.tags) t WHERE t.value COLLATE NOCASE IN (${selection.tags.map(() => '?').join(', ')}))`);
    innerParams.push(...selection.tags);
  }
  if (filter) {
    where.push(filter.sql);
    innerParams.push(...filter.params);
  }
  // Suppressions: the channel's own address under any kind; every identifier of the person when they
  // were erased or are on an opposition list. Left out when there is nothing to check (the common case).
  if (rule.keyHash && countRows(db, 'SELECT count(*) AS n FROM suppressions') > 0) {
    where.push(`NOT EXISTS (SELECT 1 FROM suppressions x WHERE x.hash = ${rule.keyHash})`);
  }
  if (countRows(db, "SELECT count(*) AS n FROM suppressions WHERE kind IN ('erased', 'opposition')") > 0) {
    where.push(`NOT EXISTS (SELECT 1 FROM suppressions x WHERE x.kind IN ('erased', 'opposition') AND x.hash IN (ck_email_hash(c.email_norm), ck_sha256(c.sms_e164), ck_sha256(c.phone_e164), ck_sha256(c.mobile_e164)))`);
  }
  if (countRows(db, 'SELECT count(*) AS n FROM seeds') > 0) {
    // A trap address registered as a seed never leaves as an ordinary row, even if it was imported.
    where.push('(c.email_norm IS NULL OR c.email_norm NOT IN (SELECT email FROM seeds))');
  }
  const channel = `'${selection.channel}'`; // from the fixed Channel set, never user text
  if (!selection.includeUnconsented && rule.consent === 'contact') {
    where.push(`(SELECT k.status FROM consents k WHERE k.contact_id = c.id AND k.channel = ${channel} ORDER BY k.recorded_at DESC, k.id DESC LIMIT 1) = 'granted'`);
  }
  const scoresJoin = innerScores ? 'JOIN scores s ON s.contact_id = c.id AND s.run_id = ?' : '';
  const inner = `SELECT c.id AS id, ${rule.key} AS addr,
      row_number() OVER (PARTITION BY ${rule.key} ORDER BY c.updated_at DESC, c.id DESC) AS rn
    FROM contacts c ${scoresJoin}
    WHERE ${where.join('\n      AND ')}`;

  const outerWhere = ['w.rn = 1'];
  if (!selection.includeUnconsented && rule.consent === 'address') {
    // The person's latest choice for the channel, across every record that shares the address. Most
    // addresses belong to one record: its own consents are read straight off the index, no join, no sort.
    outerWhere.push(`(CASE WHEN EXISTS (SELECT 1 FROM contacts c2 WHERE c2.${rule.lookup} = w.addr AND c2.id <> w.id)
        THEN (SELECT k.status FROM contacts c2 JOIN consents k ON k.contact_id = c2.id
              WHERE c2.${rule.lookup} = w.addr AND k.channel = ${channel}
              ORDER BY k.recorded_at DESC, k.id DESC LIMIT 1)
        ELSE (SELECT k.status FROM consents k WHERE k.contact_id = w.id AND k.channel = ${channel}
              ORDER BY k.recorded_at DESC, k.id DESC LIMIT 1)
      END) = 'granted'`);
  }
  const wanted = columnKeys.filter((k) => runId !== null || !COLUMNS[k]!.scores);
  const outerScores = mode === 'rows' && runId !== null && wanted.some((k) => COLUMNS[k]!.scores);
  const select = mode === 'count' ? 'count(*) AS n' : wanted.map((k) => `${COLUMNS[k]!.sql.replace('@channel', channel)} AS "${k}"`).join(',\n  ');
  const limit = selection.limit !== undefined ? 'LIMIT ?' : '';
  const sql = `SELECT ${select}
FROM (${inner}) w
JOIN contacts c ON c.id = w.id
${outerScores ? 'LEFT JOIN scores s ON s.contact_id = c.id AND s.run_id = ?' : ''}
WHERE ${outerWhere.join(' AND ')}
${mode === 'count' ? '' : 'ORDER BY w.addr, w.id'}
${mode === 'count' ? '' : limit}`;
  const params: unknown[] = [];
  if (innerScores) params.push(runId);
  params.push(...innerParams);
  if (outerScores) params.push(runId);
  if (mode !== 'count' && selection.limit !== undefined) params.push(selection.limit);
  return { sql, params, runId, columns: wanted };
}
