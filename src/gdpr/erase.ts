/**
 * Erasure that stays erased (GDPR art. 17). `eraseContacts` removes a person's personal data from every
 * table of the store and records their addresses as `erased` suppression hashes, so no import brings
 * them back and no export names them. What happens to each table is data (`ERASURE_PLAN`): a table a
 * later stage adds must be named there, and test/gdpr/erase-plan.test.ts fails until it is.
 *
 * The contact row stays as a tombstone: its uid (the audit trail and mailing tools name it), status
 * `erased` and the date, nothing else. Purchases stay for the totals, moved to one anonymous holder
 * record, so they are no longer linked to the person nor to their uid.
 *
 * Pure over the store: the caller owns the transaction around it (and secure_delete and the checkpoint
 * after it, see scrub-file.ts).
 */
import type { Db } from '../store/db.js';
import type { Uid } from '../store/types.js';
import { newUid } from '../store/uid.js';
import { refreshPurchaseTotals } from '../store/purchase-totals.js';
import { emailHash, phoneHash, sha256Hex } from '../export/digests.js';
import { nowIso, osUser } from '../export/keys.js';
import { personIds, inList } from './profile.js';
import { eraseCampaignData } from '../campaigns/erase.js';
import { cellMatcher, emptyIdentifiers, identifiersOf, masker, needlesOf, type Identifiers } from './identifiers.js';

export type Disposition =
  /** The contact row itself: kept as a tombstone (uid, status, dates), every other column emptied. */
  | 'tombstone'
  /** Rows about the person are deleted. */
  | 'delete'
  /** Rows stay (they belong to others too, or are counts) but the person's values in them are removed. */
  | 'scrub'
  /** Rows stay for the totals, moved to the anonymous holder. */
  | 'unlink'
  /** Never holds personal data: nothing to do (say why). */
  | 'none';

export interface TablePlan {
  how: Disposition;
  why: string;
}

