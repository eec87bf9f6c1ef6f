import type { Command } from 'commander';
import { ExitCode, UsageError } from './context.js';
import type { Wrap } from './main.js';
import { parseRunFlag, requireRun } from './score-run.js';
import { integer, percent, table } from './format.js';
import { affinitiesForRun } from '../score/affinities.js';

const EXAMPLES = `
Examples:
  # Category pairs (and the strongest triples) bought by the same customers, strongest lift first
  custkit affinities

  # Only rules seen with at least 5 % of customers, top 10, as JSON
  custkit affinities --min-support 0.05 --limit 10 --json

Rules are computed for the latest scoring run's as-of date and stored with it; each customer's
next-best category (the highest-lift category they have not bought yet) is written to that run's
scores (column next_best_category), so export can use it.
`;

export function registerAffinities(program: Command, wrap: Wrap): void {
  program
    .command('affinities')
    .description(
      "Category association rules over customers' purchase sets: support, confidence and lift, sorted by lift; " +
        "stores each customer's next-best category with the latest run's scores.",
    )
    .addHelpText('after', EXAMPLES)
    .option('--min-support <share>', 'minimum share of customers who bought the whole rule', '0.01')
    .option('--run <id>', 'run id (default: the latest run)')
    .option('--limit <n>', 'rules to print (all are stored)', '20')
    .action(
      wrap((ctx, flags: { minSupport: string; run?: string; limit: string }) => {
        const minSupport = Number(flags.minSupport);
        if (!(minSupport > 0 && minSupport <= 1)) throw new UsageError(`--min-support ${flags.minSupport}: expected a share in (0, 1], e.g. 0.01`);
        const limit = Number(flags.limit);
        if (!(Number.isInteger(limit) && limit >= 0)) throw new UsageError(`--limit ${flags.limit}: expected a whole number`);
        const runId = parseRunFlag(flags.run);
        const db = ctx.openDb({ mustExist: true });
        try {
          const run = requireRun(db, runId);
          const result = affinitiesForRun(db, run, minSupport);
          if (ctx.json) {
            ctx.printJson({ run: run.id, asOf: run.asOf, ...result, rules: result.rules.slice(0, limit), totalRules: result.rules.length });
            return ExitCode.Ok;
          }
          ctx.info(
            `run ${run.id} (as of ${run.asOf}): ${integer(result.basketCustomers)} customers with categories, ` +
              `${result.rules.length} rules at support >= ${minSupport}, next-best category stored for ${integer(result.withNextBest)} customers`,
          );
          ctx.out(
            table(
              ['if bought', 'then', 'customers', 'support', 'confidence', 'lift'],
              result.rules.slice(0, limit).map((r) => [r.antecedent.join(' + '), r.consequent, integer(r.customers), percent(r.support), percent(r.confidence), r.lift.toFixed(2)]),
              2,
            ),
          );
          return ExitCode.Ok;
        } finally {
          db.close();
        }
      }),
    );
}
