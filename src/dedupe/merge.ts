/**
 * Merging: every member of a cluster becomes `merged` into the survivor, its purchases, consents and
 * scores move to the survivor, and the survivor takes the surviving values. Everything an unmerge needs
 * is written to `merges` / `merge_members` in the same transaction.
 */
import type { Db } from '../store/db.js';
import { CHANNELS } from '../store/types.js';
import type { FieldEvidence } from './find.js';
import { chooseSurvivor, survivingValues, type ContactRow, type SurvivorHints } from './survivorship.js';
import { applyPlansInBulk, BulkMerge, contactJson, type LoadedPlan } from './bulk-merge.js';
import { recordAudit } from '../gdpr/audit.js';

export interface MergeMember {
  id: number;
  probability: number | null;
  evidence: FieldEvidence[];
}

export interface MergePlan {
  /** Fixed survivor (decisions file), or chosen by survivorship when absent. */
  survivorId?: number;
  members: MergeMember[];
}

export interface MergeOutcome {
  mergeId: number;
  survivorId: number;
  survivorUid: string;
  merged: number[];
}

export class MergeError extends Error {}

/** Tables whose rows follow the person: the ones that exist in this store. */
export function movableTables(db: Db): string[] {
  const present = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]));
  return ['purchases', 'consents', 'scores'].filter((t) => present.has(t) && hasContactId(db, t));
}

function hasContactId(db: Db, table: string): boolean {
  return (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).some((c) => c.name === 'contact_id');
}

export function survivorHints(db: Db): SurvivorHints {
  const previous = db.prepare('SELECT DISTINCT survivor_id FROM merges WHERE undone_at IS NULL').pluck().all() as number[];
  const knownUpTo = db.prepare('SELECT coalesce(max(max_contact_id), 0) FROM dedupe_runs').pluck().get() as number;
  return { previousSurvivors: new Set(previous), knownUpTo };
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && 'code' in error && String((error as { code: unknown }).code).startsWith('SQLITE_CONSTRAINT');
}

/**
 * How a row is found again: by rowid, or for a WITHOUT ROWID table (scores) by its primary key.
 * A moved row is recorded by its identity after the move: a rowid, or the key values with the survivor.
 */
export type RowIdentity = number | Record<string, unknown>;

export function primaryKeyOf(db: Db, table: string): string[] | null {
  const info = db.prepare("SELECT wr FROM pragma_table_list WHERE name = ? AND schema = 'main'").get(table) as { wr: number } | undefined;
  if (!info || info.wr === 0) return null;
  return (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string; pk: number }>)
    .filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
}

export function whereIdentity(key: string[] | null): string {
  return key ? key.map((c) => `"${c}" = @${c}`).join(' AND ') : 'rowid = @rowid';
}

export function identityParams(identity: RowIdentity): Record<string, unknown> {
  return typeof identity === 'number' ? { rowid: identity } : identity;
}

/** Moves one member's rows to the survivor; a row the survivor already has (unique clash) is removed and kept. */
export function moveRows(db: Db, table: string, from: number, to: number): { moved: RowIdentity[]; removed: Array<Record<string, unknown>> } {
  const key = primaryKeyOf(db, table);
  const rows = db.prepare(`SELECT ${key ? '' : 'rowid AS __rowid, '}* FROM ${table} WHERE contact_id = ?`).all(from) as Array<Record<string, unknown>>;
  const update = db.prepare(`UPDATE ${table} SET contact_id = @__to WHERE ${whereIdentity(key)}`);
  const remove = db.prepare(`DELETE FROM ${table} WHERE ${whereIdentity(key)}`);
  const moved: RowIdentity[] = [];
  const removed: Array<Record<string, unknown>> = [];
  for (const { __rowid, ...row } of rows) {
    const before: RowIdentity = key ? Object.fromEntries(key.map((c) => [c, row[c]])) : (__rowid as number);
    try {
      update.run({ ...identityParams(before), __to: to });
      moved.push(typeof before === 'number' ? before : { ...before, ...(key!.includes('contact_id') ? { contact_id: to } : {}) });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      remove.run(identityParams(before));
      removed.push(key ? row : { ...row, rowid: __rowid });
    }
  }
  return { moved, removed };
}

