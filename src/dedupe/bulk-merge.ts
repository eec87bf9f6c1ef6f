/**
 * `dedupe --apply` as set-based SQL: every cluster's survivorship, snapshots, row moves and consent
 * settling are written by a fixed number of statements per batch of 2,000 merges (the plans go in as a
 * JSON parameter read with json_each), in the caller's transaction. Applying merge by merge
 * (merge.ts applyMergesOneByOne, kept as the reference the tests compare against, pair for pair) cost
 * about twenty statements a merge: 14 s for 6,000 merges. Survivorship itself is still decided in
 * TypeScript (survivorship.ts), on rows read in one statement.
 */
import type { Db } from '../store/db.js';
import { CHANNELS } from '../store/types.js';
import { moveRows, movableTables, survivorHints, MergeError, type MergeOutcome, type MergePlan, type RowIdentity } from './merge.js';
import { chooseSurvivor, survivingValues, type ContactRow } from './survivorship.js';

/**
 * A JSON parameter of every merge at once was hundreds of MB at 200,000 contacts (snapshots are whole
 * rows), and SQLite parses a JSON text whole: batches of this many keep memory flat and the statement
 * count still independent of the number of merges within a batch.
 */
const BATCH = 2000;

function inBatches<T>(items: T[], run: (json: string) => void): void {
  for (let i = 0; i < items.length; i += BATCH) run(JSON.stringify(items.slice(i, i + BATCH)));
}

interface Planned {
  mergeId: number;
  survivor: ContactRow;
  others: ContactRow[];
  changes: Record<string, string | number | null>;
  evidence: Map<number, MergePlan['members'][number]>;
}

/** True when a table's rows can move by one UPDATE: a rowid table where no unique key holds contact_id. */
function movesInBulk(db: Db, table: string): boolean {
  const info = db.prepare("SELECT wr FROM pragma_table_list WHERE name = ? AND schema = 'main'").get(table) as { wr: number } | undefined;
  if (!info || info.wr !== 0) return false;
  const unique = db.prepare(`SELECT name FROM pragma_index_list(?) WHERE "unique" = 1`).pluck().all(table) as string[];
  return !unique.some((index) => (db.prepare('SELECT name FROM pragma_index_info(?)').pluck().all(index) as string[]).includes('contact_id'));
}

/**
 * Applies the plans, or returns null when they overlap (a contact in two plans: merge by merge, later
 * plans must see earlier ones, as merge.ts does). Must run inside a transaction with `runId` created.
 */
