import type { Command } from 'commander';
import { CliError, ExitCode } from './context.js';
import type { Wrap } from './main.js';
import { parseRunFlag, requireRun } from './score-run.js';
import { integer, money, percent, table } from './format.js';
import { migrationMatrix, previousRun, segmentTable, NOT_SCORED } from '../score/report.js';

const EXAMPLES = `
Examples:
  # The latest run's segments: size, revenue, average order value, median recency; the total row is
  # the store's net revenue to the as-of date (contacts with returns only are "no net purchase")
  custkit segments

  # A given run (ids are printed by "custkit score")
  custkit segments --run 3

  # Where did last run's customers go? (e.g. how many Champions became At Risk)
  custkit segments --compare-previous
  custkit segments --compare-previous --json > migration.json

"Previous" is the run with the same method and the latest as-of date before this run's.
`;

export function registerSegments(program: Command, wrap: Wrap): void {
  program
    .command('segments')
    .description(
      'Summarise a scoring run by segment: customers, share, revenue, share of revenue, average order value ' +
        'and median recency; --compare-previous adds the migration matrix (from -> to counts) from the previous run.',
    )
    .addHelpText('after', EXAMPLES)
    .option('--run <id>', 'run id (default: the latest run)')
    .option('--compare-previous', 'migration matrix from the previous run of the same method')
    .action(
      wrap((ctx, flags: { run?: string; comparePrevious?: boolean }) => {
        const runId = parseRunFlag(flags.run);
        const db = ctx.openDb({ mustExist: true });
        try {
          const run = requireRun(db, runId);
          const rows = segmentTable(db, run.id);
          let migration;
          let previous;
          if (flags.comparePrevious) {
            previous = previousRun(db, run);
            if (!previous) throw new CliError(`run ${run.id} (${run.method}, as of ${run.asOf}) has no earlier run of the same method to compare with`, ExitCode.Failed);
            migration = migrationMatrix(db, previous.id, run.id);
          }
          // The revenues add up to the store's net revenue to the as-of date (returns-only contacts included).
          const total = { customers: rows.reduce((n, r) => n + r.customers, 0), revenueMinor: rows.reduce((n, r) => n + r.revenueMinor, 0) };
          if (ctx.json) {
            ctx.printJson({ run, segments: rows, total, previous, migration });
            return ExitCode.Ok;
          }
          ctx.info(`run ${run.id}: ${run.method} as of ${run.asOf}, map ${run.segmentMap}`);
          ctx.out(
            table(
              ['segment', 'customers', 'share', 'revenue', 'revenue share', 'avg order', 'median recency (days)'],
              [
                ...rows.map((r) => [r.segment, integer(r.customers), percent(r.share), money(r.revenueMinor), percent(r.revenueShare), money(r.aovMinor), r.medianRecencyDays ?? '-']),
                ['total', integer(total.customers), percent(1), money(total.revenueMinor), percent(total.revenueMinor ? 1 : 0), '', ''],
              ],
            ),
          );
          if (migration && previous) {
            ctx.info(`migration from run ${previous.id} (as of ${previous.asOf}) to run ${run.id} (as of ${run.asOf}); rows: from, columns: to`);
            ctx.out(matrixTable(migration));
          }
          return ExitCode.Ok;
        } finally {
          db.close();
        }
      }),
    );
}


function matrixTable(cells: Array<{ from: string; to: string; customers: number }>): string {
  const order = (names: string[]) => [...new Set(names)].sort((a, b) => (a === NOT_SCORED ? 1 : b === NOT_SCORED ? -1 : a < b ? -1 : a > b ? 1 : 0));
  const froms = order(cells.map((c) => c.from));
  const tos = order(cells.map((c) => c.to));
  const count = new Map(cells.map((c) => [`${c.from}\u0000${c.to}`, c.customers]));
  return table(
    ['from \\ to', ...tos],
    froms.map((f) => [f, ...tos.map((t) => integer(count.get(`${f}\u0000${t}`) ?? 0))]),
  );
}
