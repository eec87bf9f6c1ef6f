/**
 * The right of access and portability: every row about one person, in every table of the store, as one
 * versioned document (docs/gdpr.md describes it). Tables are found from the schema itself (every
 * foreign key to `contacts`), so a table a later stage adds is included without a change here. Nothing
 * about anyone else goes out: a row that points at another contact has that pointer and any copy of
 * the other contact's data removed.
 */
import type { Db } from '../store/db.js';
import type { Uid } from '../store/types.js';
import { emailHash, phoneHash } from '../export/keys.js';
import { inList, personIds } from './profile.js';

export const ACCESS_FORMAT = 'custkit-access';
export const ACCESS_VERSION = 1;

export type Cell = string | number | null;
export type Row = Record<string, Cell>;

export interface AccessBundle {
  format: typeof ACCESS_FORMAT;
  version: typeof ACCESS_VERSION;
  generated_at: string;
  subject: { uid: Uid; records: Uid[] };
  /** Table name -> the person's rows, columns as stored (JSON text columns left as text). */
  tables: Record<string, Row[]>;
  /** Rows that are context for the person's rows (the files they came from, the scoring runs). */
  context: Record<string, Row[]>;
  /** What was left out or masked, and why. */
  notes: string[];
}

/** Tables whose rows are never about a person (or are handled apart below). */
const SKIPPED = new Set(['contacts', 'schema_migrations', 'audit_log', 'audit_targets']);
const REDACTED = '(another contact)';

function cell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'bigint') return Number(value);
  if (Buffer.isBuffer(value)) return value.toString('hex');
  return String(value);
}

function clean(row: Record<string, unknown>): Row {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, cell(v)]));
}

/**
 * Tables about a person that hold a contact id without a foreign key (checking it would cost a seek per
 * row on large writes): export_members (campaigns migration 71).
 */
const KEYED_WITHOUT_FOREIGN_KEY: Record<string, string[]> = { export_members: ['contact_id'] };

