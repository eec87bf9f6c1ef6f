import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CliError, ExitCode, Progress, UsageError } from './context.js';
import type { Wrap } from './main.js';
import { isPlainIsoDay } from '../io/values.js';
import { tempOutputName } from '../store/scratch.js';
import { ensureValidated, localToday } from '../validate/ensure.js';
import { buildReport } from '../report/build.js';
import type { Timing } from '../report/side.js';
import { renderHtml } from '../report/html.js';
import { langFromEnv, type Lang } from '../report/i18n.js';
import { PLAIN, renderTerminal } from '../report/terminal.js';

const EXAMPLES = `
Examples:
  # Monday morning: headline KPIs with the change since the previous score run, segments, R x F grid,
  # monthly revenue and new customers, top categories and channels, file health
  custkit report

  # The same as one HTML file to open offline, print or attach to an email (charts included, no script)
  custkit report --html report.html
  custkit report --html rapport.html --lang fr

  # A past date and a longer monthly series; every KPI as JSON for a script or a spreadsheet
  custkit report --as-of 2025-06-30 --months 24
  custkit report --json > kpis.json

Segments, R x F and CLV come from the latest score run dated on or before --as-of ("custkit score");
headline changes are measured from the as-of date of the latest score run before it.
docs/report.md defines every KPI.`;

interface Flags {
  asOf?: string;
  months: string;
  html?: string;
  lang?: string;
}

export function registerReport(program: Command, wrap: Wrap): void {
  program
    .command('report')
    .description(
      'The KPIs a marketer reads every week: contacts, customers who bought in the last 12 months, new customers per month, ' +
        'repeat-purchase rate, churn, average order value, revenue by month, segment, category and channel, segment migration, ' +
        'CLV and file health; as a terminal summary (100 columns), --json, or one self-contained HTML file with charts.',
    )
    .addHelpText('after', EXAMPLES)
    .option('--as-of <date>', 'report as of this date, yyyy-mm-dd: later purchases are ignored (default: today)')
    .option('--months <n>', 'months in the monthly series, cohorts and category/channel revenue (1-60)', '12')
    .option('--html <file>', 'write the report as one HTML file (charts as static SVG)')
    .option('--lang <lang>', 'labels in fr or en (default: from the locale, LANG / LC_ALL)')
    .action(
      wrap(async (ctx, flags: Flags) => {
        const asOf = flags.asOf ?? localToday();
        if (!isPlainIsoDay(asOf)) throw new UsageError(`--as-of ${flags.asOf}: expected a date as yyyy-mm-dd`);
        const months = Number(flags.months);
        if (!Number.isInteger(months) || months < 1 || months > 60) throw new UsageError(`--months ${flags.months}: expected a whole number from 1 to 60`);
        if (flags.lang !== undefined && flags.lang !== 'fr' && flags.lang !== 'en') throw new UsageError(`--lang ${flags.lang}: expected fr or en`);
        const lang: Lang = (flags.lang as Lang | undefined) ?? langFromEnv(ctx.streams.env);
        if (flags.html === '') throw new UsageError('--html needs a file name');
        if (flags.html && !fs.existsSync(path.dirname(path.resolve(flags.html)))) {
          throw new CliError(`${flags.html}: folder ${path.dirname(flags.html)} does not exist`, ExitCode.Failed);
        }

        // A debugging aid for speed work: each step's wall time (and its thread) on stderr.
        const timings: Timing[] | undefined = ctx.streams.env.CUSTKIT_REPORT_TIMINGS ? [] : undefined;
        const db = ctx.openDb({ mustExist: true });
        let report;
        try {
          // File health reads the validated columns: contacts changed since their last validation are validated first.
          const progress = new Progress(ctx, 'validating');
          ensureValidated(db, { onProgress: (done) => progress.update(done) });
          progress.done();
          report = buildReport(db, { asOf, months, timings });
        } finally {
          db.close();
        }

        if (flags.html) {
          const start = performance.now();
          const html = await renderHtml(report, lang);
          timings?.push({ step: 'HTML (ECharts)', ms: Math.round(performance.now() - start), thread: 'main' });
          writePrivate(flags.html, html);
          ctx.info(`report written to ${flags.html} (${Math.round(Buffer.byteLength(html) / 1024)} KiB)`);
        }
        for (const t of timings ?? []) ctx.info(`timing: ${t.step.padEnd(44)} ${String(t.ms).padStart(7)} ms  (${t.thread})`);
        if (ctx.json) ctx.printJson(report);
        // Colour only when the summary itself goes to a terminal (ctx.color follows stderr).
        else if (!flags.html) ctx.out(renderTerminal(report, lang, ctx.streams.stdout.isTTY ? ctx.color : PLAIN));
        return ExitCode.Ok;
      }),
    );
}

/** Written beside its final name then renamed: a reader never sees half a file; 0600 like every file for people. */
function writePrivate(file: string, text: string): void {
  const temp = tempOutputName(file, 'report');
  try {
    fs.writeFileSync(temp, text, { mode: 0o600, flag: 'wx' });
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw new CliError(`${file}: cannot write the report (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, ExitCode.Failed);
  }
}
