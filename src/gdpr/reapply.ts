/**
 * Erasures carried from one store to another copy of it: a restored backup, or a backup pruned after
 * `gdpr erase --prune-backups`. What is carried is the record of each erasure that the store keeps
 * (DESIGN.md: "an erased person never comes back"): the `erased` suppression hashes, and the uids of the
 * erased contacts (a person whose address was shared with someone who stays has no hash, but has a uid).
 */
import type { Db } from '../store/db.js';
import { sha256Hex } from '../export/digests.js';
import { defaultCountryOf } from '../validate/ensure.js';
import { contactsUnderErasure, eraseContacts } from './erase.js';

export interface Erasures {
  hashes: Array<Record<string, unknown>>;
  uids: string[];
}

function tableExists(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** Every erasure a store records. */
export function readErasures(db: Db): Erasures {
  return {
    hashes: tableExists(db, 'suppressions') ? (db.prepare("SELECT hash, key_type, kind, source, created_at, os_user FROM suppressions WHERE kind = 'erased'").all() as Array<Record<string, unknown>>) : [],
    uids: tableExists(db, 'contacts') ? (db.prepare("SELECT uid FROM contacts WHERE status = 'erased'").pluck().all() as string[]) : [],
  };
}

/**
 * Adds the erasures to `db` (a migrated custkit store) and erases again everyone they name who is still
 * there; returns how many contact records. Run inside a transaction with secure_delete on.
 */
export function applyErasures(db: Db, erasures: Erasures, source: string): number {
  const add = db.prepare('INSERT OR IGNORE INTO suppressions (hash, key_type, kind, source, created_at, os_user) VALUES (@hash, @key_type, @kind, @source, @created_at, @os_user)');
  for (const row of erasures.hashes) add.run(row);
  const byUid = db.prepare("SELECT id FROM contacts WHERE uid = ? AND status <> 'erased'").pluck();
  const ids = new Set(contactsUnderErasure(db));
  for (const uid of erasures.uids) {
    const id = byUid.get(uid) as number | undefined;
    if (id !== undefined) ids.add(id);
  }
  if (ids.size === 0) return 0;
  const result = eraseContacts(db, [...ids], { reason: source, source, defaultCountry: defaultCountryOf(db) });
  return result.records.length;
}

/** SHA-256 keys of the emails and E.164 phones among erasure's needles (the person's addresses). */
export function addressHashes(needles: readonly string[]): string[] {
  const hashes = new Set<string>();
  for (const n of needles) {
    if (n.includes('@')) hashes.add(sha256Hex(n.trim().toLowerCase()));
    else if (/^\+\d{6,}$/.test(n)) hashes.add(sha256Hex(n));
  }
  return [...hashes];
}

/** How many records of a store (a backup) not erased are the person's: by uid, or by email or phone hash. */
export function recordsOfPerson(db: Db, uids: readonly string[], hashes: readonly string[]): number {
  if (uids.length === 0 && hashes.length === 0) return 0;
  db.function('ck_person_sha', { deterministic: true }, (value: unknown) => (typeof value === 'string' ? sha256Hex(value) : null));
  const uidList = uids.map(() => '?').join(',') || 'NULL';
  const hashList = hashes.map(() => '?').join(',') || 'NULL';
  const columns = new Set((db.pragma('table_info(contacts)') as Array<{ name: string }>).map((c) => c.name));
  const keyed = ['email_norm', 'phone_e164', 'mobile_e164', 'sms_e164'].filter((c) => columns.has(c)).map((c) => `ck_person_sha(${c}) IN (${hashList})`);
  const sql = `SELECT count(*) FROM contacts WHERE status <> 'erased' AND (uid IN (${uidList})${keyed.length ? ` OR ${keyed.join(' OR ')}` : ''})`;
  return db.prepare(sql).pluck().get(...uids, ...keyed.flatMap(() => hashes)) as number;
}
