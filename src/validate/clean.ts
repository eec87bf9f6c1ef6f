/**
 * clean: what each rule would change (dry run) or changes (fix), as set-based SQL over the validated
 * columns, so a million contacts cost a few passes over the table rather than a million round trips.
 * Every run is recorded in clean_runs, and every value written with the value it replaced (the rules'
 * changes in clean_fixes, a row per contact; the inactive step's in clean_changes), so `clean --undo
 * RUN` can put a run back.
 */
import os from 'node:os';
import type { Db } from '../store/db.js';
import type { Uid } from '../store/types.js';
import { fixCounts, fixedContactsSql, fixExamples, recordFixes } from './clean-fixes.js';
import { activeRules, ruleApplies, type CleanRule } from './clean-rules.js';
import { ensureValidated, type EnsureOptions } from './ensure.js';
import { indexesNaming } from './indexes.js';
import { recordAudit } from '../gdpr/audit.js';

export const IN_SCOPE = "c.status IN ('active', 'inactive')";

export interface InactiveOptions {
  /** 'yyyy-mm-dd': no purchase, activity or creation on or after it. */
  cutoff: string;
  action: 'flag' | 'remove';
}

export interface CleanOptions {
  fix: boolean;
  fixTypos: boolean;
  inactive?: InactiveOptions;
  /** Recorded with the run (the flags as the user gave them). */
  flags: Record<string, unknown>;
  ensure?: EnsureOptions;
}

export interface Change {
  uid: Uid;
  before: string | null;
  after: string | null;
}

export interface RuleOutcome {
  rule: string;
  field: string;
  describe: string;
  count: number;
  examples: Change[];
  /** False for rules shown in a dry run that only --fix-typos would apply. */
  applies: boolean;
}

export interface CleanResult {
  runId: number;
  mode: 'dry-run' | 'fix';
  validated: number;
  rules: RuleOutcome[];
  inactive?: { action: 'flag' | 'remove'; cutoff: string; count: number; examples: Change[]; undated: number };
  contactsChanged: number;
}

const EXAMPLES = 5;

function ruleCase(rules: CleanRule[], pick: (r: CleanRule) => string): string {
  return `CASE r.rule ${rules.map((r) => `WHEN '${r.name}' THEN ${pick(r)}`).join(' ')} END`;
}

function rulesTable(rules: CleanRule[]): string {
  return `(SELECT column1 AS rule, column2 AS field FROM (VALUES ${rules.map((r) => `('${r.name}', '${r.field}')`).join(', ')}))`;
}

/** Contacts with no purchase, activity or creation since the cutoff (and at least one date known). */
function inactiveSql(options: InactiveOptions): { where: string; undated: string } {
  const last = `max(coalesce(c.last_activity_at, ''), coalesce(c.created_at, ''),
                    coalesce((SELECT max(p.ordered_at) FROM purchases p WHERE p.contact_id = c.id), ''))`;
  const notYet = options.action === 'flag' ? "AND NOT EXISTS (SELECT 1 FROM json_each(c.tags) t WHERE t.value = 'inactive')" : '';
  return {
    where: `c.status = 'active' AND ${last} <> '' AND ${last} < @cutoff ${notYet}`,
    undated: `c.status = 'active' AND ${last} = ''`,
  };
}

export function clean(db: Db, options: CleanOptions): CleanResult {
  const validated = ensureValidated(db, options.ensure);
  const now = new Date().toISOString();
  // A fix rewrites most rows in one statement; should SQLite keep a statement journal for it (see
  // fixRules), it goes to temp storage: on disk, so memory stays flat as files grow.
  const tempStore = db.pragma('temp_store', { simple: true }) as number;
  // Foreign-key checks cost a lookup of the contact and of the run for each change recorded (millions
  // on a first fix); every change refers to the contact its statement reads and to this run. The
  // pragma can only change outside a transaction (inside a caller's, the checks stay on).
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
  if (options.fix) {
    db.pragma('temp_store = FILE');
    if (!db.inTransaction) db.pragma('foreign_keys = OFF');
  }
  try {
    return run(db, options, now, validated);
  } finally {
    if (options.fix) {
      db.pragma(`temp_store = ${tempStore}`);
      if (!db.inTransaction) db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
    }
  }
}

