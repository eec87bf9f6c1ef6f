/**
 * A JSON-lines log per run, in `<store>-runs/` beside the store (folder 0700, files 0600): one line when
 * the run starts, one when each step starts, one when it ends (times, exit code, figures), one at the end.
 * A line is appended and flushed as it happens, so a run killed mid-step leaves a log that says where.
 * Figures only: file names and counts, never the personal data the steps read.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Where the runs of a store are logged and locked. */
export function runsDirOf(store: string): string {
  return `${store}-runs`;
}

export interface FileOutcome {
  file: string;
  exit_code: number;
  /** Where it was moved once imported; absent when it was left where it was. */
  archived_to?: string;
}

export type LogLine =
  | { event: 'run'; run: string; pipeline: string; store: string; pid: number; user: string | null; started_at: string; steps: string[]; took_over?: string | null }
  | { event: 'step-start'; index: number; step: string; started_at: string }
  | { event: 'step'; index: number; step: string; started_at: string; ended_at: string; exit_code: number; counts: Record<string, number>; files?: FileOutcome[]; error?: string }
  | { event: 'end'; ended_at: string; exit_code: number };

/** Run ids sort as time does: 20261207T030000Z, with -2, -3 for runs within one second. */
export function newRunId(runsDir: string, now = new Date()): string {
  const base = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  for (let n = 1; ; n += 1) {
    const id = n === 1 ? base : `${base}-${n}`;
    if (!fs.existsSync(logFile(runsDir, id))) return id;
  }
}

export function logFile(runsDir: string, run: string): string {
  return path.join(runsDir, `run-${run}.jsonl`);
}

export class RunLog {
  private readonly fd: number;

  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'wx', 0o600);
  }

  write(line: LogLine): void {
    fs.writeSync(this.fd, `${JSON.stringify(line)}\n`);
    fs.fsyncSync(this.fd);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

export type RunStatus = 'ok' | 'partial' | 'failed' | 'running' | 'interrupted';

export interface RunSummary {
  run: string;
  pipeline: string;
  started_at: string;
  ended_at: string | null;
  status: RunStatus;
  exit_code: number | null;
  steps_total: number;
  steps: Array<Extract<LogLine, { event: 'step' }> | Extract<LogLine, { event: 'step-start' }>>;
  /** The step a run that did not finish was in. */
  stopped_in: string | null;
  log: string;
}

/** Reads one run's log; `running` names the run holding the lock now, if any. */
export function readRun(file: string, running: string | null): RunSummary | null {
  const lines: LogLine[] = [];
  for (const text of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!text.trim()) continue;
    try {
      lines.push(JSON.parse(text) as LogLine);
    } catch {
      // A line cut by a kill mid-write: the lines before it still tell the story.
    }
  }
  const start = lines.find((l): l is Extract<LogLine, { event: 'run' }> => l.event === 'run');
  if (!start) return null;
  const end = lines.find((l): l is Extract<LogLine, { event: 'end' }> => l.event === 'end');
  const steps = new Map<number, RunSummary['steps'][number]>();
  for (const line of lines) if (line.event === 'step' || line.event === 'step-start') steps.set(line.index, line);
  const last = [...steps.values()].at(-1);
  const status: RunStatus = end ? (end.exit_code === 0 ? 'ok' : end.exit_code === 3 ? 'partial' : 'failed') : start.run === running ? 'running' : 'interrupted';
  return {
    run: start.run,
    pipeline: start.pipeline,
    started_at: start.started_at,
    ended_at: end?.ended_at ?? null,
    status,
    exit_code: end?.exit_code ?? null,
    steps_total: start.steps.length,
    steps: [...steps.values()],
    stopped_in: !end && last ? `step ${last.index} (${last.step})` : null,
    log: file,
  };
}

/** Every run of a store, newest first. */
export function listRuns(runsDir: string, running: string | null): RunSummary[] {
  if (!fs.existsSync(runsDir)) return [];
  return fs
    .readdirSync(runsDir)
    .filter((f) => /^run-.*\.jsonl$/.test(f))
    .map((f) => readRun(path.join(runsDir, f), running))
    .filter((r): r is RunSummary => r !== null)
    .sort((a, b) => (a.started_at < b.started_at ? 1 : a.started_at > b.started_at ? -1 : 0));
}
