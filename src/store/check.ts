/**
 * `custkit db check`: is the store sound? SQLite's own checks (every page and index, every foreign key)
 * and custkit's invariants, the ones a crash or a bug in the middle of a command would break. Each check
 * is data (a name, a query counting what breaks it, what it means), in the Splink manner: adding one is a
 * line here. Problems name row ids and uids, never personal data.
 */
import type { Db } from './db.js';

export interface Problem {
  check: string;
  /** What the problem means, for the user. */
  description: string;
  count: number;
  /** Up to ten rows: ids, uids, SQLite's own words. */
  examples: string[];
}

export interface CheckResult {
  ok: boolean;
  integrity: 'ok' | 'damaged';
  checks: number;
  problems: Problem[];
}

interface Invariant {
  name: string;
  description: string;
  /** Tables (and table.column) the check needs: stores without them (older, or a stage not used) skip it. */
  needs: string[];
  /** Selects one text column, `example`, per row that breaks the invariant. */
  sql: string;
}

const PERSONAL = ['first_name', 'last_name', 'email', 'phone', 'mobile', 'address_line1', 'address_line2', 'postal_code', 'city', 'birth_date', 'company', 'siret'];
/** Columns an erased contact holds empty: the raw fields, their import keys and validate's versions of them. */
const ERASED_EMPTY = [
  ...PERSONAL, 'external_id', 'civility', 'gender', 'origin', 'email_norm', 'phone_digits', 'mobile_digits', 'last_activity_at', 'merged_into',
  'email_clean', 'email_suggestion', 'phone_e164', 'mobile_e164', 'sms_e164', 'postal_code_norm', 'city_norm', 'first_name_norm', 'last_name_norm',
  'civility_norm', 'gender_norm', 'siret_norm',
];

const INVARIANTS: Invariant[] = [
  {
    name: 'merged contact without an active survivor',
    description: 'a contact marked merged must point (directly or along a chain of merges) to an active contact',
    needs: ['contacts.merged_into'],
    sql: `WITH RECURSIVE chain(start, id, depth) AS (
            SELECT id, merged_into, 1 FROM contacts WHERE status = 'merged'
            UNION ALL
            SELECT chain.start, c.merged_into, depth + 1 FROM chain JOIN contacts c ON c.id = chain.id
            WHERE c.status = 'merged' AND depth < 64)
          SELECT 'contact ' || m.uid AS example FROM contacts m
          WHERE m.status = 'merged' AND NOT EXISTS (
            SELECT 1 FROM chain JOIN contacts s ON s.id = chain.id WHERE chain.start = m.id AND s.status IN ('active', 'inactive'))`,
  },
  {
    name: 'contact pointing to a survivor but not merged',
    description: 'merged_into is set only on merged contacts (a merge or unmerge left half done)',
    needs: ['contacts.merged_into'],
    sql: `SELECT 'contact ' || uid || ' (status ' || status || ')' AS example FROM contacts WHERE merged_into IS NOT NULL AND status <> 'merged'`,
  },
  {
    name: 'open merge whose member is not merged',
    description: 'every contact of a merge that was not undone (nor erased) is marked merged into its survivor',
    needs: ['merges.erased_at', 'merge_members'],
    sql: `SELECT 'merge ' || m.id || ', contact ' || c.uid AS example FROM merges m JOIN merge_members mm ON mm.merge_id = m.id
          JOIN contacts c ON c.id = mm.contact_id
          WHERE m.undone_at IS NULL AND m.erased_at IS NULL AND mm.contact_id <> m.survivor_id AND (c.status <> 'merged' OR c.merged_into IS NULL)`,
  },
  {
    name: 'consent of a missing contact',
    description: 'every consent belongs to a contact in the store',
    needs: ['consents'],
    sql: `SELECT 'consent ' || id || ' (contact id ' || contact_id || ')' AS example FROM consents WHERE contact_id NOT IN (SELECT id FROM contacts)`,
  },
  {
    name: 'purchase of a missing contact',
    description: 'every purchase belongs to a contact in the store',
    needs: ['purchases'],
    sql: `SELECT 'purchase ' || id || ' (contact id ' || contact_id || ')' AS example FROM purchases WHERE contact_id NOT IN (SELECT id FROM contacts)`,
  },
  {
    name: 'campaign member of a missing contact',
    description: 'every member of an export (campaign) is a contact in the store (export_members has no foreign key: checked here)',
    needs: ['export_members'],
    sql: `SELECT 'member of export ' || export_id || ' (contact id ' || contact_id || ')' AS example FROM export_members WHERE contact_id NOT IN (SELECT id FROM contacts)`,
  },
  {
    name: 'score without a run',
    description: 'every score belongs to a score run',
    needs: ['scores', 'score_runs'],
    sql: `SELECT 'score of contact id ' || contact_id || ' (run ' || run_id || ')' AS example FROM scores WHERE run_id NOT IN (SELECT id FROM score_runs)`,
  },
  {
    name: 'erased contact keeping personal data',
    description: 'an erased contact keeps its uid, status and dates, nothing that identifies the person (gdpr erase)',
    needs: [...ERASED_EMPTY.map((c) => `contacts.${c}`), 'contacts.erased_at'],
    sql: `SELECT 'contact ' || uid AS example FROM contacts WHERE status = 'erased'
          AND (${ERASED_EMPTY.map((c) => `coalesce(${c}, '') <> ''`).join(' OR ')}
               OR tags <> '[]' OR attributes <> '{}' OR (external_key NOT LIKE 'erased:%' AND NOT (source = '(erased)' AND external_key = 'erased purchases')))`,
  },
  {
    name: 'erased contact keeping rows about them',
    description: 'consents, scores, clean history, dedupe keys and review decisions of an erased contact are deleted; its purchases belong to the anonymous holder',
    needs: ['contacts.erased_at', 'consents', 'scores', 'clean_fixes', 'clean_changes', 'dedupe_keys', 'dedupe_decisions', 'purchases'],
    sql: `WITH erased AS (SELECT id, uid FROM contacts WHERE status = 'erased' AND NOT (source = '(erased)' AND external_key = 'erased purchases'))
          SELECT 'contact ' || e.uid || ': ' || t.name AS example FROM erased e JOIN (
            SELECT contact_id AS id, 'consents' AS name FROM consents UNION ALL SELECT contact_id, 'scores' FROM scores
            UNION ALL SELECT contact_id, 'clean history' FROM clean_fixes UNION ALL SELECT contact_id, 'clean history' FROM clean_changes
            UNION ALL SELECT contact_id, 'dedupe keys' FROM dedupe_keys UNION ALL SELECT a_id, 'review decisions' FROM dedupe_decisions
            UNION ALL SELECT b_id, 'review decisions' FROM dedupe_decisions UNION ALL SELECT contact_id, 'purchases' FROM purchases) t ON t.id = e.id
          GROUP BY e.id, t.name`,
  },
  {
    name: 'merge keeping an erased contact\'s snapshots',
    description: 'a merge an erased contact was part of keeps no snapshot of them and is marked erased',
    needs: ['merges.erased_at', 'merge_members', 'contacts.erased_at'],
    sql: `SELECT 'merge ' || m.id AS example FROM merges m WHERE
            (m.survivor_id IN (SELECT id FROM contacts WHERE status = 'erased')
             OR m.id IN (SELECT merge_id FROM merge_members WHERE contact_id IN (SELECT id FROM contacts WHERE status = 'erased')))
            AND (m.erased_at IS NULL OR m.survivor_before <> '{}' OR m.survivor_after <> '{}'
                 OR EXISTS (SELECT 1 FROM merge_members mm WHERE mm.merge_id = m.id AND (mm.snapshot <> '{}' OR mm.evidence <> '{}')))`,
  },
  {
    name: 'unfinished import',
    description: 'an import commits whole or not at all: none stays "running"',
    needs: ['imports.status'],
    sql: `SELECT 'import ' || id || ' (' || status || ')' AS example FROM imports WHERE status <> 'completed'`,
  },
];

