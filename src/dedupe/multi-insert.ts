/**
 * Rows inserted many to a statement (`INSERT ... VALUES (?, ?), (?, ?), ...`), with values bound as
 * they are: bulk merge writes its merges, members and staged changes this way. A statement per row
 * costs a round trip each; a JSON parameter read with json_each (what bulk merge did first) makes
 * SQLite parse and unescape every snapshot again, which cost more than writing it.
 */
import type { Db } from '../store/db.js';

type Statement = ReturnType<Db['prepare']>;

export class MultiInsert {
  private readonly pending: unknown[] = [];
  private readonly full: Statement;
  private readonly width: number;

  /** `head`: "INSERT INTO t (a, b)"; `width`: values per row; `perStatement`: rows bound to one statement. */
  constructor(private readonly db: Db, private readonly head: string, width: number, private readonly perStatement = 64) {
    this.width = width;
    this.full = db.prepare(this.sql(perStatement));
  }

  private sql(rows: number): string {
    const row = `(${new Array(this.width).fill('?').join(', ')})`;
    return `${this.head} VALUES ${new Array(rows).fill(row).join(', ')}`;
  }

  /** Adds one row (its values in column order); written when a statement's worth is waiting. */
  add(...values: unknown[]): void {
    for (const v of values) this.pending.push(v);
    if (this.pending.length === this.width * this.perStatement) {
      this.full.run(this.pending);
      this.pending.length = 0;
    }
  }

  /** Writes what is left. */
  flush(): void {
    if (this.pending.length === 0) return;
    this.db.prepare(this.sql(this.pending.length / this.width)).run(this.pending);
    this.pending.length = 0;
  }
}
