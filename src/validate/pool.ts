/**
 * A small pool of worker threads that the main thread drives *synchronously*: it posts a batch, and
 * later blocks on Atomics.wait until that worker raises its flag, then takes the answer with
 * receiveMessageOnPort. Synchronous because ensureValidated() is called by other stages, sometimes
 * inside a better-sqlite3 transaction, which cannot span an await.
 *
 * Workers run the built JavaScript (dist/validate/worker.js). When the code runs from TypeScript
 * sources (tests under vitest) there is no worker file next to this one, and the pool is not created:
 * callers then validate on the main thread.
 */
import os from 'node:os';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { RawRow, ValidatedBatch } from './batch.js';
import { phonePrefixTable } from './phone-prefixes.js';
import type { ValidationContext } from './record.js';
import { builtWorkerFile } from './worker-call.js';
import type { StoreAddress } from '../store/db.js';

interface Slot {
  worker: Worker;
  port: MessagePort;
  flag: Int32Array;
  /** Batches posted and not answered yet (a worker keeps a queue, so it never waits for this thread). */
  pending: number;
  /** Until the worker says it has started: the time by which it must have (else it failed to load). */
  readyBy: number | null;
}

const READY_TIMEOUT_MS = 15_000;
const BATCH_TIMEOUT_MS = 120_000;

export class WorkerPoolError extends Error {}

/** Where workers read contacts themselves: the store file and the "needs validating" condition. */
export interface RowSource {
  /** The store and its key: the worker opens its own read-only connection. */
  store: StoreAddress;
  /** SQL over contacts, with `params` for its placeholders. */
  where: string;
  params: unknown[];
}

export class SyncPool {
  private constructor(private readonly slots: Slot[]) {}

  get size(): number {
    return this.slots.length;
  }

  /** The worker file, when this module runs from built JavaScript. */
  static workerFile(): string | null {
    return builtWorkerFile('worker.js');
  }

  /** One worker per core but one: the main thread keeps a core for reading and writing SQLite. */
  static defaultSize(): number {
    const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
    return Math.max(1, Math.min(4, cores - 1));
  }

  /**
   * Starts `size` workers, or returns null when workers cannot run here (TypeScript sources). With a
   * `source`, workers read the contacts of the id ranges they are given themselves, on their own
   * read-only connection (see submitRange).
   */
  static create(size: number, context: ValidationContext, source?: RowSource): SyncPool | null {
    const file = SyncPool.workerFile();
    if (file === null || size < 1) return null;
    const slots: Slot[] = [];
    for (let i = 0; i < size; i++) {
      const { port1, port2 } = new MessageChannel();
      const signal = new SharedArrayBuffer(4);
      // A larger young generation: validation allocates many short-lived strings, and the default
      // nursery makes the scavenger run every few hundred rows.
      const worker = new Worker(file, {
        workerData: { port: port2, signal, context, phonePrefixes: phonePrefixTable(), source },
        transferList: [port2],
        resourceLimits: { maxYoungGenerationSizeMb: 64 },
      });
      worker.unref();
      // Not waited for: batches can be queued at once, and this thread validates while workers load.
      slots.push({ worker, port: port1, flag: new Int32Array(signal), pending: 0, readyBy: Date.now() + READY_TIMEOUT_MS });
    }
    return new SyncPool(slots);
  }

  /** Queues a batch for worker `index`; answers come back in the order batches were posted. */
  submit(index: number, rows: RawRow[]): void {
    const slot = this.slots[index]!;
    slot.pending++;
    slot.port.postMessage({ rows });
  }

  /** Queues the contacts with `after < id <= upTo` (read by the worker: needs a source). */
  submitRange(index: number, after: number, upTo: number): void {
    const slot = this.slots[index]!;
    slot.pending++;
    slot.port.postMessage({ range: [after, upTo] });
  }

  /** Batches worker `index` has not answered yet. */
  pending(index: number): number {
    return this.slots[index]!.pending;
  }

  /** Blocks until worker `index` answers its oldest batch. */
  collect(index: number): ValidatedBatch {
    return this.unwrap(this.take(index, BATCH_TIMEOUT_MS));
  }

  /** Worker `index`'s next answer if it is there, without waiting. */
  poll(index: number): ValidatedBatch | null {
    const slot = this.slots[index]!;
    if (slot.pending === 0) return null;
    const message = this.receive(index);
    if (message === undefined) return null;
    slot.pending--;
    return this.unwrap(message);
  }

  /** The worker's next answer to a batch, if one has come (its "started" message is taken on the way). */
  private receive(index: number): unknown {
    const slot = this.slots[index]!;
    for (;;) {
      const received = receiveMessageOnPort(slot.port);
      if (received) Atomics.store(slot.flag, 0, 0);
      if (received && (received.message as { ready?: boolean }).ready === true) {
        slot.readyBy = null;
        continue;
      }
      if (!received && slot.readyBy !== null && Date.now() > slot.readyBy) {
        throw new WorkerPoolError(`validation worker ${index + 1} did not start within ${READY_TIMEOUT_MS / 1000}s`);
      }
      return received?.message;
    }
  }

  private unwrap(message: unknown): ValidatedBatch {
    const answer = message as { results?: ValidatedBatch; error?: string };
    if (answer.error !== undefined) throw new WorkerPoolError(`validation worker failed: ${answer.error}`);
    if (!answer.results) throw new WorkerPoolError('validation worker sent no results');
    return answer.results;
  }

  private take(index: number, timeoutMs: number): unknown {
    const slot = this.slots[index]!;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const message = this.receive(index);
      if (message !== undefined) {
        slot.pending--;
        return message;
      }
      // A flag left raised by the previous answer (raised after we had already taken it): lower it and
      // look again, so the wait below sleeps instead of spinning.
      if (Atomics.compareExchange(slot.flag, 0, 1, 0) === 1) continue;
      const left = Math.min(deadline, slot.readyBy ?? deadline) - Date.now() + 1;
      if (left <= 0) throw new WorkerPoolError(`validation worker ${index + 1} did not answer within ${timeoutMs / 1000}s`);
      Atomics.wait(slot.flag, 0, 0, Math.min(left, 1000));
    }
  }

  close(): void {
    for (const slot of this.slots) {
      slot.port.close();
      void slot.worker.terminate();
    }
  }
}