/** Every table with a foreign key to contacts (or listed above), and the columns holding it. */
function contactTables(db: Db): Map<string, string[]> {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
  const found = new Map<string, string[]>();
  for (const table of tables) {
    if (SKIPPED.has(table)) continue;
    const keys = db.prepare('SELECT "from", "table" FROM pragma_foreign_key_list(?)').all(table) as Array<{ from: string; table: string }>;
    const columns = [...new Set([...keys.filter((k) => k.table === 'contacts').map((k) => k.from), ...(KEYED_WITHOUT_FOREIGN_KEY[table] ?? [])])];
    if (columns.length) found.set(table, columns);
  }
  return found;
}

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export function accessBundle(db: Db, contactId: number): AccessBundle {
  const ids = personIds(db, contactId);
  const mine = new Set(ids);
  const within = inList(ids);
  const notes: string[] = [];
  const contacts = (db.prepare(`SELECT * FROM contacts WHERE id IN (${within}) ORDER BY id`).all() as Array<Record<string, unknown>>).map(clean);
  const uids = contacts.map((c) => c.uid as Uid);
  const subject = contacts.find((c) => c.id === contactId)!;
  const tables: Record<string, Row[]> = { contacts };

  for (const [table, columns] of contactTables(db)) {
    const rows = db
      .prepare(`SELECT * FROM ${quote(table)} WHERE ${columns.map((c) => `${quote(c)} IN (${within})`).join(' OR ')}`)
      .all() as Array<Record<string, unknown>>;
    if (!rows.length) continue;
    tables[table] = rows.map((raw) => {
      const row = clean(raw);
      for (const column of columns) {
        if (typeof row[column] === 'number' && !mine.has(row[column] as number)) row[column] = REDACTED;
      }
      // A merge this person was merged into, later undone: the survivor is someone else again, and the
      // merge row keeps copies of that survivor's record.
      if (table === 'merges' && row.survivor_id === REDACTED) {
        for (const copy of ['survivor_before', 'survivor_after']) if (copy in row) row[copy] = REDACTED;
      }
      // An undone merge: the record it built held the other contact's values too.
      if (table === 'merges' && row.undone_at !== null && 'survivor_after' in row) row.survivor_after = REDACTED;
      return row;
    });
    if (columns.length > 1 && rows.some((r) => columns.some((c) => typeof r[c] === 'number' && !mine.has(r[c] as number)))) {
      notes.push(`${table}: the other contact of each row is not named (${REDACTED})`);
    }
  }
  if (tables.merges?.some((m) => m.survivor_after === REDACTED)) notes.push('merges: the record an undone merge built (it held another contact\'s values) is left out');

  // Rejected rows are not linked to a contact: the ones holding the person's email are theirs.
  const emails = [...new Set(contacts.map((c) => c.email_norm).filter((e): e is string => typeof e === 'string' && e !== ''))];
  if (emails.length) {
    const rejects = db
      .prepare(`SELECT * FROM rejects WHERE ${emails.map(() => 'instr(lower(raw), ?) > 0').join(' OR ')} ORDER BY id`)
      .all(...emails) as Array<Record<string, unknown>>;
    if (rejects.length) tables.rejects = rejects.map(clean);
  }

  // Suppressions hold hashes only: the person's are the hashes of their own addresses.
  const hashes = [...new Set([
    ...emails.map((e) => emailHash(e)),
    ...contacts.flatMap((c) => [c.phone_e164, c.mobile_e164, c.sms_e164]).filter((p): p is string => typeof p === 'string').map((p) => phoneHash(p)),
  ])];
  if (hashes.length && tableExists(db, 'suppressions')) {
    const rows = db.prepare(`SELECT * FROM suppressions WHERE hash IN (${hashes.map(() => '?').join(', ')}) ORDER BY id`).all(...hashes) as Array<Record<string, unknown>>;
    if (rows.length) tables.suppressions = rows.map(clean);
  }

  const audit = db
    .prepare(`SELECT a.* FROM audit_log a WHERE a.id IN (SELECT audit_id FROM audit_targets WHERE uid IN (${uids.map(() => '?').join(', ')})) ORDER BY a.id`)
    .all(...uids) as Array<Record<string, unknown>>;
  if (audit.length) {
    const targets = db.prepare('SELECT uid FROM audit_targets WHERE audit_id = ? ORDER BY uid').pluck();
    tables.audit_log = audit.map((a) => {
      const theirs = (targets.all(a.id) as string[]).filter((u) => uids.includes(u));
      // Only this person's uids: an entry about several people names the others by count only.
      return { ...clean(a), uids: JSON.stringify(theirs) };
    });
  }

  const context: Record<string, Row[]> = {};
  const importIds = new Set<number>();
  for (const rows of Object.values(tables)) {
    for (const r of rows) for (const k of ['import_id', 'first_import_id', 'last_import_id']) if (typeof r[k] === 'number') importIds.add(r[k] as number);
  }
  if (importIds.size) {
    context.imports = (db.prepare(`SELECT id, file_name, kind, source, started_at, os_user FROM imports WHERE id IN (${inList([...importIds])}) ORDER BY id`).all() as Array<Record<string, unknown>>).map(clean);
  }
  const runIds = [...new Set((tables.scores ?? []).map((s) => s.run_id as number))];
  if (runIds.length) {
    context.score_runs = (db.prepare(`SELECT id, as_of, method, bins, segment_map, created_at FROM score_runs WHERE id IN (${inList(runIds)}) ORDER BY id`).all() as Array<Record<string, unknown>>).map(clean);
  }
  // The campaigns the person was sent (export_members, campaign_events, postal_returns): what each was.
  const exportIds = [...new Set(['export_members', 'campaign_events', 'postal_returns'].flatMap((t) => (tables[t] ?? []).map((r) => r.export_id)).filter((v): v is number => typeof v === 'number'))];
  if (exportIds.length) {
    context.exports = (db.prepare(`SELECT e.id, e.created_at, e.channel, e.row_count, k.name AS campaign_name FROM exports e LEFT JOIN campaigns k ON k.export_id = e.id WHERE e.id IN (${inList(exportIds)}) ORDER BY e.id`).all() as Array<Record<string, unknown>>).map(clean);
  }
  if (!tableExists(db, 'export_members')) notes.push('exports: this store does not record which people each export included');

  return {
    format: ACCESS_FORMAT,
    version: ACCESS_VERSION,
    generated_at: new Date().toISOString(),
    subject: { uid: subject.uid as Uid, records: uids },
    tables,
    context,
    notes,
  };
}

function tableExists(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}
