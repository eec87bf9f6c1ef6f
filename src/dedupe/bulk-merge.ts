/**
 * `dedupe --apply` as set-based SQL, streamed: plans come in batches (a few thousand merges), and what
 * each batch writes costs a fixed number of statements, never one per merge. Applying merge by merge
 * (merge.ts applyMergesOneByOne, kept as the reference the tests compare against, table for table)
 * cost about twenty statements a merge.
 *
 * Where the time went before (200,000 contacts, CPU profile): not in the statements' count but in how
 * often the same pages were written and in JSON. Each batch's UPDATE of survivors and each status UPDATE
 * touched contacts spread over the whole table, which is larger than the page cache, so pages were
 * spilled to the WAL and written again by the next statement; every changed value was parsed out of a
 * JSON parameter once per column; and each snapshot went from SQLite to a JavaScript object and back
 * as a string. Now:
 * - a batch reads only the columns survivorship needs, and appends to `merges` and `merge_members`
 *   (ids in increasing order) with `INSERT ... SELECT`: SQLite writes the snapshots (json_object of the
 *   row, `contactJson`) and the lists of rows each member takes along, straight from the tables;
 * - the contacts' new values (each survivor's changed columns, each member's status) are staged in a
 *   temporary table, and written at the end by one UPDATE in id order: every page of `contacts` is
 *   written once, in order;
 * - purchases and consents move by one UPDATE per table at the end.
 * Survivorship itself is decided in TypeScript (survivorship.ts) on the rows read.
 */
import type { Db } from '../store/db.js';
import { CHANNELS } from '../store/types.js';
import { moveRows, movableTables, survivorHints, MergeError, type MergeOutcome, type MergePlan, type RowIdentity } from './merge.js';
import { MultiInsert } from './multi-insert.js';
import { ContactStaging, writeInRanges } from './staged-update.js';
import { chooseSurvivor, survivingValues, SURVIVORSHIP_COLUMNS, type ContactRow, type SurvivorHints } from './survivorship.js';

type Statement = ReturnType<Db['prepare']> & { run(...params: unknown[]): unknown };

/**
 * Merges planned per batch. Measured at a million contacts (in-process, memoryUsage per batch): what
 * batches allocate reaches V8's old generation and stays there until a full collection, which V8 puts
 * off until the heap has grown by a few hundred MB: about 11 KB a cluster with batches of 2,000, about
 * 7.5 KB with 500. The statements per batch cost nothing like that.
 */
export const BATCH = 500;

/** A plan with the full rows of its contacts (read by the caller, or by `add`). */
export interface LoadedPlan {
  plan: MergePlan;
  rows: ContactRow[];
}

/** True when a table's rows can move by one UPDATE: a rowid table where no unique key holds contact_id. */
function movesInBulk(db: Db, table: string): boolean {
  const info = db.prepare("SELECT wr FROM pragma_table_list WHERE name = ? AND schema = 'main'").get(table) as { wr: number } | undefined;
  if (!info || info.wr !== 0) return false;
  const unique = db.prepare(`SELECT name FROM pragma_index_list(?) WHERE "unique" = 1`).pluck().all(table) as string[];
  return !unique.some((index) => (db.prepare('SELECT name FROM pragma_index_info(?)').pluck().all(index) as string[]).includes('contact_id'));
}

export function planIds(plan: MergePlan): number[] {
  return [...new Set([...(plan.survivorId ? [plan.survivorId] : []), ...plan.members.map((m) => m.id)])];
}

interface Column {
  name: string;
  type: string;
}

function contactColumns(db: Db): Column[] {
  return db.prepare('PRAGMA table_info(contacts)').all() as Column[];
}

/**
 * A contact row as JSON text, built by SQLite (`alias`: the contacts alias; `value(c)`: the SQL for a
 * column's value when it is not the row's own). Snapshots and the survivor's before and after are
 * written this way by both merge paths, so they are byte for byte the same.
 */
