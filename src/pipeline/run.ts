/**
 * Runs a pipeline's steps in order. Each step is its command, run through `execute` (the CLI's own
 * in-process entry: same parsing, same core, same exit code, its own transaction), so a failed step leaves
 * the store as the step before it left it. 0 and 3 go on; anything else stops the run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { glob } from 'tinyglobby';
import { archiveFile } from './archive.js';
import { stepArgv, type OptionValue, type Pipeline, type PlannedStep } from './definition.js';
import type { FileOutcome, RunLog } from './log.js';

export interface Executed {
  code: number;
  /** The command's --json summary, when it printed one. */
  summary: unknown;
  /** Its last error line, for the log. */
  error?: string;
}

export type Execute = (argv: string[]) => Promise<Executed>;

export interface StepOutcome {
  index: number;
  step: string;
  exit_code: number;
  counts: Record<string, number>;
  started_at: string;
  ended_at: string;
  files?: FileOutcome[];
  error?: string;
  /** Dry run: the files the step would write (their real paths). */
  would_write?: string[];
}

export interface RunOutcome {
  exit_code: number;
  steps: StepOutcome[];
  /** The steps not run because one before them failed. */
  skipped: string[];
}

export interface RunSettings {
  run: string;
  execute: Execute;
  /** Dry run: a scratch folder where files the steps write go instead; no file is moved. */
  scratch?: string;
  log?: RunLog;
  /** Told when a step starts and ends (for the lines printed). */
  onStep?: (step: PlannedStep, outcome?: StepOutcome) => void;
}

/** The run's code: 1 if a step failed (its own 1 or 2, as the log keeps it), else the worst of 0 and 3. */
export function worstCode(codes: number[]): number {
  if (codes.some((c) => c !== 0 && c !== 3)) return 1;
  return codes.includes(3) ? 3 : 0;
}

export async function runPipeline(pipeline: Pipeline, settings: RunSettings): Promise<RunOutcome> {
  const outcomes: StepOutcome[] = [];
  for (const step of pipeline.steps) {
    const started = new Date().toISOString();
    settings.log?.write({ event: 'step-start', index: step.index, step: step.kind.name, started_at: started });
    settings.onStep?.(step);
    const partial = step.kind.consumesFiles ? await consumeFiles(step, settings) : await runOnce(step, settings);
    const outcome: StepOutcome = { index: step.index, step: step.kind.name, started_at: started, ended_at: new Date().toISOString(), ...partial };
    settings.log?.write({ event: 'step', index: outcome.index, step: outcome.step, started_at: outcome.started_at, ended_at: outcome.ended_at, exit_code: outcome.exit_code, counts: outcome.counts, files: outcome.files, error: outcome.error });
    outcomes.push(outcome);
    settings.onStep?.(step, outcome);
    if (outcome.exit_code !== 0 && outcome.exit_code !== 3) break;
  }
  const skipped = pipeline.steps.slice(outcomes.length).map((s) => `step ${s.index} (${s.kind.name})`);
  return { exit_code: worstCode(outcomes.map((o) => o.exit_code)), steps: outcomes, skipped };
}

type Partial = Omit<StepOutcome, 'index' | 'step' | 'started_at' | 'ended_at'>;

async function runOnce(step: PlannedStep, settings: RunSettings): Promise<Partial> {
  const options: Record<string, OptionValue> = { ...step.options };
  const wouldWrite: string[] = [];
  if (settings.scratch) {
    // The files a step writes go to the scratch folder: the dry run shows them without replacing yours.
    for (const key of step.kind.paths?.written ?? []) {
      const value = options[key];
      if (typeof value !== 'string') continue;
      wouldWrite.push(value);
      options[key] = path.join(settings.scratch, `step${step.index}-${path.basename(value)}`);
    }
  }
  const result = await settings.execute(stepArgv(step, options));
  return { exit_code: result.code, counts: step.kind.counts(result.summary), error: result.error, ...(settings.scratch ? { would_write: wouldWrite } : {}) };
}

/** The files a consuming step would take now: every glob's matches, sorted by name, none from the archive. */
export async function matchingFiles(step: PlannedStep): Promise<string[]> {
  const found = new Set<string>();
  for (const pattern of step.files ?? []) {
    const matches = await glob(pattern.split(path.sep).join('/'), { absolute: true, onlyFiles: true, dot: false, expandDirectories: false });
    for (const m of matches) found.add(path.resolve(m));
  }
  const archive = step.archive ? `${step.archive}${path.sep}` : null;
  return [...found].filter((f) => !archive || !f.startsWith(archive)).sort();
}

function addCounts(total: Record<string, number>, counts: Record<string, number>): void {
  for (const [key, value] of Object.entries(counts)) total[key] = (total[key] ?? 0) + value;
}

/**
 * Import: every file is checked first (the import's own dry run: columns found, kind, mapping), so a file
 * the import would refuse stops the step before any file is imported. Then each is imported and, once in
 * the store, moved to the archive. A file that fails stays where it is, and the run stops: it may hold
 * the day's unsubscribes, and an export made without them would write to people who said no.
 */
async function consumeFiles(step: PlannedStep, settings: RunSettings): Promise<Partial> {
  const files = await matchingFiles(step);
  const counts: Record<string, number> = { files: files.length, archived: 0 };
  const outcomes: FileOutcome[] = [];
  const argvFor = (file: string, dryRun: boolean): string[] => {
    const argv = stepArgv(step);
    argv.splice(step.kind.command.length, 0, file);
    if (dryRun) argv.push('--dry-run');
    return argv;
  };
  for (const file of files) {
    const checked = await settings.execute(argvFor(file, true));
    if (checked.code !== 0) {
      return { exit_code: checked.code, counts, files: [...outcomes, { file, exit_code: checked.code }], error: checked.error ?? `${file}: refused by the import's check` };
    }
  }
  let code = 0;
  for (const file of files) {
    const result = await settings.execute(argvFor(file, false));
    const summaries = Array.isArray(result.summary) ? result.summary : [result.summary];
    summaries.forEach((s) => addCounts(counts, step.kind.counts(s)));
    if (result.code !== 0 && result.code !== 3) {
      outcomes.push({ file, exit_code: result.code });
      return { exit_code: result.code, counts, files: outcomes, error: result.error };
    }
    code = Math.max(code, result.code);
    if (settings.scratch || !step.archive || !fs.existsSync(file)) {
      outcomes.push({ file, exit_code: result.code });
      continue;
    }
    try {
      outcomes.push({ file, exit_code: result.code, archived_to: archiveFile(file, step.archive, settings.run) });
      counts.archived! += 1;
    } catch (error) {
      // Imported but still in the inbox: the next run skips its content (same SHA-256) and moves it then.
      outcomes.push({ file, exit_code: 1 });
      return { exit_code: 1, counts, files: outcomes, error: `${file}: imported, but could not be moved to ${step.archive} (${(error as Error).message})` };
    }
  }
  return { exit_code: code, counts, files: outcomes };
}
