/**
 * Contacts' new values staged in a temporary table, then written into `contacts` by a few UPDATEs in id
 * order: how `dedupe --apply` and `unmerge --all-since` change a hundred thousand contacts at once.
 *
 * What made those UPDATEs slow at a million contacts (bench/README.md "Dedupe"):
 * - an UPDATE rewrites the entries of every index that holds a column of its SET list, for every row,
 *   whether the value changed or not, and an index entry is a random page. Most survivors change only
 *   columns no index holds (attributes, tags, updated_at, validated_at); a few take another email or
 *   phone. So rows are staged with a flag saying whether they change an indexed column, and each group
 *   gets its own UPDATE setting only the columns its rows change;
 * - two UPDATEs (survivors, then members) each went through the whole table, larger than the page cache,
 *   so a page the first had written was spilled, read back and written again by the second. The
 *   UPDATEs now run range by range of ids (`writeInRanges`): every statement finishes with a range while
 *   its pages are still in the cache.
 */
import type { Db } from '../store/db.js';
import { MultiInsert } from './multi-insert.js';

type Statement = ReturnType<Db['prepare']> & { run(...params: unknown[]): unknown };

export interface Column {
  name: string;
  type: string;
}

/** Contact ids per range of writeInRanges: ~2,000 pages of contacts, well inside the 64 MiB page cache. */
export const RANGE = 1 << 16;

/**
 * Columns of `table` that an index reads. Conservative: a column named anywhere in an index's SQL
 * (its key, an expression, a partial index's WHERE) counts.
 */
export function indexedColumns(db: Db, table: string, columns: readonly Column[]): Set<string> {
  const sqls = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL").pluck().all(table) as string[];
  const autoIndexed = db.prepare(`SELECT ii.name FROM pragma_index_list(?) il, pragma_index_info(il.name) ii WHERE il.origin <> 'c'`).pluck().all(table) as string[];
  const named = (column: string) => new RegExp(`(^|[^A-Za-z0-9_])${column.replace(/[^A-Za-z0-9_]/g, '')}([^A-Za-z0-9_]|$)`);
  return new Set(columns.map((c) => c.name).filter((c) => autoIndexed.includes(c) || sqls.some((sql) => named(c).test(sql))));
}

/** Runs each statement (bound to the range's first and last id) range by range over ids 1 .. maxId. */
export function writeInRanges(db: Db, maxId: number, statements: Statement[], range = RANGE): void {
  for (let lo = 0; lo <= maxId; lo += range) for (const s of statements) s.run(lo, lo + range - 1);
}

/**
 * New values of contacts, staged: `mask` has a '1' at each column (position in `columns`) the row
 * changes (a change may be to null), `ix` is 1 when one of those columns is indexed.
 */
export class ContactStaging {
  /** Per group (ix 0 or 1), the columns some staged row of that group changes. */
  private readonly used: Uint8Array[];
  private readonly inserts = new Map<string, { insert: MultiInsert; mask: string; ix: number }>();
  private readonly indexed: Uint8Array;

  /** `columns`: the contacts columns but id, in table order (declared types, so values are stored as the UPDATE will store them). */
  constructor(private readonly db: Db, readonly table: string, private readonly columns: readonly Column[]) {
    this.used = [new Uint8Array(columns.length), new Uint8Array(columns.length)];
    const indexed = indexedColumns(db, 'contacts', columns);
    this.indexed = Uint8Array.from(columns, (c) => (indexed.has(c.name) ? 1 : 0));
    db.exec(`DROP TABLE IF EXISTS temp.${table}`);
    db.exec(`CREATE TEMP TABLE ${table} (id INTEGER PRIMARY KEY, mask TEXT NOT NULL, ix INTEGER NOT NULL, ${columns.map((c) => `"${c.name}" ${c.type}`).join(', ')})`);
  }

  private maskOf(ks: readonly number[]): { mask: string; ix: number } {
    const mask = Array.from(this.columns, (_, k) => (ks.includes(k) ? '1' : '0')).join('');
    return { mask, ix: ks.some((k) => this.indexed[k]) ? 1 : 0 };
  }

  /** `ks`: the positions of the changed columns, increasing; `values`: their new values, in that order. */
  add(id: number, ks: readonly number[], values: readonly unknown[]): void {
    if (ks.length === 0) return;
    const key = ks.join(',');
    let entry = this.inserts.get(key);
    if (!entry) {
      const { mask, ix } = this.maskOf(ks);
      for (const k of ks) this.used[ix][k] = 1;
      const head = `INSERT INTO temp.${this.table} (id, mask, ix, ${ks.map((k) => `"${this.columns[k].name}"`).join(', ')})`;
      entry = { insert: new MultiInsert(this.db, head, ks.length + 3, 32), mask, ix };
      this.inserts.set(key, entry);
    }
    entry.insert.add(id, entry.mask, entry.ix, ...values);
  }

  /** Position of a column in `columns`. */
  position(name: string): number {
    return this.columns.findIndex((c) => c.name === name);
  }

  /**
   * Stages rows straight from SQL: `select` gives the id then the values of `names` (as v0, v1, ...).
   * Returns how many rows it staged.
   */
  stageSelect(names: string[], select: string, ...params: unknown[]): number {
    const ks = names.map((n) => this.position(n));
    const order = ks.map((k, i) => [k, i]).sort((a, b) => a[0] - b[0]);
    const { mask, ix } = this.maskOf(order.map(([k]) => k));
    const staged = this.db.prepare(`INSERT INTO temp.${this.table} (id, mask, ix, ${names.map((n) => `"${n}"`).join(', ')})
      SELECT x.id, '${mask}', ${ix}, ${names.map((_, i) => `x.v${i}`).join(', ')} FROM (${select}) x`).run(...params).changes;
    if (staged > 0) for (const [k] of order) this.used[ix][k] = 1;
    return staged;
  }

  /** Writes what is still buffered into the staging table. */
  flush(): void {
    for (const { insert } of this.inserts.values()) insert.flush();
  }

  /**
   * The UPDATEs that write the staged values, each bound to a range of ids (writeInRanges): one for
   * the rows that change no indexed column, setting only such columns, one for the others.
   */
  updates(): Statement[] {
    this.flush();
    const out: Statement[] = [];
    for (const ix of [0, 1]) {
      const set = this.columns.map((c, k) => ({ c: c.name, k })).filter(({ k }) => this.used[ix][k]);
      if (set.length === 0) continue;
      out.push(this.db.prepare(`UPDATE contacts SET ${set.map(({ c, k }) => `"${c}" = CASE WHEN substr(n.mask, ${k + 1}, 1) = '1' THEN n."${c}" ELSE contacts."${c}" END`).join(', ')}
        FROM temp.${this.table} n WHERE n.id BETWEEN ? AND ? AND n.ix = ${ix} AND contacts.id = n.id`));
    }
    return out;
  }

  drop(): void {
    this.db.exec(`DROP TABLE IF EXISTS temp.${this.table}`);
  }
}
