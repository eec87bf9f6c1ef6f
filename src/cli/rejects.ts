import type { Command } from 'commander';
import Table from 'cli-table3';
import type { Wrap } from './main.js';
import { CliError, ExitCode, UsageError, type CommandContext } from './context.js';
import { addOutputFlags, delimiterOf, type OutputFlags } from './output-flags.js';
import { iterateRejects, listRejects, rejectsImports, type RejectImport } from '../store/rejects.js';
import type { ValueKind } from '../export/columns.js';
import { TableFileError, tableFormatOf, writeTableFile, type TableRow } from '../export/table-file.js';

const EXAMPLES = `
Examples:
  custkit rejects                              # every rejected row, with its reasons
  custkit rejects --import 4 --out fix.csv     # the original columns + reject_reason, ready to fix
  custkit import fix.csv                       # ...then re-import the fixed file
  custkit rejects --import 4 --out fix.xlsx    # the same as a workbook
  custkit rejects --import 4 --out fix.csv --encoding utf8 --bom   # UTF-8 for Excel, whatever the source was
  custkit rejects --json

The file goes out the way the source came in (its encoding and delimiter; UTF-8 with a BOM for a UTF-16
file), unless --encoding, --delimiter or --bom say otherwise. Identifiers (email, phones, postal and
customer codes) are written byte-exact; other cells starting with = + - @ tab or CR get a leading ' so a
spreadsheet shows them as text. The file is created readable by you only (0600).`;

interface RejectsFlags extends OutputFlags {
  import?: string;
  out?: string;
}

export function registerRejects(program: Command, wrap: Wrap): void {
  const command = program
    .command('rejects')
    .description('List the rows an import could not read, or write them back as a CSV or XLSX file to fix and re-import.')
    .option('--import <id>', 'only this import (see "custkit db info")')
    .option('--out <file>', 'write the rows with their original columns plus reject_reason (.csv, .xlsx, or "-" for stdout)');
  addOutputFlags(command, "the source file's")
    .addHelpText('after', EXAMPLES)
    .action(wrap((ctx, flags: RejectsFlags) => runRejects(ctx, flags)));
}

/** Identifier fields: their columns are written byte-exact when they have their kind's shape. */
const FIELD_KINDS: Record<string, ValueKind> = { email: 'email', phone: 'e164', mobile: 'e164', postal_code: 'code', external_id: 'code' };

/** The source's encoding, delimiter and BOM, as the rejects file's defaults. */
function sourceOutput(chosen: RejectImport | undefined, flags: RejectsFlags): { delimiter: string; encoding: 'utf8' | 'cp1252'; bom: boolean } {
  const sourceDelimiter = chosen?.delimiter === 'tab' ? '\t' : chosen?.delimiter ?? ',';
  const sourceEncoding = chosen?.encoding === 'cp1252' ? 'cp1252' : 'utf8';
  const encoding = flags.encoding ?? sourceEncoding;
  // A UTF-16 source came from Excel ("Unicode text"): UTF-8 with a BOM is what Excel reads back as well.
  const bom = flags.bom ?? (flags.encoding === undefined && encoding === 'utf8' && (chosen?.encoding ?? '').startsWith('utf16'));
  return { delimiter: delimiterOf(flags.delimiter) ?? sourceDelimiter, encoding, bom };
}

async function runRejects(ctx: CommandContext, flags: RejectsFlags): Promise<number> {
  const importId = flags.import === undefined ? undefined : Number(flags.import);
  if (importId !== undefined && !Number.isInteger(importId)) throw new UsageError(`--import: "${flags.import}" is not an import number`);
  if (flags.out === undefined && (flags.delimiter !== undefined || flags.encoding !== undefined || flags.bom)) throw new UsageError('--delimiter, --encoding and --bom shape the file of --out: give --out FILE');
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
      const header = chosen ? [...chosen.columns, 'reject_reason'] : ['reject_reason'];
      const kinds: ValueKind[] = [...(chosen?.columns ?? []).map((c) => FIELD_KINDS[chosen!.mapping[c] ?? ''] ?? 'text'), 'text'];
      const output = sourceOutput(chosen, flags);
      if (tableFormatOf(flags.out) === 'xlsx' && flags.encoding === undefined && flags.bom === undefined) Object.assign(output, { encoding: 'utf8', bom: false });
      const width = chosen?.columns.length ?? 0;
      function* rows(): Generator<TableRow, void, undefined> {
        if (!chosen) return;
        for (const r of iterateRejects(db, chosen.id)) {
          yield { values: [...padTo(r.raw, width), r.reasons.map((x) => (x.column ? `${x.column}: ${x.message}` : x.message)).join('; ')] };
        }
      }
      let result;
      try {
        result = await writeTableFile(header, kinds, rows(), { out: flags.out, stdout: ctx.streams.stdout, sheet: 'rejects', ...output });
      } catch (error) {
        if (error instanceof TableFileError) throw new UsageError(error.message);
        throw error;
      }
      if (flags.out !== '-') {
        const how = tableFormatOf(flags.out) === 'xlsx' ? 'XLSX' : `${output.encoding === 'cp1252' ? 'Windows-1252' : `UTF-8${output.bom ? ' with BOM' : ''}`}, "${output.delimiter === '\t' ? 'tab' : output.delimiter}"`;
        ctx.info(`${result.rows} rejected rows of import #${chosen?.id ?? '-'} written to ${flags.out} (${how})`);
      }
      if (result.unencodable > 0) {
        ctx.warn(`${result.unencodable} character(s) have no Windows-1252 code and were written as "?": use --encoding utf8 to keep them`);
        return ExitCode.Partial;
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