/** Every table of the store and what erasure does to it. */
export const ERASURE_PLAN: Readonly<Record<string, TablePlan>> = {
  contacts: { how: 'tombstone', why: 'uid, status and erased_at kept; every other column emptied, the re-import key hashed' },
  consents: { how: 'delete', why: 'choices, sources and proofs of an erased person serve no purpose: the suppression hash is the opposition record' },
  purchases: { how: 'unlink', why: 'kept for sales totals, moved to the anonymous holder; their unmapped columns and generated order refs scrubbed' },
  scores: { how: 'delete', why: 'profiling of the person' },
  purchase_totals: { how: 'delete', why: 'the person\'s purchase totals (a cache of purchases): recomputed once the lines go to the anonymous holder, so their row goes' },
  purchase_mix: { how: 'delete', why: 'the person\'s categories and channels (a cache of purchases): its row goes with their totals row' },
  purchase_totals_stale: { how: 'delete', why: 'contacts whose purchase totals are to be recomputed: cleared by that recomputation' },
  clean_changes: { how: 'delete', why: 'old and new values of the person\'s fields' },
  clean_fixes: { how: 'delete', why: 'old and new values of the person\'s fields' },
  dedupe_keys: { how: 'delete', why: 'name, email, phone and address keys' },
  dedupe_decisions: { how: 'delete', why: 'review decisions naming the person' },
  merges: { how: 'scrub', why: 'snapshots of the survivor before and after emptied; the merge is marked erased and can no longer be undone' },
  merge_members: { how: 'scrub', why: 'snapshot, evidence and moved rows emptied' },
  rejects: { how: 'scrub', why: 'rows holding the person\'s email or phone: every cell and unread value emptied, the row number kept' },
  audit_log: { how: 'scrub', why: 'the person\'s addresses masked wherever a command line or details held them (entries never should)' },
  audit_targets: { how: 'none', why: 'names the tombstone\'s uid only: the record that the person was erased' },
  suppressions: { how: 'none', why: 'hashes only; erasure adds the person\'s' },
  exports: { how: 'scrub', why: 'a --where or a file name naming the person\'s address is masked' },
  imports: { how: 'scrub', why: 'a file name naming the person\'s address is masked; counts kept' },
  clean_runs: { how: 'scrub', why: 'options naming the person\'s address are masked; counts kept' },
  seeds: { how: 'none', why: 'trap addresses belong to the company, never to a contact' },
  export_seeds: { how: 'none', why: 'positions of trap addresses' },
  score_runs: { how: 'none', why: 'run parameters and counts' },
  affinity_rules: { how: 'none', why: 'category statistics' },
  dedupe_models: { how: 'none', why: 'match weights per comparison level' },
  dedupe_runs: { how: 'none', why: 'counts' },
  dedupe_blocking: { how: 'none', why: 'rule names and pair counts' },
  source_mappings: { how: 'none', why: 'column headers and fields' },
  validate_settings: { how: 'none', why: 'settings' },
  schema_migrations: { how: 'none', why: 'schema versions' },
  sqlite_stat1: { how: 'none', why: 'index sizes' },
  sqlite_stat4: { how: 'scrub', why: 'index samples: rebuilt by ANALYZE' },
  sqlite_sequence: { how: 'none', why: 'counters' },
  export_members: { how: 'scrub', why: 'the row stays for the campaign\'s size and rates, pointing at the tombstone; its address hash is emptied' },
  campaign_events: { how: 'scrub', why: 'one event of each kind per campaign stays for the rates, without its time' },
  postal_returns: { how: 'delete', why: 'the hash of the person\'s postal address and the return\'s date' },
  campaign_unmatched: { how: 'scrub', why: 'rows of results or returns files holding the person\'s address: every cell emptied' },
  campaign_imports: { how: 'scrub', why: 'a file name naming the person\'s address is masked; counts kept' },
  campaigns: { how: 'none', why: 'campaign names and the mailing tool\'s campaign ids' },
  campaign_settings: { how: 'none', why: 'settings' },
};

/** Columns of a table not in the plan that make it hold contact data: such a table is handled by default (rows deleted). */
export const CONTACT_LINK = /(^|_)contact(_id)?$|^(survivor|member|a|b)_id$|(^|_)uid$|email|phone|mobile|first_name|last_name/i;

export const HOLDER_SOURCE = '(erased)';
export const HOLDER_KEY = 'erased purchases';
/** SQL: the contacts row (alias-free) is the anonymous holder of erased people's purchases, not a person. */
export const IS_PURCHASE_HOLDER = `(source = '${HOLDER_SOURCE}' AND external_key = '${HOLDER_KEY}')`;

export interface EraseOptions {
  /** Why (recorded in the audit trail by the caller; kept here for the suppressions' source). */
  reason: string;
  /** 'gdpr erase' or 'gdpr purge': the suppressions' source. */
  source: string;
  defaultCountry: string;
  now?: string;
}

export interface EraseResult {
  /** The people erased: one uid each (the record others were merged into). */
  people: Uid[];
  /** Every record erased (merged records of the same person included). */
  records: Uid[];
  /** Rows changed per table. */
  tables: Record<string, number>;
  suppressionsAdded: number;
  /** Tables not in ERASURE_PLAN whose rows about the person were deleted by default. */
  unplanned: string[];
  /** Strings erasure looked for (the caller checks the file's bytes for them); never printed. */
  needles: string[];
  /**
   * Addresses the person shares with a contact that stays (a family email): not suppressed, not looked
   * for, since they are someone else's too. Their count only.
   */
  shared: number;
}

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

interface ColumnInfo {
  name: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
}

function tableNames(db: Db): string[] {
  return db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
}

function columnsOf(db: Db, table: string): ColumnInfo[] {
  return db.pragma(`table_info(${quote(table)})`) as ColumnInfo[];
}

