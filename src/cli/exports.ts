import type { Command } from 'commander';
import Table from 'cli-table3';
import { ExitCode, UsageError } from './context.js';
import type { Wrap } from './main.js';
import { describeSelection, listExports } from '../export/history.js';

const EXAMPLES = `
Examples:
  # The last 20 exports: when, who, channel, selection, rows, file
  $ custkit exports

  # Everything recorded about export 3 (options, files, SHA-256), as JSON
  $ custkit exports --id 3 --json

  # Check that a file is the one export 3 wrote
  $ sha256sum list.csv && custkit exports --id 3`;

export function registerExports(program: Command, wrap: Wrap): void {
  program
    .command('exports')
    .description('List recorded exports: when, which OS user, channel, selection, options, row count and the SHA-256 of each file written.')
    .addHelpText('after', EXAMPLES)
    .option('--limit <n>', 'the N most recent (default 20)', '20')
    .option('--id <id>', 'one export, with every detail')
    .action(
      wrap((ctx, flags: { limit: string; id?: string }) => {
        if (!/^\d+$/.test(flags.limit)) throw new UsageError(`--limit ${flags.limit}: expected a whole number`);
        if (flags.id !== undefined && !/^\d+$/.test(flags.id)) throw new UsageError(`--id ${flags.id}: expected an export number`);
        const db = ctx.openDb({ mustExist: true });
        try {
          const records = listExports(db, { limit: Number(flags.limit), id: flags.id === undefined ? undefined : Number(flags.id) });
          if (flags.id !== undefined && !records.length) throw new UsageError(`--id ${flags.id}: no such export`);
          if (ctx.json) {
            ctx.printJson(records);
            return ExitCode.Ok;
          }
          if (!records.length) {
            ctx.info('no exports recorded yet');
            return ExitCode.Ok;
          }
          const table = new Table({
            head: ['#', 'when', 'user', 'channel', 'selection', 'rows', 'seeds', 'format', 'file', 'sha256'],
            style: { head: ctx.color.level ? ['bold'] : [], border: [] },
          });
          for (const r of records) {
            const channel = r.include_unconsented ? `${r.channel} (incl. unconsented)` : r.channel;
            const preset = typeof r.options.preset === 'string' ? ` ${r.options.preset}` : '';
            const file = r.files.length > 1 ? `${r.files.length} files` : r.destination;
            table.push([r.id, r.created_at, r.os_user ?? '', channel, describeSelection(r.selection), r.row_count, r.seed_count, `${r.format}${preset}`, file, flags.id ? r.sha256 : `${r.sha256.slice(0, 12)}…`]);
          }
          ctx.out(table.toString());
          if (flags.id !== undefined && records[0]!.files.length > 1) for (const f of records[0]!.files) ctx.out(`  ${f.path}  ${f.rows} rows  ${f.sha256}`);
          return ExitCode.Ok;
        } finally {
          db.close();
        }
      }),
    );
}
