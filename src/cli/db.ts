import type { Command } from 'commander';
import Table from 'cli-table3';
import type { Wrap } from './main.js';
import { ExitCode, type CommandContext } from './context.js';
import { storeInfo } from '../store/info.js';
import { checkStore, type CheckResult } from '../store/check.js';
import { openStore } from '../store/db.js';
import { BACKUP_EXAMPLES, registerDbBackup } from './db-backup.js';

const EXAMPLES = `
Examples:
  custkit db info                 # counts per table, schema version, size, imports
  custkit db info --json
  custkit --db /data/shop.db db info
  custkit db migrate              # bring an older store up to this version's schema
  custkit db check                # SQLite integrity + foreign keys + the store's own rules; exit 3 if wrong
  custkit db check --quick --json # quick_check instead of integrity_check (large stores), as JSON`;

export function registerDb(program: Command, wrap: Wrap): void {
  const db = program.command('db').description('Look after the store file: information, checks, backups, encryption.').addHelpText('after', `${EXAMPLES}\n${BACKUP_EXAMPLES}`);
  db.command('info')
    .description('Counts per table, schema version, file size and the list of imports.')
    .action(wrap((ctx) => runInfo(ctx)));
  db.command('check')
    .description("Check the store: SQLite integrity and foreign keys, and the store's own rules (merges, orphans, scores, erasures, imports). Exit 3 when something is wrong.")
    .option('--quick', "SQLite's quick_check instead of the full integrity_check (skips comparing indexes to their tables)")
    .action(wrap((ctx, flags: { quick?: boolean }) => runCheck(ctx, flags.quick === true)));
  db.command('migrate')
    .description('Apply any schema migration the store does not have yet (every command also does this).')
    .action(wrap((ctx) => {
      const store = ctx.openDb({ mustExist: true });
      const info = storeInfo(store, ctx.dbPath);
      store.close();
      if (ctx.json) ctx.printJson({ schema_version: info.schemaVersion });
      else ctx.info(`${ctx.dbPath}: schema version ${info.schemaVersion}`);
      return ExitCode.Ok;
    }));
  registerDbBackup(db, wrap);
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

function runInfo(ctx: CommandContext): number {
  const store = ctx.openDb({ mustExist: true });
  try {
    const info = storeInfo(store, ctx.dbPath);
    if (ctx.json) {
      ctx.printJson({ file: info.file, size_bytes: info.sizeBytes, schema_version: info.schemaVersion, tables: info.tables, imports: info.imports });
      return ExitCode.Ok;
    }
    ctx.out(`store: ${info.file} (${formatBytes(info.sizeBytes)}), schema version ${info.schemaVersion}`);
    const counts = new Table({ head: ['table', 'rows'], style: { head: [], border: [] }, colAligns: ['left', 'right'] });
    for (const [name, count] of Object.entries(info.tables)) if (name !== 'schema_migrations') counts.push([name, count.toLocaleString('en')]);
    ctx.out(counts.toString());
    if (info.imports.length === 0) {
      ctx.out('no imports yet');
      return ExitCode.Ok;
    }
    const imports = new Table({
      head: ['#', 'file', 'kind', 'source', 'when', 'rows', 'new', 'updated', 'unchanged', 'rejected'],
      style: { head: [], border: [] },
      colAligns: ['right', 'left', 'left', 'left', 'left', 'right', 'right', 'right', 'right', 'right'],
    });
    for (const i of info.imports) {
      imports.push([i.id, i.sheet ? `${i.file_name} [${i.sheet}]` : i.file_name, i.kind, i.source, i.started_at.slice(0, 16).replace('T', ' '),
        i.rows_read, i.inserted, i.updated, i.unchanged, i.rejected]);
    }
    ctx.out(imports.toString());
    return ExitCode.Ok;
  } finally {
    store.close();
  }
}

function runCheck(ctx: CommandContext, quick: boolean): number {
  // Read-only and without migrating: a damaged store must be looked at, not written to.
  const store = openStore(ctx.dbPath, { mustExist: true, readonly: true, key: ctx.storeKey });
  let result: CheckResult;
  try {
    result = checkStore(store, { quick });
  } catch (error) {
    // A page so damaged that a check cannot even read it is itself the finding.
    const message = (error as Error).message;
    result = { ok: false, integrity: 'damaged', checks: 1, problems: [{ check: 'SQLite integrity', description: 'the store could not be read through', count: 1, examples: [message] }] };
  } finally {
    store.close();
  }
  if (ctx.json) {
    ctx.printJson({ file: ctx.dbPath, ok: result.ok, integrity: result.integrity, checks: result.checks, problems: result.problems });
  } else if (result.ok) {
    ctx.info(`${ctx.dbPath}: ok (${result.checks} checks: SQLite ${quick ? 'quick_check' : 'integrity_check'}, foreign keys, ${result.checks - 2} rules of the store)`);
  } else {
    ctx.out(`${ctx.dbPath}: ${result.problems.length} problem${result.problems.length > 1 ? 's' : ''} found`);
    for (const p of result.problems) {
      ctx.out(`- ${p.check}: ${p.count.toLocaleString('en')} (${p.description})`);
      for (const example of p.examples) ctx.out(`    ${example}`);
      if (p.count > p.examples.length) ctx.out(`    … and ${(p.count - p.examples.length).toLocaleString('en')} more`);
    }
    ctx.out(result.integrity === 'damaged'
      ? 'The file is damaged: restore the latest backup of the store (keep this copy until the backup is checked).'
      : 'The file is sound but its data breaks the rules above: restore the latest backup, or report it with this list.');
  }
  return result.ok ? ExitCode.Ok : ExitCode.Partial;
}