/**
 * The records of each person named: a merged record stands for its survivor, and a survivor brings every
 * record merged into it, at any depth. The merge tree is read once (a purge names thousands of people).
 */
export function expandToPeople(db: Db, contactIds: readonly number[]): { roots: number[]; records: number[] } {
  const parentOf = new Map<number, number>();
  const children = new Map<number, number[]>();
  for (const [id, parent] of db.prepare("SELECT id, merged_into FROM contacts WHERE status = 'merged' AND merged_into IS NOT NULL").raw().iterate() as IterableIterator<[number, number]>) {
    parentOf.set(id, parent);
    const list = children.get(parent);
    if (list) list.push(id);
    else children.set(parent, [id]);
  }
  const roots = new Set<number>();
  for (const start of contactIds) {
    let id = start;
    for (let hops = 0; hops < 64 && parentOf.has(id); hops++) id = parentOf.get(id)!;
    roots.add(id);
  }
  const records = new Set<number>();
  const queue = [...roots];
  while (queue.length) {
    const id = queue.pop()!;
    if (records.has(id)) continue;
    records.add(id);
    for (const child of children.get(id) ?? []) queue.push(child);
  }
  return { roots: [...roots].sort((a, b) => a - b), records: [...records].sort((a, b) => a - b) };
}

/** The one record that holds purchases of erased people (created on first need). */
export function erasedHolder(db: Db, now: string): number {
  const found = db.prepare('SELECT id FROM contacts WHERE source = ? AND external_key = ?').pluck().get(HOLDER_SOURCE, HOLDER_KEY) as number | undefined;
  if (found !== undefined) return found;
  return Number(
    db.prepare(`INSERT INTO contacts (uid, source, external_key, imported_at, updated_at, status, erased_at) VALUES (?, ?, ?, ?, ?, 'erased', ?)`)
      .run(newUid(), HOLDER_SOURCE, HOLDER_KEY, now, now, now).lastInsertRowid,
  );
}

/** The re-import key an erased contact keeps: a hash, so the row a file still holds is recognised but not readable. */
export function erasedKey(externalKey: string): string {
  return `erased:${sha256Hex(externalKey)}`;
}

function addSuppressions(db: Db, ids: Identifiers, source: string): number {
  const insert = db.prepare(
    `INSERT INTO suppressions (hash, key_type, kind, source, created_at, os_user) VALUES (?, ?, 'erased', ?, ?, ?) ON CONFLICT (hash, kind) DO NOTHING`,
  );
  let added = 0;
  const at = nowIso();
  const user = osUser();
  for (const email of ids.emails) added += insert.run(emailHash(email), 'email', source, at, user).changes;
  for (const phone of ids.phones) added += insert.run(phoneHash(phone), 'phone', source, at, user).changes;
  return added;
}

/** Empties the contact rows, keeping uid, source, status, erased_at and a hashed re-import key. */
function tombstone(db: Db, records: readonly number[], now: string): number {
  const keep = new Set(['id', 'uid', 'source', 'status', 'imported_at', 'updated_at', 'erased_at', 'external_key']);
  const sets = columnsOf(db, 'contacts')
    .filter((c) => !keep.has(c.name) && !(c.notnull && c.dflt_value === null))
    .map((c) => `${quote(c.name)} = ${c.notnull ? c.dflt_value : 'NULL'}`);
  const update = db.prepare(`UPDATE contacts SET ${sets.join(', ')}, status = 'erased', erased_at = @now, updated_at = @now,
    external_key = @key WHERE id = @id`);
  const keyOf = db.prepare('SELECT external_key FROM contacts WHERE id = ?').pluck();
  let changed = 0;
  for (const id of records) {
    const key = keyOf.get(id) as string;
    changed += update.run({ id, now, key: key.startsWith('erased:') ? key : erasedKey(key) }).changes;
  }
  return changed;
}