function columnsOf(db: Db): Map<string, Set<string>> {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
  return new Map(tables.map((t) => [t, new Set((db.pragma(`table_info("${t.replace(/"/g, '""')}")`) as Array<{ name: string }>).map((c) => c.name))]));
}

function has(columns: Map<string, Set<string>>, need: string): boolean {
  const [table, column] = need.split('.');
  const cols = columns.get(table!);
  return cols !== undefined && (column === undefined || cols.has(column));
}

const EXAMPLES = 10;

/** Runs every check. `quick` uses SQLite's quick_check (no index-content comparison: much faster). */
export function checkStore(db: Db, options: { quick?: boolean } = {}): CheckResult {
  const problems: Problem[] = [];
  const integrity = db.pragma(options.quick ? 'quick_check(100)' : 'integrity_check(100)', { simple: false }) as Array<Record<string, string>>;
  const messages = integrity.map((row) => Object.values(row)[0]!).filter((m) => m !== 'ok');
  if (messages.length) {
    problems.push({ check: 'SQLite integrity', description: 'pages, indexes and records as SQLite stores them', count: messages.length, examples: messages.slice(0, EXAMPLES) });
  }
  let checks = 1;
  // Foreign keys are checked even when a damaged page was found: they say which rows are affected.
  const keys = db.pragma('foreign_key_check') as Array<{ table: string; rowid: number | null; parent: string }>;
  checks++;
  if (keys.length) {
    problems.push({
      check: 'foreign keys', description: 'every reference points to an existing row', count: keys.length,
      examples: keys.slice(0, EXAMPLES).map((k) => `${k.table} row ${k.rowid ?? '?'} -> missing ${k.parent}`),
    });
  }
  const columns = columnsOf(db);
  for (const invariant of INVARIANTS) {
    if (!invariant.needs.every((n) => has(columns, n))) continue;
    checks++;
    const count = db.prepare(`SELECT count(*) FROM (${invariant.sql})`).pluck().get() as number;
    if (count === 0) continue;
    const examples = db.prepare(`${invariant.sql} LIMIT ${EXAMPLES}`).pluck().all() as string[];
    problems.push({ check: invariant.name, description: invariant.description, count, examples });
  }
  return { ok: problems.length === 0, integrity: messages.length ? 'damaged' : 'ok', checks, problems };
}
