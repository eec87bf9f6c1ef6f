import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Command, Option } from 'commander';
import { CliError, UsageError, type CommandContext } from './context.js';
import type { Wrap } from './main.js';
import { copyStore } from '../store/db.js';
import { dryRunPrefix, removeStaleScratch } from '../store/scratch.js';
import { parsePipeline, PipelineError, type Pipeline, type PlannedStep } from '../pipeline/definition.js';
import { acquireRunLock, describeRunHolder, runLockHolder } from '../pipeline/lock.js';
import { logFile, newRunId, RunLog, runsDirOf, readRun } from '../pipeline/log.js';
import { runPipeline, type Executed, type RunOutcome, type StepOutcome } from '../pipeline/run.js';
import type { FlagInfo, StepKind } from '../pipeline/steps.js';

const EXAMPLES = `
Examples:
  # See what tonight's run would do, on a copy of the store: nothing is changed, moved or written
  custkit run nightly.yaml --dry-run

  # Run it: steps in order, one at a time per store, logged; the exit code is the worst step's
  custkit run nightly.yaml

  # From cron, every night at 02:30, quiet unless something fails (exit 1) or is flagged (exit 3)
  # 30 2 * * * cd /srv/custkit && custkit --db shop.db -q run nightly.yaml || mail -s "custkit: exit $?" you@example.com

A pipeline file (YAML or JSON) lists steps, each a command with its flags as keys, without the dashes:
  steps:
    - import: { files: "inbox/*.csv", archive: inbox/done, source: shop }
    - clean: { fix: true }
    - dedupe: { new: true, apply: true }
    - score: { method: rfm }
    - export: { segment: [champions, loyal], preset: brevo, out: out/best.csv }
    - report: { html: out/report.html }
Relative paths are read from the pipeline file's folder. Steps: import, clean, dedupe, score, export,
report. The file is checked before anything runs (exit 2 names the step and the key). A step that fails
stops the run; the steps before it stay done. Each run is logged: custkit runs. docs/pipeline.md has it all.
Exit codes: 0 every step succeeded; 1 a step failed, or another run holds the lock; 2 the pipeline file is
wrong (nothing was run); 3 finished, but a step rejected or flagged rows.`;

/** A pipeline's view of a command's flags: its long name, whether it takes a value, its choices. */
function flagInfo(option: Option): FlagInfo | null {
  if (!option.long) return null;
  return {
    key: option.long.replace(/^--/, ''),
    takesValue: option.required || option.optional,
    choices: option.argChoices,
    repeatable: option.variadic || Array.isArray(option.defaultValue),
  };
}

/** The flags of every step's command, read from the commands as registered (never a copy of them). */
export function flagsFromProgram(program: Command): (kind: StepKind) => FlagInfo[] {
  return (kind) => {
    let command: Command | undefined = program;
    for (const word of kind.command) command = command?.commands.find((c) => c.name() === word);
    if (!command) throw new CliError(`step ${kind.name}: custkit ${kind.command.join(' ')} is not a command of this version`);
    return command.options.map(flagInfo).filter((f): f is FlagInfo => f !== null);
  };
}

async function commandFlags(ctx: CommandContext): Promise<(kind: StepKind) => FlagInfo[]> {
  const { buildProgram } = await import('./main.js');
  return flagsFromProgram(await buildProgram(ctx.streams, () => undefined, 'all'));
}

/** Collects what a step prints on stdout (its --json summary). */
class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** Passes a step's messages on to stderr and keeps its last error line for the log. */
class Tee extends Writable {
  lastError: string | undefined;
  isTTY: boolean | undefined;
  constructor(
    private readonly target: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly scratch?: string,
  ) {
    super();
    this.isTTY = target.isTTY;
  }
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    let text = chunk.toString();
    // A dry run's files are written in its scratch copy: said so, not as if they were the real ones.
    if (this.scratch) text = text.replaceAll(this.scratch, '(dry run scratch copy)');
    // eslint-disable-next-line no-control-regex
    const errors = text.replace(/\x1b\[[0-9;]*m/g, '').split('\n').filter((l) => l.startsWith('error: '));
    if (errors.length) this.lastError = errors.at(-1)!.slice('error: '.length);
    this.target.write(this.scratch ? text : chunk, done);
  }
}

