import type { Command } from 'commander';
import { CliError, ExitCode, Progress, UsageError, type CommandContext } from './context.js';
import type { Wrap } from './main.js';
import { parseCountryFlag, resolveRequirement, saveSettings } from './validate-options.js';
import { parseWorkersFlag } from './workers-flag.js';
import { ensureValidated } from '../validate/ensure.js';
import { writeIssuesFile } from '../validate/issues-file.js';
import { checkTableFile, TableFileError } from '../export/table-file.js';
import { addOutputFlags, delimiterOf, type OutputFlags } from './output-flags.js';
import { buildReport, type ValidationReport } from '../validate/report.js';

const EXAMPLES = `
Examples:
  custkit validate                          per-field counts, examples and file health
  custkit validate --json > health.json     the same, for scripts
  custkit validate --out issues.csv         one line per issue: uid, field, value, issue, suggestion
  custkit validate --out issues.csv --delimiter ";" --bom    the same for Excel on Windows
  custkit validate --out issues.xlsx        the same as a workbook
  custkit validate --country BE             numbers and postal codes without a country are Belgian
  custkit validate --require "email,last_name"   a contact needs a valid email AND a last name

Your data is never changed: validate records its findings in the validated columns beside the raw
values (email_valid, phone_e164, postal_code_norm...), which is what later commands read.
Exit code 3 when some values are invalid or contacts fail the required-fields rule.
The issues file follows the rule of every file custkit writes for people: identifiers byte-exact, other
cells starting with = + - @ tab or CR prefixed with ' in CSV, XLSX cells as text, created 0600.`;

interface Options extends OutputFlags {
  country?: string;
  require?: string;
  out?: string;
  all?: boolean;
  workers?: string;
}

export function registerValidate(program: Command, wrap: Wrap): void {
  const command = program
    .command('validate')
    .description(
      'Check every contact field (email, phones, postal code, country, names, civility, dates, SIRET) and print, per field, ' +
        'how many values are filled, valid, invalid or empty, with example uids and the reason for each kind of issue; then ' +
        'the share of contacts reachable by email, SMS and post, and how complete the records are.',
    )
    .addHelpText('after', EXAMPLES)
    .option('--country <code>', 'default country for contacts without one (remembered; default FR)')
    .option('--require <fields>', 'required fields: "a|b" = one of, "a,b" = all of (remembered; default "email|phone|address")')
    .option('--out <file>', 'write one line per issue to FILE (.csv, or .xlsx)')
    .option('--all', 'revalidate every contact, not only those changed since their last validation')
    .option('--workers <n>', 'worker threads for large files (default: auto)');
  addOutputFlags(command, 'UTF-8, ","')
    .action(wrap(async (ctx: CommandContext, options: Options) => runValidate(ctx, options)));
}

