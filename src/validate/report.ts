/**
 * The validation report, read from the validated columns with SQL (so it costs one pass over the
 * store, whatever the size): per field filled / valid / invalid / empty with up to five example uids
 * per issue kind, the required-fields rule, reachability by channel and the completeness distribution.
 * Merged and erased contacts are not part of "the file".
 */
import { storeAddress, type Db } from '../store/db.js';
import type { Uid } from '../store/types.js';
import { COMPLETENESS_PARTS, ISSUE_KINDS, REPORT_FIELDS, requirementSql, severityOf, type ReportField } from './issues.js';
import type { Severity } from './types.js';
import { builtWorkerFile, startWorkerCall, WorkerCallError } from './worker-call.js';

export const IN_FILE = "c.status NOT IN ('merged', 'erased')";
const EXAMPLES = 5;

export interface IssueStats {
  code: string;
  severity: Severity;
  reason: string;
  count: number;
  examples: Uid[];
}

export interface FieldStats {
  field: ReportField;
  filled: number;
  valid: number;
  invalid: number;
  empty: number;
  issues: IssueStats[];
}

export interface Reach {
  count: number;
  percent: number;
}

export interface ValidationReport {
  contacts: number;
  fields: FieldStats[];
  required: { rule: string; failing: number; examples: Uid[] };
  reachable: { email: Reach; sms: Reach; post: Reach };
  completeness: Array<{ score: number; count: number }>;
  errors: number;
  warnings: number;
}

/** The latest choice for a channel is the consent row with the highest (recorded_at, id). */
export function consentGrantedSql(channel: 'email' | 'sms' | 'post' | 'phone'): string {
  return `(SELECT k.status FROM consents k WHERE k.contact_id = c.id AND k.channel = '${channel}'
           ORDER BY k.recorded_at DESC, k.id DESC LIMIT 1) = 'granted'`;
}

function percent(count: number, total: number): number {
  return total === 0 ? 0 : Math.round((1000 * count) / total) / 10;
}

/** Stores of at least this many contacts are reported on two threads, each reading half the ids. */
const SPLIT_FROM = 50_000;
const START_TIMEOUT_MS = 15_000;
const PART_TIMEOUT_MS = 600_000;

/** What one range of contacts contributes: summable totals, issue counts, first examples by id. */
export interface ReportPart {
  totals: Record<string, number | null>;
  tally: Array<[string, number]>;
  examples: Array<[string, Uid[]]>;
  failing: Uid[];
}

/** The completeness scores validation writes (k of the parts, as a percentage). */
const SCORES = [...Array(COMPLETENESS_PARTS.length + 1).keys()].map((k) => Math.round((100 * k) / COMPLETENESS_PARTS.length));

/** The report over the contacts with lo < id <= hi (all of them without a range). */
export function reportPart(db: Db, requirement: string, range: [number, number] | null): ReportPart {
  const required = requirementSql(requirement);
  const inRange = range ? ` AND c.id > ${Math.trunc(range[0])} AND c.id <= ${Math.trunc(range[1])}` : '';
  // One pass for the per-field fill counts, the required-fields rule and reachability. Import stores
  // cells trimmed and blank ones as NULL, so "filled" is a plain comparison (no trim() per cell).
  const filledSql = REPORT_FIELDS.map((f) => `coalesce(sum(c.${f} <> ''), 0) AS ${f}`).join(', ');
  // The completeness scores validation writes, counted in the same pass; a score outside them (a store
  // validated by other rules) sends the count to its own query (buildReport).
  const scoreSql = SCORES.map((score, i) => `coalesce(sum(coalesce(c.completeness, 0) = ${score}), 0) AS score${i}`).join(', ');
  const totals = db
    .prepare(
      `SELECT count(*) AS contacts, ${filledSql}, sum(NOT ${required}) AS failing,
              sum(c.email_valid = 1 AND ${consentGrantedSql('email')}) AS reach_email,
              sum(c.sms_e164 IS NOT NULL AND ${consentGrantedSql('sms')}) AS reach_sms,
              sum(c.address_complete = 1) AS reach_post, ${scoreSql}
       FROM contacts c WHERE ${IN_FILE}${inRange}`,
    )
    .get() as Record<string, number | null>;

  // One pass over the contacts with issues: the count of each issue kind and its first examples.
  const tally = new Map<string, number>();
  const examples = new Map<string, Uid[]>();
  const withIssues = db
    .prepare(`SELECT c.uid, c.validation_issues FROM contacts c WHERE ${IN_FILE} AND c.validation_issues <> '[]'${inRange} ORDER BY c.id`)
    .raw(true)
    .iterate() as IterableIterator<[Uid, string]>;
  for (const [uid, json] of withIssues) {
    for (const issue of JSON.parse(json) as string[]) {
      tally.set(issue, (tally.get(issue) ?? 0) + 1);
      const list = examples.get(issue);
      if (!list) examples.set(issue, [uid]);
      else if (list.length < EXAMPLES) list.push(uid);
    }
  }
  const failing = db
    .prepare(`SELECT c.uid FROM contacts c WHERE ${IN_FILE} AND NOT ${required}${inRange} ORDER BY c.id LIMIT ${EXAMPLES}`)
    .pluck()
    .all() as Uid[];
  return { totals, tally: [...tally], examples: [...examples], failing };
}

/** A large store's report is cut into this many id ranges, which both threads take in turn. */
const CHUNKS = 16;

