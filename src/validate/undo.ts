/**
 * `clean --undo RUN`: puts back the values a fix run wrote, where they are still the ones it wrote (a
 * value changed since, by a re-import or by hand, is left alone and counted). The undo is itself a run.
 */
import os from 'node:os';
import { recordAudit } from '../gdpr/audit.js';
import type { Db } from '../store/db.js';
import { CLEAN_RULES } from './clean-rules.js';
import { fieldFixes } from './clean-fixes.js';
import { ensureValidated } from './ensure.js';

export class UndoError extends Error {}

/** The columns a clean run may write, and the cheap keys import derives from them. */
const FIELDS = new Set<string>([...CLEAN_RULES.map((r) => r.field), 'tags', 'status']);
const KEYS: Record<string, (value: string | null) => string | null> = {
  email: (v) => (v === null ? null : v.trim().toLowerCase() || null),
  phone: (v) => phoneKey(v),
  mobile: (v) => phoneKey(v),
};
/** The same cheap key import computes: digits, with a leading + kept. */
function phoneKey(value: string | null): string | null {
  if (value === null) return null;
  const digits = value.replace(/[^\d]/g, '');
  if (digits === '') return null;
  return value.trimStart().startsWith('+') ? `+${digits}` : digits;
}
const KEY_COLUMN: Record<string, string> = { email: 'email_norm', phone: 'phone_digits', mobile: 'mobile_digits' };

interface Change {
  contact_id: number;
  rule: string;
  field: string;
  old_value: string | null;
  new_value: string | null;
}

export interface UndoResult {
  runId: number;
  undoneRun: number;
  restored: number;
  skipped: number;
}

export function undoRun(db: Db, run: number): UndoResult {
  // As in clean: a big undo's statement journal goes to disk, not memory.
  const tempStore = db.pragma('temp_store', { simple: true }) as number;
  db.pragma('temp_store = FILE');
  try {
    return undoInTransaction(db, run);
  } finally {
    db.pragma(`temp_store = ${tempStore}`);
  }
}

function undoInTransaction(db: Db, run: number): UndoResult {
  return db.transaction((): UndoResult => {
    const target = db.prepare('SELECT id, mode, undone_at, fix_rules FROM clean_runs WHERE id = ?').get(run) as
      | { id: number; mode: string; undone_at: string | null; fix_rules: string | null }
      | undefined;
    if (!target) throw new UndoError(`clean run ${run} does not exist (see: custkit clean --runs)`);
    if (target.mode !== 'fix') throw new UndoError(`clean run ${run} was a ${target.mode}: it changed nothing to undo`);
    if (target.undone_at) throw new UndoError(`clean run ${run} was already undone on ${target.undone_at}`);
    const now = new Date().toISOString();
    let user: string | null = null;
    try {
      user = os.userInfo().username;
    } catch {
      user = null;
    }
    const runId = Number(
      db.prepare("INSERT INTO clean_runs (started_at, mode, options, counts, undoes_run, os_user) VALUES (?, 'undo', ?, '{}', ?, ?)")
        .run(now, JSON.stringify({ undo: run }), run, user).lastInsertRowid,
    );
    // The inactive step's changes (and all of a run from before clean_fixes) are rows of clean_changes;
    // they were written after the rules' changes, so they are undone first.
    const changes = db
      .prepare('SELECT contact_id, rule, field, old_value, new_value FROM clean_changes WHERE run_id = ? ORDER BY id DESC')
      .all(run) as Change[];
    const statements = new Map<string, ReturnType<Db['prepare']>>();
    const restore = (field: string) => {
      let statement = statements.get(field);
      if (!statement) {
        const key = KEY_COLUMN[field];
        // validated_at NULL: the contact is validated again below even when this undo falls in the same
        // millisecond as the validation it undoes (staleness compares timestamps).
        statement = db.prepare(`UPDATE contacts SET ${field} = @old${key ? `, ${key} = @key` : ''}, updated_at = @now, validated_at = NULL WHERE id = @id AND ${field} IS @new`);
        statements.set(field, statement);
      }
      return statement;
    };
    const record = db.prepare('INSERT INTO clean_changes (run_id, contact_id, rule, field, old_value, new_value) VALUES (?, ?, ?, ?, ?, ?)');
    let restored = 0;
    let skipped = 0;
    const counts: Record<string, number> = {};
    const fixRules = JSON.parse(target.fix_rules ?? '[]') as string[];
    const fieldOf = (rule: string): string => {
      const field = CLEAN_RULES.find((r) => r.name === rule)?.field;
      if (!field) throw new UndoError(`clean run ${run} holds a change by an unknown rule (${rule})`);
      return field;
    };
    fixRules.forEach(fieldOf);
    const everyChange = function* (): Generator<Change> {
      yield* changes;
      for (const fix of fieldFixes(db, run, fixRules, fieldOf)) {
        yield { contact_id: fix.contactId, rule: fix.rule, field: fix.field, old_value: fix.old, new_value: fix.written };
      }
    };
    for (const change of everyChange()) {
      if (!FIELDS.has(change.field)) throw new UndoError(`clean run ${run} holds a change to an unknown column`);
      const key = KEY_COLUMN[change.field];
      const info = restore(change.field).run({ old: change.old_value, new: change.new_value, now, id: change.contact_id, ...(key ? { key: KEYS[change.field]!(change.old_value) } : {}) });
      if (info.changes === 0) {
        skipped++;
        continue;
      }
      restored++;
      counts[change.rule] = (counts[change.rule] ?? 0) + 1;
      record.run(runId, change.contact_id, `undo:${change.rule}`, change.field, change.new_value, change.old_value);
    }
    // The restored raw values need their validated columns computed again.
    ensureValidated(db);
    const contacts = (db.prepare('SELECT count(DISTINCT contact_id) AS n FROM clean_changes WHERE run_id = ?').get(runId) as { n: number }).n;
    db.prepare('UPDATE clean_runs SET finished_at = ?, counts = ?, contacts_changed = ? WHERE id = ?').run(new Date().toISOString(), JSON.stringify(counts), contacts, runId);
    db.prepare('UPDATE clean_runs SET undone_at = ? WHERE id = ?').run(now, run);
    recordAudit(db, { action: 'clean.undo', counts: { contacts, restored, skipped }, details: { run_id: runId, undone_run: run } });
    return { runId, undoneRun: run, restored, skipped };
  })();
}
