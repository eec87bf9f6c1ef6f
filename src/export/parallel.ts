/**
 * A large export read on worker threads (worker.ts), each on its own connection, while this thread
 * writes: the statement's drive key (the score run's row order, or the contact id) is cut into ranges,
 * each range is read, filtered and formatted whole by whichever worker is free, and this thread writes
 * the ranges' bytes in order. The output is the same, byte for byte, as reading the statement on one
 * thread; memory stays flat: a range is written as soon as the ones before it are, and no range far
 * ahead of the next one to write is handed out.
 *
 * One snapshot for every worker: each begins its read transaction while this connection holds the
 * store's write lock, so no commit falls between them. What came before the statement on one thread
 * (checking no contact needs validating, the channel rules' bulk reads) is split among the workers in
 * that snapshot and put together by this thread, which holds the lock (so reads the same snapshot) until
 * the export is recorded; the bulk structures are shared, not read again by each worker.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Db, StoreAddress } from '../store/db.js';
import { contestedFromScan, markAll, readGroupConsents, type BulkRules, type ContactsScan, type SharedAddresses } from './bulk.js';
import type { DateFormat, ValueKind } from './columns.js';
import { KEPT, type GateTuning, type ReasonCounts } from './gate.js';
import type { Format, OutputColumn } from './lines.js';
import type { GateSpec } from './select.js';
import { HASH_BYTES, type Cell, type MemberIds } from './members.js';
import type { ExportSink } from './writers.js';

/** What a worker reads before the rows: its part of the bulk reads, and of the scan of contacts (validation check, merged records). */
export interface Tasks {
  /** The addresses several records share (bulk.ts). */
  addresses: boolean;
  /** Every contact's own consent. */
  consents: boolean;
  /** The contacts in chunks c of SCAN_CHUNK ids with c % of in `slots` are scanned (bulk.ts, scanContacts). */
  scan: { slots: number[]; of: number };
}

/** What a worker is started with. */
export interface WorkerSetup {
  /** The store and its key: the worker opens its own connection (src/store/db.ts). */
  store: StoreAddress;
  mmapBytes: number;
  /** A `ranged` statement (select.ts): `params`, then the range. */
  sql: string;
  params: unknown[];
  /**
   * Set when `sql` gives CSV lines (csv-lines.ts): the same statement giving the output columns' values,
   * to read a row's values again when its line cannot be written as it is.
   */
  valuesSql?: string;
  /** Where a row holds its drive key (the contact id, or the scores row). */
  driveColumn: number;
  tasks: Tasks;
  /** Contact ids per chunk of the scan (SCAN_CHUNK, or ParallelTuning.scanKeys). */
  scanKeys: number;
  /** "Needs validating" (validate/staleness.ts) and its parameter. */
  staleSql: string;
  staleKey: string;
  gate: GateSpec;
  /** `sql` takes the consent mask (bulk.ts) as its first this many parameters. */
  consentMasks: number;
  /** Where a row holds the member's segment and RFM cell (select.ts, MEMBER_CELL); null without a score run. */
  memberColumn: number | null;
  tuning?: GateTuning;
  positions: number[];
  outputs: OutputColumn[];
  dateFormat: DateFormat;
  format: Exclude<Format, 'xlsx'>;
  headers: string[];
  kinds: ValueKind[];
  delimiter: string;
  encoding: 'utf8' | 'cp1252';
  /** A --limit is set: send each row's reason. */
  limited: boolean;
}

export interface Prepared {
  type: 'prepared';
  /** Contacts it found needing validation (then it read nothing else). */
  stale: number;
  /** A bulk read found text it did not expect: every row takes the exact rule. */
  failed: boolean;
  /** The addresses several records share, from the worker that read them. */
  shared?: SharedAddresses;
  /** Its part of the scan: merged and erased records, and those with a consent row for the channel. */
  scan?: ContactsScan;
  states?: Uint8Array;
}

export type ToWorker = { type: 'begin' } | { type: 'bulk'; bulk: BulkRules | null } | { type: 'range'; index: number; from: number; to: number } | { type: 'end' };

