/**
 * Who an export lists, as one SQL statement: the selection (status, segments of a score run, tags,
 * --where), the channel's rules (a valid address, consent granted, not suppressed) and one row per
 * address (the most recently updated record wins). Every value is a bound parameter; the only text
 * pasted into the SQL comes from the fixed tables in this folder.
 */
import type { Db } from '../store/db.js';
import type { Channel } from '../store/types.js';
import { COLUMNS, type ValueKind } from './columns.js';
import { csvLineSql } from './csv-lines.js';
import { compileFilter, segmentKey, type CompiledFilter } from './filter.js';
import { emailHash, sha256Hex } from './digests.js';

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
  /**
   * Marketing pressure: leave out people already sent `maxSends` campaigns on the channel within
   * `period` (e.g. "30d"). Undefined: the store's default for the channel (campaigns settings); null:
   * no cap, whatever the default.
   */
  pressure?: PressureRequest | null;
}

export interface PressureRequest {
  maxSends: number;
  period: string;
}

/** A selection the store cannot satisfy as asked (unknown segment, no score run...): a usage error. */
export class SelectionError extends Error {}

export interface ChannelRule {
  /** The address a row is unique on. */
  key: string;
  reachable: string;
  /** Consent across every record sharing the address (the person's latest choice), or per contact. */
  consent: 'address' | 'contact';
  /** Column of `contacts` the key is looked up by, for consent by address. */
  lookup?: string;
  /** The written address as the SHA-256 export_members keeps (suppressions' hashing for email and phones). */
  memberHash: string;
}

/**
 * A postal address without the person's name: what a returned letter (PND) is about. Any change to it
 * (import, contact set, clean) makes a new key, so an old return no longer applies.
 */
export const POST_ADDRESS_KEY =
  "lower(trim(coalesce(c.address_line1, ''))) || '|' || lower(trim(coalesce(c.address_line2, ''))) || '|' || coalesce(c.postal_code_norm, c.postal_code, '') || '|' || lower(trim(coalesce(c.city, ''))) || '|' || coalesce(c.country_code, '')";

const CHANNEL_RULES: Record<Channel, ChannelRule> = {
  email: { key: 'c.email_norm', reachable: "c.email_valid = 1 AND c.email_norm IS NOT NULL AND c.email_norm <> ''", consent: 'address', lookup: 'email_norm', memberHash: 'ck_email_hash(c.email_norm)' },
  sms: { key: 'c.sms_e164', reachable: 'c.sms_e164 IS NOT NULL', consent: 'address', lookup: 'sms_e164', memberHash: 'ck_sha256(c.sms_e164)' },
  phone: { key: 'c.phone_e164', reachable: 'c.phone_e164 IS NOT NULL', consent: 'address', lookup: 'phone_e164', memberHash: 'ck_sha256(c.phone_e164)' },
  post: {
    // A household can hold several people: one letter per person and postal address.
    key: "lower(trim(coalesce(c.first_name, ''))) || '|' || lower(trim(coalesce(c.last_name, ''))) || '|' || lower(trim(c.address_line1)) || '|' || coalesce(c.postal_code_norm, c.postal_code, '') || '|' || coalesce(c.country_code, '')",
    reachable: 'c.address_complete = 1',
    consent: 'contact',
    memberHash: `ck_sha256(${POST_ADDRESS_KEY})`,
  },
};

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

interface Condition {
  sql: string;
  params: unknown[];
}

/**
 * Whether a record is a candidate, written for a table alias (`c`, or `d` for a rival record of the same
 * address) and its scores alias. The --where SQL is compiled for `c`/`s`; it holds only field names from
 * filter.ts and `?` marks, so renaming those two aliases is safe.
 */
