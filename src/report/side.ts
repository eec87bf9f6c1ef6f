/**
 * The KPIs that read no order: revenue per day, category and channel (a range of the purchases_day
 * index), contacts by status, duplicates, surveys, the score run's sections, the affinities and file
 * health. They are independent of the orders and customers tables (scope.ts), so on a large store
 * they are computed on a worker thread (side-worker.ts, its own read-only connection) while this
 * thread builds those: two cores, about half the time. Small stores, and code not run from
 * built JavaScript (tests), compute them here: a thread costs more than it saves below SIDE_FROM.
 */
import { storeAddress, type Db } from '../store/db.js';
import { builtWorkerFile, startWorkerCall, WorkerCallError, type WorkerCall } from '../validate/worker-call.js';
import { duplicates, fileHealth, statusCounts, surveys, type Duplicates, type FileHealth, type StatusCounts, type Survey } from './file.js';
import { lineKpis, type LineKpis } from './sales.js';
import { prepareLines, type Scope } from './scope.js';
import { categoryAffinities, clvDistribution, currentRun, rfGrid, segmentSizes, type AffinityRule, type ClvSummary, type GridCell, type SegmentSizes } from './scores.js';

export interface SideKpis {
  lines: LineKpis;
  statuses: StatusCounts;
  duplicates: Duplicates;
  surveys: Survey[];
  scores: (SegmentSizes & { rfGrid: GridCell[]; clv: ClvSummary | null }) | null;
  affinities: { runId: number; rules: AffinityRule[] } | null;
  fileHealth: FileHealth;
}

/** How long each step took, in milliseconds, and on which thread ('main' or 'side'). */
export interface Timing {
  step: string;
  ms: number;
  thread: 'main' | 'side';
}

/** Runs `fn`, recording how long it took under `step`. */
export function timed<T>(timings: Timing[], thread: Timing['thread'], step: string, fn: () => T): T {
  const start = performance.now();
  try {
    return fn();
  } finally {
    timings.push({ step, ms: Math.round(performance.now() - start), thread });
  }
}

export function sideKpis(db: Db, scope: Scope, timings: Timing[] = [], thread: Timing['thread'] = 'main'): SideKpis {
  const t = <T>(step: string, fn: () => T): T => timed(timings, thread, step, fn);
  const asOf = scope.asOf;
  const lines = t('revenue per day, category and channel', () => {
    prepareLines(db, scope);
    try {
      return lineKpis(db, scope);
    } finally {
      db.exec('DROP TABLE IF EXISTS temp.rep_lines');
    }
  });
  const statuses = t('contacts by status', () => statusCounts(db));
  const run = currentRun(db, asOf);
  return {
    lines,
    statuses,
    duplicates: t('duplicates', () => duplicates(db, statuses.merged)),
    surveys: t('surveys', () => surveys(db)),
    scores: run
      ? {
          ...t('segments and migration', () => segmentSizes(db, run)),
          rfGrid: t('R x F grid', () => rfGrid(db, run.id)),
          clv: t('CLV distributions', () => clvDistribution(db, run.id)),
        }
      : null,
    affinities: t('affinities', () => categoryAffinities(db, asOf)),
    // validate's own report, itself on two threads for a large store (validate/report.ts).
    fileHealth: t('file health', () => fileHealth(db)),
  };
}

/** Contacts from which the side KPIs get their own thread. */
const SIDE_FROM = 50_000;
const START_TIMEOUT_MS = 15_000;
const ANSWER_TIMEOUT_MS = 600_000;

export interface PendingSide {
  /** The side KPIs, from the worker when it answered, else computed now on this thread. */
  result(): SideKpis;
  /** Ends the worker without waiting (the report failed on this thread). */
  cancel(): void;
}

/**
 * Starts the side KPIs on a worker when the store is a file and large enough (`thread`: true or false
 * decides instead; tests). The worker opens it read-only: call after any write, such as
 * ensureValidated, has been committed.
 */
export function startSideKpis(db: Db, scope: Scope, timings: Timing[], thread: 'auto' | boolean = 'auto'): PendingSide {
  const file = thread === false ? null : builtWorkerFile('side-worker.js', import.meta.url);
  const large = () => thread === true || ((db.prepare('SELECT max(id) FROM contacts').pluck().get() as number | null) ?? 0) >= SIDE_FROM;
  let call: WorkerCall | null = null;
  if (file !== null && !db.memory && !db.inTransaction && large()) call = startWorkerCall(file, { store: storeAddress(db), scope });
  return {
    result() {
      if (call === null) return sideKpis(db, scope, timings);
      let answer: { kpis?: SideKpis; timings?: Timing[]; error?: string } = {};
      try {
        answer = call.wait(START_TIMEOUT_MS, ANSWER_TIMEOUT_MS) as typeof answer;
      } catch (error) {
        if (!(error instanceof WorkerCallError)) throw error;
      }
      // A worker that failed (or could not open the store) is not fatal: this thread computes them.
      if (!answer.kpis) return sideKpis(db, scope, timings);
      timings.push(...(answer.timings ?? []));
      return answer.kpis;
    },
    cancel() {
      call?.cancel();
    },
  };
}