/** Purchases to the anonymous holder; what they held about the person (unmapped columns, generated refs) removed. */
function unlinkPurchases(db: Db, within: string, holder: number): number {
  return db.prepare(
    `UPDATE purchases SET contact_id = ?, attributes = '{}',
       order_ref = CASE WHEN order_ref LIKE 'auto:%' THEN 'auto:erased:' || substr(ck_erase_sha(order_ref), 1, 24) ELSE order_ref END
     WHERE contact_id IN (${within})`,
  ).run(holder).changes;
}

function scrubMerges(db: Db, within: string, now: string): { merges: number; members: number } {
  const mergeIds = db.prepare(
    `SELECT id FROM merges WHERE survivor_id IN (${within}) UNION SELECT merge_id FROM merge_members WHERE contact_id IN (${within})`,
  ).pluck().all() as number[];
  if (mergeIds.length === 0) return { merges: 0, members: 0 };
  const list = inList(mergeIds);
  const merges = db.prepare(
    `UPDATE merges SET survivor_before = '{}', survivor_after = '{}', added_consents = '[]', erased_at = coalesce(erased_at, ?) WHERE id IN (${list})`,
  ).run(now).changes;
  const members = db.prepare(
    `UPDATE merge_members SET snapshot = '{}', evidence = '{}', moved = '{}', removed = '{}' WHERE merge_id IN (${list})`,
  ).run().changes;
  return { merges, members };
}

/** Rejected (and flagged) rows holding one of the person's addresses: every cell emptied, row number and columns kept. */
export function scrubRejects(db: Db, ids: Identifiers): number {
  const holds = cellMatcher(ids);
  const matched: Array<{ id: number; raw: string; reasons: string }> = [];
  for (const row of db.prepare('SELECT id, raw, reasons FROM rejects').iterate() as IterableIterator<{ id: number; raw: string; reasons: string }>) {
    let cells: unknown;
    try {
      cells = JSON.parse(row.raw);
    } catch {
      cells = [row.raw];
    }
    if (Array.isArray(cells) ? cells.some(holds) : holds(row.raw)) matched.push(row);
  }
  const update = db.prepare('UPDATE rejects SET raw = ?, reasons = ? WHERE id = ?');
  for (const row of matched) {
    const cells = (() => { try { return JSON.parse(row.raw) as unknown[]; } catch { return [row.raw]; } })();
    const reasons = (() => { try { return JSON.parse(row.reasons) as Array<{ column?: unknown }>; } catch { return []; } })();
    update.run(
      JSON.stringify(Array.isArray(cells) ? cells.map(() => '') : ['']),
      JSON.stringify(Array.isArray(reasons) ? reasons.map((r) => ({ column: r?.column ?? null, message: 'erased (GDPR): the row held a person\'s data' })) : []),
      row.id,
    );
  }
  return matched.length;
}

/** Free-text columns where an address could have been typed (a --where, a file name): masked. */
const FREE_TEXT: Array<[string, string[]]> = [
  ['audit_log', ['command', 'details']],
  ['exports', ['selection', 'options', 'destination', 'files']],
  ['imports', ['file_name']],
  ['clean_runs', ['options']],
  ['campaign_imports', ['file_name']],
];

function maskFreeText(db: Db, ids: Identifiers): number {
  const tables = new Set(tableNames(db));
  const mask = masker(ids);
  let changed = 0;
  for (const [table, columns] of FREE_TEXT) {
    if (!tables.has(table)) continue;
    const present = new Set(columnsOf(db, table).map((c) => c.name));
    for (const column of columns.filter((c) => present.has(c))) {
      const rows = db.prepare(`SELECT rowid AS id, ${quote(column)} AS text FROM ${quote(table)} WHERE ${quote(column)} IS NOT NULL`).all() as Array<{ id: number; text: string }>;
      const update = db.prepare(`UPDATE ${quote(table)} SET ${quote(column)} = ? WHERE rowid = ?`);
      for (const row of rows) {
        const text = mask(String(row.text));
        if (text !== row.text) changed += update.run(text, row.id).changes;
      }
    }
  }
  return changed;
}

