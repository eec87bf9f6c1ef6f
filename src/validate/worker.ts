/**
 * Worker thread body: validates batches posted on its port and raises a shared flag after each answer,
 * so the main thread can wait for it synchronously (see pool.ts for why).
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { openStore } from '../store/db.js';
import { validateBatch, type RawRow } from './batch.js';
import { adoptPhonePrefixTable } from './phone-prefixes.js';
import type { RowSource } from './pool.js';
import { RAW_CONTACT_COLUMNS } from './schemas.js';
import type { ValidationContext } from './record.js';

interface Data {
  port: MessagePort;
  signal: SharedArrayBuffer;
  context: ValidationContext;
  phonePrefixes: SharedArrayBuffer;
  source?: RowSource;
}

const { port, signal, context, phonePrefixes, source } = workerData as Data;
// The phone verdicts the other threads work out are this thread's too (phone-prefixes.ts).
adoptPhonePrefixTable(phonePrefixes);
const flag = new Int32Array(signal);

function answer(message: unknown): void {
  port.postMessage(message);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

/**
 * Reading here takes that work off the thread that writes. This connection sees the store as last
 * committed: ensure.ts gives ranges only when the writer had nothing uncommitted when it began, and
 * it writes validated columns only, never the raw values read here.
 */
let readRange: ((after: number, upTo: number) => RawRow[]) | null = null;
function rowsBetween(after: number, upTo: number): RawRow[] {
  if (!readRange) {
    const db = openStore(source!.store.file, { readonly: true, key: source!.store.key });
    const read = db
      .prepare(`SELECT id, ${RAW_CONTACT_COLUMNS.join(', ')} FROM contacts WHERE id > ? AND id <= ? AND ${source!.where} ORDER BY id`)
      .raw(true);
    readRange = (a, b) => read.all(a, b, ...source!.params) as RawRow[];
  }
  return readRange(after, upTo);
}

port.on('message', (message: { rows?: RawRow[]; range?: [number, number] }) => {
  try {
    const rows = message.range ? rowsBetween(message.range[0], message.range[1]) : message.rows!;
    answer({ results: validateBatch(rows, context) });
  } catch (error) {
    answer({ error: error instanceof Error ? error.message : String(error) });
  }
});
answer({ ready: true });
// Nothing is read from the parent port: keep the thread from holding the process open on it.
parentPort?.unref();