async function runValidate(ctx: CommandContext, options: Options): Promise<number> {
  const country = parseCountryFlag(options.country);
  const workers = parseWorkersFlag(options.workers);
  if (options.out === '') throw new UsageError('--out needs a file name');
  if (options.out === undefined && (options.delimiter !== undefined || options.encoding !== undefined || options.bom)) throw new UsageError('--delimiter, --encoding and --bom shape the file of --out: give --out FILE');
  const fileOptions = options.out === undefined ? null : { out: options.out, stdout: ctx.streams.stdout, delimiter: delimiterOf(options.delimiter) ?? ',', encoding: options.encoding ?? 'utf8', bom: options.bom === true };
  if (fileOptions) {
    try {
      checkTableFile(fileOptions);
    } catch (error) {
      if (error instanceof TableFileError) throw new UsageError(error.message);
      throw error;
    }
  }
  const db = ctx.openDb({ mustExist: true });
  try {
    const requirement = resolveRequirement(db, options.require);
    saveSettings(db, country, options.require);
    const progress = new Progress(ctx, 'validating');
    const validated = ensureValidated(db, { all: options.all, workers, onProgress: (done) => progress.update(done) });
    progress.done();
    const report = buildReport(db, requirement, { workers });
    let issuesWritten: number | undefined;
    let unencodable = 0;
    if (fileOptions) {
      try {
        const written = await writeIssuesFile(db, requirement, fileOptions);
        issuesWritten = written.rows;
        unencodable = written.unencodable;
      } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        throw new CliError(`${fileOptions.out}: cannot write the issues file (${reason}); the validation itself was recorded`, ExitCode.Failed);
      }
    }
    if (unencodable > 0) ctx.warn(`${unencodable} character(s) have no Windows-1252 code and were written as "?" in ${fileOptions!.out}: use --encoding utf8 to keep them`);
    if (ctx.json) ctx.printJson({ validated, ...report, ...(options.out ? { out: options.out, issuesWritten } : {}) });
    else {
      ctx.info(`${validated.toLocaleString('en')} contact(s) validated now; the others were up to date.`);
      printReport(ctx, report);
      if (options.out) ctx.info(`${issuesWritten!.toLocaleString('en')} issue line(s) written to ${options.out}`);
    }
    return report.errors > 0 || unencodable > 0 ? ExitCode.Partial : ExitCode.Ok;
  } finally {
    db.close();
  }
}

function pad(value: string | number, width: number, left = false): string {
  const text = typeof value === 'number' ? value.toLocaleString('en') : value;
  return left ? text.padEnd(width) : text.padStart(width);
}

export function printReport(ctx: CommandContext, report: ValidationReport): void {
  const c = ctx.color;
  ctx.report(c.bold(`Contacts in the file: ${report.contacts.toLocaleString('en')}`));
  ctx.report('');
  ctx.report(`${pad('field', 18, true)}${pad('filled', 10)}${pad('valid', 10)}${pad('invalid', 10)}${pad('empty', 10)}`);
  for (const f of report.fields) {
    ctx.report(`${pad(f.field, 18, true)}${pad(f.filled, 10)}${pad(f.valid, 10)}${pad(f.invalid, 10)}${pad(f.empty, 10)}`);
  }
  const withIssues = report.fields.filter((f) => f.issues.length > 0);
  if (withIssues.length > 0) {
    ctx.report('');
    ctx.report(c.bold('Issues'));
    for (const f of withIssues) {
      for (const issue of f.issues) {
        const label = issue.severity === 'error' ? c.red('error  ') : c.yellow('warning');
        ctx.report(`  ${label} ${f.field}:${issue.code}  ${issue.count.toLocaleString('en')}  ${issue.reason}`);
        ctx.report(`          e.g. ${issue.examples.join(', ')}`);
      }
    }
  }
  ctx.report('');
  ctx.report(`${c.bold('Required fields')} (${report.required.rule}): ${report.required.failing.toLocaleString('en')} contact(s) fail`);
  if (report.required.examples.length > 0) ctx.report(`          e.g. ${report.required.examples.join(', ')}`);
  ctx.report('');
  ctx.report(c.bold('File health (reachable contacts)'));
  const r = report.reachable;
  ctx.report(`  by email (valid address + consent):  ${r.email.count.toLocaleString('en')} (${r.email.percent}%)`);
  ctx.report(`  by SMS (valid mobile + consent):     ${r.sms.count.toLocaleString('en')} (${r.sms.percent}%)`);
  ctx.report(`  by post (complete address):          ${r.post.count.toLocaleString('en')} (${r.post.percent}%)`);
  ctx.report('');
  ctx.report(c.bold('Completeness (share of email, phone, first name, last name, address, birth date)'));
  const max = Math.max(1, ...report.completeness.map((b) => b.count));
  for (const bucket of report.completeness) {
    const bar = '#'.repeat(Math.max(bucket.count > 0 ? 1 : 0, Math.round((30 * bucket.count) / max)));
    ctx.report(`  ${pad(`${bucket.score}%`, 5)} ${pad(bucket.count, 10)}  ${bar}`);
  }
}
