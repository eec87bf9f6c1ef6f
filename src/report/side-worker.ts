/**
 * Worker thread body for a large report (side.ts): computes the KPIs that read no order on its
 * own read-only connection and answers once with them and their timings.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { openStore, type StoreAddress } from '../store/db.js';
import { answerWorkerCall } from '../validate/worker-call.js';
import type { Scope } from './scope.js';
import { sideKpis, type Timing } from './side.js';

// The store's file and key (an encrypted store): the key travels in memory, never in the environment.
const { port, signal, store, scope } = workerData as { port: MessagePort; signal: SharedArrayBuffer; store: StoreAddress; scope: Scope };

answerWorkerCall(port, signal, { ready: true });
try {
  const db = openStore(store.file, { readonly: true, mustExist: true, key: store.key });
  try {
    const timings: Timing[] = [];
    const kpis = sideKpis(db, scope, timings, 'side');
    answerWorkerCall(port, signal, { kpis, timings });
  } finally {
    db.close();
  }
} catch (error) {
  answerWorkerCall(port, signal, { error: error instanceof Error ? error.message : String(error) });
}
