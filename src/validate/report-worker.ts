/**
 * Worker thread body for a large report (report.ts): reports the ranges of ids it takes on its own
 * read-only connection, which sees what validation committed, and answers once with them all.
 */
import Database from 'better-sqlite3';
import { workerData, type MessagePort } from 'node:worker_threads';
import { reportPart } from './report.js';
import { answerWorkerCall } from './worker-call.js';

const { port, signal, file, requirement, ranges, next } = workerData as {
  port: MessagePort;
  signal: SharedArrayBuffer;
  file: string;
  requirement: string;
  ranges: Array<[number, number]>;
  /** The shared counter of ranges taken (report.ts). */
  next: SharedArrayBuffer;
};

answerWorkerCall(port, signal, { ready: true });
try {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
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
