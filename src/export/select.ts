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
import { segmentKey, type CompiledFilter } from './filter.js';
import { emailHash, sha256Hex } from './digests.js';
import { POST_ADDRESS_KEY, type ChannelRule, type DriveKey, type Selection } from './channels.js';
import { PRESSURED_SQL, type SelectionPlan } from './plan.js';
import { foldAddressText, postAddressKey } from './post-address.js';

export * from './channels.js';
export { planSelection, PRESSURED_SQL, resolveRun, type PressureCap, type SelectionPlan } from './plan.js';

/** SQL functions the statement calls; registered once per connection. */
export function registerFunctions(db: Db): void {
  db.function('ck_email_hash', { deterministic: true }, (value: unknown) => (typeof value === 'string' && value !== '' ? emailHash(value) : null));
  db.function('ck_sha256', { deterministic: true }, (value: unknown) => (typeof value === 'string' && value !== '' ? sha256Hex(value) : null));
  db.function('ck_segkey', { deterministic: true }, (value: unknown) => (typeof value === 'string' ? segmentKey(value) : null));
  db.function('ck_post_address', { deterministic: true }, postAddressKey);
  db.function('ck_fold_text', { deterministic: true }, (value: unknown) => (typeof value === 'string' ? foldAddressText(value) : null));
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
function candidateFor(alias: string, scoresAlias: string, parts: Pick<SelectionPlan, 'selection' | 'rule' | 'runId' | 'segmentNames' | 'filter' | 'suppressPerson' | 'seeds'> & {
  /** False: the address rule is left out (the export's own rows, so that the funnel can count them). */
  reachable?: boolean;
}): Condition {
  const { selection, rule, runId, segmentNames, filter } = parts;
  const a = (sql: string): string => sql.replace(/\bc\./g, `${alias}.`).replace(/\bs\./g, `${scoresAlias}.`);
  const where: string[] = [];
  const params: unknown[] = [];
  where.push(selection.status === 'all' ? "c.status IN ('active', 'inactive')" : selection.status === 'inactive' ? "c.status = 'inactive'" : "c.status = 'active'");
  if (parts.reachable !== false) where.push(rule.reachable);
  // Every segment asked for is empty in this run: the selection is nobody, not everyone.
  if (selection.segments.length && !segmentNames.length) where.push('0');
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
  /**
   * Where a row holds the contact's segment and RFM cell in the score run (MEMBER_CELL): recorded
   * with the export's members. Null when the export has no score run (or counts rows).
   */
  memberColumn: number | null;
  /** What the rows are ordered by (integer, unique per row): a `ranged` statement reads one range of it. */
  driveKey: DriveKey;
  /** With `csvLine`: where a row holds its drive key (the line comes after it, last). */
  /** With `csvLine`: the statement's first parameters, this many, before `params`, are the consent mask (bulk.ts, consentMask). */
  consentMasks?: number;
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

/** A member's segment and RFM cell in the export's score run, as export_members keeps them. */
/**
 * A member's segment and RFM cell in the export's score run, as export_members keeps them, read as one
 * text value (one string per row, and the key of the pairs met, members.ts): the segment, then
 * MEMBER_CELL_SEPARATOR, then the cell ('R5 F4 M3'); MEMBER_CELL_NONE for a missing one.
 */
const MEMBER_CELL = `coalesce(s.segment, char(1)) || char(31) || coalesce('R' || s.r_score || ' F' || s.f_score || ' M' || s.m_score, char(1))`;

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
  // Rows carry the member's segment and cell whenever there is a run: the scores row is joined anyway
  // for the default columns, and reading it with the row costs less than a seek per member later.
  const memberScores = mode === 'rows' && runId !== null;
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
    // With CSV lines (export workers), the statement's first parameters are the consent mask (bulk.ts,
    // consentMask: a byte per contact id, 0 when the person surely has not consented; an empty blob
    // leaves every row whole). A row the consents leave out is only counted: it comes with 1 for its
    // address (null still when it has none), and without identifiers, segment nor line. After dedupe, a
    // third of a store's active records may be without consent, and each string read costs.
    let masks = 0;
    const consenting = "coalesce(substr(?, c.id + 1, 1), x'01') <> x'00'";
    const ifConsenting = (sql: string): string => {
      if (!csvLine) return sql;
      masks++;
      return `CASE WHEN ${consenting} THEN ${sql} END`;
    };
    const hidden = ['c.id', csvLine ? (masks++, `CASE WHEN ${consenting} THEN ${address} WHEN ${address} IS NOT NULL THEN 1 END`) : address];
    if (parts.suppressPerson) hidden.push(...['c.email_norm', 'c.sms_e164', 'c.phone_e164', 'c.mobile_e164'].map(ifConsenting));
    const memberColumn = memberScores ? hidden.length : null;
    if (memberScores) hidden.push(ifConsenting(MEMBER_CELL));
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
    const leftJoin = !drive && memberScores ? 'LEFT JOIN scores s ON s.contact_id = c.id AND s.run_id = ?' : '';
    const driveKey = drive ? drive.order : 'c.id';
    const range = ranged ? `\n      AND ${driveKey} >= ? AND ${driveKey} < ?` : '';
    if (csvLine) {
      // The drive key too (unless it is the contact id the row leads with): a row whose line cannot be
      // written as it is has its values read by it.
      selected.length = 0;
      // No line for a row without an address, nor for one the consents leave out: it is only counted.
      masks++;
      if (driveKey !== 'c.id') selected.push(driveKey);
      selected.push(`CASE WHEN ${address} IS NOT NULL AND ${consenting} THEN ${csvLineSql(csvLine.keys.map((k, i) => ({ sql: COLUMNS[k]!.sql.replace('@channel', channel), kind: csvLine.kinds[i]! })), csvLine.delimiter)} END`);
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
    return { sql, params, runId, columns: wanted, positions, gate, memberColumn, driveKey, driveColumn: csvLine ? (driveKey === 'c.id' ? ROW_ID : hidden.length) : undefined, consentMasks: masks, selectedSql, selectedParams };
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
  // The contact id leads each row (not output), then its segment and cell when there is a run: the
  // export's members are recorded from them.
  const lead = memberScores ? ['c.id', MEMBER_CELL] : ['c.id'];
  const sql = `SELECT ${mode === 'count' ? '1' : [...lead, ...outputs].join(',\n  ')}
FROM (${inner}) w
JOIN contacts c ON c.id = w.id
${memberScores ? 'LEFT JOIN scores s ON s.contact_id = c.id AND s.run_id = ?' : ''}
WHERE w.rn = 1
${mode === 'count' ? '' : 'ORDER BY w.addr, w.id'} ${limit}`;
  if (drive) params.push(runId);
  params.push(...own.params, ...pressureParams);
  if (memberScores) params.push(runId);
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
  return { sql, params, runId, columns: wanted, positions: wanted.map((_, i) => i + lead.length), gate: null, memberColumn: memberScores ? 1 : null, driveKey: drive ? drive.order : 'c.id', selectedSql, selectedParams, funnelSql, funnelParams };
}
