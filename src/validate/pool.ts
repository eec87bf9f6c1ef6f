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
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { RawRow, ResultRow } from './batch.js';
import { phonePrefixTable } from './phone-prefixes.js';
import type { ValidationContext } from './record.js';

interface Slot {
  worker: Worker;
  port: MessagePort;
  flag: Int32Array;
  busy: boolean;
}

const READY_TIMEOUT_MS = 15_000;
const BATCH_TIMEOUT_MS = 120_000;

export class WorkerPoolError extends Error {}

export class SyncPool {
  private constructor(private readonly slots: Slot[]) {}

  get size(): number {
    return this.slots.length;
  }

  /** The worker file, when this module runs from built JavaScript. */
  static workerFile(): string | null {
    const here = fileURLToPath(import.meta.url);
    if (!here.endsWith('.js')) return null;
    const file = fileURLToPath(new URL('./worker.js', import.meta.url));
    return fs.existsSync(file) ? file : null;
  }

  /** One worker per core but one: the main thread keeps a core for reading and writing SQLite. */
  static defaultSize(): number {
    const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
    return Math.max(1, Math.min(4, cores - 1));
  }

  /** Starts `size` workers, or returns null when workers cannot run here (TypeScript sources). */
  static create(size: number, context: ValidationContext): SyncPool | null {
    const file = SyncPool.workerFile();
    if (file === null || size < 1) return null;
    const slots: Slot[] = [];
    for (let i = 0; i < size; i++) {
      const { port1, port2 } = new MessageChannel();
      const signal = new SharedArrayBuffer(4);
      // A larger young generation: validation allocates many short-lived strings, and the default
      // nursery makes the scavenger run every few hundred rows.
      const worker = new Worker(file, {
        workerData: { port: port2, signal, context, phonePrefixes: phonePrefixTable() },
        transferList: [port2],
        resourceLimits: { maxYoungGenerationSizeMb: 64 },
      });
      worker.unref();
      slots.push({ worker, port: port1, flag: new Int32Array(signal), busy: true });
    }
    const pool = new SyncPool(slots);
    try {
      for (let i = 0; i < slots.length; i++) pool.take(i, READY_TIMEOUT_MS);
    } catch (error) {
      pool.close();
      throw error;
    }
    return pool;
  }

  submit(index: number, rows: RawRow[]): void {
    const slot = this.slots[index]!;
    slot.busy = true;
    slot.port.postMessage({ rows });
  }

  isBusy(index: number): boolean {
    return this.slots[index]!.busy;
  }

  /** Blocks until worker `index` answers its batch. */
  collect(index: number): ResultRow[] {
    return this.unwrap(this.take(index, BATCH_TIMEOUT_MS));
  }

  /** Worker `index`'s answer if it is there, without waiting. */
  poll(index: number): ResultRow[] | null {
    const slot = this.slots[index]!;
    if (!slot.busy) return null;
    const received = receiveMessageOnPort(slot.port);
    if (!received) return null;
    Atomics.store(slot.flag, 0, 0);
    slot.busy = false;
    return this.unwrap(received.message);
  }

  private unwrap(message: unknown): ResultRow[] {
    const answer = message as { results?: ResultRow[]; error?: string };
    if (answer.error !== undefined) throw new WorkerPoolError(`validation worker failed: ${answer.error}`);
    return answer.results ?? [];
  }

  private take(index: number, timeoutMs: number): unknown {
    const slot = this.slots[index]!;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const received = receiveMessageOnPort(slot.port);
      if (received) {
        Atomics.store(slot.flag, 0, 0);
        slot.busy = false;
        return received.message;
      }
      // A flag left raised by the previous answer (raised after we had already taken it): lower it and
      // look again, so the wait below sleeps instead of spinning.
      if (Atomics.compareExchange(slot.flag, 0, 1, 0) === 1) continue;
      const left = deadline - Date.now();
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
