import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import v8 from 'node:v8';
import { Command, Option } from 'commander';
import Table from 'cli-table3';
import type { Wrap } from './main.js';
import { CliError, ExitCode, Progress, UsageError, type CommandContext } from './context.js';
import { importFile, noColumnRecognised, previewImport, RefusedImport, type ColumnChoice, type ImportRequest, type ImportSummary, type Preview } from '../io/import.js';
import { listRemembered } from '../store/source-mappings.js';
import { MappingError } from '../io/header-map.js';
import { InputError } from '../io/tables.js';
import type { Delimiter, Encoding } from '../io/sniff.js';
import { LIMITS, formatLimit, resolveLimits, type InputLimits, type LimitName } from '../io/limits.js';
import { bounded, quoted, quotedList } from '../io/quote.js';

const EXAMPLES = `
Examples:
  custkit import clients.csv                       # sniffs encoding, delimiter, kind, dates
  custkit import commandes.csv --kind purchases    # force the kind when headers are unusual
  custkit import export.xlsx --sheet "Clients"     # one sheet (name or 1-based index)
  custkit import export.xlsx --all-sheets          # every sheet with data
  custkit import crm.csv --map "Ref=external_id,Nom complet=full_name,Notes=-"
  custkit import shop.csv --source shopify         # customer codes are unique per source
  custkit import orders-erp.csv --source erp --map "valeur_cmd=amount"   # remembered for the next "erp" import
  custkit import orders-erp.csv --source erp --force --dry-run           # applies it; same verdict and exit code as the import
  cat clients.csv | custkit import - --json        # stdin; summary as JSON
  custkit import clients.csv --dry-run             # show detection, mapping and 5 rows; write nothing

Re-importing is safe: a file already imported (same SHA-256) is skipped unless --force; the same
(source, customer code) updates the contact; purchases upsert on (source, order ref, line).
Rows that cannot be read are kept: list them with "custkit rejects". A file with no column for something
its kind needs (a purchase's amount, date or customer; a contact's identifier) is refused before anything is
written, with the --map that would fix it. A --map given with --source is remembered for that source
("custkit mappings" lists and forgets them).
A consent answer or a date that cannot be read is never guessed: the row is imported without it and
listed the same way.
Exit codes: 0 imported, 1 file unreadable or store error (nothing changed), 2 usage error, 3 imported
with some rows rejected or some values not read.`;

interface ImportFlags {
  kind?: 'contacts' | 'purchases';
  sheet?: string;
  allSheets?: boolean;
  map?: string;
  source?: string;
  encoding: string;
  delimiter: string;
  dates: 'auto' | 'dmy' | 'mdy' | 'ymd';
  currency?: string;
  force?: boolean;
  dryRun?: boolean;
}

type ImportFlagsWithLimits = ImportFlags & Partial<Record<LimitName, string>>;

const ENCODING_ALIASES: Record<string, ImportRequest['encoding']> = {
  auto: 'auto', utf8: 'utf8', 'utf-8': 'utf8', cp1252: 'cp1252', 'windows-1252': 'cp1252', win1252: 'cp1252',
  latin1: 'cp1252', 'iso-8859-1': 'cp1252', 'iso-8859-15': 'cp1252', utf16le: 'utf16le', 'utf-16le': 'utf16le',
  utf16be: 'utf16be', 'utf-16be': 'utf16be',
};
const DELIMITER_ALIASES: Record<string, ImportRequest['delimiter']> = {
  auto: 'auto', ',': ',', comma: ',', ';': ';', semicolon: ';', tab: '\t', '\\t': '\t', '\t': '\t', '|': '|', pipe: '|',
};

