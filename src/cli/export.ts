import path from 'node:path';
import { Option, type Command } from 'commander';
import { CliError, ExitCode, Progress, UsageError } from './context.js';
import type { Wrap } from './main.js';
import { parseWorkersFlag } from './workers-flag.js';
import { delimiterOf } from './output-flags.js';
import { PRESETS, type DateFormat } from '../export/columns.js';
import { FilterError } from '../export/filter.js';
import { funnelLines, funnelVerdict } from '../export/funnel.js';
import { describeSelection } from '../export/history.js';
import { runExport } from '../export/run.js';
import { SelectionError, type StatusFilter } from '../export/select.js';
import { FORMATS, OutputError, type Format } from '../export/writers.js';
import { CHANNELS, type Channel } from '../store/types.js';

const EXAMPLES = `
Examples:
  # Everyone who can be emailed (valid email, consent granted, not suppressed), as CSV on stdout
  $ custkit export --channel email > newsletter.csv

  # Two segments of the latest score run, ready for Brevo (EMAIL;FIRSTNAME;LASTNAME;SMS...)
  $ custkit export --segment champions --segment loyal --preset brevo --out brevo.csv

  # A filter: Lyon customers with a recency score of 4+ who bought this year, for Mailchimp
  $ custkit export --where 'city = "Lyon" and r >= 4 and last_purchase >= 2026-01-01' --preset mailchimp --out lyon.csv

  # SMS list for Klaviyo (Phone Number first, E.164, consent and its time per row; Klaviyo takes CSV only)
  $ custkit export --channel sms --preset klaviyo --out sms.csv

  # Brevo with the French account's headers (PRENOM, NOM), as an Excel workbook
  $ custkit export --preset brevo --lang fr --out brevo.xlsx

  # HubSpot on a paid plan: files up to 512 MB instead of the free plan's 20 MB
  $ custkit export --preset hubspot --max-file-size 512MB --out hubspot.csv

  # A file for a partner, with a registered trap address mixed in at a random row (see "custkit seeds")
  $ custkit seeds add trap.partner@my-domain.fr --name "Camille Roux"
  $ custkit export --tag partner-ok --with-seeds 1 --out partner.csv

  # Windows Excel: semicolons, UTF-8 with BOM; or Windows-1252 for older tools
  $ custkit export --delimiter ";" --bom --out excel.csv
  $ custkit export --encoding cp1252 --delimiter ";" --out legacy.csv

  # A named campaign that leaves out anyone already sent 4 emails in the last 30 days
  $ custkit export --segment champions --name "Soldes d'hiver" --max-sends 4 --per 30d --out soldes.csv

  # A list to look at before deciding: recorded as a campaign not sent (no pressure count, no results)
  $ custkit export --segment champions --preview --out look.csv

  # Every contact with a valid email, consent or not: internal, non-marketing use only (still never a
  # suppressed address); the export log records it
  $ custkit export --include-unconsented --columns uid,email,first_name,last_name --out internal.csv

Filter language (--where): fields ${'uid, first_name, last_name, email, city, postal_code, country, company, gender, status, source, birth_date, created_at, updated_at, last_activity, tag, segment, r, f, m, recency, frequency, monetary, last_purchase'};
  operators = != < <= > >=, in (..), not in (..), contains "..", starts with "..", is empty, is not empty;
  combine with and / or / not and parentheses; values "text", 12, 12.5, 2026-01-01, today, today-90d.

Rules: one row per address (the most recently updated record); a channel needs a valid address, consent
granted (the person's latest choice) and no suppression. Every export prints its funnel on stderr
(selected, then what each rule removed, then written) and says why a list is empty or short.
A preset writes another channel's address (SMS, phone) only when that channel's consent is granted and
the address is not suppressed; it refuses file types the tool does not import, and splits files at the
tool's size and row limits (NAME-1.csv, NAME-2.csv...).
Safe output: addresses and identifiers (email, phone, uid, postal and customer codes) are written
byte-exact; in CSV, other cells starting with = + - @ tab CR get a leading '; XLSX cells are text,
never prefixed. Every export is recorded (see "custkit exports") with its members, as a campaign whose
results a mailing tool's report adds (see "custkit campaigns").`;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveInt(flag: string, value: string | undefined, allowZero = false): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || (!allowZero && Number(value) === 0)) throw new UsageError(`${flag} ${value}: expected a whole number${allowZero ? '' : ' above 0'}`);
  return Number(value);
}

/** "20MB", "512 MB", "1.5GB", "300000" (bytes) to bytes; MB and GB are decimal, as the tools write them. */
function sizeOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(value);
  const unit: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9 };
  const bytes = m ? Math.floor(Number(m[1]) * unit[(m[2] ?? 'b').toLowerCase()]!) : NaN;
  if (!Number.isFinite(bytes) || bytes < 1024) throw new UsageError(`--max-file-size ${value}: expected a size such as 20MB or 512MB (at least 1 KB)`);
  return bytes;
}

