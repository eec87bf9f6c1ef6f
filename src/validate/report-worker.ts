/**
 * Worker thread body for a large report (report.ts): reports one range of ids on its own read-only
 * connection, which sees what validation committed, and answers once.
 */
import Database from 'better-sqlite3';
import { workerData, type MessagePort } from 'node:worker_threads';
import { reportPart } from './report.js';
import { answerWorkerCall } from './worker-call.js';

const { port, signal, file, requirement, range } = workerData as {
  port: MessagePort;
  signal: SharedArrayBuffer;
  file: string;
  requirement: string;
  range: [number, number];
};

answerWorkerCall(port, signal, { ready: true });
try {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    answerWorkerCall(port, signal, { part: reportPart(db, requirement, range) });
  } finally {
    db.close();
  }
} catch (error) {
  answerWorkerCall(port, signal, { error: error instanceof Error ? error.message : String(error) });
}
