/**
 * Erasures re-applied to a store that may hold people erased since it was made (a restored backup).
 * A contact is under erasure when its normalised email or one of its phones is an `erased` suppression hash.
 */
import type { Db } from '../store/db.js';
import { StoreError } from '../store/errors.js';
import { sha256Hex } from '../export/digests.js';

/** The contacts not yet erased whose email or phone an `erased` hash names. */
export function contactsToReErase(db: Db): number[] {
  if (!db.prepare("SELECT 1 FROM suppressions WHERE kind = 'erased' LIMIT 1").get()) return [];
  db.function('ck_restore_sha', { deterministic: true }, (value: unknown) => (typeof value === 'string' ? sha256Hex(value) : null));
  return db.prepare(
    `SELECT c.id FROM contacts c WHERE c.status <> 'erased' AND EXISTS (
       SELECT 1 FROM suppressions s WHERE s.kind = 'erased' AND s.hash IN (
         ck_restore_sha(c.email_norm), ck_restore_sha(c.phone_e164), ck_restore_sha(c.mobile_e164), ck_restore_sha(c.sms_e164)))
     ORDER BY c.id`,
  ).pluck().all() as number[];
}

/**
 * Erases again everyone an erasure names; returns how many contacts. Without the erase core in this build
 * a restore that would bring someone back is refused (nothing changed) rather than completed.
 */
export function reapplyErasures(db: Db): number {
  const ids = contactsToReErase(db);
  if (ids.length === 0) return 0;
  throw new StoreError(`the backup holds ${ids.length} contact${ids.length > 1 ? 's' : ''} erased since it was taken, and this build cannot erase them again; nothing was changed`);
}
