import fs from 'node:fs';
import type { Command } from 'commander';
import Table from 'cli-table3';
import { CliError, ExitCode, UsageError } from './context.js';
import type { Wrap } from './main.js';
import { runLockHolder } from '../pipeline/lock.js';
import { listRuns, runsDirOf } from '../pipeline/log.js';

const EXAMPLES = `
Examples:
  # The last 20 pipeline runs: when, pipeline, status, exit code, how far each went
  custkit runs

  # One run step by step (start, end, exit code, figures), then everything as JSON
  custkit runs --id last
  custkit runs --json > runs.json

Logs are JSON lines in <store>-runs/ beside the store (custkit.db-runs/run-<id>.jsonl, mode 0600).
A run with no end line is "running" while it holds the lock, else "interrupted" (killed, machine down).`;

export function registerRuns(program: Command, wrap: Wrap): void {
  program
    .command('runs')
    .description('List the pipeline runs of this store (custkit run): when, which pipeline, status (ok, partial, failed, running, interrupted), exit code and the steps each went through.')
    .addHelpText('after', EXAMPLES)
    .option('--limit <n>', 'the N most recent (default 20)', '20')
    .option('--id <run>', 'one run, step by step (last: the latest)')
    .action(
      wrap((ctx, flags: { limit: string; id?: string }) => {
        if (!/^\d+$/.test(flags.limit)) throw new UsageError(`--limit ${flags.limit}: expected a whole number`);
        const store = ctx.dbPath;
        if (!fs.existsSync(store)) throw new CliError(`${store}: no custkit store here (run "custkit import FILE" first, or pass --db)`);
        const runsDir = runsDirOf(store);
        const holder = runLockHolder(runsDir);
        const running = holder !== 'free' && holder ? holder.run : null;
        let runs = listRuns(runsDir, running);
        if (flags.id !== undefined) {
          runs = flags.id === 'last' ? runs.slice(0, 1) : runs.filter((r) => r.run === flags.id);
          if (!runs.length) throw new UsageError(`--id ${flags.id}: no such run (custkit runs lists them)`);
        } else runs = runs.slice(0, Number(flags.limit));
        if (ctx.json) {
          ctx.printJson(runs);
          return ExitCode.Ok;
        }
        if (!runs.length) {
          ctx.info(`no pipeline runs recorded for ${store} yet (custkit run PIPELINE.yaml)`);
          return ExitCode.Ok;
        }
        const style = { head: ctx.color.level ? ['bold'] : [], border: [] };
        if (flags.id === undefined) {
          const table = new Table({ head: ['run', 'started', 'ended', 'status', 'exit', 'steps', 'pipeline'], style });
          for (const r of runs) {
            const done = r.steps.filter((s) => s.event === 'step').length;
            table.push([r.run, r.started_at.slice(0, 19).replace('T', ' '), r.ended_at?.slice(11, 19) ?? '', r.stopped_in ? `${r.status} in ${r.stopped_in}` : r.status, r.exit_code ?? '', `${done}/${r.steps_total}`, r.pipeline]);
          }
          ctx.out(table.toString());
          return ExitCode.Ok;
        }
        const run = runs[0]!;
        ctx.out(`run ${run.run} of ${run.pipeline}: ${run.status}${run.exit_code === null ? '' : `, exit ${run.exit_code}`} (log: ${run.log})`);
        const table = new Table({ head: ['#', 'step', 'started', 'ended', 'exit', 'figures'], style });
        for (const s of run.steps) {
          const figures = s.event === 'step' ? Object.entries(s.counts).map(([k, v]) => `${k} ${v}`).join(', ') + (s.error ? `; ${s.error}` : '') : 'did not finish';
          table.push([s.index, s.step, s.started_at.slice(11, 19), s.event === 'step' ? s.ended_at.slice(11, 19) : '', s.event === 'step' ? s.exit_code : '', figures]);
        }
        ctx.out(table.toString());
        return ExitCode.Ok;
      }),
    );
}
