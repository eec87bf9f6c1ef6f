/**
 * One question to a worker thread, answered once, waited for synchronously (as pool.ts does, and for
 * the same reason: the callers are synchronous). The worker script receives `{ port, signal, ...data }`
 * as workerData and answers with answerWorkerCall.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';

/**
 * A worker script of this folder (or of the folder of the module whose `import.meta.url` is `from`),
 * when that module runs from built JavaScript (else null).
 */
export function builtWorkerFile(name: string, from: string = import.meta.url): string | null {
  const here = fileURLToPath(from);
  if (!here.endsWith('.js')) return null;
  const file = fileURLToPath(new URL(`./${name}`, from));
  return fs.existsSync(file) ? file : null;
}

export class WorkerCallError extends Error {}

export interface WorkerCall {
  /**
   * Blocks until the answer comes, then ends the worker. Throws WorkerCallError when the worker has
   * not started within startMs of the call (a worker that fails to load cannot say so to a thread
   * that blocks) or has not answered within answerMs.
   */
  wait(startMs: number, answerMs: number): unknown;
  cancel(): void;
}

export function startWorkerCall(file: string, data: Record<string, unknown>): WorkerCall {
  const started = Date.now();
  const { port1, port2 } = new MessageChannel();
  const signal = new SharedArrayBuffer(4);
  const flag = new Int32Array(signal);
  const worker = new Worker(file, { workerData: { ...data, port: port2, signal }, transferList: [port2] });
  worker.unref();
  // A worker that fails to load says so in an event this blocked thread never sees: wait() times out
  // instead, and the error must not end the process afterwards.
  worker.on('error', () => undefined);
  const cancel = (): void => {
    port1.close();
    void worker.terminate();
  };
  return {
    wait(startMs, answerMs) {
      let ready = false;
      try {
        for (;;) {
          const received = receiveMessageOnPort(port1);
          Atomics.store(flag, 0, 0);
          if (received && (received.message as { ready?: boolean }).ready === true) ready = true;
          else if (received) return received.message;
          if (received) continue;
          const left = started + (ready ? answerMs : startMs) - Date.now();
          if (left <= 0) throw new WorkerCallError(`worker ${file} did not ${ready ? 'answer' : 'start'} in time`);
          Atomics.wait(flag, 0, 0, Math.min(left, 1000));
        }
      } finally {
        cancel();
      }
    },
    cancel,
  };
}

/** The worker's side: says it has started (first) or answers (then), and wakes the waiting thread. */
export function answerWorkerCall(port: MessagePort, signal: SharedArrayBuffer, answer: unknown): void {
  port.postMessage(answer);
  const flag = new Int32Array(signal);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}