/** A step runs as its command does, in this process: the CLI's own entry, with the same store and flags. */
function executor(ctx: CommandContext, store: string, scratch?: string): (argv: string[]) => Promise<Executed> {
  return async (argv) => {
    const { run } = await import('./main.js');
    const stdout = new Collect();
    const stderr = new Tee(ctx.streams.stderr, scratch);
    const globals = ['--db', store, '--json', ...(ctx.quiet ? ['-q'] : []), ...(ctx.options.color === false ? ['--no-color'] : []), ...(ctx.options.wait ? ['--wait', ctx.options.wait] : [])];
    const code = await run(['node', 'custkit', ...globals, ...argv], { stdout, stderr, env: ctx.streams.env });
    let summary: unknown = null;
    try {
      summary = stdout.text.trim() ? JSON.parse(stdout.text) : null;
    } catch {
      // A command without a JSON summary: its exit code is the record.
    }
    return { code, summary, error: stderr.lastError };
  };
}

function describeCounts(counts: Record<string, number>): string {
  const parts = Object.entries(counts).map(([k, v]) => `${k.replace(/_/g, ' ')} ${v.toLocaleString('en')}`);
  return parts.length ? parts.join(', ') : 'no figures';
}

function stepLines(step: PlannedStep, outcome: StepOutcome, total: number, dryRun: boolean): string[] {
  const lines = [`step ${step.index}/${total} ${step.kind.name}: exit ${outcome.exit_code}${dryRun ? ' (would)' : ''}; ${describeCounts(outcome.counts)}${outcome.error ? `; ${outcome.error}` : ''}`];
  for (const f of outcome.files ?? []) {
    const moved = f.archived_to ? `, moved to ${f.archived_to}` : dryRun && f.exit_code !== 1 && f.exit_code !== 2 && step.archive ? `, would move to ${step.archive}` : ', left where it is';
    lines.push(`  ${f.file}: exit ${f.exit_code}${moved}`);
  }
  if (step.kind.consumesFiles && outcome.files?.length === 0) lines.push(`  no file matches ${step.files!.join(', ')}`);
  for (const file of outcome.would_write ?? []) lines.push(`  would write ${file}`);
  return lines;
}

