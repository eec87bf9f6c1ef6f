import type { Command } from 'commander';
import { CliError, ExitCode, UsageError } from './context.js';
import type { Wrap } from './main.js';
import { SelectionError } from '../export/select.js';
import { recordAudit } from '../gdpr/audit.js';
import { addSeed, listSeeds, SeedError, traceEmail, traceFile } from '../export/seeds.js';

const EXAMPLES = `
Examples:
  # Register trap mailboxes you control (they never appear in ordinary exports or counts)
  $ custkit seeds add trap.lyon@my-domain.fr --name "Camille Roux"
  $ custkit seeds add trap2@my-domain.fr

  # Mix 2 of them into a list handed to a partner, at random rows
  $ custkit export --tag partner-ok --with-seeds 2 --out partner.csv

  # A trap mailbox received a message: which export did its address leave in?
  $ custkit seeds trace trap.lyon@my-domain.fr

  # A file turned up somewhere: which export is it (same bytes, or the seeds it holds)?
  $ custkit seeds trace leaked.csv

  $ custkit seeds list`;

function failWith(error: unknown): never {
  if (error instanceof SelectionError) throw new UsageError(error.message);
  if (error instanceof SeedError) throw new CliError(error.message, ExitCode.Failed);
  throw error;
}

export function registerSeeds(program: Command, wrap: Wrap): void {
  const seeds = program
    .command('seeds')
    .description('Trap (seed) addresses for lists handed to third parties: register them, mix them into exports, trace a message or a leaked file back to its export.')
    .addHelpText('after', EXAMPLES);

  seeds
    .command('add')
    .argument('<email>', 'a mailbox you control')
    .option('--name <name>', 'the name written with it ("First Last"), so the row looks ordinary')
    .description('Register a trap address.')
    .action(
      wrap((ctx, email: string, flags: { name?: string }) => {
        const db = ctx.openDb();
        try {
          // The trap address is the company's, but the audit keeps to the rule: the seed's uid, not its address.
          const seed = db.transaction(() => {
            const added = addSeed(db, email, flags.name);
            recordAudit(db, { action: 'seeds.add', details: { seed_uid: added.uid } });
            return added;
          })();
          if (ctx.json) ctx.printJson(seed);
          else ctx.info(`seed #${seed.id} added: ${seed.email}`);
          return ExitCode.Ok;
        } catch (error) {
          return failWith(error);
        } finally {
          db.close();
        }
      }),
    );

  seeds
    .command('list')
    .description('The registered trap addresses and how many exports each went out in.')
    .action(
      wrap((ctx) => {
        const db = ctx.openDb({ mustExist: true });
        try {
          const rows = listSeeds(db);
          if (ctx.json) ctx.printJson(rows);
          else if (!rows.length) ctx.info('no seeds registered (custkit seeds add EMAIL)');
          else for (const s of rows) ctx.out(`#${s.id}  ${s.email}  ${[s.first_name, s.last_name].filter(Boolean).join(' ')}  in ${s.exports} export(s)`);
          return ExitCode.Ok;
        } finally {
          db.close();
        }
      }),
    );

  seeds
    .command('trace')
    .argument('<email-or-file>', 'a seed address that received a message, or a file found elsewhere')
    .description('Tell which export a seed address or a leaked file came from.')
    .action(
      wrap(async (ctx, target: string) => {
        const db = ctx.openDb({ mustExist: true });
        try {
          if (target.includes('@') && !target.includes('/')) {
            const trace = traceEmail(db, target);
            if (ctx.json) ctx.printJson(trace);
            else if (!trace.exports.length) ctx.out(`${trace.seed.email} is a seed but went out in no export`);
            else for (const x of trace.exports) ctx.out(`export #${x.id}  ${x.created_at}  by ${x.os_user ?? '?'}  ${x.channel}  ${x.row_count} rows  row ${x.position}  ${x.destination}`);
            return trace.exports.length ? ExitCode.Ok : ExitCode.Partial;
          }
          const trace = await traceFile(db, target);
          if (ctx.json) {
            ctx.printJson(trace);
          } else {
            if (trace.identical) ctx.out(`identical to export #${trace.identical.id} (${trace.identical.created_at}, by ${trace.identical.os_user ?? '?'}, ${trace.identical.destination})`);
            ctx.out(`${trace.seedsFound.length} seed address(es) found${trace.seedsFound.length ? `: ${trace.seedsFound.join(', ')}` : ''}`);
            for (const c of trace.candidates) ctx.out(`export #${c.id}  ${c.created_at}  by ${c.os_user ?? '?'}  held ${c.matched} of its ${c.seed_count} seed(s)  ${c.destination}`);
          }
          return trace.identical || trace.candidates.length ? ExitCode.Ok : ExitCode.Partial;
        } catch (error) {
          return failWith(error);
        } finally {
          db.close();
        }
      }),
    );
}