function candidateFor(alias: string, scoresAlias: string, parts: {
  selection: Selection;
  rule: ChannelRule;
  runId: number | null;
  segmentNames: string[];
  filter: CompiledFilter | null;
  suppressPerson: boolean;
  seeds: boolean;
  /** False: the address rule is left out (the export's own rows, so that the funnel can count them). */
  reachable?: boolean;
}): Condition {
  const { selection, rule, runId, segmentNames, filter } = parts;
  const a = (sql: string): string => sql.replace(/\bc\./g, `${alias}.`).replace(/\bs\./g, `${scoresAlias}.`);
  const where: string[] = [];
  const params: unknown[] = [];
  where.push(selection.status === 'all' ? "c.status IN ('active', 'inactive')" : selection.status === 'inactive' ? "c.status = 'inactive'" : "c.status = 'active'");
  if (parts.reachable !== false) where.push(rule.reachable);
  if (segmentNames.length) {
    const marks = segmentNames.map(() => '?').join(', ');
    // The main record's scores row is already joined (the statement is driven by the run's scores); a
    // rival record (rare: a shared address) is probed by its key.
    if (alias === 'c') {
      where.push(`s.segment IN (${marks})`);
      params.push(...segmentNames);
    } else {
      where.push(`EXISTS (SELECT 1 FROM scores sg WHERE sg.run_id = ? AND sg.contact_id = c.id AND sg.segment IN (${marks}))`);
      params.push(runId, ...segmentNames);
    }
  }
  if (selection.tags.length) {
    where.push(`EXISTS (SELECT 1 FROM json_each(c.tags) t WHERE t.value COLLATE NOCASE IN (${selection.tags.map(() => '?').join(', ')}))`);
    params.push(...selection.tags);
  }
  if (filter) {
    where.push(filter.sql);
    params.push(...filter.params);
  }
  // Every identifier of the person when they were erased or are on an opposition list (left out when
  // there is none). The channel's own address is checked by gate.ts; post has no address-level key.
  if (parts.suppressPerson) where.push(`NOT ${PERSON_SUPPRESSED}`);
  // A trap address registered as a seed never leaves as an ordinary row, even if it was imported.
  if (parts.seeds) where.push('(c.email_norm IS NULL OR c.email_norm NOT IN (SELECT email FROM seeds))');
  return { sql: a(where.join('\n      AND ')), params };
}

/** The person is erased or on an opposition list: any of their identifiers is suppressed under those kinds. */
const PERSON_SUPPRESSED = `EXISTS (SELECT 1 FROM suppressions x WHERE x.kind IN ('erased', 'opposition') AND x.hash IN (ck_email_hash(c.email_norm), ck_sha256(c.sms_e164), ck_sha256(c.phone_e164), ck_sha256(c.mobile_e164)))`;

/** The person's current choice for the channel (latest row by recorded_at, id) must be "granted". */
function consentCondition(rule: ChannelRule, channel: string, id: string, addr: string): string {
  const own = `(SELECT k.status FROM consents k WHERE k.contact_id = ${id} AND k.channel = ${channel}
              ORDER BY k.recorded_at DESC, k.id DESC LIMIT 1)`;
  if (rule.consent === 'contact') return `${own} = 'granted'`;
  // Across every record that shares the address. Most addresses belong to one record: its own consents
  // are then read straight off the index, with no join and no sort.
  return `(CASE WHEN EXISTS (SELECT 1 FROM contacts c2 WHERE c2.${rule.lookup} = ${addr} AND c2.id <> ${id})
        THEN (SELECT k.status FROM contacts c2 JOIN consents k ON k.contact_id = c2.id
              WHERE c2.${rule.lookup} = ${addr} AND k.channel = ${channel}
              ORDER BY k.recorded_at DESC, k.id DESC LIMIT 1)
        ELSE ${own}
      END) = 'granted'`;
}

/** What the channel rules leave to gate.ts for email, sms and phone (one row per indexed address). */
export interface GateSpec {
  channel: Channel;
  /** The contacts column holding the address (indexed). */
  lookup: string;
  keyType: 'email' | 'phone';
  /** Rows carry the person's identifiers (email, sms, phone, mobile) after the address: opposition or erased suppressions exist. */
  personKeys: boolean;
  /** One record by id: a row when the person's current choice, across the address's records, is granted. Null with --include-unconsented. */
  consentSql: string | null;
  /** One record by id, then `rivalParams`: a row when a more recently updated candidate shares its address. */
  rivalSql: string;
  rivalParams: unknown[];
  /** Contact ids at the marketing-pressure cap (1: leave out), or null without a cap (SelectionPlan.pressured). */
  pressured: Uint8Array | null;
}

