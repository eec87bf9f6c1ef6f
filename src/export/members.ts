/**
 * The people an export listed, kept as its campaign's members (export_members, src/campaigns/schema.ts).
 * As rows leave, their contact ids and address hashes are gathered in typed memory (no statement per
 * row); the hash is the one the channel rules computed for the suppression check, on the thread that
 * read the row. In the export's transaction, one INSERT ... SELECT per chunk records them: the ids come
 * as a JSON array (json_each), the hashes as one blob cut at fixed offsets.
 *
 * Segment and RFM cell are not copied: the export records the score run it read (exports.selection.run)
 * and score runs are kept, so the member's scores row in that run is its segment and cell at the time.
 */
import type { Db } from '../store/db.js';
import type { SelectionPlan } from './select.js';

/** Characters of a SHA-256 hex digest. */
export const HASH_WIDTH = 64;

export class MemberIds {
  private ids = new Uint32Array(1 << 12);
  private hashes = Buffer.alloc((1 << 12) * HASH_WIDTH);
  private length = 0;
  /** Post: hashes are computed in SQL from the address (the statement applies every rule). */
  private withoutHashes = false;

  /** A range of rows from a worker: ids and their hashes (HASH_WIDTH bytes each). */
  add(ids: ArrayLike<number>, hashes: Uint8Array): void {
    this.reserve(ids.length);
    this.ids.set(ids, this.length);
    this.hashes.set(hashes, this.length * HASH_WIDTH);
    this.length += ids.length;
  }

  push(id: number, hash: string | null): void {
    this.reserve(1);
    if (hash === null) this.withoutHashes = true;
    else this.hashes.write(hash, this.length * HASH_WIDTH, HASH_WIDTH, 'latin1');
    this.ids[this.length++] = id;
  }

  private reserve(more: number): void {
    if (this.length + more <= this.ids.length) return;
    let size = this.ids.length * 2;
    while (size < this.length + more) size *= 2;
    const ids = new Uint32Array(size);
    ids.set(this.ids.subarray(0, this.length));
    const hashes = Buffer.alloc(size * HASH_WIDTH);
    this.hashes.copy(hashes, 0, 0, this.length * HASH_WIDTH);
    this.ids = ids;
    this.hashes = hashes;
  }

  get size(): number {
    return this.length;
  }

  /** Chunks of ids (as JSON) with their hashes (as one blob, or null when SQL computes them). */
  *chunks(size: number): Generator<{ ids: string; hashes: Buffer | null }> {
    for (let start = 0; start < this.length; start += size) {
      const end = Math.min(this.length, start + size);
      yield {
        ids: JSON.stringify(Array.from(this.ids.subarray(start, end))),
        hashes: this.withoutHashes ? null : this.hashes.subarray(start * HASH_WIDTH, end * HASH_WIDTH),
      };
    }
  }
}

/** Ids per INSERT: a JSON array of ~1 MB, parsed by SQLite's json_each. */
const CHUNK = 100_000;

/** Records the members of export `exportId`; call it inside the export's transaction. Returns how many. */
export function recordMembers(db: Db, exportId: number, plan: SelectionPlan, members: MemberIds): number {
  // substr() on a blob cuts by bytes, at a fixed cost; on text it would count characters from the start.
  const fromBlob = db.prepare(
    `INSERT OR IGNORE INTO export_members (export_id, contact_id, address_hash)
     SELECT ?, j.value, CAST(substr(?, j.key * ${HASH_WIDTH} + 1, ${HASH_WIDTH}) AS TEXT) FROM json_each(?) j`,
  );
  const fromSql = db.prepare(
    `INSERT OR IGNORE INTO export_members (export_id, contact_id, address_hash)
     SELECT ?, c.id, ${plan.rule.memberHash} FROM json_each(?) j CROSS JOIN contacts c ON c.id = j.value`,
  );
  let recorded = 0;
  for (const chunk of members.chunks(CHUNK)) {
    recorded += (chunk.hashes ? fromBlob.run(exportId, chunk.hashes, chunk.ids) : fromSql.run(exportId, chunk.ids)).changes;
  }
  return recorded;
}
