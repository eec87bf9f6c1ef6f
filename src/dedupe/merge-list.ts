/**
 * The merges made, newest first, for `custkit merges`: who survived, who was merged into it, with what
 * probability, and whether a rule (dedupe --apply at a threshold) or a person (a reviewed file) decided.
 */
import type { Db } from '../store/db.js';

export interface MergeListing {
  mergeId: number;
  createdAt: string;
  survivorUid: string;
  members: Array<{ uid: string; probability: number | null }>;
  /** "rule" (dedupe --apply, p >= threshold) or "review" (dedupe --apply --decisions). */
  decidedBy: 'rule' | 'review';
  threshold: number | null;
  undoneAt: string | null;
}

export interface MergeFilter {
  /** Merges made at or after this ISO date or timestamp. */
  since?: string;
  /** Merges whose survivor or one of whose members has this uid. */
  uid?: string;
  /** Undone merges too (default: only those in force). */
  includeUndone?: boolean;
}

export function listMerges(db: Db, filter: MergeFilter = {}): MergeListing[] {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.since) {
    where.push('m.created_at >= ?');
    params.push(filter.since);
  }
  if (!filter.includeUndone) where.push('m.undone_at IS NULL');
  if (filter.uid) {
    where.push(`(s.uid = ? OR m.id IN (SELECT mm.merge_id FROM merge_members mm JOIN contacts c ON c.id = mm.contact_id WHERE c.uid = ?))`);
    params.push(filter.uid, filter.uid);
  }
  const merges = db.prepare(`SELECT m.id, m.created_at, s.uid, r.mode, r.threshold, m.undone_at
    FROM merges m JOIN contacts s ON s.id = m.survivor_id JOIN dedupe_runs r ON r.id = m.run_id
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY m.id DESC`).raw().all(...params) as Array<[number, string, string, string, number | null, string | null]>;
  const members = db.prepare(`SELECT c.uid, mm.probability FROM merge_members mm JOIN contacts c ON c.id = mm.contact_id
    WHERE mm.merge_id = ? ORDER BY c.id`).raw();
  return merges.map(([mergeId, createdAt, survivorUid, mode, threshold, undoneAt]) => ({
    mergeId, createdAt, survivorUid, threshold, undoneAt,
    decidedBy: mode === 'decisions' ? 'review' : 'rule',
    members: (members.all(mergeId) as Array<[string, number | null]>).map(([uid, probability]) => ({ uid, probability })),
  }));
}
