/**
 * ensureValidated(db): validates every contact whose validated columns are missing or older than its
 * last change (or were computed by older rules or another default country), and returns how many it
 * validated. dedupe, export and report call it first, so no command depends on `clean` having run.
 *
 * It only writes the validated columns (and email_norm, the refined key): never the raw values,
 * updated_at or status. Large backlogs are validated on worker threads, which read their share of
 * the contacts themselves, while the main thread writes SQLite (and validates too when it would
 * otherwise wait); small ones, and runs from TypeScript sources, stay on the main thread.
 */
import { sqlLiteral, storeAddress, type Db } from '../store/db.js';
import { unpackBatch, validateBatch, WRITTEN_COLUMNS, type RawRow, type ValidatedBatch } from './batch.js';
import { indexesNaming, withoutIndexes } from './indexes.js';
import { SyncPool } from './pool.js';
import { RAW_CONTACT_COLUMNS } from './schemas.js';
import { defaultCountryOf, localToday, STALE_SQL, validationKey } from './staleness.js';
import type { ValidationContext } from './record.js';

// The light half (what "stale" means), kept apart so commands that only ask do not load the validators.
export { defaultCountryOf, localToday, RULES_VERSION, STALE_SQL, staleCount, validationKey } from './staleness.js';

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
/** Runs of at least this many contacts (and a quarter of the table) write without index upkeep. */
const BULK_FROM = 50_000;
/** Batches queued per worker. */
const QUEUED = 4;

export function ensureValidated(db: Db, options: EnsureOptions = {}): number {
  const defaultCountry = defaultCountryOf(db, options.defaultCountry);
  const key = validationKey(defaultCountry);
  const context: ValidationContext = { defaultCountry, today: options.today ?? localToday() };
  const where = options.all ? '1' : STALE_SQL;
  const whereParams = options.all ? [] : [key];
  const stale = db.prepare(`SELECT count(*) AS n, min(id) AS lo, max(id) AS hi FROM contacts WHERE ${where}`).get(...whereParams) as { n: number; lo: number; hi: number };
  const total = stale.n;
  if (total === 0) return 0;

  // Batches are id ranges, so whoever validates one (a worker or this thread) reads its rows itself.
  // When the contacts to validate are most of their id span, ranges are BATCH ids wide; otherwise each
  // holds BATCH of them, its bound found by a scan that reads no row into JavaScript.
  const dense = stale.hi - stale.lo < 2 * total;
  const boundary = db.prepare(`SELECT id FROM contacts WHERE id > ? AND ${where} ORDER BY id LIMIT 1 OFFSET ${BATCH - 1}`).pluck();
  const read = db.prepare(
    `SELECT id, ${RAW_CONTACT_COLUMNS.join(', ')} FROM contacts WHERE id > ? AND id <= ? AND ${where} ORDER BY id`,
  ).raw(true);
  // email_norm is indexed: writing it on every row would rewrite the index, so it is written apart,
  // and only where the refined key differs from the one import computed.
  // max(): a store whose updated_at runs ahead of this clock (another time zone) still ends up fresh.
  const now = new Date().toISOString();
  const write = db.prepare(
    `UPDATE contacts SET ${WRITTEN_COLUMNS.map((c) => `${c} = ?`).join(', ')},
       validated_at = max(${sqlLiteral(now)}, updated_at), validated_key = ${sqlLiteral(key)} WHERE id = ?`,
  );
  const writeNorm = db.prepare('UPDATE contacts SET email_norm = ? WHERE id = ? AND email_norm IS NOT ?');
  let handedOut = stale.lo - 1;
  const feed: Feed = {
    next: () => {
      if (handedOut === Infinity || (dense && handedOut >= stale.hi)) return null;
      const after = handedOut;
      if (dense) handedOut = after + BATCH >= stale.hi ? Infinity : after + BATCH;
      else handedOut = (boundary.get(after, ...whereParams) as number | undefined) ?? Infinity;
      return [after, handedOut];
    },
    rows: ([after, upTo]) => read.all(after, upTo === Infinity ? Number.MAX_SAFE_INTEGER : upTo, ...whereParams) as RawRow[],
  };

  // A run over a large share of the contacts drops the indexes on the columns it writes and builds them
  // again at the end (indexes.ts), all in one transaction. Smaller runs outside a caller's transaction
  // commit every COMMIT_EVERY rows: they write derived values only (the user's data is never written
  // here), so a run cut short is simply continued by the next one, and the WAL stays small.
  const contacts = (db.prepare('SELECT count(*) AS n FROM contacts').get() as { n: number }).n;
  const bulk = total >= BULK_FROM && total * 4 >= contacts ? indexesNaming(db, 'contacts', [...WRITTEN_COLUMNS, 'validated_at', 'validated_key']) : [];
  const ownTransactions = !db.inTransaction;
  const commitEvery = bulk.length > 0 ? Infinity : COMMIT_EVERY;
  let uncommitted = 0;
  let done = 0;
  const store = (batch: ValidatedBatch): void => {
    // Spread, not an array: better-sqlite3 reads an array's elements through V8's generic property
    // lookup, arguments directly (about a fifth of the time of each call, with 22 values).
    unpackBatch(batch, (params) => write.run(...params));
    for (const [norm, id] of batch.norms) writeNorm.run(norm, id, norm);
    done += batch.count;
    uncommitted += batch.count;
    if (ownTransactions && uncommitted >= commitEvery) {
      db.exec('COMMIT; BEGIN');
      uncommitted = 0;
    }
    options.onProgress?.(done, total);
  };

  const wanted = options.workers === undefined || options.workers === 'auto' ? (total >= WORKERS_FROM ? SyncPool.defaultSize() : 0) : options.workers;
  // Workers read their ranges themselves when the store is a file and this connection has nothing
  // uncommitted they could not see (it is not inside a caller's transaction).
  const source = !db.inTransaction && !db.memory ? { store: storeAddress(db), where, params: whereParams } : undefined;
  const pool = wanted > 0 ? SyncPool.create(Math.min(wanted, Math.ceil(total / BATCH)), context, source) : null;
  if (ownTransactions) db.exec('BEGIN');
  try {
    withoutIndexes(db, bulk, () => (pool ? validatePooled(pool, source !== undefined, feed, store, context) : validateHere(feed, store, context)));
    if (ownTransactions && bulk.length > 0) commitWithoutCheckpoint(db);
    else if (ownTransactions) db.exec('COMMIT');
  } catch (error) {
    if (ownTransactions && db.inTransaction) db.exec('ROLLBACK');
    throw error;
  } finally {
    pool?.close();
  }
  return done;
}

