import { CliError, ExitCode, UsageError } from './context.js';
import type { Db } from '../store/db.js';
import { getRun, type RunInfo } from '../score/report.js';

/** `--run ID` as segments and affinities take it: a positive integer, or undefined for the latest run. */
export function parseRunFlag(flag: string | undefined): number | undefined {
  if (flag === undefined) return undefined;
  const runId = Number(flag);
  if (!(Number.isInteger(runId) && runId > 0)) throw new UsageError(`--run ${flag}: expected a run id (a positive integer)`);
  return runId;
}

/** The scoring run asked for (or the latest), or a clear error when there is none. */
export function requireRun(db: Db, runId: number | undefined): RunInfo {
  const run = getRun(db, runId);
  if (!run) throw new CliError(runId === undefined ? 'no scoring run yet: run "custkit score" first' : `run ${runId} does not exist`, ExitCode.Failed);
  return run;
}