/**
 * Consent survivorship. After the move, the survivor's current choice per channel is its latest row
 * (the contract). A withdrawal recorded at the same time as an opt-in must win, but the later id could
 * be the opt-in: then a withdrawal row is added (and removed again by unmerge).
 */
function settleConsents(db: Db, survivorId: number, mergeId: number): number[] {
  const added: number[] = [];
  for (const channel of CHANNELS) {
    const rows = db.prepare('SELECT id, status, recorded_at FROM consents WHERE contact_id = ? AND channel = ? ORDER BY recorded_at DESC, id DESC')
      .all(survivorId, channel) as Array<{ id: number; status: string; recorded_at: string }>;
    if (rows.length === 0) continue;
    const latest = rows[0];
    const tiedWithdrawal = rows.find((r) => r.recorded_at === latest.recorded_at && r.status === 'withdrawn');
    if (latest.status === 'granted' && tiedWithdrawal) {
      const info = db.prepare(`INSERT INTO consents (contact_id, channel, status, recorded_at, source, proof)
        VALUES (?, ?, 'withdrawn', ?, 'custkit dedupe', ?)`).run(survivorId, channel, latest.recorded_at,
        `merge ${mergeId}: a withdrawal and an opt-in recorded at the same time; the withdrawal (consent ${tiedWithdrawal.id}) wins`);
      added.push(Number(info.lastInsertRowid));
    }
  }
  return added;
}

function loadRows(db: Db, ids: number[]): ContactRow[] {
  const rows = db.prepare(`SELECT * FROM contacts WHERE id IN (${ids.map(() => '?').join(',')})`).all(...ids) as ContactRow[];
  const found = new Set(rows.map((r) => r.id));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0) throw new MergeError(`contact id ${missing[0]} no longer exists`);
  const gone = rows.find((r) => r.status === 'merged' || r.status === 'erased');
  if (gone) throw new MergeError(`contact ${gone.uid} is ${gone.status}; it cannot be merged again`);
  return rows;
}

export interface RunOptions {
  mode: 'apply' | 'decisions';
  threshold: number | null;
  /** The merges' timestamp (tests pass one to compare two ways of applying). */
  now?: string;
}

/**
 * Applies the plans in one transaction (the caller's, or a new one): set-based (bulk-merge.ts) unless
 * a contact appears in two plans, which must then be applied one after the other.
 */
export function applyMerges(db: Db, plans: MergePlan[], run: RunOptions): MergeOutcome[] {
  return withoutForeignKeyChecks(db, () => db.transaction(() => {
    const now = run.now ?? new Date().toISOString();
    const runId = startRun(db, run, now);
    const outcomes = applyPlansInBulk(db, plans, runId, now) ?? applyOneByOne(db, plans, runId, now);
    finishRun(db, runId, outcomes);
    recordAudit(db, { action: `dedupe.${run.mode}`, counts: { merges: outcomes.length }, details: { run_id: runId } });
    return outcomes;
  })());
}

/**
 * Foreign-key checks off for a bulk apply (outside a caller's transaction; the pragma cannot change
 * inside one). Every row a merge writes refers to contacts it has just read, its own run or merges,
 * under the write lock; the checks were a random page read per changed contact (merged_into looks its
 * survivor up) and per moved row: a third of the final UPDATE's time.
 */
export function withoutForeignKeyChecks<T>(db: Db, fn: () => T): T {
  if (db.inTransaction) return fn();
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
  db.pragma('foreign_keys = OFF');
  try {
    return fn();
  } finally {
    db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
  }
}

/**
 * Applies batches of disjoint plans with their rows (plan.ts loadedPlanBatches) in one transaction,
 * set-based, one batch in memory at a time: `dedupe --apply` on every cluster.
 */
export function applyPlanBatches(db: Db, batches: Iterable<LoadedPlan[]>, run: RunOptions): MergeOutcome[] {
  return withoutForeignKeyChecks(db, () => db.transaction(() => {
    const now = run.now ?? new Date().toISOString();
    const runId = startRun(db, run, now);
    const bulk = new BulkMerge(db, runId, now);
    const outcomes: MergeOutcome[] = [];
    for (const batch of batches) for (const o of bulk.add(batch)) outcomes.push(o);
    bulk.finish();
    finishRun(db, runId, outcomes);
    recordAudit(db, { action: `dedupe.${run.mode}`, counts: { merges: outcomes.length }, details: { run_id: runId } });
    return outcomes;
  })());
}