/**
 * The parts of a large store are reported on two threads: a worker on its own read-only connection
 * and this thread each take the next range not yet taken (a shared counter) until none is left, so
 * they finish together whatever else slows either. This thread first copies the WAL a large
 * validation left (ensure.ts) into the store, while the worker reads. Merged in id order, the parts
 * give what one pass gives.
 */
function reportParts(db: Db, requirement: string, workers: number | 'auto'): ReportPart[] {
  const file = workers === 0 ? null : builtWorkerFile('report-worker.js');
  const span = db.prepare('SELECT count(*) AS contacts, min(id) AS lo, max(id) AS hi FROM contacts').get() as { contacts: number; lo: number; hi: number };
  if (file === null || db.inTransaction || db.memory || span.contacts < SPLIT_FROM) return [reportPart(db, requirement, null)];
  // Equal spans of ids (finding equal counts would read the table once more): ids are mostly dense,
  // and the threads take ranges in turn, so one range larger than another only changes who takes it.
  const bounds = [Number.MIN_SAFE_INTEGER];
  for (let k = 1; k < CHUNKS; k++) bounds.push(span.lo + Math.floor((k * (span.hi - span.lo)) / CHUNKS));
  bounds.push(Number.MAX_SAFE_INTEGER);
  const ranges = bounds.slice(1).map((upTo, k): [number, number] => [bounds[k]!, upTo]);
  const next = new Int32Array(new SharedArrayBuffer(4));
  const worker = startWorkerCall(file, { store: storeAddress(db), requirement, ranges, next: next.buffer });
  const parts: Array<ReportPart | undefined> = [];
  try {
    if (!db.readonly) db.pragma('wal_checkpoint(PASSIVE)');
    for (let k = Atomics.add(next, 0, 1); k < ranges.length; k = Atomics.add(next, 0, 1)) parts[k] = reportPart(db, requirement, ranges[k]!);
  } catch (error) {
    worker.cancel();
    throw error;
  }
  let answer: { parts?: Array<[number, ReportPart]> } = {};
  try {
    answer = worker.wait(START_TIMEOUT_MS, PART_TIMEOUT_MS) as typeof answer;
  } catch (error) {
    if (!(error instanceof WorkerCallError)) throw error;
  }
  for (const [k, part] of answer.parts ?? []) parts[k] = part;
  // Ranges a failed worker had taken are read here.
  return ranges.map((range, k) => parts[k] ?? reportPart(db, requirement, range));
}

/** `workers: 0` reports on this thread alone (as `validate --workers 0` validates). */
export function buildReport(db: Db, requirement: string, options: { workers?: number | 'auto' } = {}): ValidationReport {
  return reportFromParts(db, reportParts(db, requirement, options.workers ?? 'auto'), requirement);
}

/** The report from the parts of consecutive id ranges, lowest first. */
export function reportFromParts(db: Db, parts: ReportPart[], requirement: string): ValidationReport {
  const totals: Record<string, number> = {};
  for (const part of parts) for (const [key, value] of Object.entries(part.totals)) totals[key] = (totals[key] ?? 0) + (value ?? 0);
  const contacts = totals.contacts ?? 0;
  const count = (key: string) => totals[key] ?? 0;
  const tally = new Map<string, number>();
  const examples = new Map<string, Uid[]>();
  for (const part of parts) {
    for (const [issue, n] of part.tally) tally.set(issue, (tally.get(issue) ?? 0) + n);
    for (const [issue, uids] of part.examples) examples.set(issue, [...(examples.get(issue) ?? []), ...uids].slice(0, EXAMPLES));
  }
  const counts = [...tally].map(([issue, n]) => ({ issue, n }));

  let errors = 0;
  let warnings = 0;
  const fields: FieldStats[] = REPORT_FIELDS.map((field) => {
    const issues: IssueStats[] = counts
      .filter((c) => c.issue.startsWith(`${field}:`))
      .map((c) => {
        const code = c.issue.slice(field.length + 1);
        return { code, severity: severityOf(code), reason: ISSUE_KINDS[code]?.reason ?? code, count: c.n, examples: examples.get(c.issue) ?? [] };
      })
      .sort((a, b) => (a.severity === b.severity ? b.count - a.count : a.severity === 'error' ? -1 : 1));
    const filled = count(field);
    const invalid = issues.filter((i) => i.severity === 'error').reduce((sum, i) => sum + i.count, 0);
    errors += invalid;
    warnings += issues.filter((i) => i.severity === 'warning').reduce((sum, i) => sum + i.count, 0);
    return { field, filled, valid: filled - invalid, invalid, empty: contacts - filled, issues };
  });

  const failingExamples = parts.flatMap((part) => part.failing).slice(0, EXAMPLES);
  errors += count('failing');
  const counted = SCORES.map((score, i) => ({ score, count: count(`score${i}`) }));
  const completeness =
    counted.reduce((sum, b) => sum + b.count, 0) === contacts
      ? counted.filter((b) => b.count > 0)
      : (db
          .prepare(`SELECT coalesce(c.completeness, 0) AS score, count(*) AS count FROM contacts c WHERE ${IN_FILE} GROUP BY 1 ORDER BY 1`)
          .all() as Array<{ score: number; count: number }>);

  return {
    contacts,
    fields,
    required: { rule: requirement, failing: count('failing'), examples: failingExamples },
    reachable: {
      email: { count: count('reach_email'), percent: percent(count('reach_email'), contacts) },
      sms: { count: count('reach_sms'), percent: percent(count('reach_sms'), contacts) },
      post: { count: count('reach_post'), percent: percent(count('reach_post'), contacts) },
    },
    completeness,
    errors,
    warnings,
  };
}