export interface RowsMessage {
  type: 'rows';
  index: number;
  rows: number;
  /** What the channel rules made of the range's rows (gate.ts reasons). */
  counts: ReasonCounts;
  /** With a --limit: each examined row's reason, in order (to count up to the row the limit stops at). */
  reasons?: Uint8Array;
  unencodable: number;
  buffer: ArrayBuffer;
  /** Where each row ends in `buffer` (to stop at --limit within a range). */
  ends: Uint32Array;
  /** The contact id of each row written, in order (the export's members). */
  ids: Uint32Array;
  /** The SHA-256 of each row's address, HASH_BYTES each, in the same order. */
  hashes: ArrayBuffer;
  /** Each row's segment and RFM cell, as an index into `cells`. */
  codes: Uint32Array;
  cells: Cell[];
}

export type FromWorker = { type: 'ready' } | { type: 'begun' } | Prepared | RowsMessage | { type: 'error'; message: string };

/** How many workers (`custkit export --workers`), and how wide a range (tests: many ranges on small stores). */
export interface ParallelTuning {
  /** Worker threads: 0 for none; default one per core (at most 4) when the export may be large. */
  workers?: number;
  /** Drive-key values per range. */
  rangeKeys?: number;
  /** Members gathered before they are recorded, while the rows are read. */
  memberBatch?: number;
  /** Contact ids per query of the scan of contacts (tests: several chunks on small stores). */
  scanKeys?: number;
}

/** Drive-key values per range: a few thousand rows, well under a megabyte of text. */
export const RANGE_KEYS = 1 << 14;
/** Contact ids per query of the scan of contacts (finer than the workers' shares of it). */
export const SCAN_CHUNK = 1 << 15;
/** Ranges handed to one worker and not answered yet: it never waits for this thread. */
const QUEUED = 2;
/** How long a worker has to end cleanly before it is stopped. */
const CLOSE_TIMEOUT_MS = 5_000;

export class ExportWorkerError extends Error {}

/**
 * How to start a worker: the built worker.js next to this file; from TypeScript sources (tests,
 * benchmarks run with tsx), worker.ts through tsx's loader, registered in the worker itself (a worker
 * does not inherit the loader of the thread that starts it). Null when neither can run here.
 */
function workerEntry(): { code: string; eval: true } | { file: string; eval: false } | null {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) {
    const file = fileURLToPath(new URL('./worker.js', import.meta.url));
    return fs.existsSync(file) ? { file, eval: false } : null;
  }
  let loader: string;
  try {
    loader = createRequire(import.meta.url).resolve('tsx/esm/api');
  } catch {
    return null;
  }
  const source = new URL('./worker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(pathToFileURL(loader).href)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); })`;
  return { code, eval: true };
}

export function defaultWorkers(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(4, cores));
}

/**
 * Who reads what before the rows, so that the workers finish together (the rows wait for the last): the
 * shared addresses on the first, the consents on the second, the scan of contacts (validation check,
 * merged records, and their consents) shared among all, the first taking two shares for the others'
 * three. Measured on a lived-in 1M store (one core each): shared addresses 0.25-0.28 s, consents 0.12-0.17
 * s, the scan 0.23 s (0.20 s for the validation check and 0.14 s for the merged records when they were
 * two passes), probing the merged records' consents 0.1 s.
 */
export function tasksOf(worker: number, workers: number): Tasks {
  if (workers === 1) return { addresses: true, consents: true, scan: { slots: [0], of: 1 } };
  const of = 3 * workers - 1;
  const slots = worker === 0 ? [0, 1] : [3 * worker - 1, 3 * worker, 3 * worker + 1];
  return { addresses: worker === 0, consents: worker === 1, scan: { slots, of } };
}

interface Slot {
  worker: Worker;
  /** Ranges handed to it and not answered. */
  queued: number;
  /** Messages other than rows, not taken yet, and who waits for the next one. */
  inbox: FromWorker[];
  waiter: (() => void) | null;
}