/** Merge by merge, about twenty statements each: the reference the bulk path is tested against. */
export function applyMergesOneByOne(db: Db, plans: MergePlan[], run: RunOptions): MergeOutcome[] {
  return db.transaction(() => {
    const now = run.now ?? new Date().toISOString();
    const runId = startRun(db, run, now);
    const outcomes = applyOneByOne(db, plans, runId, now);
    finishRun(db, runId, outcomes);
    return outcomes;
  })();
}

function startRun(db: Db, run: RunOptions, now: string): number {
  const maxId = db.prepare('SELECT coalesce(max(id), 0) FROM contacts').pluck().get() as number;
  return Number(db.prepare(`INSERT INTO dedupe_runs (started_at, mode, threshold, max_contact_id, clusters, merged)
    VALUES (?, ?, ?, ?, 0, 0)`).run(now, run.mode, run.threshold, maxId).lastInsertRowid);
}

function finishRun(db: Db, runId: number, outcomes: MergeOutcome[]): void {
  db.prepare('UPDATE dedupe_runs SET clusters = ?, merged = ? WHERE id = ?')
    .run(outcomes.length, outcomes.reduce((s, o) => s + o.merged.length, 0), runId);
}

function applyOneByOne(db: Db, plans: MergePlan[], runId: number, now: string): MergeOutcome[] {
  const hints = survivorHints(db);
  const tables = movableTables(db);
  const outcomes: MergeOutcome[] = [];
  // Rows as JSON are written by SQLite, as the bulk path writes them.
  const asJson = db.prepare(`SELECT ${contactJson(db.prepare('PRAGMA table_info(contacts)').all() as Array<{ name: string; type: string }>, 'c')} FROM contacts c WHERE c.id = ?`).pluck();
  for (const plan of plans) {
    const ids = [...new Set([...(plan.survivorId ? [plan.survivorId] : []), ...plan.members.map((m) => m.id)])];
    if (ids.length < 2) continue;
    const rows = loadRows(db, ids);
    const survivor = plan.survivorId ? rows.find((r) => r.id === plan.survivorId)! : chooseSurvivor(rows, hints);
    const others = rows.filter((r) => r.id !== survivor.id);
    const changes = survivingValues(survivor, rows, now);
    const snapshots = new Map(rows.map((r) => [r.id, asJson.get(r.id) as string]));
    const mergeId = Number(db.prepare(`INSERT INTO merges (run_id, survivor_id, created_at, survivor_before, survivor_after)
      VALUES (?, ?, ?, ?, '{}')`).run(runId, survivor.id, now, snapshots.get(survivor.id)).lastInsertRowid);
    const columns = Object.keys(changes);
    if (columns.length > 0) {
      db.prepare(`UPDATE contacts SET ${columns.map((c) => `"${c}" = @${c}`).join(', ')} WHERE id = @__id`).run({ ...changes, __id: survivor.id });
    }
    const insertMember = db.prepare(`INSERT INTO merge_members (merge_id, contact_id, probability, evidence, snapshot, moved, removed)
      VALUES (?, ?, ?, ?, ?, ?, ?)`);
    for (const member of others) {
      const moved: Record<string, RowIdentity[]> = {};
      const removed: Record<string, Array<Record<string, unknown>>> = {};
      for (const table of tables) {
        const result = moveRows(db, table, member.id, survivor.id);
        moved[table] = result.moved;
        if (result.removed.length > 0) removed[table] = result.removed;
      }
      db.prepare("UPDATE contacts SET status = 'merged', merged_into = ? WHERE id = ?").run(survivor.id, member.id);
      const evidence = plan.members.find((m) => m.id === member.id);
      insertMember.run(mergeId, member.id, evidence?.probability ?? null, JSON.stringify(evidence?.evidence ?? []),
        snapshots.get(member.id), JSON.stringify(moved), JSON.stringify(removed));
    }
    const added = tables.includes('consents') ? settleConsents(db, survivor.id, mergeId) : [];
    db.prepare('UPDATE merges SET survivor_after = ?, added_consents = ? WHERE id = ?').run(asJson.get(survivor.id), JSON.stringify(added), mergeId);
    hints.previousSurvivors.add(survivor.id);
    outcomes.push({ mergeId, survivorId: survivor.id, survivorUid: String(survivor.uid), merged: others.map((o) => o.id) });
  }
  return outcomes;
}