export interface BuiltQuery {
  sql: string;
  params: unknown[];
  /** The score run read, or null when the store has none (score columns are then left out). */
  runId: number | null;
  columns: string[];
  /**
   * Where each of `columns` is in a row: after the leading values that are not output (contact id,
   * address, identifiers); an output column that is the address itself is read from the address.
   */
  positions: number[];
  /** Null for post: its statement applies every rule itself, --limit included. */
  gate: GateSpec | null;
  /** What the rows are ordered by (integer, unique per row): a `ranged` statement reads one range of it. */
  driveKey: DriveKey;
  /** With `csvLine`: where a row holds its drive key (the line comes after it, last). */
  driveColumn?: number;
  /**
   * How many records the selection holds, before any channel rule (one count, then `selectedParams`):
   * read when --limit stopped the rows early, to tell how many were not examined.
   */
  selectedSql: string;
  selectedParams: unknown[];
  /** Post: the funnel's counts in one statement (selected, reachable, deliverable, consenting, unsuppressed, distinct addresses, unpressured), then `funnelParams`. */
  funnelSql?: string;
  funnelParams?: unknown[];
}

export type DriveKey = 's.rowid' | 's.contact_id' | 'c.id';

/** The smallest and largest drive key the statement can meet (null when there is no row at all). */
export function driveBounds(db: Db, query: BuiltQuery): { min: number; max: number } | null {
  // One min() or max() per SELECT: SQLite reads a single end of the B-tree only for a lone min or max.
  const sql =
    query.driveKey === 's.rowid'
      ? 'SELECT (SELECT min(rowid) FROM scores) AS min, (SELECT max(rowid) FROM scores) AS max'
      : query.driveKey === 's.contact_id'
        ? 'SELECT (SELECT min(contact_id) FROM scores WHERE run_id = ?) AS min, (SELECT max(contact_id) FROM scores WHERE run_id = ?) AS max'
        : 'SELECT (SELECT min(id) FROM contacts) AS min, (SELECT max(id) FROM contacts) AS max';
  const row = db.prepare(sql).get(...(query.driveKey === 's.contact_id' ? [query.runId, query.runId] : [])) as { min: number | null; max: number | null };
  return row.min === null || row.max === null ? null : { min: row.min, max: row.max };
}

/** The leading, non-output values of a gated row: id, address, then the identifiers when asked. */
export const ROW_ID = 0;
export const ROW_KEY = 1;
export const ROW_PERSON = 2;

/**
 * Builds the statement. `mode: 'rows'` selects the output columns; `mode: 'count'` only what the rules
 * need (used to count the rows, to place seed rows at random positions before streaming).
 *
 * For email, sms and phone the statement lists the candidates (selection, reachable address, seeds) in a
 * fixed order and gate.ts applies consent, suppressions and one-row-per-address to each: those need the
 * address's other records and the suppression list, which cost an index seek or a hash per row in SQL
 * but a lookup in memory once read in bulk. Nothing is sorted or buffered: memory stays flat however
 * many rows leave. Post addresses are not indexed; their one-row-per-address uses a window over the
 * candidates, all in SQL.
 *
 * Options (email, sms, phone), for export workers. `ranged`: the statement reads the candidates whose
 * drive key is in [?, ?), two more parameters after `params`. `csvLine`: the output columns (`keys`, of
 * `kinds`) come as one CSV line (csv-lines.ts), after the leading values and the drive key.
 */
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
 * are internal lists, not campaigns, and do not count. One set-based query; parameters: channel, since, maxSends.
 */
export const PRESSURED_SQL = `SELECT coalesce(c.merged_into, m.contact_id) AS id
  FROM exports e JOIN export_members m ON m.export_id = e.id JOIN contacts c ON c.id = m.contact_id
  WHERE e.channel = ? AND e.created_at >= ? AND e.include_unconsented = 0
  GROUP BY 1 HAVING count(DISTINCT m.export_id) >= ?`;

