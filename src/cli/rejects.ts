import fs from 'node:fs';
import type { Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import Table from 'cli-table3';
import type { Wrap } from './main.js';
import { CliError, ExitCode, UsageError, type CommandContext } from './context.js';
import { listRejects, rejectsImports } from '../store/rejects.js';

const EXAMPLES = `
Examples:
  custkit rejects                              # every rejected row, with its reasons
  custkit rejects --import 4 --out fix.csv     # the original columns + reject_reason, ready to fix
  custkit import fix.csv                       # ...then re-import the fixed file
  custkit rejects --json`;

export function registerRejects(program: Command, wrap: Wrap): void {
  program
    .command('rejects')
    .description('List the rows an import could not read, or write them back as a CSV to fix and re-import.')
    .option('--import <id>', 'only this import (see "custkit db info")')
    .option('--out <file>', 'write the rows with their original columns plus reject_reason ("-" for stdout)')
    .addHelpText('after', EXAMPLES)
    .action(wrap((ctx, flags: { import?: string; out?: string }) => runRejects(ctx, flags)));
}

function runRejects(ctx: CommandContext, flags: { import?: string; out?: string }): number {
  const importId = flags.import === undefined ? undefined : Number(flags.import);
  if (importId !== undefined && !Number.isInteger(importId)) throw new UsageError(`--import: "${flags.import}" is not an import number`);
  const db = ctx.openDb({ mustExist: true });
  try {
    const imports = rejectsImports(db, importId);
    if (importId !== undefined && imports.length === 0) {
      const exists = db.prepare('SELECT 1 FROM imports WHERE id = ?').get(importId);
      if (!exists) throw new CliError(`no import #${importId} (see "custkit db info")`);
    }
    if (flags.out !== undefined) {
      if (imports.length > 1) {
        throw new UsageError(`rejected rows come from ${imports.length} imports with their own columns: choose one with --import (${imports.map((i) => `#${i.id}`).join(', ')})`);
      }
      const chosen = imports[0];
      const rows = chosen ? listRejects(db, chosen.id) : [];
      const header = chosen ? [...chosen.columns, 'reject_reason'] : ['reject_reason'];
      const delimiter = chosen?.delimiter === 'tab' ? '\t' : chosen?.delimiter ?? ',';
      const records = rows.map((r) => [...padTo(r.raw, chosen!.columns.length), r.reasons.map((x) => (x.column ? `${x.column}: ${x.message}` : x.message)).join('; ')]);
      const text = stringify([header, ...records], { delimiter, record_delimiter: 'windows' });
      if (flags.out === '-') ctx.streams.stdout.write(text);
      else {
        fs.writeFileSync(flags.out, text, { mode: 0o600 });
        ctx.info(`${rows.length} rejected rows of import #${chosen?.id ?? '-'} written to ${flags.out}`);
      }
      return ExitCode.Ok;
    }
    const all = imports.flatMap((i) => listRejects(db, i.id).map((r) => ({ ...r, import: i })));
    if (ctx.json) {
      ctx.printJson(all.map((r) => ({ import_id: r.import.id, file: r.import.file_name, row: r.row_number, row_imported: r.row_imported, reasons: r.reasons, values: Object.fromEntries(r.import.columns.map((c, i) => [c, r.raw[i] ?? ''])) })));
      return ExitCode.Ok;
    }
    if (all.length === 0) {
      ctx.info('no rejected rows');
      return ExitCode.Ok;
    }
    const table = new Table({ head: ['import', 'file', 'row', 'reason'], style: { head: [], border: [] }, wordWrap: true, colWidths: [8, 24, 7, 60] });
    for (const r of all) table.push([`#${r.import.id}`, r.import.file_name, r.row_number, r.reasons.map((x) => (x.column ? `${x.column}: ${x.message}` : x.message)).join('; ')]);
    ctx.out(table.toString());
    const imported = all.filter((r) => r.row_imported).length;
    ctx.info(`${all.length - imported} rejected rows${imported ? `, ${imported} rows imported with values not read` : ''}; write them to a file to fix: custkit rejects --import ID --out FILE`);
    return ExitCode.Ok;
  } finally {
    db.close();
  }
}

function padTo(values: string[], width: number): string[] {
  return values.length >= width ? values : [...values, ...new Array<string>(width - values.length).fill('')];
}
