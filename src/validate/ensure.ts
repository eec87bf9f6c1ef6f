/**
 * ensureValidated(db): validates every contact whose validated columns are missing or older than its
 * last change (or were computed by older rules or another default country), and returns how many it
 * validated. dedupe, export and report call it first, so no command depends on `clean` having run.
 *
 * It only writes the validated columns (and email_norm, the refined key): never the raw values,
 * updated_at or status. Large backlogs are validated on worker threads while the main thread reads
 * and writes SQLite; small ones, and runs from TypeScript sources, stay on the main thread.
 */
import type { Db } from '../store/db.js';
import { validateBatch, type RawRow, type ResultRow } from './batch.js';
import { SyncPool } from './pool.js';
import { RAW_CONTACT_COLUMNS, VALIDATED_COLUMNS } from './schemas.js';
import { getSetting } from './settings.js';
import type { ValidationContext } from './record.js';

/** Bump when a rule changes what it accepts or how it normalises: every contact is then revalidated. */
export const RULES_VERSION = 1;

export interface EnsureOptions {
  /** Overrides the stored default country (`--country`). */
  defaultCountry?: string;
  /** 'yyyy-mm-dd'; defaults to today (local time). */
  today?: string;
  /** Worker threads: a number, 0 for none, or 'auto' (default: one per core but one, when the backlog is large). */
  workers?: number | 'auto';
  /** Revalidate every contact, stale or not. */
  all?: boolean;
  onProgress?: (done: number, total: number) => void;
}

const BATCH = 2000;
const COMMIT_EVERY = 20_000;
const WORKERS_FROM = 20_000;

export function localToday(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

export function validationKey(defaultCountry: string): string {
  return `v${RULES_VERSION}:${defaultCountry}`;
}

export function defaultCountryOf(db: Db, override?: string): string {
  return override ?? getSetting(db, 'default_country') ?? 'FR';
}

/** The SQL condition for "this contact needs validating" (parameter: the validation key). */
export const STALE_SQL = '(validated_at IS NULL OR validated_at < updated_at OR validated_key IS NOT ?)';

export function staleCount(db: Db, defaultCountry?: string): number {
  const key = validationKey(defaultCountryOf(db, defaultCountry));
  return (db.prepare(`SELECT count(*) AS n FROM contacts WHERE ${STALE_SQL}`).get(key) as { n: number }).n;
}

export function ensureValidated(db: Db, options: EnsureOptions = {}): number {
  const defaultCountry = defaultCountryOf(db, options.defaultCountry);
  const key = validationKey(defaultCountry);
  const context: ValidationContext = { defaultCountry, today: options.today ?? localToday() };
  const where = options.all ? '1' : STALE_SQL;
  const whereParams = options.all ? [] : [key];
  const total = (db.prepare(`SELECT count(*) AS n FROM contacts WHERE ${where}`).get(...whereParams) as { n: number }).n;
  if (total === 0) return 0;

  const read = db.prepare(
    `SELECT id, ${RAW_CONTACT_COLUMNS.join(', ')} FROM contacts WHERE id > ? AND ${where} ORDER BY id LIMIT ${BATCH}`,
  ).raw(true);
  // email_norm is indexed: writing it on every row would rewrite the index, so it is written apart,
  // and only where the refined key differs from the one import computed.
  const normAt = VALIDATED_COLUMNS.indexOf('email_norm') + 1;
  const sets = VALIDATED_COLUMNS.filter((c) => c !== 'email_norm').map((c) => `${c} = ?`);
  // max(): a store whose updated_at runs ahead of this clock (another time zone) still ends up fresh.
  const write = db.prepare(
    `UPDATE contacts SET ${sets.join(', ')}, validated_at = max(?, updated_at), validated_key = ? WHERE id = ?`,
  );
  const writeNorm = db.prepare('UPDATE contacts SET email_norm = ? WHERE id = ? AND email_norm IS NOT ?');
  const now = new Date().toISOString();
  let lastId = 0;
  const nextBatch = (): RawRow[] => {
    const rows = read.all(lastId, ...whereParams) as RawRow[];
    if (rows.length > 0) lastId = rows[rows.length - 1]![0];
    return rows;
  };

  // Outside a caller's transaction, results are committed every COMMIT_EVERY rows: they are derived
  // values only (the user's data is never written here), so a run cut short is simply continued by the
  // next one, and the WAL stays small.
  const ownTransactions = !db.inTransaction;
  let uncommitted = 0;
  let done = 0;
  const store = (results: ResultRow[]): void => {
    for (const row of results) {
      const values = row.slice(1);
      const norm = values.splice(normAt - 1, 1)[0];
      write.run(...values, now, key, row[0]);
      if (norm !== null) writeNorm.run(norm, row[0], norm);
    }
    done += results.length;
    uncommitted += results.length;
    if (ownTransactions && uncommitted >= COMMIT_EVERY) {
      db.exec('COMMIT; BEGIN');
      uncommitted = 0;
    }
    options.onProgress?.(done, total);
  };

  const wanted = options.workers === undefined || options.workers === 'auto' ? (total >= WORKERS_FROM ? SyncPool.defaultSize() : 0) : options.workers;
  const pool = wanted > 0 ? SyncPool.create(Math.min(wanted, Math.ceil(total / BATCH)), context) : null;
  if (ownTransactions) db.exec('BEGIN');
  try {
    if (pool) {
      // Workers take batches; whenever none has an answer ready, this thread validates a batch itself
      // (so it computes too, instead of waiting), and it alone reads and writes SQLite.
      let active = 0;
      let exhausted = false;
      const feed = (i: number): void => {
        const rows = exhausted ? [] : nextBatch();
        if (rows.length === 0) exhausted = true;
        else {
          pool.submit(i, rows);
          active++;
        }
      };
      for (let i = 0; i < pool.size; i++) feed(i);
      while (active > 0 || !exhausted) {
        let answered = false;
        for (let i = 0; i < pool.size; i++) {
          const results = pool.poll(i);
          if (results === null) continue;
          answered = true;
          active--;
          feed(i);
          store(results);
        }
        if (answered) continue;
        const rows = exhausted ? [] : nextBatch();
        if (rows.length > 0) store(validateBatch(rows, context));
        else {
          exhausted = true;
          const busy = [...Array(pool.size).keys()].find((i) => pool.isBusy(i));
          if (busy === undefined) break;
          const results = pool.collect(busy);
          active--;
          store(results);
        }
      }
    } else {
      for (let rows = nextBatch(); rows.length > 0; rows = nextBatch()) store(validateBatch(rows, context));
    }
    if (ownTransactions) db.exec('COMMIT');
  } catch (error) {
    if (ownTransactions && db.inTransaction) db.exec('ROLLBACK');
    throw error;
  } finally {
    pool?.close();
  }
  return done;
}
