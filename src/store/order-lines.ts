/**
 * Line numbers for a line-level orders export without a line column: the n-th line of an order in the
 * file is line n, so re-importing the same file meets the same lines. Most exports write an order's lines
 * together, so only recent orders are kept in memory; older ones go to a temporary table, in batches, and
 * are read back if the order turns up again. Memory stays flat whatever the number of orders (a Map of
 * every order held about 120 bytes each: 25 MB for 800k lines, growing with the file).
 */
import type { Db, Statement } from './db.js';

/** Orders kept in memory; beyond that the least recently seen half is written out. */
const RECENT_ORDERS = 20_000;
const SPILL_ROWS = 100;

export class OrderLineCounter {
  /** order ref -> lines handed out so far; Map order is recency (a seen order is moved to the end). */
  private readonly recent = new Map<string, number>();
  private table: { read: Statement; write: Statement; writeOne: Statement } | null = null;

  constructor(private readonly db: Db) {}

  /** The line number of the next line of `orderRef`. */
  next(orderRef: string): number {
    let lines = this.recent.get(orderRef);
    if (lines === undefined) lines = this.spilled(orderRef);
    else this.recent.delete(orderRef);
    lines++;
    this.recent.set(orderRef, lines);
    if (this.recent.size > RECENT_ORDERS) this.spillOldest();
    return lines;
  }

  private spilled(orderRef: string): number {
    return this.table ? ((this.table.read.get(orderRef) as number | undefined) ?? 0) : 0;
  }

  private spillOldest(): void {
    this.table ??= this.createTable();
    const batch: Array<string | number> = [];
    for (const [orderRef, lines] of this.recent) {
      if (this.recent.size <= RECENT_ORDERS / 2) break;
      this.recent.delete(orderRef);
      batch.push(orderRef, lines);
      if (batch.length === 2 * SPILL_ROWS) {
        this.table.write.run(batch);
        batch.length = 0;
      }
    }
    for (let i = 0; i < batch.length; i += 2) this.table.writeOne.run(batch[i], batch[i + 1]);
  }

  private createTable(): { read: Statement; write: Statement; writeOne: Statement } {
    // Temporary: private to this connection, gone when it closes; it is not part of the store.
    this.db.exec('CREATE TEMP TABLE IF NOT EXISTS import_order_lines (order_ref TEXT PRIMARY KEY, lines INTEGER NOT NULL) WITHOUT ROWID');
    this.db.exec('DELETE FROM temp.import_order_lines');
    return {
      read: this.db.prepare('SELECT lines FROM temp.import_order_lines WHERE order_ref = ?').pluck(),
      write: this.db.prepare(upsert(SPILL_ROWS)),
      writeOne: this.db.prepare(upsert(1)),
    };
  }

  /** Drops the temporary table (end of a file). */
  close(): void {
    if (this.table) this.db.exec('DROP TABLE IF EXISTS temp.import_order_lines');
    this.table = null;
    this.recent.clear();
  }
}

function upsert(rows: number): string {
  return `INSERT INTO temp.import_order_lines (order_ref, lines) VALUES ${new Array(rows).fill('(?, ?)').join(', ')}
    ON CONFLICT (order_ref) DO UPDATE SET lines = excluded.lines`;
}
