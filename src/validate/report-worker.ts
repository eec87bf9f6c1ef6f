/**
 * Worker thread body for a large report (report.ts): reports the ranges of ids it takes on its own
 * read-only connection, which sees what validation committed, and answers once with them all.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { openStore, type StoreAddress } from '../store/db.js';
import { reportPart } from './report.js';
import { answerWorkerCall } from './worker-call.js';

const { port, signal, store, requirement, ranges, next } = workerData as {
  port: MessagePort;
  signal: SharedArrayBuffer;
  store: StoreAddress;
  requirement: string;
  ranges: Array<[number, number]>;
  /** The shared counter of ranges taken (report.ts). */
  next: SharedArrayBuffer;
};

answerWorkerCall(port, signal, { ready: true });
try {
  const db = openStore(store.file, { readonly: true, key: store.key });
  try {
    const taken = new Int32Array(next);
    const parts: Array<[number, ReturnType<typeof reportPart>]> = [];
    for (let k = Atomics.add(taken, 0, 1); k < ranges.length; k = Atomics.add(taken, 0, 1)) parts.push([k, reportPart(db, requirement, ranges[k]!)]);
    answerWorkerCall(port, signal, { parts });
  } finally {
    db.close();
  }
} catch (error) {
  answerWorkerCall(port, signal, { error: error instanceof Error ? error.message : String(error) });
}
