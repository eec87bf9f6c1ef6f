/**
 * The audit trail: one `audit_log` row per change a command makes, written by the command in the same
 * transaction as the change (so there is never a change without its entry, nor an entry without its
 * change). The entry holds who, when, the command line with every personal value masked, an action
 * name, the contacts it is about (by uid) and counts: never a name, an email or a phone.
 */
import os from 'node:os';
import type { Db } from '../store/db.js';
import type { Uid } from '../store/types.js';

export type AuditValue = string | number | boolean | null | string[];

export interface AuditEntry {
  /** What was done, dotted by stage: 'contact.set', 'gdpr.consent', 'import', 'dedupe.apply'… */
  action: string;
  /** The contacts the change is about; bulk commands leave it out and give counts. */
  uids?: readonly Uid[];
  counts?: Record<string, number>;
  /** Field names, a channel, a run id: never a personal value. */
  details?: Record<string, AuditValue>;
  /** The command line, masked; by default this process's own (process.argv, masked here). */
  command?: string;
}

/** Subcommand words that are never personal data: kept as typed so the log reads like the command. */
const VERBS = new Set([
  'import', 'rejects', 'db', 'info', 'migrate', 'check', 'validate', 'clean', 'score', 'segments', 'affinities',
  'dedupe', 'explain', 'unmerge', 'export', 'exports', 'suppress', 'seeds', 'add', 'list', 'trace', 'contact',
  'show', 'find', 'set', 'tag', 'untag', 'gdpr', 'consent', 'access', 'erase', 'purge', 'audit', 'merges', 'report', 'run', 'runs',
  'mappings', 'forget', 'backup', 'backups', 'restore', 'encrypt', 'decrypt', 'rekey',
  'campaigns', 'results', 'returns', 'settings', 'unmatched', 'not-sent',
]);

/** Flags whose value says how the command ran, not who it was about: kept. Any other value is masked. */
const SAFE_VALUE_FLAGS = new Set([
  '--db', '--channel', '--since', '--until', '--action', '--uid', '--as-of', '--method', '--bins', '--horizon',
  '--threshold', '--format', '--preset', '--kind', '--reason', '--segment', '--limit', '--id', '--import',
  '--inactive-since', '--undo', '--max-block', '--with-seeds', '--country', '--encoding', '--delimiter',
  '--dates', '--run', '--all-since', '--sheet', '--keep', '--prospects', '--customers', '--rejects',
  '--campaign', '--max-sends', '--per', '--soft-bounces',
]);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SMALL_ID = /^\d{1,6}$/;
const FIELD_ASSIGNMENT = /^([A-Za-z_][\w.]*)=/;
export const MASK = '***';

/** A value that may be personal: masked, keeping a file's extension so "--out ***.json" still reads. */
function maskValue(value: string): string {
  const extension = /\.(csv|tsv|txt|json|html|xlsx|xls|yaml|yml)$/i.exec(value);
  return extension ? `${MASK}${extension[0]}` : MASK;
}

function keepPositional(token: string, index: number): boolean {
  return UUID.test(token) || SMALL_ID.test(token) || (index < 2 && VERBS.has(token));
}

/**
 * The command line with every personal value masked. Kept: flags, the values of the flags above,
 * command words, uids and small ids; `field=value` keeps the field name. Anything else (an email, a
 * phone, a name, a --where expression, a --proof text, a file name) becomes ***.
 */
export function maskCommand(argv: readonly string[]): string {
  const out: string[] = ['custkit'];
  let positional = 0;
  let keepNext = false;
  for (const token of argv) {
    if (keepNext) {
      out.push(token);
      keepNext = false;
    } else if (token.startsWith('-') && token.length > 1 && !/^-\d/.test(token)) {
      const eq = token.indexOf('=');
      if (eq > 0) out.push(SAFE_VALUE_FLAGS.has(token.slice(0, eq)) ? token : `${token.slice(0, eq + 1)}${maskValue(token.slice(eq + 1))}`);
      else {
        out.push(token);
        keepNext = SAFE_VALUE_FLAGS.has(token);
      }
    } else {
      const assignment = FIELD_ASSIGNMENT.exec(token);
      if (assignment) out.push(`${assignment[1]}=${MASK}`);
      else out.push(keepPositional(token, positional) ? token : maskValue(token));
      positional += 1;
    }
  }
  return out.join(' ');
}

export function osUser(): string | null {
  try {
    return os.userInfo().username;
  } catch {
    // No passwd entry (some containers): the environment is the next best witness.
    return process.env.USER ?? process.env.LOGNAME ?? null;
  }
}

/** Writes one entry; call it inside the transaction of the change it records. Returns its id. */
export function recordAudit(db: Db, entry: AuditEntry): number {
  // Sorted: both keys of audit_targets begin with (or follow) the uid, so an unmerge of 127,000 merges
  // appends its 277,000 targets in order instead of at random pages (2.6 s, one INSERT each, before).
  const uids = [...new Set(entry.uids ?? [])].sort();
  const id = Number(
    db
      .prepare('INSERT INTO audit_log (at, os_user, command, action, targets, counts, details) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(new Date().toISOString(), osUser(), entry.command ?? maskCommand(process.argv.slice(2)), entry.action, uids.length,
        JSON.stringify(entry.counts ?? {}), JSON.stringify(entry.details ?? {})).lastInsertRowid,
  );
  const target = db.prepare('INSERT INTO audit_targets (audit_id, uid) SELECT ?, value FROM json_each(?)');
  for (let i = 0; i < uids.length; i += 10_000) target.run(id, JSON.stringify(uids.slice(i, i + 10_000)));
  return id;
}

export interface AuditQuery {
  /** 'yyyy-mm-dd' or a full ISO timestamp: entries at or after it. */
  since?: string;
  uid?: Uid;
  /** An action ('contact.set') or a stage prefix ('contact' matches every contact.* action). */
  action?: string;
  limit?: number;
}

export interface AuditRow {
  id: number;
  at: string;
  os_user: string | null;
  command: string;
  action: string;
  targets: number;
  uids: Uid[];
  counts: Record<string, number>;
  details: Record<string, AuditValue>;
}

interface StoredAuditRow extends Omit<AuditRow, 'uids' | 'counts' | 'details'> {
  counts: string;
  details: string;
}

/** Entries, oldest first, matching every filter given. */
export function listAudit(db: Db, query: AuditQuery = {}): AuditRow[] {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.since !== undefined) {
    where.push('a.at >= ?');
    params.push(query.since);
  }
  if (query.uid !== undefined) {
    where.push('a.id IN (SELECT audit_id FROM audit_targets WHERE uid = ?)');
    params.push(query.uid);
  }
  if (query.action !== undefined) {
    where.push("(a.action = ? OR a.action LIKE ? ESCAPE '\\')");
    params.push(query.action, `${query.action.replace(/[\\%_]/g, (c) => `\\${c}`)}.%`);
  }
  const limit = query.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(query.limit))}` : '';
  const rows = db
    .prepare(`SELECT * FROM (SELECT a.id, a.at, a.os_user, a.command, a.action, a.targets, a.counts, a.details FROM audit_log a
              ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY a.id DESC${limit}) ORDER BY id`)
    .all(...params) as StoredAuditRow[];
  const uidsOf = db.prepare('SELECT uid FROM audit_targets WHERE audit_id = ? ORDER BY uid').pluck();
  return rows.map((r) => ({
    ...r,
    uids: uidsOf.all(r.id) as Uid[],
    counts: JSON.parse(r.counts) as Record<string, number>,
    details: JSON.parse(r.details) as Record<string, AuditValue>,
  }));
}