export function applyPlansInBulk(db: Db, plans: MergePlan[], runId: number, now: string): MergeOutcome[] | null {
  const wanted = plans.map((plan) => ({ plan, ids: [...new Set([...(plan.survivorId ? [plan.survivorId] : []), ...plan.members.map((m) => m.id)])] }))
    .filter((w) => w.ids.length >= 2);
  const all = wanted.flatMap((w) => w.ids);
  if (new Set(all).size !== all.length) return null;
  const rows = new Map((db.prepare('SELECT * FROM contacts WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(all)) as ContactRow[]).map((r) => [r.id, r]));
  const missing = all.find((id) => !rows.has(id));
  if (missing !== undefined) throw new MergeError(`contact id ${missing} no longer exists`);
  const hints = survivorHints(db);
  let nextId = (db.prepare('SELECT coalesce(max(id), 0) FROM merges').pluck().get() as number) + 1;
  const planned: Planned[] = [];
  for (const { plan, ids } of wanted) {
    const members = ids.map((id) => rows.get(id)!).sort((a, b) => a.id - b.id);
    const gone = members.find((r) => r.status === 'merged' || r.status === 'erased');
    if (gone) throw new MergeError(`contact ${gone.uid} is ${gone.status}; it cannot be merged again`);
    const survivor = plan.survivorId ? members.find((r) => r.id === plan.survivorId)! : chooseSurvivor(members, hints);
    hints.previousSurvivors.add(survivor.id);
    planned.push({ mergeId: nextId++, survivor, others: members.filter((r) => r.id !== survivor.id), changes: survivingValues(survivor, members, now), evidence: new Map(plan.members.map((m) => [m.id, m])) });
  }
  if (planned.length === 0) return [];

  const insertMerges = db.prepare(`INSERT INTO merges (id, run_id, survivor_id, created_at, survivor_before, survivor_after)
    SELECT j.value ->> '$.id', ?, j.value ->> '$.survivor', ?, j.value ->> '$.before', '{}' FROM json_each(?) j`);
  inBatches(planned.map((p) => ({ id: p.mergeId, survivor: p.survivor.id, before: JSON.stringify(p.survivor) })), (json) => insertMerges.run(runId, now, json));

  // Each survivor's changed columns; a column a survivor does not change keeps its value.
  const columns = [...new Set(planned.flatMap((p) => Object.keys(p.changes)))];
  if (columns.length > 0) {
    const update = db.prepare(`UPDATE contacts SET ${columns.map((c) => `"${c}" = CASE WHEN json_type(j.value, '$."${c}"') IS NULL THEN contacts."${c}" ELSE j.value ->> '$."${c}"' END`).join(', ')}
      FROM json_each(?) j WHERE contacts.id = j.value ->> '$.__id'`);
    inBatches(planned.map((p) => ({ ...p.changes, __id: p.survivor.id })), (json) => update.run(json));
  }

  db.exec('CREATE TEMP TABLE IF NOT EXISTS dedupe_move (member INTEGER PRIMARY KEY, survivor INTEGER NOT NULL)');
  db.exec('DELETE FROM temp.dedupe_move');
  const insertMoves = db.prepare("INSERT INTO temp.dedupe_move (member, survivor) SELECT j.value ->> '$[0]', j.value ->> '$[1]' FROM json_each(?) j");
  inBatches(planned.flatMap((p) => p.others.map((o) => [o.id, p.survivor.id])), (json) => insertMoves.run(json));
  const moved = new Map<number, Record<string, RowIdentity[]>>();
  const removed = new Map<number, Record<string, Array<Record<string, unknown>>>>();
  for (const p of planned) for (const o of p.others) {
    moved.set(o.id, {});
    removed.set(o.id, {});
  }
  const tables = movableTables(db);
  for (const table of tables) {
    for (const o of moved.keys()) moved.get(o)![table] = [];
    if (movesInBulk(db, table)) {
      for (const [member, rowid] of db.prepare(`SELECT t.contact_id, t.rowid FROM ${table} t JOIN temp.dedupe_move m ON m.member = t.contact_id ORDER BY t.contact_id, t.rowid`).raw().all() as Array<[number, number]>) {
        moved.get(member)![table].push(rowid);
      }
      db.prepare(`UPDATE ${table} SET contact_id = m.survivor FROM temp.dedupe_move m WHERE ${table}.contact_id = m.member`).run();
    } else {
      // A unique key holds contact_id (scores: one row per run and contact): row by row, a clash is set
      // aside; only for the members that have rows there.
      const holding = new Set(db.prepare(`SELECT DISTINCT t.contact_id FROM ${table} t JOIN temp.dedupe_move m ON m.member = t.contact_id`).pluck().all() as number[]);
      for (const p of planned) for (const o of p.others) {
        if (!holding.has(o.id)) continue;
        const result = moveRows(db, table, o.id, p.survivor.id);
        moved.get(o.id)![table] = result.moved;
        if (result.removed.length > 0) removed.get(o.id)![table] = result.removed;
      }
    }
  }
  db.prepare("UPDATE contacts SET status = 'merged', merged_into = m.survivor FROM temp.dedupe_move m WHERE contacts.id = m.member").run();
  const insertMembers = db.prepare(`INSERT INTO merge_members (merge_id, contact_id, probability, evidence, snapshot, moved, removed)
    SELECT j.value ->> '$[0]', j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]', j.value ->> '$[4]', j.value ->> '$[5]', j.value ->> '$[6]' FROM json_each(?) j`);
  inBatches(planned.flatMap((p) => p.others.map((o) => {
    const evidence = p.evidence.get(o.id);
    return [p.mergeId, o.id, evidence?.probability ?? null, JSON.stringify(evidence?.evidence ?? []), JSON.stringify(o), JSON.stringify(moved.get(o.id)), JSON.stringify(removed.get(o.id))];
  })), (json) => insertMembers.run(json));
  const added = tables.includes('consents') ? settleAll(db, planned) : new Map<number, number[]>();
  const readAfter = db.prepare('SELECT * FROM contacts WHERE id IN (SELECT value FROM json_each(?))');
  const updateAfter = db.prepare(`UPDATE merges SET survivor_after = j.value ->> '$[1]', added_consents = j.value ->> '$[2]' FROM json_each(?) j WHERE merges.id = j.value ->> '$[0]'`);
  for (let i = 0; i < planned.length; i += BATCH) {
    const batch = planned.slice(i, i + BATCH);
    const after = new Map((readAfter.all(JSON.stringify(batch.map((p) => p.survivor.id))) as ContactRow[]).map((r) => [r.id, r]));
    updateAfter.run(JSON.stringify(batch.map((p) => [p.mergeId, JSON.stringify(after.get(p.survivor.id)), JSON.stringify(added.get(p.mergeId) ?? [])])));
  }
  db.exec('DELETE FROM temp.dedupe_move');
  return planned.map((p) => ({ mergeId: p.mergeId, survivorId: p.survivor.id, survivorUid: String(p.survivor.uid), merged: p.others.map((o) => o.id) }));
}

/**
 * Consent survivorship for every survivor at once (merge.ts settleConsents, one read): when the latest
 * choice for a channel is an opt-in tied in time with a withdrawal, a withdrawal row is added.
 */
function settleAll(db: Db, planned: Planned[]): Map<number, number[]> {
  const mergeOf = new Map(planned.map((p) => [p.survivor.id, p.mergeId]));
  const rows = db.prepare(`SELECT id, contact_id, channel, status, recorded_at FROM consents WHERE contact_id IN (SELECT value FROM json_each(?))
    ORDER BY contact_id, channel, recorded_at DESC, id DESC`).all(JSON.stringify([...mergeOf.keys()])) as Array<{ id: number; contact_id: number; channel: string; status: string; recorded_at: string }>;
  const groups = new Map<string, typeof rows>();
  for (const r of rows) {
    const key = `${r.contact_id}|${r.channel}`;
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  const insert = db.prepare(`INSERT INTO consents (contact_id, channel, status, recorded_at, source, proof) VALUES (?, ?, 'withdrawn', ?, 'custkit dedupe', ?)`);
  const added = new Map<number, number[]>();
  for (const p of planned) {
    for (const channel of CHANNELS) {
      const list = groups.get(`${p.survivor.id}|${channel}`);
      if (!list) continue;
      const latest = list[0];
      const tied = list.find((r) => r.recorded_at === latest.recorded_at && r.status === 'withdrawn');
      if (latest.status !== 'granted' || !tied) continue;
      // One statement per added withdrawal (rare), not per merge.
      const id = Number(insert.run(p.survivor.id, channel, latest.recorded_at,
        `merge ${p.mergeId}: a withdrawal and an opt-in recorded at the same time; the withdrawal (consent ${tied.id}) wins`).lastInsertRowid);
      added.set(p.mergeId, [...(added.get(p.mergeId) ?? []), id]);
    }
  }
  return added;
}
