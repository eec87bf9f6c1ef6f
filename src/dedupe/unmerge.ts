/**
 * Unmerge: restores each merged record exactly as it was, moves its purchases, consents and scores back,
 * puts back rows a merge had to remove, deletes consent rows the merge added, and returns the survivor's
 * fields to their values before the merge (except fields changed since by something else: those stay).
 */
import type { Db } from '../store/db.js';
import { VALIDATED_COLUMNS } from '../validate/schemas.js';
import { identityParams, primaryKeyOf, whereIdentity, withoutForeignKeyChecks, type RowIdentity } from './merge.js';
import { contactJson } from './bulk-merge.js';
import { ContactStaging, writeInRanges } from './staged-update.js';
import { recordAudit } from '../gdpr/audit.js';

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
    const outcome = undoOne(db, merge, new Date().toISOString());
    auditUnmerges(db, [outcome]);
    return outcome;
  })();
}

/** Undoes every merge made at or after `since` (ISO date or timestamp): in bulk when they are independent, else newest first. */
export function unmergeSince(db: Db, since: string): UnmergeOutcome[] {
  // Every row written refers to contacts the merges recorded, which unmerge only restores (see merge.ts).
  return withoutForeignKeyChecks(db, () => db.transaction(() => {
    // Ids only: the merges' JSON (two whole rows each) is read a batch at a time, not all at once.
    const merges = db.prepare('SELECT id, survivor_id FROM merges WHERE created_at >= ? AND undone_at IS NULL AND erased_at IS NULL ORDER BY id DESC').all(since) as Array<{ id: number; survivor_id: number }>;
    const now = new Date().toISOString();
    const one = db.prepare('SELECT * FROM merges WHERE id = ?');
    const oneByOne = (list: typeof merges) => list.map((m) => undoOne(db, one.get(m.id) as MergeRow, now));
    // A survivor merged into on several nights must get its rows back newest merge first (each merge's
    // "before" is the next one's "after"): those merges are undone one by one, the others in bulk. The
    // two sets share no contact, so their order does not matter.
    const times = new Map<number, number>();
    for (const m of merges) times.set(m.survivor_id, (times.get(m.survivor_id) ?? 0) + 1);
    const repeated = merges.filter((m) => times.get(m.survivor_id)! > 1);
    const bulk = undoInBulk(db, repeated.length ? merges.filter((m) => times.get(m.survivor_id) === 1) : merges, now);
    const outcomes = bulk === null ? oneByOne(merges) : [...bulk, ...oneByOne(repeated)].sort((a, b) => b.mergeId - a.mergeId);
    auditUnmerges(db, outcomes, since);
    return outcomes;
  })());
}

/** Merges whose contacts are read and staged together: the JSON parsed at once stays this small. */
const BATCH = 2000;

/** SQL's IS on values read back as JavaScript (a JSON number equals the same integer). */
const same = (a: unknown, b: unknown): boolean => a === b || (a ?? null) === (b ?? null);

/** The audit entry of an unmerge, in its transaction: the merges undone and every record they gave back. */
function auditUnmerges(db: Db, outcomes: UnmergeOutcome[], since?: string): void {
  if (outcomes.length === 0) return;
  recordAudit(db, {
    action: 'dedupe.unmerge',
    uids: outcomes.flatMap((o) => [o.survivorUid, ...o.restored]),
    counts: { merges: outcomes.length, restored: outcomes.reduce((n, o) => n + o.restored.length, 0) },
    details: { merge_ids: outcomes.map((o) => String(o.mergeId)), ...(since ? { since } : {}) },
  });
}

/**
 * `unmerge --all-since` set-based: the merges undone by a fixed number of statements per batch, when
 * they are independent of each other. A batch where a survivor was itself merged later, or a member is
 * no longer where the merge left it, returns null: undoOne's checks and order (newest first) then apply,
 * merge by merge.
 *
 * Contacts go back through a staging table, written once in id order, as `dedupe --apply` writes them:
 * the snapshots are parsed once each in JavaScript, and only the values that differ from the row as it
 * is are written. Before, one UPDATE read every column out of the JSON with json_type and ->> (three
 * look-ups a column for a survivor) and rewrote every column and index of every contact: two thirds of
 * the command's time.
 */
