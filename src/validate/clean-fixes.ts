/**
 * The record of a fix run's rule changes (clean_fixes, migration 11): one row per contact the rules
 * changed, with a bit per rule that applied and, for each field written, the value it replaced and the
 * value written. Written by one INSERT that reads the contacts once; read back for the run's counts
 * and examples, the contacts a derived key must follow, and `clean --undo`.
 */
import type { Db } from '../store/db.js';
import type { Uid } from '../store/types.js';
import { FIX_FIELDS, ruleApplies, type CleanRule } from './clean-rules.js';

/** Bits of an SQLite integer used for rules (far more than there are rules). */
const MAX_RULES = 31;

/** A column of contacts read by a rule's SQL (`c.name`). */
const COLUMN = /\bc\.([a-z_0-9]+)/g;

/** The bit of rule `index` (its place in the run's rules) in clean_fixes.rules. */
export function ruleBit(index: number): number {
  if (index >= MAX_RULES) throw new Error(`clean: more than ${MAX_RULES} rules in one run`);
  return 2 ** index;
}

/**
 * Records the changes `rules` make, before the UPDATE writes them; returns nothing, the counts are read
 * back (fixCounts). Each rule's condition is worked out once per contact, into a bit of `m`: the
 * subquery computing it has a LIMIT, and SQLite never merges a subquery with a LIMIT into an outer
 * query that has a WHERE, so `m` is computed once per row and read by every column (merged, the
 * conditions were evaluated again for each column that reads `m`, ten times slower).
 */
export function recordFixes(db: Db, runId: number, rules: CleanRule[], inScope: string): void {
  // CASE, not the condition times the bit: a condition can be NULL (an email_valid left empty), which
  // counts as "does not apply", as in the UPDATE, and must not make the whole mask NULL.
  const mask = rules.map((rule, i) => `(CASE WHEN ${ruleApplies(rule)} THEN ${ruleBit(i)} ELSE 0 END)`).join(' | ');
  const fields = FIX_FIELDS.filter((field) => rules.some((r) => r.field === field));
  const read = new Set<string>(['id']);
  for (const rule of rules) for (const [, column] of `${rule.value} ${rule.when} c.${rule.field}`.matchAll(COLUMN)) read.add(column!);
  const bitsOf = (field: string) => rules.reduce((bits, r, i) => (r.field === field ? bits | ruleBit(i) : bits), 0);
  // The value written: the first rule of the field that applied, as in the UPDATE's CASE.
  const written = (field: string) => `CASE ${rules.map((r, i) => (r.field === field ? `WHEN c.m & ${ruleBit(i)} THEN ${r.value}` : '')).join(' ')} END`;
  db.prepare(
    `INSERT INTO clean_fixes (run_id, contact_id, rules, ${fields.map((f) => `${f}_old, ${f}_new`).join(', ')})
     SELECT ?, c.id, c.m, ${fields.map((f) => `CASE WHEN c.m & ${bitsOf(f)} THEN c.${f} END, ${written(f)}`).join(', ')}
     FROM (SELECT ${[...read].map((column) => `c.${column}`).join(', ')}, ${mask} AS m FROM contacts c WHERE ${inScope} LIMIT -1) AS c
     WHERE c.m <> 0`,
  ).run(runId);
  db.prepare('UPDATE clean_runs SET fix_rules = ? WHERE id = ?').run(JSON.stringify(rules.map((r) => r.name)), runId);
}

/** How many contacts each rule changed in the run. */
export function fixCounts(db: Db, runId: number, rules: CleanRule[]): Map<string, number> {
  if (rules.length === 0) return new Map();
  const sums = rules.map((_, i) => `coalesce(sum(rules & ${ruleBit(i)} <> 0), 0) AS r${i}`).join(', ');
  const row = db.prepare(`SELECT ${sums} FROM clean_fixes WHERE run_id = ?`).get(runId) as Record<string, number>;
  return new Map(rules.map((r, i) => [r.name, row[`r${i}`]!]));
}

/** The first five changes (by contact) of each rule that changed something. */
export function fixExamples(db: Db, runId: number, rules: CleanRule[], counts: Map<string, number>, limit: number): Array<{ rule: string; uid: Uid; before: string | null; after: string | null }> {
  return rules.flatMap((rule, i) => {
    if ((counts.get(rule.name) ?? 0) === 0) return [];
    const rows = db
      .prepare(
        `SELECT c.uid, f.${rule.field}_old AS before, f.${rule.field}_new AS after
         FROM clean_fixes f JOIN contacts c ON c.id = f.contact_id
         WHERE f.run_id = ? AND f.rules & ${ruleBit(i)} <> 0 ORDER BY f.id LIMIT ${limit}`,
      )
      .all(runId) as Array<{ uid: Uid; before: string | null; after: string | null }>;
    return rows.map((row) => ({ rule: rule.name, ...row }));
  });
}

/** SQL: the ids of the contacts where rule `index` of the run applied (parameter: the run id). */
export function fixedContactsSql(index: number): string {
  return `SELECT contact_id FROM clean_fixes WHERE run_id = ? AND rules & ${ruleBit(index)} <> 0`;
}

/** One field a fix run wrote on one contact, for `clean --undo`. */
export interface FieldFix {
  contactId: number;
  rule: string;
  field: string;
  old: string | null;
  written: string | null;
}

/**
 * The field changes of a fix run, newest contact first, read a page at a time (a first fix can hold a
 * million contacts). `ruleNames` is the run's fix_rules.
 */
export function* fieldFixes(db: Db, runId: number, ruleNames: string[], fieldOf: (rule: string) => string, page = 5000): Generator<FieldFix> {
  const columns = FIX_FIELDS.map((f) => `${f}_old, ${f}_new`).join(', ');
  const read = db.prepare(`SELECT id, contact_id, rules, ${columns} FROM clean_fixes WHERE run_id = ? AND id < ? ORDER BY id DESC LIMIT ${page}`);
  for (let before = Number.MAX_SAFE_INTEGER; ; ) {
    const rows = read.all(runId, before) as Array<Record<string, string | number | null> & { id: number; contact_id: number; rules: number }>;
    if (rows.length === 0) return;
    const changes: FieldFix[] = [];
    for (const row of rows) {
      const done = new Set<string>();
      ruleNames.forEach((rule, i) => {
        const field = fieldOf(rule);
        // A field two rules may write (email) was written once, by the first that applied.
        if ((row.rules & ruleBit(i)) === 0 || done.has(field)) return;
        done.add(field);
        changes.push({ contactId: row.contact_id, rule, field, old: row[`${field}_old`] as string | null, written: row[`${field}_new`] as string | null });
      });
    }
    yield* changes;
    before = rows[rows.length - 1]!.id;
  }
}