export function registerImport(program: Command, wrap: Wrap): void {
  const command = program
    .command('import')
    .description('Import CSV/TSV or Excel (.xlsx) exports of contacts or purchases into the store.')
    .argument('<files...>', 'files to import ("-" reads stdin)')
    .addOption(new Option('--kind <kind>', 'what the file holds (default: detected from the headers)').choices(['contacts', 'purchases']))
    .option('--sheet <sheet>', 'workbook sheet, by name or 1-based index (default: the first with data)')
    .option('--all-sheets', 'import every sheet of a workbook that has data')
    .option('--map <mapping>', 'column mapping overrides: "Column=field,Other=-" (- keeps it in attributes)')
    .option('--source <name>', 'system the file comes from; customer codes are unique per source (default: "default")')
    .option('--encoding <encoding>', 'auto, utf8, cp1252 (Windows-1252), utf16le, utf16be', 'auto')
    .option('--delimiter <delimiter>', 'auto, ",", ";", tab or "|"', 'auto')
    .addOption(new Option('--dates <order>', 'date order for ambiguous dates like 03/04/2024').choices(['auto', 'dmy', 'mdy', 'ymd']).default('auto'))
    .option('--currency <code>', 'currency of amounts that do not name one (default: the one the amount header names, else EUR)')
    .option('--force', 'import a file again even if the same content was imported before')
    .option('--dry-run', 'print what was detected and the first five rows; write nothing')
    .addHelpText('after', EXAMPLES);
  addLimitOptions(command).action(wrap(async (ctx, files: string[], flags: ImportFlagsWithLimits) => runImport(ctx, files, flags)));
}

function requestFor(file: string, flags: ImportFlags): ImportRequest {
  const encoding = ENCODING_ALIASES[flags.encoding.toLowerCase()];
  if (!encoding) throw new UsageError(`--encoding: "${flags.encoding}" is not one of auto, utf8, cp1252, utf16le, utf16be`);
  const delimiter = DELIMITER_ALIASES[flags.delimiter.toLowerCase()];
  if (!delimiter) throw new UsageError(`--delimiter: "${flags.delimiter}" is not one of auto, ",", ";", tab, "|"`);
  const currency = flags.currency ?? 'EUR';
  if (!/^[A-Za-z]{3}$/.test(currency)) throw new UsageError(`--currency: "${currency}" is not a 3-letter currency code`);
  const source = flags.source ?? 'default';
  if (source.trim() === '') throw new UsageError('--source: a source name cannot be empty');
  return {
    file, displayName: file === '-' ? 'stdin' : file, kind: flags.kind, sheet: flags.sheet, allSheets: flags.allSheets,
    map: flags.map, source: source.trim(), encoding, delimiter, dates: flags.dates, currency: currency.toUpperCase(),
    currencyGiven: flags.currency !== undefined, sourceGiven: flags.source !== undefined, force: flags.force ?? false,
  };
}