function run(db: Db, options: CleanOptions, now: string, validated: number): CleanResult {
  const shown = activeRules(true);
  const applied = activeRules(options.fixTypos);
  return db.transaction((): CleanResult => {
    const runId = Number(
      db
        .prepare('INSERT INTO clean_runs (started_at, mode, options, counts, os_user) VALUES (?, ?, ?, ?, ?)')
        .run(now, options.fix ? 'fix' : 'dry-run', JSON.stringify(options.flags), '{}', safeUser()).lastInsertRowid,
    );
    const fixed = options.fix ? fixRules(db, runId, applied, now) : null;
    const rules = fixed ? fixed.outcomes : planRules(db, shown);
    for (const outcome of rules) outcome.applies = applied.some((r) => r.name === outcome.rule);
    const result: CleanResult = { runId, mode: options.fix ? 'fix' : 'dry-run', validated, rules, contactsChanged: 0 };
    if (options.inactive) result.inactive = inactive(db, runId, options.inactive, options.fix, now);
    if (fixed) {
      // Contacts a typo fix made valid are validated again, inside this transaction (the other rules
      // and the inactive step leave every contact fresh: no need to look for stale ones then).
      if (applied.some((r) => r.revalidate && (fixed.outcomes.find((o) => o.rule === r.name)?.count ?? 0) > 0)) ensureValidated(db, options.ensure);
      // The rules' UPDATE changed each contact once; inactive contacts may be among them.
      result.contactsChanged = result.inactive
        ? (db.prepare('SELECT count(*) FROM (SELECT contact_id FROM clean_changes WHERE run_id = ? UNION SELECT contact_id FROM clean_fixes WHERE run_id = ?)').pluck().get(runId, runId) as number)
        : fixed.contacts;
    }
    const counts = Object.fromEntries(rules.filter((r) => r.applies).map((r) => [r.rule, r.count]));
    if (result.inactive) counts[`inactive-${result.inactive.action}`] = result.inactive.count;
    db.prepare('UPDATE clean_runs SET finished_at = ?, counts = ?, contacts_changed = ? WHERE id = ?').run(
      new Date().toISOString(), JSON.stringify(counts), result.contactsChanged, runId,
    );
    if (options.fix) recordAudit(db, { action: 'clean.fix', counts: { contacts: result.contactsChanged }, details: { run_id: runId } });
    return result;
  })();
}

function outcomes(rules: CleanRule[], counts: Map<string, number>, examples: Array<Change & { rule: string }>): RuleOutcome[] {
  return rules.map((r) => ({
    rule: r.name,
    field: r.field,
    describe: r.describe,
    count: counts.get(r.name) ?? 0,
    examples: examples.filter((e) => e.rule === r.name).map(({ uid, before, after }) => ({ uid, before, after })),
    applies: true,
  }));
}

/** Dry run: what each rule would change, in one pass for the counts and one for the examples. */
function planRules(db: Db, rules: CleanRule[]): RuleOutcome[] {
  const sums = rules.map((r, i) => `sum(${ruleApplies(r)}) AS r${i}`).join(', ');
  const row = db.prepare(`SELECT ${sums} FROM contacts c WHERE ${IN_SCOPE}`).get() as Record<string, number | null>;
  const counts = new Map(rules.map((r, i) => [r.name, row[`r${i}`] ?? 0]));
  const examples = db
    .prepare(
      `SELECT rule, uid, before, after FROM (
         SELECT r.rule, c.uid, ${ruleCase(rules, (x) => `c.${x.field}`)} AS before, ${ruleCase(rules, (x) => x.value)} AS after,
                row_number() OVER (PARTITION BY r.rule ORDER BY c.id) AS rn
         FROM contacts c CROSS JOIN ${rulesTable(rules)} r
         WHERE ${IN_SCOPE} AND ${ruleCase(rules, ruleApplies)})
       WHERE rn <= ${EXAMPLES}`,
    )
    .all() as Array<Change & { rule: string }>;
  return outcomes(rules, counts, examples);
}

/**
 * Fix: record every change with its old value (clean-fixes.ts), then write them all in one UPDATE.
 * Both are single passes over the contacts. The UPDATE selects the contacts by the same conditions
 * the changes were recorded under (nothing changes between the two statements), which reads the table
 * once instead of looking every contact up from a set of its recorded changes.
 */