function formatOf(flag: string | undefined, out: string): Format {
  if (flag) return flag as Format;
  const ext = path.extname(out).toLowerCase();
  if (ext === '.xlsx') return 'xlsx';
  if (ext === '.json') return 'json';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  return 'csv';
}

interface ExportFlags {
  segment: string[];
  run?: string;
  tag: string[];
  where?: string;
  limit?: string;
  status: StatusFilter;
  channel: Channel;
  includeUnconsented?: boolean;
  format?: Format;
  out: string;
  delimiter?: string;
  encoding?: 'utf8' | 'cp1252';
  bom?: boolean;
  columns?: string;
  preset?: string;
  dateFormat?: DateFormat;
  withSeeds?: string;
  maxRowsPerFile?: string;
  maxFileSize?: string;
  lang?: 'en' | 'fr';
  workers?: string;
  name?: string;
  maxSends?: string;
  per?: string;
  preview?: boolean;
}

export function registerExport(program: Command, wrap: Wrap): void {
  program
    .command('export')
    .description(
      'Write the list of people to contact on a channel, for a mailing tool or a spreadsheet: selected by segment, tag or filter, only reachable, consenting and unsuppressed addresses, one row per address, spreadsheet-safe, and recorded.',
    )
    .addHelpText('after', EXAMPLES)
    .option('--segment <name>', 'segment of the score run (repeatable; case and punctuation ignored)', collect, [])
    .option('--run <id>', 'score run to read segments and scores from (default: the latest)')
    .option('--tag <tag>', 'contacts carrying this tag (repeatable: any of them)', collect, [])
    .option('--where <expr>', 'filter expression (see below)')
    .option('--limit <n>', 'at most N rows (seeds not counted)')
    .addOption(new Option('--status <status>', 'contact status').choices(['active', 'inactive', 'all']).default('active'))
    .addOption(new Option('--channel <channel>', 'channel the list is for').choices([...CHANNELS]).default('email'))
    .option('--include-unconsented', 'also people without consent for the channel (internal, non-marketing use; recorded; suppressed addresses still never leave)')
    .addOption(new Option('--format <format>', 'output format (default: from --out extension, else csv)').choices([...FORMATS]))
    .option('-o, --out <file>', 'output file, or - for stdout', '-')
    .option('--delimiter <d>', 'CSV delimiter: , ; tab or | (default: the preset\'s, else ,)')
    .addOption(new Option('--encoding <encoding>', 'CSV encoding').choices(['utf8', 'cp1252']))
    .option('--bom', 'start a UTF-8 CSV with a byte-order mark (Excel on Windows)')
    .option('--columns <list>', 'columns to write, comma-separated (e.g. uid,email,first_name,segment)')
    .addOption(new Option('--preset <tool>', 'headers and formats for a tool\'s import').choices(Object.keys(PRESETS)))
    .addOption(new Option('--date-format <format>', 'dates as yyyy-mm-dd (iso), dd-mm-yyyy (dmy) or mm/dd/yyyy (mdy); default: the preset\'s').choices(['iso', 'dmy', 'mdy']))
    .option('--with-seeds <n>', 'mix N registered trap addresses into the output at random rows (channel email)')
    .option('--max-rows-per-file <n>', 'split into numbered files of at most N rows, header included (hubspot: 1048576)')
    .option('--max-file-size <size>', "split CSV into numbered files of at most this size, e.g. 20MB, 512MB (default: the preset tool's limit)")
    .addOption(new Option('--lang <lang>', "header language of the preset (brevo: the account's language)").choices(['en', 'fr']))
    .option('--workers <n>', 'worker threads reading a large export (default: auto, one per core; 0: one thread)')
    .option('--name <name>', 'name the campaign this export is (custkit campaigns; a results file naming it finds it)')
    .option('--max-sends <n>', "marketing pressure: leave out people already sent N campaigns on the channel in the period (0: no cap, whatever the store's default)")
    .option('--per <period>', 'the period of --max-sends, e.g. 30d, 4w, 1m (default 30d)')
    .option('--preview', 'a file to look at, not to send: recorded as a campaign not sent (no pressure count, no results; "campaigns not-sent ID --undo" if it is sent after all)')
    .action(
      wrap(async (ctx, flags: ExportFlags) => {
        if (flags.columns && flags.preset) throw new UsageError('--columns and --preset both choose the columns: use one');
        if (ctx.json && flags.out === '-') throw new UsageError('--json prints a summary on stdout: write the list with --out FILE');
        const limit = positiveInt('--limit', flags.limit);
        const run = positiveInt('--run', flags.run);
        const withSeeds = positiveInt('--with-seeds', flags.withSeeds, true);
        const maxRowsPerFile = positiveInt('--max-rows-per-file', flags.maxRowsPerFile);
        if (maxRowsPerFile !== undefined && maxRowsPerFile < 2) throw new UsageError('--max-rows-per-file: at least 2 (the header and one row)');
        const workers = parseWorkersFlag(flags.workers);
        const maxBytesPerFile = sizeOf(flags.maxFileSize);
        if (flags.per !== undefined && flags.maxSends === undefined) throw new UsageError('--per goes with --max-sends N');
        const maxSends = positiveInt('--max-sends', flags.maxSends, true);
        if (flags.name !== undefined && flags.name.trim() === '') throw new UsageError('--name: give the campaign a name');
        const columns = flags.columns?.split(',').map((c) => c.trim()).filter(Boolean);
        if (flags.columns !== undefined && !columns?.length) throw new UsageError('--columns: name at least one column');
        const db = ctx.openDb();
        const progress = new Progress(ctx, 'export');
        try {
          const result = await runExport(db, {
            selection: {
              segments: flags.segment,
              run,
              tags: flags.tag,
              where: flags.where,
              limit,
              status: flags.status,
              channel: flags.channel,
              includeUnconsented: flags.includeUnconsented === true,
              // Undefined: the store's default cap for the channel (custkit campaigns settings).
              pressure: maxSends === undefined ? undefined : maxSends === 0 ? null : { maxSends, period: flags.per ?? '30d' },
            },
            name: flags.name?.trim(),
            preview: flags.preview === true,
            format: formatOf(flags.format, flags.out),
            out: flags.out,
            stdout: ctx.streams.stdout,
            delimiter: delimiterOf(flags.delimiter),
            encoding: flags.encoding,
            bom: flags.bom,
            columns,
            preset: flags.preset,
            dateFormat: flags.dateFormat,
            withSeeds,
            maxRowsPerFile,
            maxBytesPerFile,
            lang: flags.lang,
            parallel: workers === 'auto' ? undefined : { workers },
            onProgress: (rows) => progress.update(rows),
          });
          progress.done();
          for (const name of result.emptySegments) ctx.warn(`--segment "${name}": no one is in this segment in score run ${result.runId}; it adds nobody to the list`);
          if (flags.includeUnconsented) ctx.warn(`--include-unconsented: people without consent for ${flags.channel} are in this list; it is recorded as export #${result.exportId} and must not be used for marketing`);
          if (result.oversized.length > 0) ctx.warn(`${result.oversized.join(', ')}: larger than the ${(result.maxBytesPerFile! / 1e6).toLocaleString('en')} MB the tool imports; write CSV (split by size), or --max-rows-per-file to cut the workbook`);
          if (result.unencodable > 0) ctx.warn(`${result.unencodable} character(s) have no Windows-1252 code and were written as "?": use --encoding utf8 to keep them`);
          const where = result.files.map((f) => (f.path === '-' ? 'stdout' : f.path)).join(', ');
          const described = describeSelection({ segments: flags.segment, tags: flags.tag, where: flags.where, status: flags.status, limit });
          const selection = described === 'all' ? 'all contacts' : described;
          const verdict = funnelVerdict(result.funnel, `${selection}${flags.status === 'active' ? '; active contacts only' : ''}`);
          if (ctx.json) ctx.printJson({ ...result, verdict });
          else {
            ctx.info(`funnel (${flags.channel}, ${selection}):`);
            for (const line of funnelLines(result.funnel)) ctx.info(line);
            if (result.pressure) ctx.info(`pressure cap (${result.pressure.origin}): at most ${result.pressure.maxSends} ${flags.channel} campaign(s) per ${result.pressure.period}, counting exports since ${result.pressure.since}`);
            ctx.info(`exported ${result.rows.toLocaleString('en')} row(s)${result.seeds ? ` and ${result.seeds} seed(s)` : ''} to ${where} (export #${result.exportId}, sha256 ${result.files[0]!.sha256.slice(0, 12)}…)`);
            if (result.preview) ctx.info(`preview: export #${result.exportId} is recorded as a campaign not sent: it does not count toward the pressure cap and takes no results ("custkit campaigns not-sent ${result.exportId} --undo" if you send it)`);
          }
          // An empty list is a warning: a campaign about to go to nobody.
          if (verdict !== null && !ctx.json) (result.rows === 0 ? ctx.warn(verdict) : ctx.info(verdict));
          return result.unencodable > 0 || result.oversized.length > 0 ? ExitCode.Partial : ExitCode.Ok;
        } catch (error) {
          progress.done();
          if (error instanceof FilterError) throw new UsageError(`--where: ${error.display()}`);
          if (error instanceof SelectionError) throw new UsageError(error.message);
          if (error instanceof CliError) throw error;
          if (error instanceof OutputError) throw new CliError(error.message, ExitCode.Failed);
          throw error;
        } finally {
          db.close();
        }
      }),
    );
}