export function registerRun(program: Command, wrap: Wrap): void {
  program
    .command('run')
    .description('Run a pipeline file (YAML or JSON): import, clean, dedupe, score, export and report steps in order, as the commands themselves, with a lock (one run at a time per store), a JSON-lines log per run, and the worst step\'s exit code.')
    .addHelpText('after', EXAMPLES)
    .argument('<pipeline>', 'the pipeline file (.yaml, .yml or .json)')
    .option('--dry-run', 'run every step on a copy of the store: shows what each would do and its exit code; changes, moves and writes nothing')
    .action(
      wrap(async (ctx, file: string, flags: { dryRun?: boolean }) => {
        let text: string;
        try {
          text = fs.readFileSync(file, 'utf8');
        } catch (error) {
          throw new CliError(`${file}: cannot read the pipeline file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
        }
        let pipeline: Pipeline;
        try {
          pipeline = parsePipeline(text, file, await commandFlags(ctx));
        } catch (error) {
          if (error instanceof PipelineError) throw new UsageError(`${error.message}\nnothing was run`);
          throw error;
        }
        // --db wins over the file's db, which wins over CUSTKIT_DB: the command line is the last word.
        const store = ctx.options.db === undefined && pipeline.db ? pipeline.db : ctx.dbPath;
        if (!fs.existsSync(store) && !pipeline.steps[0]!.kind.consumesFiles) {
          throw new CliError(`${store}: no custkit store here (the first step is not an import; run "custkit import FILE" first, or pass --db)`);
        }
        return flags.dryRun ? dryRun(ctx, pipeline, store) : realRun(ctx, pipeline, store);
      }),
    );
}

function printOutcome(ctx: CommandContext, pipeline: Pipeline, outcome: RunOutcome, run: string | null, dry: boolean, say: (t: string) => void): void {
  for (const s of outcome.skipped) say(`${s}: not run (a step before it failed)`);
  const verdict = dry
    ? outcome.exit_code === 0 ? 'every step would succeed' : outcome.exit_code === 3 ? 'would finish with rows rejected or flagged (exit 3)' : 'a step would fail (exit 1)'
    : outcome.exit_code === 0 ? 'every step succeeded' : outcome.exit_code === 3 ? 'finished, with rows rejected or flagged (exit 3)' : 'a step failed (exit 1); the steps before it stay done';
  say(`${dry ? 'dry run (nothing was changed)' : `run ${run}`}: ${verdict}`);
  if (ctx.json) ctx.printJson({ run, pipeline: pipeline.file, dry_run: dry, exit_code: outcome.exit_code, steps: outcome.steps, not_run: outcome.skipped });
}

async function realRun(ctx: CommandContext, pipeline: Pipeline, store: string): Promise<number> {
  const runsDir = runsDirOf(store);
  fs.mkdirSync(runsDir, { recursive: true, mode: 0o700 });
  const run = newRunId(runsDir);
  const lock = acquireRunLock(runsDir, { run, pipeline: pipeline.file });
  if ('heldBy' in lock) {
    throw new CliError(`${store}: another pipeline run is in progress: ${lock.heldBy ? describeRunHolder(lock.heldBy) : 'a process that has not yet written its name'}; nothing was done. Runs never overlap: try again when it has finished (custkit runs)`);
  }
  try {
    const left = lock.previous ? readRun(logFile(runsDir, lock.previous.run), null) : null;
    // A run killed between its last log line and letting go of the lock did finish: nothing to say.
    if (lock.previous && !left?.ended_at) {
      ctx.warn(`the previous run ${lock.previous.run} (pid ${lock.previous.pid}) did not finish${left?.stopped_in ? `: it stopped in ${left.stopped_in}` : ''}; the store is as its last finished step left it. Taking over`);
    }
    const log = new RunLog(logFile(runsDir, run));
    try {
      log.write({ event: 'run', run, pipeline: pipeline.file, store, pid: process.pid, user: userName(), started_at: new Date().toISOString(), steps: pipeline.steps.map((s) => s.kind.name), took_over: lock.previous?.run ?? null });
      ctx.info(`run ${run}: ${pipeline.steps.length} step(s) of ${pipeline.file} on ${store} (log: ${logFile(runsDir, run)})`);
      let outcome: RunOutcome;
      try {
        outcome = await runPipeline(pipeline, {
          run,
          execute: executor(ctx, store),
          log,
          onStep: (step, done) => {
            if (done) stepLines(step, done, pipeline.steps.length, false).forEach((l) => ctx.info(l));
          },
        });
      } catch (error) {
        // Not a step's failure (those are exit codes) but the run's own, e.g. an unreadable inbox: logged as failed.
        log.write({ event: 'end', ended_at: new Date().toISOString(), exit_code: 1 });
        throw error;
      }
      log.write({ event: 'end', ended_at: new Date().toISOString(), exit_code: outcome.exit_code });
      printOutcome(ctx, pipeline, outcome, run, false, (t) => ctx.info(t));
      return outcome.exit_code;
    } finally {
      log.close();
    }
  } finally {
    lock.release();
  }
}

/**
 * The whole pipeline on a snapshot of the store, in a scratch folder beside it (same disk, same
 * permissions): the only way to show what step 4 would do after steps 1-3, and to exit as the real run
 * would. The inbox is read, never moved; written files go to the scratch folder; all of it is removed.
 */
async function dryRun(ctx: CommandContext, pipeline: Pipeline, store: string): Promise<number> {
  const holder = runLockHolder(runsDirOf(store));
  if (holder !== 'free') ctx.warn(`a run is in progress (${holder ? describeRunHolder(holder) : 'unnamed'}): this dry run starts from the store as it is now`);
  // What a dry run would do is the data asked for (stdout), unless --json holds the stdout.
  const say = (line: string): void => (ctx.json ? ctx.info(line) : ctx.report(line));
  // Named after this process, so that the next command can tell one a killed dry run left behind.
  removeStaleScratch(path.dirname(store));
  const scratch = fs.mkdtempSync(dryRunPrefix(path.dirname(store)));
  try {
    const copy = path.join(scratch, 'store.db');
    if (fs.existsSync(store)) await copyStore(store, copy);
    const outcome = await runPipeline(pipeline, {
      run: 'dry-run',
      execute: executor(ctx, copy, scratch),
      scratch,
      onStep: (step, done) => {
        if (done) stepLines(step, done, pipeline.steps.length, true).forEach(say);
      },
    });
    printOutcome(ctx, pipeline, outcome, null, true, say);
    return outcome.exit_code;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function userName(): string | null {
  try {
    return os.userInfo().username;
  } catch {
    return null;
  }
}
