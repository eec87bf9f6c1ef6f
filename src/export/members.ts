/**
 * The people an export listed, kept as its campaign's members (export_members, src/campaigns/schema.ts):
 * contact, the SHA-256 of the address written, and the segment and RFM cell the export's score run gave
 * them. As rows leave, these are gathered in typed memory (no statement per row): the hash is the one the
 * channel rules computed for the suppression check, on the thread that read the row; segment and cell
 * come with the row (select.ts, MEMBER_COLUMNS) as one code into a small table of the pairs met. In the
 * export's transaction, one INSERT ... SELECT per chunk records them: ids and codes come as a JSON
 * array of numbers (json_each), the hashes as one blob cut at fixed offsets.
 */
import type { Db, Statement } from '../store/db.js';
import type { SelectionPlan } from './select.js';

/** Bytes of a SHA-256. */
export const HASH_BYTES = 32;
/** A member's id and the code of its segment and cell travel as one number: id * CODES + code. */
const CODES = 2 ** 21;

/** A member's segment and RFM cell in the export's score run (null: not scored, or no run). */
export type Cell = readonly [segment: string | null, rfmCell: string | null];

/**
 * The pair a row's MEMBER_CELL value (select.ts) names: segment, U+001F, cell, U+0001 for a missing one
 * (null: no score run). Cut at the last U+001F: a cell never holds one.
 */
export function memberCell(value: string | null): Cell {
  if (value === null) return [null, null];
  const cut = value.lastIndexOf('\u001f');
  const part = (text: string): string | null => (text === '\u0001' ? null : text);
  return cut < 0 ? [part(value), null] : [part(value.slice(0, cut)), part(value.slice(cut + 1))];
}

/** The (segment, cell) pairs met, each with a code; the pairs of a range read by a worker are remapped to these. */
class CellCodes {
  readonly pairs: Cell[] = [];
  private readonly codes = new Map<string, number>();

  code(segment: string | null, cell: string | null): number {
    // U+0001 stands for a missing value, U+001F parts the two (as MEMBER_CELL writes them).
    return this.codeOf(`${segment === null ? '\u0001' : segment}\u001f${cell === null ? '\u0001' : cell}`, () => [segment, cell]);
  }

  /** The code of a MEMBER_CELL value (null: no score run). */
  codeOfValue(value: string | null): number {
    return this.codeOf(value ?? '\u0001\u001f\u0001', () => memberCell(value));
  }

  private codeOf(key: string, pair: () => Cell): number {
    let code = this.codes.get(key);
    if (code === undefined) {
      code = this.pairs.length;
      if (code >= CODES) throw new Error(`export members: more than ${CODES} distinct segment and RFM cell pairs`);
      this.pairs.push(pair());
      this.codes.set(key, code);
    }
    return code;
  }
}

export class MemberIds {
  private ids = new Uint32Array(1 << 12);
  private codes = new Uint32Array(1 << 12);
  private hashes = Buffer.alloc((1 << 12) * HASH_BYTES);
  private length = 0;
  /** Post: hashes are computed in SQL from the address (the statement applies every rule). */
  private withoutHashes = false;
  private readonly cells = new CellCodes();

  /** A range of rows from a worker: ids, their hashes (HASH_BYTES each), and codes into the range's own `cells`. */
  add(ids: ArrayLike<number>, hashes: Uint8Array, codes: ArrayLike<number>, cells: Cell[]): void {
    this.reserve(ids.length);
    this.ids.set(ids, this.length);
    this.hashes.set(hashes.subarray(0, ids.length * HASH_BYTES), this.length * HASH_BYTES);
    const mine = cells.map(([segment, cell]) => this.cells.code(segment, cell));
    for (let i = 0; i < ids.length; i++) this.codes[this.length + i] = mine[codes[i]!]!;
    this.length += ids.length;
  }

  /** One row (one thread): `hash` in hex, or null when SQL computes it (post); `cell` the row's MEMBER_CELL value. */
  push(id: number, hash: string | null, cell: string | null): void {
    this.reserve(1);
    if (hash === null) this.withoutHashes = true;
    else this.hashes.write(hash, this.length * HASH_BYTES, HASH_BYTES, 'hex');
    this.codes[this.length] = this.cells.codeOfValue(cell);
    this.ids[this.length++] = id;
  }

  private reserve(more: number): void {
    if (this.length + more <= this.ids.length) return;
    let size = this.ids.length * 2;
    while (size < this.length + more) size *= 2;
    const ids = new Uint32Array(size);
    ids.set(this.ids.subarray(0, this.length));
    const codes = new Uint32Array(size);
    codes.set(this.codes.subarray(0, this.length));
    const hashes = Buffer.alloc(size * HASH_BYTES);
    this.hashes.copy(hashes, 0, 0, this.length * HASH_BYTES);
    this.ids = ids;
    this.codes = codes;
    this.hashes = hashes;
  }

