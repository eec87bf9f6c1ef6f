/**
 * The consent rows an import writes. Each binds only integers (contact, row number, which of the
 * import's consent kinds it is: channel, status and column are literals in the statement). A first load
 * writes them a hundred to a statement: with so little to bind, running a statement per row cost more
 * than the row itself (1M rows: 1.8 s one by one, 0.8 s in hundreds, measured). A later import writes
 * each at once, as it reads the contact's latest consent before adding one. Rows are written in the
 * order they were added, so the latest consent of a contact stays the latest.
 */
import { sqlLiteral, type Db, type Statement } from './db.js';

export interface ConsentKind {
  channel: string;
  status: string;
  column: string;
}

/** Rows per statement for a first load. */
export const BULK_ROWS = 100;
const PARAMS_PER_ROW = 5;

export class ConsentBatch {
  private readonly kinds: ConsentKind[] = [];
  private readonly kindIndex = new Map<string, number>();
  /** Per pending row, its parameters: contact id, row number, then the kind index thrice. */
  private pending: number[] = [];
  private full: Statement | null = null;

  constructor(
    private readonly db: Db,
    private readonly importId: number,
    private readonly now: string,
    private readonly rowsPerStatement: number,
  ) {}

  add(contactId: number, rowNumber: number, kind: ConsentKind): void {
    const key = `${kind.channel}\u0000${kind.status}\u0000${kind.column}`;
    let index = this.kindIndex.get(key);
    if (index === undefined) {
      // A new kind changes the statement's CASE lists: write what is pending with the old one first.
      this.flush();
      index = this.kinds.push(kind) - 1;
      this.kindIndex.set(key, index);
      this.full = null;
    }
    this.pending.push(contactId, rowNumber, index, index, index);
    if (this.pending.length === PARAMS_PER_ROW * this.rowsPerStatement) {
      this.full ??= this.db.prepare(this.sql(this.rowsPerStatement));
      this.full.run(this.pending);
      this.pending.length = 0;
    }
  }

  /** Writes the rows still pending (call before anything reads consents). */
  flush(): void {
    if (this.pending.length === 0) return;
    this.db.prepare(this.sql(this.pending.length / PARAMS_PER_ROW)).run(this.pending);
    this.pending = [];
  }

  private sql(rows: number): string {
    const pick = (value: (kind: ConsentKind) => string): string =>
      `CASE ? ${this.kinds.map((kind, i) => `WHEN ${i} THEN ${sqlLiteral(value(kind))}`).join(' ')} END`;
    // The kind index is bound three times (channel, status, proof's column): integers cost next to nothing.
    const row = `(?, ${sqlLiteral(`import ${this.importId}, row `)} || CAST(? AS INTEGER) || ${pick((k) => `, column '${k.column}'`)},
      ${pick((k) => k.channel)}, ${pick((k) => k.status)}, ${sqlLiteral(this.now)}, 'import', ${this.importId})`;
    return `INSERT INTO consents (contact_id, proof, channel, status, recorded_at, source, import_id) VALUES ${new Array(rows).fill(row).join(', ')}`;
  }
}