/** Resolves a selection against the store, once per export. */
export function planSelection(db: Db, selection: Selection, pressure: PressureCap | null = null): SelectionPlan {
  const rule = CHANNEL_RULES[selection.channel];
  const runId = resolveRun(db, selection.run);
  const filter = selection.where ? compileFilter(selection.where) : null;
  if (filter?.usesScores && runId === null) throw new SelectionError('--where uses score fields, but the store has no score runs (run "custkit score" first)');
  if (selection.segments.length && runId === null) throw new SelectionError('--segment needs a score run (run "custkit score" first)');
  const segmentNames = selection.segments.length && runId !== null ? resolveSegments(db, runId, selection.segments) : [];
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

/** Post: the contact's current address had a letter returned (PND). */
const RETURNED = `EXISTS (SELECT 1 FROM postal_returns pr WHERE pr.contact_id = c.id AND pr.address_hash = ck_sha256(${POST_ADDRESS_KEY}))`;

export function buildQuery(
  plan: SelectionPlan,
  columnKeys: string[],
  mode: 'rows' | 'count' = 'rows',
  options: { ranged?: boolean; csvLine?: { keys: string[]; kinds: ValueKind[]; delimiter: string } } = {},
): BuiltQuery {
  const { ranged = false, csvLine } = options;
  const { selection, rule, runId, filter, drive } = plan;
  const parts = plan;
  const channel = `'${selection.channel}'`; // from the fixed Channel set, never user text
  const wanted = columnKeys.filter((k) => runId !== null || !COLUMNS[k]!.scores);
  const outputScores = mode === 'rows' && runId !== null && wanted.some((k) => COLUMNS[k]!.scores);
  const outputs = mode === 'count' ? [] : wanted.map((k) => `${COLUMNS[k]!.sql.replace('@channel', channel)} AS "${k}"`);
  const params: unknown[] = [];
  const from = drive ? drive.from : 'contacts c';
  const driveWhere = drive ? 's.run_id = ? AND ' : '';

  const inSelection = candidateFor('c', 's', { ...parts, suppressPerson: false, reachable: false });
  const selectedSql = `SELECT count(*) AS n FROM ${from} WHERE ${driveWhere}${inSelection.sql}`;
  const selectedParams = [...(drive ? [runId] : []), ...inSelection.params];

  if (rule.lookup) {
    // Suppressions are checked by gate.ts for the record itself. A rival record shares the address, so
    // its address is not suppressed either; it must still pass the person-wide ones to take the address.
    // The record's own address rule is not in the statement either: its rows come with the address
    // only when it is reachable (null otherwise), so that the funnel counts the rows without one.
    const own = inSelection;
    const rival = candidateFor('d', 'ds', parts);
    const rivalScores = filter?.usesScores === true;
    const address = rule.key === `c.${rule.lookup}` && rule.reachable === `c.${rule.lookup} IS NOT NULL` ? `c.${rule.lookup}` : `CASE WHEN ${rule.reachable} THEN c.${rule.lookup} END`;
    const hidden = ['c.id', address];
    if (parts.suppressPerson) hidden.push('c.email_norm', 'c.sms_e164', 'c.phone_e164', 'c.mobile_e164');
    // The address is read once even when it is also an output column (one string less per row).
    const positions: number[] = [];
    const selected: string[] = [];
    wanted.forEach((key, i) => {
      if (mode === 'rows' && COLUMNS[key]!.sql === `c.${rule.lookup}`) positions.push(ROW_KEY);
      else if (mode === 'rows') {
        positions.push(hidden.length + selected.length);
        selected.push(outputs[i]!);
      }
    });
    const leftJoin = !drive && outputScores ? 'LEFT JOIN scores s ON s.contact_id = c.id AND s.run_id = ?' : '';
    const driveKey = drive ? drive.order : 'c.id';
    const range = ranged ? `\n      AND ${driveKey} >= ? AND ${driveKey} < ?` : '';
    if (csvLine) {
      // The drive key too: a row whose line cannot be written as it is has its values read by it.
      selected.length = 0;
      // No line for a row without an address: it is only counted.
      selected.push(driveKey, `CASE WHEN ${address} IS NOT NULL THEN ${csvLineSql(csvLine.keys.map((k, i) => ({ sql: COLUMNS[k]!.sql.replace('@channel', channel), kind: csvLine.kinds[i]! })), csvLine.delimiter)} END`);
    }
    const sql = `SELECT ${[...hidden, ...selected].join(',\n  ')}\nFROM ${from} ${leftJoin}\nWHERE ${driveWhere}${own.sql}${range}\nORDER BY ${driveKey}`;
    if (leftJoin) params.push(runId);
    if (drive) params.push(runId);
    params.push(...own.params);
    const gate: GateSpec = {
      channel: selection.channel,
      lookup: rule.lookup,
      keyType: selection.channel === 'email' ? 'email' : 'phone',
      personKeys: parts.suppressPerson,
      consentSql: selection.includeUnconsented ? null : `SELECT 1 FROM contacts c WHERE c.id = ? AND ${consentCondition(rule, channel, 'c.id', `c.${rule.lookup}`)}`,
      rivalSql: `SELECT 1 FROM contacts c WHERE c.id = ? AND EXISTS (SELECT 1 FROM contacts d ${rivalScores ? 'JOIN scores ds ON ds.contact_id = d.id AND ds.run_id = ?' : ''}
        WHERE d.${rule.lookup} = c.${rule.lookup} AND d.id <> c.id
          AND (d.updated_at > c.updated_at OR (d.updated_at = c.updated_at AND d.id > c.id))
          AND ${rival.sql})`,
      rivalParams: [...(rivalScores ? [runId] : []), ...rival.params],
      pressured: plan.pressured,
    };
    return { sql, params, runId, columns: wanted, positions, gate, driveKey, driveColumn: csvLine ? hidden.length : undefined, selectedSql, selectedParams };
  }

  const own = candidateFor('c', 's', parts);
  const where = [own.sql];
  if (plan.returns) where.push(`NOT ${RETURNED}`);
  if (!selection.includeUnconsented) where.push(consentCondition(rule, channel, 'c.id', ''));
  const pressureParams = plan.pressure ? [selection.channel, plan.pressure.since, plan.pressure.maxSends] : [];
  if (plan.pressure) where.push(`c.id NOT IN (${PRESSURED_SQL})`);
  const limit = selection.limit !== undefined ? 'LIMIT ?' : '';
  const inner = `SELECT c.id AS id, ${rule.key} AS addr,
      row_number() OVER (PARTITION BY ${rule.key} ORDER BY c.updated_at DESC, c.id DESC) AS rn
    FROM ${from}
    WHERE ${driveWhere}${where.join('\n      AND ')}`;
  // The contact id leads each row (not output): the export's members are recorded from it.
  const sql = `SELECT ${mode === 'count' ? '1' : ['c.id', ...outputs].join(',\n  ')}
FROM (${inner}) w
JOIN contacts c ON c.id = w.id
${outputScores ? 'LEFT JOIN scores s ON s.contact_id = c.id AND s.run_id = ?' : ''}
WHERE w.rn = 1
${mode === 'count' ? '' : 'ORDER BY w.addr, w.id'} ${limit}`;
  if (drive) params.push(runId);
  params.push(...own.params, ...pressureParams);
  if (outputScores) params.push(runId);
  if (limit) params.push(selection.limit);
  // The funnel of a post export: each step of the rules as a flag over the selection, in one pass.
  const consent = selection.includeUnconsented ? '1' : consentCondition(rule, channel, 'c.id', '');
  const suppressed = parts.suppressPerson ? PERSON_SUPPRESSED : '0';
  const ok = 'r AND NOT u AND k AND NOT x';
  const funnelSql = `SELECT count(*) AS selected, coalesce(sum(r), 0) AS reachable, coalesce(sum(r AND NOT u), 0) AS deliverable,
      coalesce(sum(r AND NOT u AND k), 0) AS consenting, coalesce(sum(${ok}), 0) AS unsuppressed,
      count(DISTINCT CASE WHEN ${ok} THEN addr END) AS addresses, count(DISTINCT CASE WHEN ${ok} AND NOT p THEN addr END) AS unpressured
    FROM (SELECT (${rule.reachable}) AS r, (${plan.returns ? RETURNED : '0'}) AS u, (${consent}) AS k, (${suppressed}) AS x,
            (${plan.pressure ? `c.id IN (${PRESSURED_SQL})` : '0'}) AS p, ${rule.key} AS addr
          FROM ${from} WHERE ${driveWhere}${inSelection.sql})`;
  const funnelParams = [...pressureParams, ...selectedParams];
  return { sql, params, runId, columns: wanted, positions: wanted.map((_, i) => i + 1), gate: null, driveKey: drive ? drive.order : 'c.id', selectedSql, selectedParams, funnelSql, funnelParams };
}
