/**
 * The people an export listed, kept as its campaign's members (export_members, src/campaigns/schema.ts):
 * the contact ids of the rows written are gathered as the rows leave (a typed array, no statement per
 * row), then recorded in the export's transaction by one INSERT ... SELECT per chunk, which reads the
 * address written (hashed), the segment and the RFM cell from the store in SQL.
 */
import type { Db } from '../store/db.js';
import type { SelectionPlan } from './select.js';

/** Contact ids in the order written, in a growing typed array (a million ids is 4 MB, not 8 + boxing). */
export class MemberIds {
  private ids = new Uint32Array(1 << 12);
  private length = 0;

  add(ids: ArrayLike<number>): void {
    this.reserve(ids.length);
    this.ids.set(ids, this.length);
    this.length += ids.length;
  }

  push(id: number): void {
    this.reserve(1);
    this.ids[this.length++] = id;
  }

  private reserve(more: number): void {
    if (this.length + more <= this.ids.length) return;
    let size = this.ids.length * 2;
    while (size < this.length + more) size *= 2;
    const grown = new Uint32Array(size);
    grown.set(this.ids.subarray(0, this.length));
    this.ids = grown;
  }

  get size(): number {
    return this.length;
  }

  /** The ids in ascending order: the members table and its contact index are then written in key order. */
  sorted(): Uint32Array {
    return this.ids.slice(0, this.length).sort();
  }
}

/** Ids per INSERT: one JSON array of ~1 MB, parsed by SQLite's json_each. */
const CHUNK = 100_000;

/**
 * Records the members of export `exportId`; call it inside the export's transaction. Returns how many.
 * The segment and RFM cell are those of the score run the export read (null without one).
 */
export function recordMembers(db: Db, exportId: number, plan: SelectionPlan, members: MemberIds): number {
  const scores = plan.runId !== null;
  const insert = db.prepare(
    `INSERT OR IGNORE INTO export_members (export_id, contact_id, address_hash, segment, rfm_cell)
     SELECT ?, c.id, ${plan.rule.memberHash}, ${scores ? "s.segment, CASE WHEN s.r_score IS NOT NULL THEN 'R' || s.r_score || 'F' || s.f_score || 'M' || s.m_score END" : 'NULL, NULL'}
     FROM json_each(?) j CROSS JOIN contacts c ON c.id = j.value
     ${scores ? 'LEFT JOIN scores s ON s.run_id = ? AND s.contact_id = c.id' : ''}`,
  );
  const ids = members.sorted();
  let recorded = 0;
  for (let start = 0; start < ids.length; start += CHUNK) {
    const chunk = JSON.stringify(Array.from(ids.subarray(start, start + CHUNK)));
    recorded += insert.run(...(scores ? [exportId, chunk, plan.runId] : [exportId, chunk])).changes;
  }
  return recorded;
}
