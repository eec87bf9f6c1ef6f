import { recordAudit } from '../gdpr/audit.js';
import type { Command } from 'commander';
import { Option } from 'commander';
import Table from 'cli-table3';
import { ExitCode, UsageError, type CommandContext } from './context.js';
import type { Wrap } from './main.js';
import { foldHeader } from '../io/header-words.js';
import { forget, listRemembered } from '../store/source-mappings.js';

const EXAMPLES = `
Examples:
  # Every mapping remembered: source, kind, column, field, when it was saved
  custkit mappings

  # Those of one source, as JSON
  custkit mappings --source erp --json

  # Forget everything remembered for a source (its next import maps headers afresh)
  custkit mappings forget erp

  # Forget one column of it, or only what was remembered for its purchases files
  custkit mappings forget erp --column "valeur_cmd"
  custkit mappings forget erp --kind purchases

A mapping is remembered when "custkit import FILE --source NAME --map ..." succeeds; the next import of
that source applies it to the columns the file has (a --map given then still wins). Exit codes: 0 done,
1 no store here, 2 usage error.`;

type Kind = 'contacts' | 'purchases';

export function registerMappings(program: Command, wrap: Wrap): void {
  const command = program
    .command('mappings')
    .description('List the column mappings remembered per source (from "import --source NAME --map ..."), or forget them.')
    .addHelpText('after', EXAMPLES)
    .option('--source <name>', 'only this source')
    .action(wrap(async (ctx: CommandContext, flags: { source?: string }) => list(ctx, flags.source)));
  command
    .command('forget')
    .description('Forget the mappings remembered for a source (all of them, one kind, or one column).')
    .argument('<source>', 'the source name given to import --source')
    .addOption(new Option('--kind <kind>', 'only those remembered for this kind of file').choices(['contacts', 'purchases']))
    .option('--column <header>', 'only this column (any case or accent variant)')
    .addHelpText('after', `
Examples:
  custkit mappings forget erp
  custkit mappings forget erp --column "valeur_cmd"`)
    .action(wrap(async (ctx: CommandContext, source: string, flags: { kind?: Kind; column?: string }) => forgetSource(ctx, source, flags)));
}

function list(ctx: CommandContext, source: string | undefined): number {
  const db = ctx.openDb({ mustExist: true });
  try {
    const rows = listRemembered(db, source);
    if (ctx.json) {
      ctx.printJson(rows.map((r) => ({ source: r.source, kind: r.kind, column: r.column, field: r.field, saved_at: r.savedAt, import_id: r.importId })));
      return ExitCode.Ok;
    }
    if (!rows.length) {
      ctx.info(source ? `no mapping remembered for source "${source}"` : 'no mapping remembered (import with --source NAME --map "Column=field" to remember one)');
      return ExitCode.Ok;
    }
    const table = new Table({ head: ['source', 'kind', 'column', 'field', 'saved', 'import'], style: { head: [], border: [] } });
    for (const r of rows) table.push([r.source, r.kind, r.column, r.field ?? '- (kept in attributes)', r.savedAt.slice(0, 19).replace('T', ' '), r.importId ?? '']);
    ctx.out(table.toString());
    return ExitCode.Ok;
  } finally {
    db.close();
  }
}

function forgetSource(ctx: CommandContext, source: string, flags: { kind?: Kind; column?: string }): number {
  if (source.trim() === '') throw new UsageError('a source name cannot be empty');
  if (flags.column !== undefined && foldHeader(flags.column) === '') throw new UsageError('--column: give a column name');
  const db = ctx.openDb({ mustExist: true });
  try {
    const removed = db.transaction(() => {
      const n = forget(db, source.trim(), { kind: flags.kind, columnKey: flags.column === undefined ? undefined : foldHeader(flags.column) });
      if (n > 0) recordAudit(db, { action: 'mappings.forget', counts: { columns: n }, details: { source: source.trim(), kind: flags.kind ?? null } });
      return n;
    })();
    if (ctx.json) ctx.printJson({ source: source.trim(), kind: flags.kind ?? null, column: flags.column ?? null, forgotten: removed });
    else ctx.info(removed ? `forgot ${removed} remembered column${removed > 1 ? 's' : ''} of source "${source.trim()}"` : `nothing was remembered for source "${source.trim()}"${flags.kind ? ` (${flags.kind})` : ''}${flags.column ? ` column "${flags.column}"` : ''}`);
    return ExitCode.Ok;
  } finally {
    db.close();
  }
}