export function contactJson(columns: readonly Column[], alias: string, value?: (column: string) => string): string {
  return `json_object(${columns.map((c) => `'${c.name}', ${value ? value(c.name) : `${alias}."${c.name}"`}`).join(', ')})`;
}

/** Full contact rows by id, read in one statement (only `columns`, when given). */
export function readRows(db: Db, ids: number[], columns?: readonly string[]): Map<number, ContactRow> {
  const list = columns ? columns.map((c) => `"${c}"`).join(', ') : '*';
  const rows = db.prepare(`SELECT ${list} FROM contacts WHERE id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(ids)) as ContactRow[];
  return new Map(rows.map((r) => [r.id, r]));
}

/** The columns of SURVIVORSHIP_COLUMNS this store's contacts table has: what a batch reads. */
export function survivorshipColumns(db: Db): string[] {
  const present = new Set(contactColumns(db).map((c) => c.name));
  return SURVIVORSHIP_COLUMNS.filter((c) => present.has(c));
}

/**
 * One bulk apply inside the caller's transaction (with its dedupe run created): `add` each batch of
 * plans (no contact in two plans; rows with at least survivorshipColumns), then `finish`. The store is
 * only consistent after `finish`.
 */
export class BulkMerge {
  private readonly hints: SurvivorHints;
  private nextId: number;
  private readonly seen = new Set<number>();
  private readonly columns: Column[];
  private readonly tables: string[];
  private readonly bulkTables: string[];
  /** The survivors' changed values (every column but id). */
  private readonly staging: ContactStaging;
  private readonly stagedColumns: Column[];
  private readonly merges: MultiInsert;
  private readonly members: MultiInsert;
  private readonly moves: MultiInsert;
  private readonly writeMerges: Statement;
  private readonly writeMembers: Statement;
  /** Tables whose unique key is contact_id and other columns, moved set-based (KeyedMoves). */
  private readonly keyedMoves = new Map<string, KeyedMoves>();
  /** Survivor and merge id of every merge, for consent settling at the end. */
  private readonly settle: Array<[number, number]> = [];

  constructor(private readonly db: Db, private readonly runId: number, private readonly now: string) {
    this.hints = survivorHints(db);
    this.nextId = (db.prepare('SELECT coalesce(max(id), 0) FROM merges').pluck().get() as number) + 1;
    this.columns = contactColumns(db);
    this.tables = movableTables(db);
    this.bulkTables = this.tables.filter((t) => movesInBulk(db, t));
    for (const t of this.tables) {
      const keyed = KeyedMoves.of(db, t);
      if (keyed && !this.bulkTables.includes(t)) this.keyedMoves.set(t, keyed);
    }
    for (const t of ['dedupe_move', 'dedupe_merge', 'dedupe_member']) db.exec(`DROP TABLE IF EXISTS temp.${t}`);
    this.stagedColumns = this.columns.filter((c) => c.name !== 'id');
    this.staging = new ContactStaging(db, 'dedupe_new', this.stagedColumns);
    db.exec('CREATE TEMP TABLE dedupe_move (member INTEGER PRIMARY KEY, survivor INTEGER NOT NULL)');
    db.exec('CREATE TEMP TABLE dedupe_merge (id INTEGER PRIMARY KEY, survivor INTEGER NOT NULL)');
    db.exec(`CREATE TEMP TABLE dedupe_member (merge_id INTEGER NOT NULL, contact_id INTEGER NOT NULL, probability REAL, evidence TEXT NOT NULL,
      moved TEXT NOT NULL, removed TEXT NOT NULL, PRIMARY KEY (merge_id, contact_id))`);
    this.merges = new MultiInsert(db, 'INSERT INTO temp.dedupe_merge (id, survivor)', 2, 256);
    this.members = new MultiInsert(db, 'INSERT INTO temp.dedupe_member (merge_id, contact_id, probability, evidence, moved, removed)', 6);
    this.moves = new MultiInsert(db, 'INSERT INTO temp.dedupe_move (member, survivor)', 2, 256);
    // After = the survivor's row with its staged changes (what reading it back after the UPDATE gives).
    const after = contactJson(this.columns, 'c', (name) =>
      name === 'id' ? 'c.id' : `CASE WHEN substr(n.mask, ${this.staging.position(name) + 1}, 1) = '1' THEN n."${name}" ELSE c."${name}" END`);
    this.writeMerges = db.prepare<unknown[]>(`INSERT INTO merges (id, run_id, survivor_id, created_at, survivor_before, survivor_after)
      SELECT g.id, ?, g.survivor, ?, ${contactJson(this.columns, 'c')}, ${after}
      FROM temp.dedupe_merge g JOIN contacts c ON c.id = g.survivor LEFT JOIN temp.dedupe_new n ON n.id = g.survivor ORDER BY g.id`);
    // Each member's rows in a table moved whole, listed by rowid; tables moved row by row come staged.
    const moved = `json_object(${this.tables.map((t) => `'${t}', ${this.bulkTables.includes(t)
      ? `(SELECT json_group_array(x.rowid ORDER BY x.rowid) FROM ${t} x WHERE x.contact_id = m.contact_id)`
      : `json(m.moved -> '$."${t}"')`}`).join(', ')})`;
    this.writeMembers = db.prepare<unknown[]>(`INSERT INTO merge_members (merge_id, contact_id, probability, evidence, snapshot, moved, removed)
      SELECT m.merge_id, m.contact_id, m.probability, m.evidence, ${contactJson(this.columns, 'c')}, ${moved}, m.removed
      FROM temp.dedupe_member m JOIN contacts c ON c.id = m.contact_id ORDER BY m.merge_id, m.contact_id`);
  }

  /** Columns each batch's rows must hold. */
  get rowColumns(): string[] {
    return survivorshipColumns(this.db);
  }

  private stage(id: number, values: Record<string, unknown>): void {
    const ks: number[] = [];
    const vs: unknown[] = [];
    this.stagedColumns.forEach((c, k) => {
      if (c.name in values) {
        ks.push(k);
        vs.push(values[c.name]);
      }
    });
    this.staging.add(id, ks, vs);
  }

  /** Plans one batch and writes its merges; returns their outcomes. */
  add(batch: LoadedPlan[]): MergeOutcome[] {
    const outcomes: MergeOutcome[] = [];
    const planned: Array<{ mergeId: number; survivor: ContactRow; members: ContactRow[]; others: ContactRow[]; plan: MergePlan }> = [];
    for (const { plan, rows } of batch) {
      if (rows.length < 2) continue;
      const members = [...rows].sort((a, b) => a.id - b.id);
      for (const r of members) {
        if (this.seen.has(r.id)) throw new Error(`bulk merge: contact id ${r.id} is in two plans`);
        this.seen.add(r.id);
      }
      const gone = members.find((r) => r.status === 'merged' || r.status === 'erased');
      if (gone) throw new MergeError(`contact ${gone.uid} is ${gone.status}; it cannot be merged again`);
      const survivor = plan.survivorId ? members.find((r) => r.id === plan.survivorId)! : chooseSurvivor(members, this.hints);
      this.hints.previousSurvivors.add(survivor.id);
      planned.push({ mergeId: this.nextId++, survivor, members, others: members.filter((r) => r.id !== survivor.id), plan });
    }
    if (planned.length === 0) return outcomes;
    // Tables whose unique key holds contact_id (scores: one row per run and contact) move now, batch by
    // batch, a row the survivor already has for that key set aside (keyedMoves).
    const slow = new Map<number, { moved: Record<string, RowIdentity[]>; removed: Record<string, Array<Record<string, unknown>>> }>();
    const slowTables = this.tables.filter((t) => !this.bulkTables.includes(t));
    if (slowTables.length > 0) {
      for (const p of planned) for (const o of p.others) slow.set(o.id, { moved: Object.fromEntries(slowTables.map((t) => [t, []])), removed: {} });
      for (const table of slowTables) {
        const keyed = this.keyedMoves.get(table);
        if (keyed) {
          keyed.move(planned, slow);
          continue;
        }
        const idsJson = JSON.stringify(planned.flatMap((p) => p.others.map((o) => o.id)));
        const holding = new Set(this.db.prepare(`SELECT DISTINCT contact_id FROM ${table} WHERE contact_id IN (SELECT value FROM json_each(?))`).pluck().all(idsJson) as number[]);
        for (const p of planned) for (const o of p.others) {
          if (!holding.has(o.id)) continue;
          const result = moveRows(this.db, table, o.id, p.survivor.id);
          slow.get(o.id)!.moved[table] = result.moved;
          if (result.removed.length > 0) slow.get(o.id)!.removed[table] = result.removed;
        }
      }
    }
    for (const p of planned) {
      const changes = survivingValues(p.survivor, p.members, this.now);
      if (Object.keys(changes).length > 0) this.stage(p.survivor.id, changes);
      this.merges.add(p.mergeId, p.survivor.id);
      const evidence = new Map(p.plan.members.map((m) => [m.id, m]));
      for (const o of p.others) {
        const e = evidence.get(o.id);
        const s = slow.get(o.id);
        this.members.add(p.mergeId, o.id, e?.probability ?? null, JSON.stringify(e?.evidence ?? []), JSON.stringify(s?.moved ?? {}), JSON.stringify(s?.removed ?? {}));
        this.moves.add(o.id, p.survivor.id);
      }
      this.settle.push([p.survivor.id, p.mergeId]);
      outcomes.push({ mergeId: p.mergeId, survivorId: p.survivor.id, survivorUid: String(p.survivor.uid), merged: p.others.map((o) => o.id) });
    }
    // The batch's merges, then their members (which reference them), written by SQLite from the rows.
    for (const insert of [this.merges, this.members]) insert.flush();
    this.staging.flush();
    this.writeMerges.run(this.runId, this.now);
    this.writeMembers.run();
    this.db.exec('DELETE FROM temp.dedupe_merge; DELETE FROM temp.dedupe_member');
    return outcomes;
  }

  /** Writes the staged contacts in one ordered pass, moves the rows, settles consents. */
  finish(): void {
    this.moves.flush();
    // Survivors and members, range by range of ids (staged-update.ts): the members' UPDATE sets only
    // status and merged_into, so no index is rewritten for them.
    const maxId = this.db.prepare('SELECT coalesce(max(id), 0) FROM contacts').pluck().get() as number;
    writeInRanges(this.db, maxId, [...this.staging.updates(),
      this.db.prepare("UPDATE contacts SET status = 'merged', merged_into = m.survivor FROM temp.dedupe_move m WHERE m.member BETWEEN ? AND ? AND contacts.id = m.member")]);
    this.staging.drop();
    for (const table of this.bulkTables) {
      this.db.prepare(`UPDATE ${table} SET contact_id = m.survivor FROM temp.dedupe_move m WHERE ${table}.contact_id = m.member`).run();
    }
    if (this.tables.includes('consents')) this.settleConsents();
    for (const t of ['dedupe_move', 'dedupe_merge', 'dedupe_member']) this.db.exec(`DROP TABLE temp.${t}`);
  }

  /**
   * Consent survivorship for every survivor at once (merge.ts settleConsents): when the latest choice
   * for a channel is an opt-in tied in time with a withdrawal, a withdrawal row is added. The survivors'
   * consents are streamed in one read; the (rare) additions are then written in merge order, channel by
   * channel, as merging one by one writes them.
   */
  private settleConsents(): void {
    this.db.exec('DROP TABLE IF EXISTS temp.dedupe_settle');
    this.db.exec('CREATE TEMP TABLE dedupe_settle (survivor INTEGER PRIMARY KEY, merge_id INTEGER NOT NULL)');
    const fill = new MultiInsert(this.db, 'INSERT INTO temp.dedupe_settle (survivor, merge_id)', 2, 256);
    for (const [survivor, mergeId] of this.settle) fill.add(survivor, mergeId);
    fill.flush();
    const toAdd: Array<{ mergeId: number; survivor: number; channel: string; at: string; withdrawal: number }> = [];
    let group = '';
    let latest: { status: string; recorded_at: string } | null = null;
    let done = false;
    for (const r of this.db.prepare(`SELECT c.id, c.contact_id, c.channel, c.status, c.recorded_at, s.merge_id FROM temp.dedupe_settle s
      JOIN consents c ON c.contact_id = s.survivor ORDER BY c.contact_id, c.channel, c.recorded_at DESC, c.id DESC`).iterate() as Iterable<{
      id: number; contact_id: number; channel: string; status: string; recorded_at: string; merge_id: number }>) {
      const key = `${r.contact_id}|${r.channel}`;
      if (key !== group) {
        group = key;
        latest = r;
        done = false;
      }
      if (done || latest!.status !== 'granted' || r.recorded_at !== latest!.recorded_at) continue;
      if (r.status === 'withdrawn') {
        toAdd.push({ mergeId: r.merge_id, survivor: r.contact_id, channel: r.channel, at: r.recorded_at, withdrawal: r.id });
        done = true;
      }
    }
    const order = new Map<string, number>(CHANNELS.map((c, i) => [c, i]));
    toAdd.sort((a, b) => a.mergeId - b.mergeId || order.get(a.channel)! - order.get(b.channel)!);
    const insert = this.db.prepare(`INSERT INTO consents (contact_id, channel, status, recorded_at, source, proof) VALUES (?, ?, 'withdrawn', ?, 'custkit dedupe', ?)`);
    const added = new Map<number, number[]>();
    for (const a of toAdd) {
      const id = Number(insert.run(a.survivor, a.channel, a.at,
        `merge ${a.mergeId}: a withdrawal and an opt-in recorded at the same time; the withdrawal (consent ${a.withdrawal}) wins`).lastInsertRowid);
      added.set(a.mergeId, [...(added.get(a.mergeId) ?? []), id]);
    }
    const update = this.db.prepare('UPDATE merges SET added_consents = ? WHERE id = ?');
    for (const [mergeId, ids] of added) update.run(JSON.stringify(ids), mergeId);
    this.db.exec('DROP TABLE temp.dedupe_settle');
  }
}

type Moves = Map<number, { moved: Record<string, RowIdentity[]>; removed: Record<string, Array<Record<string, unknown>>> }>;

/**
 * Moving the rows of a rowid table whose one unique key is contact_id with other columns (scores: one
 * row per run and contact), for a batch of merges in a few statements, as merging one by one moves them
 * (merge.ts moveRows): members in id order, each one's rows in the order of the table's index on
 * contact_id; a row whose key the survivor already has (its own, or one a member before it brought) is
 * deleted and kept in `removed` as the row it was, the others change contact_id. With a score run every
 * member clashes with its survivor: row by row this was three statements per member.
 */
export class KeyedMoves {
  private readonly read: Statement;
  private readonly held: Statement;
  private readonly remove: Statement;
  private readonly update: Statement;

  private constructor(private readonly db: Db, private readonly table: string, private readonly key: string[]) {
    const ids = 'SELECT value FROM json_each(?)';
    this.read = db.prepare(`SELECT rowid AS __rowid, * FROM ${table} WHERE contact_id IN (${ids}) ORDER BY contact_id`);
    this.held = db.prepare(`SELECT contact_id, ${key.map((c) => `"${c}"`).join(', ')} FROM ${table} WHERE contact_id IN (${ids})`).raw();
    this.remove = db.prepare(`DELETE FROM ${table} WHERE rowid IN (${ids})`);
    this.update = db.prepare(`UPDATE ${table} SET contact_id = x.value FROM json_each(?) x WHERE ${table}.rowid = x.key`);
  }

  /** The mover for `table`, or null when its rows cannot move this way (no such key, or several). */
  static of(db: Db, table: string): KeyedMoves | null {
    const info = db.prepare("SELECT wr FROM pragma_table_list WHERE name = ? AND schema = 'main'").get(table) as { wr: number } | undefined;
    if (!info || info.wr !== 0) return null;
    const unique = (db.prepare(`SELECT name FROM pragma_index_list(?) WHERE "unique" = 1`).pluck().all(table) as string[])
      .map((index) => db.prepare('SELECT name FROM pragma_index_info(?) ORDER BY seqno').pluck().all(index) as Array<string | null>)
      .filter((columns) => columns.includes('contact_id'));
    if (unique.length !== 1 || unique[0].some((c) => c === null)) return null;
    return new KeyedMoves(db, table, (unique[0] as string[]).filter((c) => c !== 'contact_id'));
  }

  move(planned: ReadonlyArray<{ survivor: ContactRow; others: ContactRow[] }>, moves: Moves): void {
    const memberIds = planned.flatMap((p) => p.others.map((o) => o.id));
    const rows = new Map<number, Array<Record<string, unknown>>>();
    for (const row of this.read.all(JSON.stringify(memberIds)) as Array<Record<string, unknown>>) {
      const list = rows.get(row.contact_id as number);
      if (list) list.push(row);
      else rows.set(row.contact_id as number, [row]);
    }
    if (rows.size === 0) return;
    const keyOf = (contact: unknown, values: unknown[]) => JSON.stringify([contact, ...values]);
    const taken = new Set((this.held.all(JSON.stringify(planned.map((p) => p.survivor.id))) as unknown[][]).map(([c, ...k]) => keyOf(c, k)));
    const removed: number[] = [];
    const moved: Record<string, number> = {};
    for (const p of planned) {
      for (const o of p.others) {
        const entry = moves.get(o.id)!;
        for (const { __rowid, ...row } of rows.get(o.id) ?? []) {
          const rowid = __rowid as number;
          const key = keyOf(p.survivor.id, this.key.map((c) => row[c]));
          if (taken.has(key)) {
            removed.push(rowid);
            (entry.removed[this.table] ??= []).push({ ...row, rowid });
          } else {
            taken.add(key);
            moved[rowid] = p.survivor.id;
            entry.moved[this.table].push(rowid);
          }
        }
      }
    }
    if (removed.length > 0) this.remove.run(JSON.stringify(removed));
    this.update.run(JSON.stringify(moved));
  }
}

/**
 * Applies the plans, or returns null when they overlap (a contact in two plans: merge by merge, later
 * plans must see earlier ones, as merge.ts does). Must run inside a transaction with `runId` created.
 */
export function applyPlansInBulk(db: Db, plans: MergePlan[], runId: number, now: string): MergeOutcome[] | null {
  const wanted = plans.map((plan) => ({ plan, ids: planIds(plan) })).filter((w) => w.ids.length >= 2);
  const all = wanted.flatMap((w) => w.ids);
  if (new Set(all).size !== all.length) return null;
  const bulk = new BulkMerge(db, runId, now);
  const outcomes: MergeOutcome[] = [];
  for (let i = 0; i < wanted.length; i += BATCH) {
    const slice = wanted.slice(i, i + BATCH);
    const rows = readRows(db, slice.flatMap((w) => w.ids), bulk.rowColumns);
    const missing = slice.flatMap((w) => w.ids).find((id) => !rows.has(id));
    if (missing !== undefined) throw new MergeError(`contact id ${missing} no longer exists`);
    outcomes.push(...bulk.add(slice.map((w) => ({ plan: w.plan, rows: w.ids.map((id) => rows.get(id)!) }))));
  }
  bulk.finish();
  return outcomes;
}
