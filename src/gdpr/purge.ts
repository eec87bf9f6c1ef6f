/**
 * Retention (CNIL guidance for prospecting files): data is kept for a period, then erased.
 * - prospects (no purchase): 3 years after collection or their last action — a click, a consent they
 *   gave themselves — whichever is later. An email open is not an action (it is not recorded as one).
 * - customers: 3 years after their last purchase (the end of the commercial relationship).
 * - rejected rows: after their own, shorter period (90 days), counted from their import.
 * Purging a person is erasing them (erase.ts): their suppression hashes stay, as the opposition record.
 * Trap (seed) addresses are never purged, even when imported as contacts.
 */
import type { Db } from '../store/db.js';
import type { Uid } from '../store/types.js';
import { cutoffDate } from '../validate/duration.js';
import { HOLDER_KEY, HOLDER_SOURCE } from './erase.js';

export interface PurgeRules {
  prospects: string;
  customers: string;
  rejects: string;
  /** The day the periods are counted back from, 'yyyy-mm-dd' (today by default). */
  asOf: string;
}

export const CNIL_DEFAULTS = { prospects: '3y', customers: '3y', rejects: '90d' } as const;

export interface PurgeCandidate {
  id: number;
  uid: Uid;
  /** The day the person's clock ran from: collection, last action or last purchase. */
  since: string;
}

export interface PurgePlan {
  asOf: string;
  cutoffs: { prospects: string; customers: string; rejects: string };
  prospects: PurgeCandidate[];
  customers: PurgeCandidate[];
  /** Rejected and flagged rows older than their period, and the imports they come from. */
  rejects: { rows: number; imports: number[] };
  /** Contacts whose address is a trap (seed) address: never purged. */
  seedsKept: number;
}

/** A text that starts like an ISO date, as 'yyyy-mm-dd'; else null (a created_at left as the file wrote it). */
const DAY = (column: string): string => `CASE WHEN ${column} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' THEN substr(${column}, 1, 10) END`;

/**
 * The person's last day of contact per kind, one row per contact that is part of the file (not merged,
 * not erased, not the holder of erased people's purchases). Merged records count for their survivor.
 */
function clockSql(): string {
  return `
    WITH person AS (
      SELECT c.id, c.uid, c.email_norm,
             coalesce(${DAY('c.created_at')}, ${DAY('c.imported_at')}) AS collected,
             ${DAY('c.last_activity_at')} AS acted
      FROM contacts c
      WHERE c.status IN ('active', 'inactive') AND NOT (c.source = '${HOLDER_SOURCE}' AND c.external_key = '${HOLDER_KEY}')
    ),
    bought AS (
      SELECT contact_id, max(substr(ordered_at, 1, 10)) AS last_purchase FROM purchases GROUP BY contact_id
    ),
    chose AS (
      -- A consent the person gave themselves (gdpr consent, not a file's column) is their action too.
      SELECT contact_id, max(substr(recorded_at, 1, 10)) AS consented FROM consents
      WHERE status = 'granted' AND import_id IS NULL GROUP BY contact_id
    ),
    merged AS (
      -- Records merged into a person: their own activity is the person's.
      SELECT merged_into AS id, max(${DAY('last_activity_at')}) AS acted FROM contacts WHERE status = 'merged' GROUP BY merged_into
    )
    SELECT p.id, p.uid, p.email_norm, b.last_purchase,
           max(coalesce(p.collected, ''), coalesce(p.acted, ''), coalesce(m.acted, ''), coalesce(ch.consented, '')) AS last_action
    FROM person p
    LEFT JOIN bought b ON b.contact_id = p.id
    LEFT JOIN chose ch ON ch.contact_id = p.id
    LEFT JOIN merged m ON m.id = p.id`;
}

interface ClockRow {
  id: number;
  uid: Uid;
  email_norm: string | null;
  last_purchase: string | null;
  last_action: string;
}

/** What a purge with these rules would erase and delete: reads only. */
export function planPurge(db: Db, rules: PurgeRules): PurgePlan {
  const cutoffs = {
    prospects: cutoffDate(rules.prospects, rules.asOf),
    customers: cutoffDate(rules.customers, rules.asOf),
    rejects: cutoffDate(rules.rejects, rules.asOf),
  };
  const seeds = new Set(db.prepare('SELECT email FROM seeds').pluck().all() as string[]);
  const prospects: PurgeCandidate[] = [];
  const customers: PurgeCandidate[] = [];
  let seedsKept = 0;
  for (const row of db.prepare(clockSql()).all() as ClockRow[]) {
    const expired = row.last_purchase !== null ? row.last_purchase < cutoffs.customers : row.last_action !== '' && row.last_action < cutoffs.prospects;
    if (!expired) continue;
    if (row.email_norm !== null && seeds.has(row.email_norm)) {
      seedsKept++;
      continue;
    }
    const candidate = { id: row.id, uid: row.uid, since: row.last_purchase ?? row.last_action };
    (row.last_purchase !== null ? customers : prospects).push(candidate);
  }
  const imports = db.prepare(
    `SELECT DISTINCT r.import_id FROM rejects r JOIN imports i ON i.id = r.import_id WHERE substr(i.started_at, 1, 10) < ? ORDER BY 1`,
  ).pluck().all(cutoffs.rejects) as number[];
  const rows = db.prepare(
    `SELECT count(*) FROM rejects WHERE import_id IN (SELECT id FROM imports WHERE substr(started_at, 1, 10) < ?)`,
  ).pluck().get(cutoffs.rejects) as number;
  return { asOf: rules.asOf, cutoffs, prospects, customers, rejects: { rows, imports }, seedsKept };
}

/** Deletes the rejected rows the plan names (the erasure of the people is eraseContacts'). */
export function deleteExpiredRejects(db: Db, plan: PurgePlan): number {
  return db.prepare(`DELETE FROM rejects WHERE import_id IN (SELECT id FROM imports WHERE substr(started_at, 1, 10) < ?)`).run(plan.cutoffs.rejects).changes;
}

export function planIsEmpty(plan: PurgePlan): boolean {
  return plan.prospects.length === 0 && plan.customers.length === 0 && plan.rejects.rows === 0;
}