  get size(): number {
    return this.length;
  }

  get pairs(): readonly Cell[] {
    return this.cells.pairs;
  }

  /** Members from index `from` on, in chunks (ids and codes as JSON numbers) with their hashes (as one blob, or null when SQL computes them). */
  *chunks(size: number, from = 0): Generator<{ members: string; hashes: Buffer | null }> {
    for (let start = from; start < this.length; start += size) {
      const end = Math.min(this.length, start + size);
      const values = new Array<number>(end - start);
      for (let i = start; i < end; i++) values[i - start] = this.ids[i]! * CODES + this.codes[i]!;
      yield {
        members: JSON.stringify(values),
        hashes: this.withoutHashes ? null : this.hashes.subarray(start * HASH_BYTES, end * HASH_BYTES),
      };
    }
  }
}

/** Members per INSERT: a JSON array of ~1.5 MB, parsed by SQLite's json_each. */
const CHUNK = 100_000;

/**
 * Records the members of export `exportId` in the export's transaction, as they are gathered: the
 * export on worker threads records each batch while the workers read the next rows (on a lived-in 1M
 * store, recording 485,000 members after the rows took 0.3 s with one core idle), the one-thread export
 * all at once (finish()).
 */
export class MemberRecorder {
  private readonly cell: Statement;
  private readonly fromBlob: Statement;
  private readonly fromSql: Statement;
  /** Members (by index in the MemberIds) and (segment, cell) pairs already handed to SQLite. */
  private done = 0;
  private cellsDone = 0;
  private recorded = 0;

  constructor(
    private readonly db: Db,
    private readonly exportId: number,
    plan: SelectionPlan,
    private readonly members: MemberIds,
  ) {
    // The pairs met, as a table keyed by code: one seek per member into a table of a few rows.
    db.exec('CREATE TEMP TABLE IF NOT EXISTS member_cells (code INTEGER PRIMARY KEY, segment TEXT, rfm_cell TEXT)');
    db.exec('DELETE FROM temp.member_cells');
    this.cell = db.prepare('INSERT INTO temp.member_cells (code, segment, rfm_cell) VALUES (?, ?, ?)');
    // substr() on a blob cuts by bytes, at a fixed cost. Integer division and remainder split id and code.
    this.fromBlob = db.prepare(
      `INSERT OR IGNORE INTO export_members (export_id, contact_id, address_hash, segment, rfm_cell)
       SELECT ?, j.value / ${CODES}, substr(?, j.key * ${HASH_BYTES} + 1, ${HASH_BYTES}), k.segment, k.rfm_cell
       FROM json_each(?) j LEFT JOIN temp.member_cells k ON k.code = j.value % ${CODES}`,
    );
    this.fromSql = db.prepare(
      `INSERT OR IGNORE INTO export_members (export_id, contact_id, address_hash, segment, rfm_cell)
       SELECT ?, c.id, unhex(${plan.rule.memberHash}), k.segment, k.rfm_cell
       FROM json_each(?) j CROSS JOIN contacts c ON c.id = j.value / ${CODES} LEFT JOIN temp.member_cells k ON k.code = j.value % ${CODES}`,
    );
  }

  /** Records the members gathered since the last call, once there are at least `least` of them. */
  flush(least = 1): void {
    const members = this.members;
    if (members.size - this.done < least || members.size === this.done) return;
    const pairs = members.pairs;
    for (; this.cellsDone < pairs.length; this.cellsDone++) this.cell.run(this.cellsDone, pairs[this.cellsDone]![0], pairs[this.cellsDone]![1]);
    for (const chunk of members.chunks(CHUNK, this.done)) {
      this.recorded += (chunk.hashes ? this.fromBlob.run(this.exportId, chunk.hashes, chunk.members) : this.fromSql.run(this.exportId, chunk.members)).changes;
    }
    this.done = members.size;
  }

  /** Records the rest; returns how many members were recorded. */
  finish(): number {
    this.flush();
    this.db.exec('DELETE FROM temp.member_cells');
    return this.recorded;
  }
}

/** Records the members of export `exportId`; call it inside the export's transaction. Returns how many. */
export function recordMembers(db: Db, exportId: number, plan: SelectionPlan, members: MemberIds): number {
  if (members.size === 0) return 0;
  return new MemberRecorder(db, exportId, plan, members).finish();
}