function fixRules(db: Db, runId: number, rules: CleanRule[], now: string): { outcomes: RuleOutcome[]; contacts: number } {
  recordFixes(db, runId, rules, IN_SCOPE);
  const columns = new Map<string, Array<{ when: string; value: string }>>();
  for (const rule of rules) {
    columns.set(rule.field, [...(columns.get(rule.field) ?? []), { when: ruleApplies(rule), value: rule.value }]);
  }
  // The derived keys follow their field. An indexed one (email_norm) is written apart, only on the
  // contacts whose field changed: naming it in the big UPDATE would rewrite the index entry of every
  // contact. The others are written in the big UPDATE (when two rules set one, the later rule's value
  // wins, as when each was a statement of its own).
  const derived = rules.flatMap((rule) => Object.entries(rule.also ?? {}).map(([column, value]) => ({ rule, column, value })));
  const indexed = new Set([...new Set(derived.map((d) => d.column))].filter((column) => indexesNaming(db, 'contacts', [column]).length > 0));
  const keys = new Map<string, Array<{ when: string; value: string }>>();
  for (const { rule, column, value } of [...derived].reverse()) {
    if (!indexed.has(column)) keys.set(column, [...(keys.get(column) ?? []), { when: ruleApplies(rule), value }]);
  }
  const sets = [...columns, ...keys].map(([column, cases]) => `${column} = CASE ${cases.map((k) => `WHEN ${k.when} THEN ${k.value}`).join(' ')} ELSE c.${column} END`);
  const revalidate = rules.filter((r) => r.revalidate).map(ruleApplies);
  // Normalised values validate to themselves, so the validated columns stay true: only a typo fix,
  // which changes the address, sends the contact back to validation.
  const validatedAt = revalidate.length > 0 ? `CASE WHEN ${revalidate.join(' OR ')} THEN NULL ELSE @now END` : '@now';
  // OR IGNORE: the only constraint this statement could fail is updated_at's NOT NULL (@now is never
  // null). A statement that may abort half-way makes SQLite copy each page it rewrites to a statement
  // journal first (every page of contacts here); with no such constraint, and no function call in the
  // rules' conditions (clean-rules.ts), it does not.
  const contacts = db.prepare(
    `UPDATE OR IGNORE contacts AS c SET ${sets.join(', ')}, updated_at = @now, validated_at = ${validatedAt}
     WHERE ${IN_SCOPE} AND (${rules.map(ruleApplies).join(' OR ')})`,
  ).run({ now }).changes;
  for (const { rule, column, value } of derived.filter((d) => indexed.has(d.column))) {
    db.prepare(`UPDATE contacts AS c SET ${column} = ${value} WHERE c.id IN (${fixedContactsSql(rules.indexOf(rule))})`).run(runId);
  }
  const counts = fixCounts(db, runId, rules);
  return { outcomes: outcomes(rules, counts, fixExamples(db, runId, rules, counts, EXAMPLES)), contacts };
}

/** Up to five changes per inactive rule of a run, read through the (run_id, rule) index. */
function changeExamples(db: Db, runId: number, rules: string[]): Array<Change & { rule: string }> {
  const statement = db.prepare(
    `SELECT k.rule, c.uid, k.old_value AS before, k.new_value AS after
     FROM clean_changes k JOIN contacts c ON c.id = k.contact_id WHERE k.run_id = ? AND k.rule = ? ORDER BY k.id LIMIT ${EXAMPLES}`,
  );
  return rules.flatMap((rule) => statement.all(runId, rule) as Array<Change & { rule: string }>);
}

function inactive(db: Db, runId: number, options: InactiveOptions, fix: boolean, now: string): NonNullable<CleanResult['inactive']> {
  const sql = inactiveSql(options);
  const rule = `inactive-${options.action}`;
  const field = options.action === 'flag' ? 'tags' : 'status';
  const after = options.action === 'flag' ? "json_insert(c.tags, '$[#]', 'inactive')" : "'inactive'";
  const undated = (db.prepare(`SELECT count(*) AS n FROM contacts c WHERE ${sql.undated}`).get() as { n: number }).n;
  if (!fix) {
    const count = (db.prepare(`SELECT count(*) AS n FROM contacts c WHERE ${sql.where}`).get({ cutoff: options.cutoff }) as { n: number }).n;
    const examples = db
      .prepare(`SELECT c.uid, c.${field} AS before, ${after} AS after FROM contacts c WHERE ${sql.where} ORDER BY c.id LIMIT ${EXAMPLES}`)
      .all({ cutoff: options.cutoff }) as Change[];
    return { action: options.action, cutoff: options.cutoff, count, examples, undated };
  }
  const count = db
    .prepare(
      `INSERT INTO clean_changes (run_id, contact_id, rule, field, old_value, new_value)
       SELECT @run, c.id, '${rule}', '${field}', c.${field}, ${after} FROM contacts c WHERE ${sql.where}`,
    )
    .run({ run: runId, cutoff: options.cutoff }).changes;
  db.prepare(
    `UPDATE contacts AS c SET ${field} = ${after}, updated_at = @now, validated_at = @now
     WHERE c.id IN (SELECT contact_id FROM clean_changes WHERE run_id = @run AND rule = '${rule}')`,
  ).run({ now, run: runId });
  const examples = changeExamples(db, runId, [rule]).map(({ uid, before, after: a }) => ({ uid, before, after: a }));
  return { action: options.action, cutoff: options.cutoff, count, examples, undated };
}

function safeUser(): string | null {
  try {
    return os.userInfo().username;
  } catch {
    return null;
  }
}