/** stdin is spooled to a private temporary file: sniffing and the SHA-256 need to see the bytes first. */
async function spoolStdin(): Promise<{ file: string; cleanup: () => void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custkit-stdin-'));
  const file = path.join(dir, 'stdin');
  await pipeline(process.stdin, fs.createWriteStream(file, { mode: 0o600 }));
  return { file, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

async function runImport(ctx: CommandContext, files: string[], flags: ImportFlagsWithLimits): Promise<number> {
  // Rows parsed ahead of the writer survive a young-generation sweep or two; early in a run V8 could take
  // that for long-lived data and allocate every later row straight into the old generation, where it
  // piled up until a full collection: 3 re-imports of 100k rows in 39 peaked at 245-260 MB instead of
  // ~170 MB. Without pretenuring: none in 70, and no slower (1M rows, 800k order lines).
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
  const limits = limitsFrom(flags, ctx.streams.env);
  const requests = files.map((file) => ({ ...requestFor(file, flags), limits }));
  if (files.filter((f) => f === '-').length > 1) throw new UsageError('stdin ("-") can be read only once');
  for (const request of requests) {
    if (request.file !== '-' && !fs.existsSync(request.file)) throw new CliError(`${request.file}: no such file`);
    if (request.file !== '-' && fs.statSync(request.file).isDirectory()) throw new CliError(`${request.file}: is a folder, not a file`);
  }
  const results: ImportSummary[] = [];
  const previews: Preview[] = [];
  // A refused first import leaves no empty store behind: nothing was written, so nothing is left.
  const creating = !flags.dryRun && ctx.dbPath !== ':memory:' && !fs.existsSync(ctx.dbPath);
  const db = flags.dryRun ? null : ctx.openDb({ create: true });
  // A dry run writes nothing and creates no store, but applies what a store here remembers for the source.
  if (flags.dryRun && fs.existsSync(ctx.dbPath)) {
    const store = ctx.openDb({ readonly: true });
    try {
      for (const request of requests) request.remembered = listRemembered(store, request.source);
    } finally {
      store.close();
    }
  }
  try {
    for (const request of requests) {
      const spooled = request.file === '-' ? await spoolStdin() : null;
      if (spooled) request.file = spooled.file;
      const progress = new Progress(ctx, `importing ${request.displayName}`);
      request.onProgress = (rows) => progress.update(rows);
      try {
        if (db) results.push(...(await importFile(db, request)));
        else previews.push(...(await previewImport(request)));
      } catch (error) {
        if (error instanceof MappingError) throw new UsageError(`${request.displayName}: ${error.message}`);
        if (error instanceof RefusedImport) throw new CliError(error.message);
        if (error instanceof InputError) throw new CliError(`${error.message}; nothing was imported`);
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EACCES' || code === 'EISDIR' || code === 'ENOENT') {
          throw new CliError(`${request.displayName}: cannot read the file (${code}); nothing was imported`);
        }
        throw error;
      } finally {
        progress.done();
        spooled?.cleanup();
      }
    }
  } catch (error) {
    db?.close();
    if (creating && results.length === 0) for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(`${ctx.dbPath}${suffix}`, { force: true });
    throw error;
  } finally {
    if (db?.open) db.close();
  }
  if (flags.dryRun) {
    // The real import's verdict: a refused file exits 1 here too, after showing what was read.
    const refusals = previews.flatMap((p) => {
      if (p.mapping.every((m) => m.field === null)) return flags.allSheets && previews.length > 1 ? [] : [noColumnRecognised(p.file, p)];
      return p.refusal ? [p.refusal] : [];
    });
    if (ctx.json) ctx.printJson(previews.length === 1 ? { ...previews[0], would_refuse: refusals[0] ?? null } : { sheets: previews, would_refuse: refusals[0] ?? null });
    else previews.forEach((p) => printPreview(ctx, p));
    if (refusals.length) throw new CliError(`${refusals[0]}${refusals[0]!.endsWith('.') ? '' : '; nothing would be imported'}`);
    return ExitCode.Ok;
  }
  if (ctx.json) {
    const json = results.map(summaryJson);
    ctx.printJson(json.length === 1 ? json[0] : json);
  } else {
    results.forEach((s) => printSummary(ctx, s));
  }
  return results.some((s) => s.rejected > 0 || s.flagged > 0) ? ExitCode.Partial : ExitCode.Ok;
}

function summaryJson(s: ImportSummary): Record<string, unknown> {
  return {
    file: s.file, sheet: s.sheet, import_id: s.importId, skipped: s.skipped, skip_reason: s.unrecognised ?? (s.skipped ? 'already imported (--force to import it again)' : null), previous_import_id: s.previousImportId,
    kind: s.kind, imported: s.inserted, updated: s.updated, unchanged: s.unchanged, rejected: s.rejected, suppressed: s.suppressed,
    empty_rows: s.emptyRows, rows_read: s.rowsRead, contacts_created: s.contactsCreated,
    rows_with_unread_values: s.flagged, unread_values: s.unreadable, kept_as_cleaned: s.keptAsCleaned,
    repeated_rows: s.repeated, repeated: s.notes.repeated.map((r) => ({ row: r.row, first_row: r.firstRow })),
    consent_conflicts: s.consentConflicts, consent_conflict_rows: s.notes.consentConflicts, encoding: s.encoding,
    delimiter: s.delimiter, date_order: s.dateOrder, date_order_source: s.dateOrderSource, decimal_comma: s.decimalComma,
    tool: s.tool, kept_in_attributes: keptInAttributes(s), ignored_columns: s.ignored,
    remembered_mapping: { source: s.source, used: choices(s.rememberedUsed), saved: choices(s.rememberedSaved) },
  };
}

function choices(list: ColumnChoice[]): Record<string, string | null> {
  return Object.fromEntries(list.map((c) => [c.column, c.field]));
}

function mapText(list: ColumnChoice[]): string {
  return list.map((c) => `${c.column}=${c.field ?? '-'}`).join(',');
}

function keptInAttributes(s: { mapping: ColumnChoice[]; ignored: string[] }): string[] {
  return s.mapping.filter((m) => !m.field && !s.ignored.includes(m.column)).map((m) => m.column);
}

function datesNote(s: { dateOrder: string; dateOrderSource: string }): string | null {
  if (s.dateOrderSource === 'not needed') return null;
  const note = s.dateOrderSource === 'assumed' ? ' (assumed: no date in the first rows settles day/month order; use --dates)' : '';
  return `dates ${describeDates(s.dateOrder)}${note}`;
}

function describeDates(order: string): string {
  return order === 'mdy' ? 'mm/dd/yyyy' : order === 'ymd' ? 'yyyy/mm/dd' : 'dd/mm/yyyy';
}

function where(s: { file: string; sheet: string | null }): string {
  return s.sheet ? `${s.file} [${bounded(s.sheet)}]` : s.file;
}

function printSummary(ctx: CommandContext, s: ImportSummary): void {
  const c = ctx.color;
  if (s.unrecognised) {
    ctx.info(`${s.unrecognised}; sheet skipped`);
    return;
  }
  if (s.skipped) {
    ctx.info(`${where(s)}: already imported as import #${s.previousImportId}; skipped (use --force to import it again)`);
    if (s.rememberedSaved.length) ctx.info(`  remembered for source "${s.source}" all the same: --map "${mapText(s.rememberedSaved)}" (its next imports need no --map)`);
    return;
  }
  const parts = [`${c.green(`${s.inserted} new`)}`, `${s.updated} updated`, `${s.unchanged} unchanged`];
  if (s.rejected) parts.push(c.red(`${s.rejected} rejected`));
  if (s.suppressed) parts.push(`${s.suppressed} suppressed`);
  ctx.info(`${where(s)}: ${s.rowsRead} ${s.kind} rows read -> ${parts.join(', ')} (import #${s.importId})`);
  const detected = [s.encoding && `encoding ${s.encoding}`, s.delimiter && `delimiter "${s.delimiter}"`, datesNote(s),
    s.kind === 'purchases' && s.decimalComma ? 'decimal comma' : null].filter(Boolean);
  if (detected.length) ctx.info(`  ${detected.join(', ')}`);
  if (s.contactsCreated) ctx.info(`  ${s.contactsCreated} customers were not in the store yet: created as minimal contacts`);
  if (s.emptyRows) ctx.info(`  ${s.emptyRows} empty rows ignored`);
  if (s.suppressed) ctx.info(`  ${s.suppressed} rows about erased people skipped: nothing of them was stored (custkit gdpr erase)`);
  if (s.tool) ctx.info(`  read as a ${s.tool} export`);
  if (s.rememberedUsed.length) ctx.info(`  using the mapping remembered for source "${s.source}": --map "${mapText(s.rememberedUsed)}" (custkit mappings to see or forget it)`);
  if (s.rememberedSaved.length) ctx.info(`  remembered for source "${s.source}": --map "${mapText(s.rememberedSaved)}" (its next imports need no --map)`);
  else if (s.mapGiven && !s.sourceGiven) ctx.info('  tip: give --source NAME with --map and custkit remembers the mapping for the next import from there');
  const unmapped = keptInAttributes(s);
  if (unmapped.length) ctx.info(`  kept in attributes: ${quotedList(unmapped, 'columns', { maxItems: 12, quote: (name) => bounded(name) })}`);
  if (s.ignored.length) ctx.info(`  ignored: ${s.ignored.join(', ')} (the reason column "custkit rejects --out" adds; not data)`);
  printValueNotes(ctx, s);
  if (s.rejected || s.flagged) ctx.info(`  see the rows: custkit rejects --import ${s.importId} (add --out FILE to fix and re-import them)`);
}

/** What the file said that the counts alone would hide: unread cells, repeated people, kept cleaning. */
function printValueNotes(ctx: CommandContext, s: ImportSummary): void {
  const c = ctx.color;
  if (s.flagged) ctx.info(c.yellow(`  ${s.flagged} rows imported with values that could not be read (nothing guessed: no consent recorded, the date left empty)`));
  if (s.unreadable.length > 0) {
    ctx.info('  values not read:');
    for (const u of s.unreadable.slice(0, 10)) ctx.info(`    row ${u.row}${u.column ? `, column ${quoted(u.column)}` : ''}: ${quoted(u.value)}`);
    if (s.unreadable.length > 10) ctx.info('    …');
  }
  if (s.repeated) {
    const shown = s.notes.repeated.slice(0, 8).map((r) => `row ${r.row} (as row ${r.firstRow})`).join(', ');
    ctx.info(`  ${s.repeated} rows repeat a contact of an earlier row of the file (same customer code or email): ${shown}${s.repeated > 8 ? ', …' : ''}`);
  }
  if (s.consentConflicts) {
    const shown = s.notes.consentConflicts.slice(0, 8).map((k) => `${k.channel}: rows ${k.rows[0]} and ${k.rows[1]}`).join('; ');
    ctx.info(c.yellow(`  ${s.consentConflicts} contacts both granted and withdrew consent in this file; the withdrawal was kept (${shown}${s.consentConflicts > 8 ? '; …' : ''})`));
  }
  if (s.keptAsCleaned) ctx.info(`  ${s.keptAsCleaned} cells kept as cleaned (the file has the same value in its old spelling)`);
}

/**
 * A header as the preview table shows it: at most 100 characters. cli-table3 measures and cuts a cell
 * one character at a time, so a header of tens of thousands of characters (a file read in the wrong
 * encoding is one long line) made a dry run spin for minutes (found by the torture fuzz).
 */
function shortHeader(column: string): string {
  return bounded(column, 100);
}

/**
 * The preview's mapping table lists every column custkit reads as a field, and the columns kept in
 * attributes until the table holds this many rows: a survey export of 1,500 questions would otherwise
 * print 1,500 rows before the verdict.
 */
const PREVIEW_COLUMNS = 40;

function printPreview(ctx: CommandContext, p: Preview): void {
  const facts = [`kind ${p.kind}`, p.encoding && `encoding ${p.encoding}`, p.delimiter && `delimiter "${p.delimiter}"`, datesNote(p),
    p.kind === 'purchases' && p.decimalComma ? 'decimal comma' : null].filter(Boolean);
  ctx.out(`${p.sheet ? `sheet ${quoted(p.sheet)}: ` : ''}${facts.join('; ')}`);
  const mapping = new Table({ head: ['column', 'field'], style: { head: [], border: [] } });
  const mapped = p.mapping.filter((m) => m.field).length;
  let keptShown = 0;
  for (const m of p.mapping) {
    if (!m.field && mapped + keptShown >= PREVIEW_COLUMNS) continue;
    if (!m.field) keptShown++;
    mapping.push([shortHeader(m.column), m.field ?? '(kept in attributes)']);
  }
  ctx.out(mapping.toString());
  const notShown = p.mapping.length - mapped - keptShown;
  if (notShown > 0) ctx.out(`… and ${notShown.toLocaleString('en-US')} more columns kept in attributes (--json lists them all)`);
  for (const { row, result } of p.rows) {
    if (result.kind === 'empty') continue;
    if (result.kind === 'reject') {
      ctx.out(`row ${row}: would be rejected: ${result.reasons.map((r) => (r.column ? `${bounded(r.column)}: ${r.message}` : r.message)).join('; ')}`);
      continue;
    }
    const values = result.kind === 'contact'
      ? Object.entries(result.draft.values).filter(([, v]) => v !== null && v !== '[]' && v !== '{}')
      : Object.entries({ ...result.draft, customer: result.draft.customer.externalId ?? result.draft.customer.emailNorm })
        .filter(([k, v]) => v !== null && k !== 'attributes');
    // Consents are what an import must never get wrong: the dry run shows what each row would record.
    const consents = result.kind === 'contact' ? result.draft.consents.map((c) => `consent ${c.channel}=${c.granted ? 'granted' : 'withdrawn'}`) : [];
    ctx.out(`row ${row}: ${[...values.map(([k, v]) => `${k}=${bounded(String(v))}`), ...consents].join(', ')}`);
    if (result.kind === 'contact' && result.draft.issues.length > 0) {
      ctx.out(`row ${row}: would be imported without: ${result.draft.issues.map((r) => (r.column ? `${bounded(r.column)}: ${r.message}` : r.message)).join('; ')}`);
    }
  }
  ctx.out(`(dry run: ${p.rowsInFile.toLocaleString('en-US')} rows read after the header; nothing was written)`);
}

/** The input-limit flags (docs/reliability.md): one per limit, each with its variable and default. */
function addLimitOptions(command: Command): Command {
  for (const [name, spec] of Object.entries(LIMITS) as Array<[LimitName, (typeof LIMITS)[LimitName]]>) {
    command.option(`${spec.flag} <${spec.unit === 'bytes' ? 'size' : 'n'}>`, `${spec.describe} read (default: $${spec.env} or ${formatLimit(name, spec.fallback)})`);
  }
  return command;
}

/** The limits in force for this run: flags, then environment, then defaults. */
function limitsFrom(flags: Partial<Record<LimitName, string>>, env: NodeJS.ProcessEnv): InputLimits {
  return resolveLimits(flags, env, (message) => {
    throw new UsageError(message);
  });
}