export function undoInBulk(db: Db, merges: Array<Pick<MergeRow, 'id'>>, now: string): UnmergeOutcome[] | null {
  if (merges.length === 0) return [];
  const ids = JSON.stringify(merges.map((m) => m.id));
  // Whether every merge can be undone at once (no survivor merged again since, every member still
  // merged into its survivor) is checked on the rows as the batches read them: nothing is written to
  // the store before the last batch, so a failed check only drops the staging tables. Checking first
  // read every member and survivor one more time.
  const columns = (db.prepare('PRAGMA table_info(contacts)').all() as Array<{ name: string; type: string }>).filter((c) => c.name !== 'id');
  const list = columns.map((c) => `c."${c.name}"`).join(', ');
  // Only the columns that differ from the row as it is are staged: a member usually gets back its
  // status and merged_into alone, so no index is rewritten for it (staged-update.ts).
  const members = new ContactStaging(db, 'unmerge_members', columns);
  const survivors = new ContactStaging(db, 'unmerge_survivors', columns);
  // The uids each merge gives back, from the snapshots (a restored row is its snapshot, uid included):
  // reading them from contacts afterwards was a random page read per contact.
  const restored = new Map<number, string[]>();
  const survivorUid = new Map<number, string>();
  const readUids = db.prepare(`SELECT merge_id, snapshot ->> '$.uid' FROM merge_members WHERE merge_id IN (SELECT value FROM json_each(?))
    ORDER BY merge_id, contact_id`).raw();
  // Most members are as their merge left them: their row, with the snapshot's status and merged_into,
  // is the snapshot itself (both written by contactJson). Those get the two values back in SQL; the
  // others are compared column by column below.
  const all = db.prepare('PRAGMA table_info(contacts)').all() as Array<{ name: string; type: string }>;
  const untouched = `${contactJson(all, 'c', (n) => (n === 'status' || n === 'merged_into' ? `mm.snapshot ->> '$.${n}'` : `c."${n}"`))} = mm.snapshot`;
  const statusAt = columns.findIndex((c) => c.name === 'status');
  const mergedIntoAt = columns.findIndex((c) => c.name === 'merged_into');
  const readMembers = db.prepare(`SELECT mm.contact_id, mm.snapshot, m.survivor_id, ${list} FROM merge_members mm JOIN merges m ON m.id = mm.merge_id
    JOIN contacts c ON c.id = mm.contact_id WHERE mm.merge_id IN (SELECT value FROM json_each(?)) AND mm.contact_id NOT IN (SELECT id FROM temp.unmerge_members)`).raw();
  const readSurvivors = db.prepare(`SELECT m.survivor_id, m.survivor_before, m.survivor_after, m.id, ${list} FROM merges m JOIN contacts c ON c.id = m.survivor_id
    WHERE m.id IN (SELECT value FROM json_each(?))`).raw();
  const giveUp = () => {
    members.drop();
    survivors.drop();
    return null;
  };
  for (let i = 0; i < merges.length; i += BATCH) {
    const batch = JSON.stringify(merges.slice(i, i + BATCH).map((m) => m.id));
    // Members: back to their snapshots (a column the snapshot lacks, added since, keeps its value).
    members.stageSelect(['status', 'merged_into'], `SELECT mm.contact_id AS id, mm.snapshot ->> '$.status' AS v0, mm.snapshot ->> '$.merged_into' AS v1
      FROM merge_members mm JOIN merges m ON m.id = mm.merge_id JOIN contacts c ON c.id = mm.contact_id
      WHERE mm.merge_id IN (SELECT value FROM json_each(?)) AND c.status = 'merged' AND c.merged_into = m.survivor_id AND ${untouched}`, batch);
    for (const row of readMembers.all(batch) as unknown[][]) {
      if (row[statusAt + 3] !== 'merged' || row[mergedIntoAt + 3] !== row[2]) return giveUp();
      const snapshot = JSON.parse(String(row[1])) as Row;
      const ks: number[] = [];
      const values: unknown[] = [];
      columns.forEach((c, k) => {
        if (c.name in snapshot && !same(snapshot[c.name], row[k + 3])) {
          ks.push(k);
          values.push(snapshot[c.name]);
        }
      });
      members.add(row[0] as number, ks, values);
    }
    for (const [mergeId, uid] of readUids.all(batch) as Array<[number, string]>) {
      const list = restored.get(mergeId);
      if (list) list.push(String(uid));
      else restored.set(mergeId, [String(uid)]);
    }
    // Survivors: a field changed since the merge by something else keeps its newer value (see undoOne).
    for (const row of readSurvivors.all(batch) as unknown[][]) {
      if (row[statusAt + 4] === 'merged') return giveUp();
      const before = JSON.parse(String(row[1])) as Row;
      const after = JSON.parse(String(row[2])) as Row;
      survivorUid.set(row[3] as number, String(before.uid));
      const ks: number[] = [];
      const values: unknown[] = [];
      columns.forEach((c, k) => {
        if (!(c.name in before)) return;
        const current = row[k + 4];
        if ((DERIVED.has(c.name) || same(current, after[c.name])) && !same(before[c.name], current)) {
          ks.push(k);
          values.push(before[c.name]);
        }
      });
      survivors.add(row[0] as number, ks, values);
    }
  }
  const maxId = db.prepare('SELECT coalesce(max(id), 0) FROM contacts').pluck().get() as number;
  writeInRanges(db, maxId, [...members.updates(), ...survivors.updates()]);
  members.drop();
  survivors.drop();
  // Their rows back from the survivor: one UPDATE per rowid table, row by row where rows are found by key.
  const tables = db.prepare(`SELECT DISTINCT t.key FROM merge_members mm, json_each(mm.moved) t WHERE mm.merge_id IN (SELECT value FROM json_each(?))`).pluck().all(ids) as string[];
  for (const table of tables) {
    const key = primaryKeyOf(db, table);
    const moved = `SELECT mm.contact_id AS member, m.survivor_id AS survivor, r.value AS identity
      FROM merge_members mm JOIN merges m ON m.id = mm.merge_id, json_each(mm.moved, '$."${table}"') r WHERE m.id IN (SELECT value FROM json_each(?))
      ORDER BY 3`;
    if (!key) {
      db.prepare(`UPDATE ${table} SET contact_id = x.member FROM (${moved}) x WHERE ${table}.rowid = x.identity AND ${table}.contact_id = x.survivor`).run(ids);
      continue;
    }
    const back = db.prepare(`UPDATE ${table} SET contact_id = @__to WHERE ${whereIdentity(key)} AND contact_id = @__from`);
    for (const r of db.prepare(moved).all(ids) as Array<{ member: number; survivor: number; identity: string }>) {
      back.run({ ...identityParams(JSON.parse(r.identity) as RowIdentity), __to: r.member, __from: r.survivor });
    }
  }
  // Rows a merge had to set aside (a clash on a unique key: with a score run, every member's scores
  // row of that run): put back as they were, a batch of merges at a time, one statement per shape.
  const inserts = new Map<string, ReturnType<Db['prepare']> & { run(...params: unknown[]): unknown }>();
  const readRemoved = db.prepare(`SELECT removed FROM merge_members WHERE merge_id IN (SELECT value FROM json_each(?)) AND removed <> '{}'`).pluck();
  for (let i = 0; i < merges.length; i += BATCH) {
    for (const m of readRemoved.all(JSON.stringify(merges.slice(i, i + BATCH).map((x) => x.id))) as string[]) {
      for (const [table, rows] of Object.entries(JSON.parse(m) as Record<string, Row[]>)) {
        for (const row of rows) {
          const cols = Object.keys(row);
          const shape = `${table}(${cols.join(',')})`;
          let insert = inserts.get(shape);
          if (!insert) {
            insert = db.prepare(`INSERT INTO ${table} (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
            inserts.set(shape, insert);
          }
          insert.run(...cols.map((c) => row[c]));
        }
      }
    }
  }
  db.prepare(`DELETE FROM consents WHERE id IN (SELECT a.value FROM merges m, json_each(m.added_consents) a WHERE m.id IN (SELECT value FROM json_each(?)))`).run(ids);
  db.prepare('UPDATE merges SET undone_at = ? WHERE id IN (SELECT value FROM json_each(?))').run(now, ids);
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