/** Hands out the id ranges to validate, and reads a range on this thread's connection. */
interface Feed {
  next(): [number, number] | null;
  rows(range: [number, number]): RawRow[];
}

function validateHere(feed: Feed, store: (batch: ValidatedBatch) => void, context: ValidationContext): void {
  for (let range = feed.next(); range !== null; range = feed.next()) store(validateBatch(feed.rows(range), context));
}

/**
 * This thread alone writes SQLite; each worker keeps QUEUED batches ahead of it so it never waits for
 * this thread, and reads them itself when it can (`workersRead`). Whenever no answer is ready and every
 * queue is full, this thread validates a batch itself rather than wait: that balances the two cores
 * whichever side is slower.
 */
function validatePooled(pool: SyncPool, workersRead: boolean, feed: Feed, store: (batch: ValidatedBatch) => void, context: ValidationContext): void {
  let exhausted = false;
  const topUp = (): void => {
    for (let i = 0; i < pool.size; i++) {
      while (!exhausted && pool.pending(i) < QUEUED) {
        const range = feed.next();
        if (range === null) exhausted = true;
        else if (workersRead) pool.submitRange(i, range[0], range[1] === Infinity ? Number.MAX_SAFE_INTEGER : range[1]);
        else pool.submit(i, feed.rows(range));
      }
    }
  };
  topUp();
  for (;;) {
    let answered = false;
    for (let i = 0; i < pool.size; i++) {
      const batch = pool.poll(i);
      if (batch === null) continue;
      answered = true;
      store(batch);
    }
    topUp();
    if (answered) continue;
    if (!exhausted) {
      const range = feed.next();
      if (range !== null) store(validateBatch(feed.rows(range), context));
      else exhausted = true;
      continue;
    }
    const busy = [...Array(pool.size).keys()].find((i) => pool.pending(i) > 0);
    if (busy === undefined) return;
    store(pool.collect(busy));
  }
}

/**
 * A bulk run's WAL holds most of the store: committing would copy it all into the store file at once
 * (SQLite's checkpoint after a commit), with nothing else to do meanwhile. Left for later, the copy is
 * made by validate's report while its worker reads (report.ts), or else by the next commit of this
 * connection or its closing, as any checkpoint.
 */
function commitWithoutCheckpoint(db: Db): void {
  const pages = db.pragma('wal_autocheckpoint', { simple: true }) as number;
  db.pragma('wal_autocheckpoint = 0');
  try {
    db.exec('COMMIT');
  } finally {
    db.pragma(`wal_autocheckpoint = ${pages}`);
  }
}
