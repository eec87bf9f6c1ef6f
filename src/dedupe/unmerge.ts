/**
 * Unmerge: restores each merged record exactly as it was, moves its purchases, consents and scores back,
 * puts back rows a merge had to remove, deletes consent rows the merge added, and returns the survivor's
 * fields to their values before the merge (except fields changed since by something else: those stay).
 */
import type { Db } from '../store/db.js';
import { VALIDATED_COLUMNS } from '../validate/schemas.js';
import { identityParams, primaryKeyOf, whereIdentity, type RowIdentity } from './merge.js';

export class UnmergeError extends Error {}

const DERIVED = new Set<string>([...VALIDATED_COLUMNS, 'validated_at', 'validated_key', 'email_norm']);

interface MergeRow {
  id: number;
  survivor_id: number;
  created_at: string;
  survivor_before: string;
  survivor_after: string;
  added_consents: string;
  undone_at: string | null;
}

export interface UnmergeOutcome {
  mergeId: number;
  survivorUid: string;
  restored: string[];
}

type Row = Record<string, unknown>;

function columnsOf(db: Db, table: string): Set<string> {
  return new Set((db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name));
}

function restoreRow(db: Db, id: number, values: Row, only?: (column: string) => boolean): void {
  const existing = columnsOf(db, 'contacts');
  const columns = Object.keys(values).filter((c) => c !== 'id' && existing.has(c) && (only ? only(c) : true));
  if (columns.length === 0) return;
  const params: Record<string, unknown> = { __id: id };
  columns.forEach((c, i) => (params[`p${i}`] = values[c]));
  db.prepare(`UPDATE contacts SET ${columns.map((c, i) => `"${c}" = @p${i}`).join(', ')} WHERE id = @__id`).run(params);
}

function undoOne(db: Db, merge: MergeRow, now: string): UnmergeOutcome {
  if (merge.undone_at) throw new UnmergeError(`merge ${merge.id} was already undone at ${merge.undone_at}`);
  const survivor = db.prepare('SELECT * FROM contacts WHERE id = ?').get(merge.survivor_id) as Row | undefined;
  if (!survivor) throw new UnmergeError(`merge ${merge.id}: its survivor no longer exists`);
  if (survivor.status === 'merged') {
    const later = db.prepare(`SELECT m.id FROM merges m JOIN merge_members mm ON mm.merge_id = m.id
      WHERE mm.contact_id = ? AND m.undone_at IS NULL ORDER BY m.id DESC LIMIT 1`).pluck().get(merge.survivor_id) as number | undefined;
    throw new UnmergeError(`merge ${merge.id}: its survivor was merged again later${later ? ` (merge ${later}); undo that one first` : ''}`);
  }
  const members = db.prepare('SELECT contact_id, snapshot, moved, removed FROM merge_members WHERE merge_id = ? ORDER BY contact_id')
    .all(merge.id) as Array<{ contact_id: number; snapshot: string; moved: string; removed: string }>;
  const restored: string[] = [];
  for (const m of members) {
    const current = db.prepare('SELECT status, merged_into FROM contacts WHERE id = ?').get(m.contact_id) as Row | undefined;
    if (!current || current.status !== 'merged' || current.merged_into !== merge.survivor_id) {
      throw new UnmergeError(`merge ${merge.id}: contact id ${m.contact_id} is no longer merged into the survivor`);
    }
    const snapshot = JSON.parse(m.snapshot) as Row;
    restoreRow(db, m.contact_id, snapshot);
    for (const [table, ids] of Object.entries(JSON.parse(m.moved) as Record<string, RowIdentity[]>)) {
      const back = db.prepare(`UPDATE ${table} SET contact_id = @__to WHERE ${whereIdentity(primaryKeyOf(db, table))} AND contact_id = @__from`);
      for (const identity of ids) back.run({ ...identityParams(identity), __to: m.contact_id, __from: merge.survivor_id });
    }
    for (const [table, rows] of Object.entries(JSON.parse(m.removed) as Record<string, Row[]>)) {
      for (const row of rows) {
        const columns = Object.keys(row);
        db.prepare(`INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`)
          .run(...columns.map((c) => row[c]));
      }
    }
    restored.push(String(snapshot.uid));
  }
  for (const id of JSON.parse(merge.added_consents) as number[]) db.prepare('DELETE FROM consents WHERE id = ?').run(id);
  const before = JSON.parse(merge.survivor_before) as Row;
  const after = JSON.parse(merge.survivor_after) as Row;
  // A field someone changed after the merge (a re-import, a clean) keeps its newer value. validate's
  // columns are derived from the raw ones and were recomputed after the merge: they go back with them
  // (if a raw field kept a newer value, its newer updated_at has validate recompute them).
  restoreRow(db, merge.survivor_id, before, (c) => survivor[c] === after[c] || DERIVED.has(c));
  db.prepare('UPDATE merges SET undone_at = ? WHERE id = ?').run(now, merge.id);
  return { mergeId: merge.id, survivorUid: String(before.uid), restored };
}

/** Undoes one merge by id. */
export function unmerge(db: Db, mergeId: number): UnmergeOutcome {
  return db.transaction(() => {
    const merge = db.prepare('SELECT * FROM merges WHERE id = ?').get(mergeId) as MergeRow | undefined;
    if (!merge) throw new UnmergeError(`no merge ${mergeId} in this store (list them with "custkit merges")`);
    return undoOne(db, merge, new Date().toISOString());
  })();
}

/** Undoes every merge made at or after `since` (ISO date or timestamp), newest first. */
export function unmergeSince(db: Db, since: string): UnmergeOutcome[] {
  return db.transaction(() => {
    const merges = db.prepare('SELECT * FROM merges WHERE created_at >= ? AND undone_at IS NULL ORDER BY id DESC').all(since) as MergeRow[];
    const now = new Date().toISOString();
    return merges.map((m) => undoOne(db, m, now));
  })();
}