/** Tables not in the plan that link rows to contacts: erasure deletes their rows about the person. */
export function unplannedTables(db: Db): Array<{ table: string; columns: string[] }> {
  const found: Array<{ table: string; columns: string[] }> = [];
  for (const table of tableNames(db)) {
    if (table in ERASURE_PLAN) continue;
    const keys = (db.prepare('SELECT "from", "table" FROM pragma_foreign_key_list(?)').all(table) as Array<{ from: string; table: string }>)
      .filter((k) => k.table === 'contacts').map((k) => k.from);
    const named = columnsOf(db, table).map((c) => c.name).filter((c) => /(^|_)contact_id$/.test(c));
    const columns = [...new Set([...keys, ...named])];
    found.push({ table, columns });
  }
  return found;
}

function registerFunctions(db: Db): void {
  db.function('ck_erase_sha', { deterministic: true }, (value: unknown) => (typeof value === 'string' ? sha256Hex(value) : null));
}

/**
 * The person's addresses less those a contact that stays (not erased, not in `within`) also holds: one
 * pass over the contacts, whatever the number of people erased.
 */
function withoutShared(db: Db, ids: Identifiers, within: string): { ids: Identifiers; shared: number } {
  const wanted = new Set<string>([...ids.emails, ...ids.phones, ...ids.rawPhones]);
  const held = new Set<string>();
  const rows = db.prepare(`SELECT email_norm, phone_e164, mobile_e164, sms_e164, phone, mobile FROM contacts
    WHERE status <> 'erased' AND id NOT IN (${within})`).raw().iterate() as IterableIterator<unknown[]>;
  for (const row of rows) for (const value of row) if (typeof value === 'string' && wanted.has(value)) held.add(value);
  const keep = <T extends string>(values: Set<T>): Set<T> => new Set([...values].filter((v) => !held.has(v)));
  return { ids: { emails: keep(ids.emails), phones: keep(ids.phones), rawPhones: keep(ids.rawPhones) }, shared: held.size };
}

