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

export interface MergeRow {
  id: number;
  survivor_id: number;
  created_at: string;
  survivor_before: string;
  survivor_after: string;
  added_consents: string;
  undone_at: string | null;
  /** Set when a person of the merge was erased (gdpr): its snapshots are gone, it cannot be undone. */
  erased_at?: string | null;
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
  if (merge.erased_at) throw new UnmergeError(`merge ${merge.id} cannot be undone: the person was erased on ${merge.erased_at} (gdpr erase), and the records it joined with them`);
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

/** Undoes every merge made at or after `since` (ISO date or timestamp): in bulk when they are independent, else newest first. */
export function unmergeSince(db: Db, since: string): UnmergeOutcome[] {
  return db.transaction(() => {
    const merges = db.prepare('SELECT * FROM merges WHERE created_at >= ? AND undone_at IS NULL AND erased_at IS NULL ORDER BY id DESC').all(since) as MergeRow[];
    const now = new Date().toISOString();
    return undoInBulk(db, merges, now) ?? merges.map((m) => undoOne(db, m, now));
  })();
}

/**
 * `unmerge --all-since` set-based: the merges of the batch undone by a fixed number of statements
 * (snapshots, survivors and row moves through json_each), when they are independent of each other.
 * A batch where a survivor was itself merged later, or a member is no longer where the merge left it,
 * returns null: undoOne's checks and order (newest first) then apply, merge by merge.
 */
export function undoInBulk(db: Db, merges: MergeRow[], now: string): UnmergeOutcome[] | null {
  if (merges.length === 0) return [];
  const ids = JSON.stringify(merges.map((m) => m.id));
  const blocked = db.prepare(`SELECT count(*) FROM merges m JOIN contacts s ON s.id = m.survivor_id
    WHERE m.id IN (SELECT value FROM json_each(?)) AND s.status = 'merged'`).pluck().get(ids) as number;
  const strayed = db.prepare(`SELECT count(*) FROM merge_members mm JOIN merges m ON m.id = mm.merge_id JOIN contacts c ON c.id = mm.contact_id
    WHERE m.id IN (SELECT value FROM json_each(?)) AND (c.status <> 'merged' OR c.merged_into IS NOT m.survivor_id)`).pluck().get(ids) as number;
  if (blocked > 0 || strayed > 0) return null;
  const columns = [...columnsOf(db, 'contacts')].filter((c) => c !== 'id');
  const value = (json: string, c: string) => `CASE WHEN json_type(${json}, '$."${c}"') IS NULL THEN contacts."${c}" ELSE ${json} ->> '$."${c}"' END`;
  // Members: back to their snapshots.
  db.prepare(`UPDATE contacts SET ${columns.map((c) => `"${c}" = ${value('mm.snapshot', c)}`).join(', ')}
    FROM merge_members mm WHERE mm.merge_id IN (SELECT value FROM json_each(?)) AND contacts.id = mm.contact_id`).run(ids);
  // Their rows back from the survivor: one UPDATE per rowid table, row by row where rows are found by key.
  const tables = db.prepare(`SELECT DISTINCT t.key FROM merge_members mm, json_each(mm.moved) t WHERE mm.merge_id IN (SELECT value FROM json_each(?))`).pluck().all(ids) as string[];
  for (const table of tables) {
    const key = primaryKeyOf(db, table);
    const moved = `SELECT mm.contact_id AS member, m.survivor_id AS survivor, r.value AS identity
      FROM merge_members mm JOIN merges m ON m.id = mm.merge_id, json_each(mm.moved, '$."${table}"') r WHERE m.id IN (SELECT value FROM json_each(?))`;
    if (!key) {
      db.prepare(`UPDATE ${table} SET contact_id = x.member FROM (${moved}) x WHERE ${table}.rowid = x.identity AND ${table}.contact_id = x.survivor`).run(ids);
      continue;
    }
    const back = db.prepare(`UPDATE ${table} SET contact_id = @__to WHERE ${whereIdentity(key)} AND contact_id = @__from`);
    for (const r of db.prepare(moved).all(ids) as Array<{ member: number; survivor: number; identity: string }>) {
      back.run({ ...identityParams(JSON.parse(r.identity) as RowIdentity), __to: r.member, __from: r.survivor });
    }
  }
  // Rows a merge had to set aside (a clash on a unique key): put back as they were (rare).
  for (const m of db.prepare(`SELECT removed FROM merge_members WHERE merge_id IN (SELECT value FROM json_each(?)) AND removed <> '{}'`).pluck().all(ids) as string[]) {
    for (const [table, rows] of Object.entries(JSON.parse(m) as Record<string, Row[]>)) {
      for (const row of rows) {
        const cols = Object.keys(row);
        db.prepare(`INSERT INTO ${table} (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(...cols.map((c) => row[c]));
      }
    }
  }
  db.prepare(`DELETE FROM consents WHERE id IN (SELECT a.value FROM merges m, json_each(m.added_consents) a WHERE m.id IN (SELECT value FROM json_each(?)))`).run(ids);
  // Survivors: a field changed since the merge by something else keeps its newer value (see undoOne).
  const derived = new Set(DERIVED);
  db.prepare(`UPDATE contacts SET ${columns.map((c) => `"${c}" = CASE WHEN json_type(m.survivor_before, '$."${c}"') IS NULL THEN contacts."${c}"
      WHEN ${derived.has(c) ? '1' : `contacts."${c}" IS (m.survivor_after ->> '$."${c}"')`} THEN m.survivor_before ->> '$."${c}"' ELSE contacts."${c}" END`).join(', ')}
    FROM merges m WHERE m.id IN (SELECT value FROM json_each(?)) AND contacts.id = m.survivor_id`).run(ids);
  db.prepare('UPDATE merges SET undone_at = ? WHERE id IN (SELECT value FROM json_each(?))').run(now, ids);
  const restored = new Map<number, string[]>();
  for (const [mergeId, uid] of db.prepare(`SELECT mm.merge_id, c.uid FROM merge_members mm JOIN contacts c ON c.id = mm.contact_id
    WHERE mm.merge_id IN (SELECT value FROM json_each(?)) ORDER BY mm.merge_id, mm.contact_id`).raw().all(ids) as Array<[number, string]>) {
    restored.set(mergeId, [...(restored.get(mergeId) ?? []), uid]);
  }
  const survivorUid = new Map(db.prepare(`SELECT m.id, c.uid FROM merges m JOIN contacts c ON c.id = m.survivor_id WHERE m.id IN (SELECT value FROM json_each(?))`).raw().all(ids) as Array<[number, string]>);
  return merges.map((m) => ({ mergeId: m.id, survivorUid: survivorUid.get(m.id)!, restored: restored.get(m.id) ?? [] }));
}

/** Merge by merge, newest first: the reference the bulk path is tested against. */
export function unmergeSinceOneByOne(db: Db, since: string): UnmergeOutcome[] {
  return db.transaction(() => {
    const merges = db.prepare('SELECT * FROM merges WHERE created_at >= ? AND undone_at IS NULL AND erased_at IS NULL ORDER BY id DESC').all(since) as MergeRow[];
    const now = new Date().toISOString();
    return merges.map((m) => undoOne(db, m, now));
  })();
}
