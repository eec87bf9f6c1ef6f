/**
 * Worker thread body: validates batches posted on its port and raises a shared flag after each answer,
 * so the main thread can wait for it synchronously (see pool.ts for why).
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { validateBatch, type RawRow } from './batch.js';
import { adoptPhonePrefixTable } from './phone-prefixes.js';
import type { ValidationContext } from './record.js';

interface Data {
  port: MessagePort;
  signal: SharedArrayBuffer;
  context: ValidationContext;
  phonePrefixes: SharedArrayBuffer;
}

const { port, signal, context, phonePrefixes } = workerData as Data;
// The phone verdicts the other threads work out are this thread's too (phone-prefixes.ts).
adoptPhonePrefixTable(phonePrefixes);
const flag = new Int32Array(signal);

function answer(message: unknown): void {
  port.postMessage(message);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

port.on('message', (message: { rows: RawRow[] }) => {
  try {
    answer({ results: validateBatch(message.rows, context) });
  } catch (error) {
    answer({ error: error instanceof Error ? error.message : String(error) });
  }
});
answer({ ready: true });
// Nothing is read from the parent port: keep the thread from holding the process open on it.
parentPort?.unref();