/** Erases the people these contact ids designate; returns what it did. Run it inside a transaction. */
export function eraseContacts(db: Db, contactIds: readonly number[], options: EraseOptions): EraseResult {
  const now = options.now ?? new Date().toISOString();
  registerFunctions(db);
  const { roots, records } = expandToPeople(db, contactIds);
  // The holder of erased people's purchases is nobody: it is never erased itself.
  const holder = db.prepare('SELECT id FROM contacts WHERE source = ? AND external_key = ?').pluck().get(HOLDER_SOURCE, HOLDER_KEY) as number | undefined;
  const live = records.filter((id) => id !== holder);
  const uidOf = db.prepare('SELECT uid FROM contacts WHERE id = ?').pluck();
  const people = roots.map((id) => uidOf.get(id) as Uid).filter(Boolean);
  const recordUids = live.map((id) => uidOf.get(id) as Uid);
  const tables: Record<string, number> = {};
  const count = (table: string, n: number): void => {
    if (n > 0) tables[table] = (tables[table] ?? 0) + n;
  };
  if (live.length === 0) return { people, records: recordUids, tables, suppressionsAdded: 0, unplanned: [], needles: [], shared: 0 };

  const within = inList(live);
  const { ids, shared } = withoutShared(db, identifiersOf(db, live, options.defaultCountry), within);
  const existing = new Set(tableNames(db));
  const suppressionsAdded = addSuppressions(db, ids, options.source);

  if (db.prepare(`SELECT 1 FROM purchases WHERE contact_id IN (${within}) LIMIT 1`).get()) {
    count('purchases', unlinkPurchases(db, within, erasedHolder(db, now)));
  }
  // The purchase rollup follows the lines now: the person's totals go, the holder's take them.
  const totalsBefore = existing.has('purchase_totals') ? (db.prepare(`SELECT count(*) FROM purchase_totals WHERE contact_id IN (${within})`).pluck().get() as number) : 0;
  const mixBefore = existing.has('purchase_mix') ? (db.prepare(`SELECT count(*) FROM purchase_mix WHERE contact_id IN (${within})`).pluck().get() as number) : 0;
  if (existing.has('purchase_totals')) {
    refreshPurchaseTotals(db); // also drops the purchase_mix rows of every contact it recomputes
    count('purchase_totals', totalsBefore);
    count('purchase_mix', mixBefore);
  }
  for (const table of ['consents', 'scores', 'clean_changes', 'clean_fixes', 'dedupe_keys']) {
    if (existing.has(table)) count(table, db.prepare(`DELETE FROM ${table} WHERE contact_id IN (${within})`).run().changes);
  }
  if (existing.has('dedupe_decisions')) {
    count('dedupe_decisions', db.prepare(`DELETE FROM dedupe_decisions WHERE a_id IN (${within}) OR b_id IN (${within})`).run().changes);
  }
  if (existing.has('merges')) {
    const scrubbed = scrubMerges(db, within, now);
    count('merges', scrubbed.merges);
    count('merge_members', scrubbed.members);
  }
  const unplanned: string[] = [];
  for (const { table, columns } of unplannedTables(db)) {
    if (columns.length === 0) continue;
    unplanned.push(table);
    count(table, db.prepare(`DELETE FROM ${quote(table)} WHERE ${columns.map((c) => `${quote(c)} IN (${within})`).join(' OR ')}`).run().changes);
  }
  count('rejects', scrubRejects(db, ids));
  for (const [table, n] of Object.entries(eraseCampaignData(db, within, ids))) count(table, n);
  const needles = needlesOf(ids);
  count('free text', maskFreeText(db, ids));
  // Merged records point at their survivor: the pointers go first, then every record is emptied.
  count('contacts', tombstone(db, live, now));
  // ANALYZE's index samples may hold the erased values; rebuilding them reads only what is left.
  if (existing.has('sqlite_stat4')) db.exec('ANALYZE');
  return { people, records: recordUids, tables, suppressionsAdded, unplanned, needles, shared };
}

/**
 * For a person the store holds no contact for (a rejected row, an address typed in a --where): their
 * addresses suppressed and masked wherever they were found.
 */
export function eraseAddresses(db: Db, values: { emails?: string[]; phones?: string[] }, options: EraseOptions): EraseResult {
  const ids = emptyIdentifiers();
  for (const e of values.emails ?? []) ids.emails.add(e.trim().toLowerCase());
  for (const p of values.phones ?? []) ids.phones.add(p);
  const tables: Record<string, number> = {};
  const rejects = scrubRejects(db, ids);
  if (rejects) tables.rejects = rejects;
  const needles = needlesOf(ids);
  const masked = maskFreeText(db, ids);
  if (masked) tables['free text'] = masked;
  return { people: [], records: [], tables, suppressionsAdded: addSuppressions(db, ids, options.source), unplanned: [], needles, shared: 0 };
}

/**
 * Contacts that are not erased but whose email or phone is an `erased` suppression: a store restored
 * from an older backup, or merged from another, holds people erased since. Their ids, for eraseContacts.
 */
export function contactsUnderErasure(db: Db): number[] {
  if (!db.prepare("SELECT 1 FROM suppressions WHERE kind = 'erased' LIMIT 1").get()) return [];
  registerFunctions(db);
  return db.prepare(
    `SELECT c.id FROM contacts c WHERE c.status <> 'erased' AND EXISTS (
       SELECT 1 FROM suppressions s WHERE s.kind = 'erased' AND s.hash IN (
         ck_erase_sha(c.email_norm), ck_erase_sha(c.phone_e164), ck_erase_sha(c.mobile_e164), ck_erase_sha(c.sms_e164)))
     ORDER BY c.id`,
  ).pluck().all() as number[];
}