export class ExportWorkers {
  private failure: Error | null = null;
  private rejectFailed: (error: Error) => void = () => undefined;
  /** Rejects when a worker fails: every wait races it. */
  private readonly failed = new Promise<never>((_, reject) => {
    this.rejectFailed = reject;
  });
  private onRows: ((message: RowsMessage) => void) | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly slots: Slot[],
    private readonly gate: GateSpec,
  ) {
    this.failed.catch(() => undefined); // observed by whoever waits; not an unhandled rejection meanwhile
  }

  /** Starts one worker per setup (they open the store and prepare the statement); null when workers cannot run here. */
  static start(setups: WorkerSetup[]): ExportWorkers | null {
    const entry = workerEntry();
    if (entry === null || setups.length === 0) return null;
    const slots: Slot[] = [];
    const workers = new ExportWorkers(slots, setups[0]!.gate);
    for (const setup of setups) {
      // No inherited flags: a parent run with --import tsx would load tsx again in every worker.
      const worker = entry.eval ? new Worker(entry.code, { eval: true, workerData: setup, execArgv: [] }) : new Worker(entry.file, { workerData: setup, execArgv: [] });
      const slot: Slot = { worker, queued: 0, inbox: [], waiter: null };
      worker.on('message', (message: FromWorker) => workers.receive(slot, message));
      worker.on('error', (error) => workers.fail(new ExportWorkerError(`export worker failed: ${error.message}`)));
      worker.on('exit', (code) => workers.fail(new ExportWorkerError(`export worker stopped (exit code ${code})`)));
      slots.push(slot);
    }
    return workers;
  }

  get size(): number {
    return this.slots.length;
  }

  private receive(slot: Slot, message: FromWorker): void {
    if (message.type === 'error') {
      this.fail(new ExportWorkerError(`export worker failed: ${message.message}`));
    } else if (message.type === 'rows') {
      slot.queued--;
      this.onRows?.(message);
    } else {
      slot.inbox.push(message);
      slot.waiter?.();
    }
  }

  private fail(error: Error): void {
    if (this.closed || this.failure) return;
    this.failure = error;
    this.rejectFailed(error);
  }

  /** The next message (other than rows) of every worker, which must be of `type`. */
  private async next<T extends FromWorker['type']>(type: T): Promise<Extract<FromWorker, { type: T }>[]> {
    const one = async (slot: Slot): Promise<Extract<FromWorker, { type: T }>> => {
      while (slot.inbox.length === 0) {
        await Promise.race([new Promise<void>((resolve) => (slot.waiter = resolve)), this.failed]);
        slot.waiter = null;
      }
      const message = slot.inbox.shift()!;
      if (message.type !== type) throw new ExportWorkerError(`export worker sent "${message.type}" instead of "${type}"`);
      return message as Extract<FromWorker, { type: T }>;
    };
    return Promise.all(this.slots.map(one));
  }

  /**
   * Every worker begins its read transaction while `db` holds the write lock (nothing of `db`'s may be
   * uncommitted), then does its part of the scan of contacts (is any to be validated?) and of the bulk
   * reads; this thread puts the parts together, reading what is left in the same snapshot (it holds the
   * lock: nothing can be committed meanwhile), and gives every worker the result. 'busy' when the lock
   * cannot be had (another process is writing, or `db` is read-only), 'stale' when contacts need
   * validating: the caller then exports on one thread, and the transaction is ended here. When 'ready',
   * the write transaction is left open: the caller records the export in it while the rows are read,
   * and ends it.
   */
  async prepare(db: Db): Promise<'ready' | 'busy' | 'stale'> {
    await this.next('ready');
    try {
      db.exec('BEGIN IMMEDIATE');
    } catch {
      return 'busy';
    }
    let ready = false;
    try {
      for (const slot of this.slots) slot.worker.postMessage({ type: 'begin' } satisfies ToWorker);
      await this.next('begun');
      const prepared = await this.next('prepared');
      if (prepared.some((p) => p.stale > 0)) return 'stale';
      const bulk = prepared.some((p) => p.failed) ? null : this.bulkOf(db, prepared);
      for (const slot of this.slots) slot.worker.postMessage({ type: 'bulk', bulk } satisfies ToWorker);
      ready = true;
      return 'ready';
    } finally {
      // Nothing was written in it: ending it either way leaves the store as it was.
      if (!ready && db.inTransaction) db.exec('COMMIT');
    }
  }

  /** The channel rules' bulk structures from the workers' parts; null when one is not as expected. */
  private bulkOf(db: Db, prepared: Prepared[]): BulkRules | null {
    const shared = prepared.find((p) => p.shared)?.shared;
    const scans = prepared.map((p) => p.scan);
    if (!shared || scans.some((scan) => !scan)) return null;
    const consent = this.gate.consentSql !== null;
    const dead = new Uint8Array(shared.groupOf.length);
    const deadConsenting = consent ? new Uint8Array(shared.groupOf.length) : null;
    for (const scan of scans as ContactsScan[]) {
      if (!scan.dead || !markAll(scan.dead, dead)) return null;
      if (deadConsenting && (!scan.deadConsenting || !markAll(scan.deadConsenting, deadConsenting))) return null;
    }
    const contested = contestedFromScan(shared, dead, deadConsenting, true);
    if (!consent) return { ...contested, groupConsent: null, states: null };
    const states = prepared.find((p) => p.states)?.states;
    const groupConsent = readGroupConsents(db, this.gate.channel, contested, true);
    return states && groupConsent ? { ...contested, groupConsent, states } : null;
  }

  /**
   * Hands out the ranges of [min, max], `width` keys each, to whichever worker is free, and writes each
   * range's rows to the sink once every range before it is written, up to `limit` rows (the rows of a
   * Windows-1252 range cannot be cut: its count of unencodable characters is the whole range's).
   * `afterRange` runs once each range is written (the members it added are then in `members`).
   * Returns the number of rows.
   */
  async run(sink: ExportSink, bounds: { min: number; max: number }, width: number, counts: ReasonCounts, members: MemberIds, limit?: number, onProgress?: (rows: number) => void, afterRange?: () => void): Promise<number> {
    const ranges = Math.floor((bounds.max - bounds.min) / width) + 1;
    // At most `window` ranges are out: handed out, or answered and waiting for the ones before them.
    const window = this.slots.length * (QUEUED + 1);
    const answered = new Map<number, RowsMessage>();
    let sent = 0;
    let written = 0;
    let rows = 0;
    let wake: (() => void) | null = null;
    const send = (): void => {
      for (const slot of this.slots) {
        while (slot.queued < QUEUED && sent < ranges && sent < written + window) {
          const from = bounds.min + sent * width;
          slot.worker.postMessage({ type: 'range', index: sent, from, to: from + width } satisfies ToWorker);
          slot.queued++;
          sent++;
        }
      }
    };
    this.onRows = (message) => {
      answered.set(message.index, message);
      send();
      wake?.();
    };
    send();
    while (written < ranges && rows !== limit) {
      const done = answered.get(written);
      if (done === undefined) {
        await Promise.race([new Promise<void>((resolve) => (wake = resolve)), this.failed]);
        wake = null;
        continue;
      }
      answered.delete(written);
      const take = limit === undefined ? done.rows : Math.min(done.rows, limit - rows);
      // Every range is in, or the limit is reached: nothing more to read.
      if (written === ranges - 1 || rows + take === limit) void this.close();
      const bytes = Buffer.from(done.buffer, 0, take === done.rows ? done.buffer.byteLength : take === 0 ? 0 : done.ends[take - 1]);
      if (take === done.rows) for (let r = 0; r < counts.length; r++) counts[r]! += done.counts[r]!;
      else {
        // Cut by the limit: what was examined up to its last row, as one thread would have.
        let kept = 0;
        for (const reason of done.reasons!) {
          if (kept === take) break;
          counts[reason]!++;
          if (reason === KEPT) kept++;
        }
      }
      members.add(done.ids.subarray(0, take), new Uint8Array(done.hashes, 0, take * HASH_BYTES), done.codes, done.cells);
      await sink.writeEncodedRows(bytes, take, done.unencodable, done.ends);
      if (onProgress && Math.floor(rows / 10_000) !== Math.floor((rows + take) / 10_000)) onProgress(rows + take);
      rows += take;
      written++;
      send();
      afterRange?.();
    }
    this.onRows = null;
    return rows;
  }

  /**
   * Ends the workers: each ends its read transaction and closes its connection (stopped if it does
   * not). The same promise for every call: run() starts it once the last range is in, so the workers
   * wind down (unmapping the store takes a while) while this thread finishes the file.
   */
  close(): Promise<void> {
    this.closing ??= this.end();
    return this.closing;
  }

  private async end(): Promise<void> {
    this.closed = true;
    this.onRows = null;
    const clean = this.failure === null;
    await Promise.all(
      this.slots.map(async (slot) => {
        if (clean) {
          const exited = new Promise<boolean>((resolve) => {
            slot.worker.once('exit', () => resolve(true));
            setTimeout(() => resolve(false), CLOSE_TIMEOUT_MS).unref();
          });
          slot.worker.postMessage({ type: 'end' } satisfies ToWorker);
          if (await exited) return;
        }
        await slot.worker.terminate();
      }),
    );
  }
}
