import type { Command } from 'commander';
import { CliError, ExitCode, Progress, UsageError, type CommandContext } from './context.js';
import type { Wrap } from './main.js';
import { parseCountryFlag, saveSettings } from './validate-options.js';
import { parseWorkersFlag } from './workers-flag.js';
import { clean, type CleanResult } from '../validate/clean.js';
import { cutoffDate, DurationError } from '../validate/duration.js';
import { localToday } from '../validate/ensure.js';
import { undoRun, UndoError } from '../validate/undo.js';
import { backupFirst } from './auto-backup.js';

const EXAMPLES = `
Examples:
  custkit clean                                  dry run: what each rule would change, with examples
  custkit clean --fix                            write the normalised values (phones in E.164, 01000...)
  custkit clean --fix --fix-typos                also correct misspelt email domains (gmial.com → gmail.com)
  custkit clean --inactive-since 3y              dry run: contacts with no purchase or activity for 3 years
  custkit clean --fix --inactive-since 3y --action remove   set them to status inactive (left out of exports)
  custkit clean --runs                           every clean run, what it changed
  custkit clean --undo 5                         put back the values run 5 wrote (run numbers: --runs)

Nothing changes without --fix. Every run is recorded, and every value a fix writes is kept with the one
it replaced, so a run can be undone. Running "clean --fix" twice changes nothing the second time.
--action flag adds the tag "inactive" (the contact stays exportable, e.g. for a win-back campaign);
--action remove sets status = inactive, which exports leave out. Nothing is ever deleted.`;

interface Options {
  fix?: boolean;
  /** false with --no-backup. */
  backup?: boolean;
  fixTypos?: boolean;
  inactiveSince?: string;
  action?: string;
  asOf?: string;
  country?: string;
  workers?: string;
  undo?: string;
  runs?: boolean;
}

export function registerClean(program: Command, wrap: Wrap): void {
  program
    .command('clean')
    .description(
      'Normalise contact fields from their validated values (emails, phones to E.164, postal codes, countries to ISO codes, ' +
        'name case, civility, gender, SIRET), optionally correct misspelt email domains and flag long-inactive contacts. ' +
        'A dry run by default.',
    )
    .addHelpText('after', EXAMPLES)
    .option('--fix', 'write the changes (default: dry run)')
    .option('--fix-typos', 'also apply email domain suggestions (implies --fix)')
    .option('--inactive-since <duration>', 'contacts with no purchase, activity or creation since then (3y, 18m, 90d, or a date)')
    .option('--action <action>', 'what to do with inactive contacts: flag (tag) or remove (status inactive)', 'flag')
    .option('--as-of <date>', 'count --inactive-since back from this day (default: today)')
    .option('--country <code>', 'default country for contacts without one (remembered; default FR)')
    .option('--workers <n>', 'worker threads for validating large files (default: auto)')
    .option('--undo <run>', 'undo a fix run (see --runs)')
    .option('--runs', 'list the clean runs')
    .option('--no-backup', 'with --fix: do not take the automatic backup of the store first (see "custkit db backups")')
    .action(wrap(async (ctx: CommandContext, options: Options) => runClean(ctx, options)));
}

function runClean(ctx: CommandContext, options: Options): number {
  if (options.runs) return listRuns(ctx);
  if (options.undo !== undefined) return undo(ctx, options);
  const country = parseCountryFlag(options.country);
  const workers = parseWorkersFlag(options.workers);
  if (options.action !== 'flag' && options.action !== 'remove') throw new UsageError(`--action: expected flag or remove, got "${options.action}"`);
  if (options.asOf !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(options.asOf)) throw new UsageError(`--as-of: expected a date yyyy-mm-dd, got "${options.asOf}"`);
  let cutoff: string | undefined;
  if (options.inactiveSince !== undefined) {
    try {
      cutoff = cutoffDate(options.inactiveSince, options.asOf ?? localToday());
    } catch (error) {
      if (error instanceof DurationError) throw new UsageError(`--inactive-since: ${error.message}`);
      throw error;
    }
  }
  const fix = Boolean(options.fix || options.fixTypos);
  const db = ctx.openDb({ mustExist: true });
  try {
    if (fix) backupFirst(ctx, db, 'clean --fix', options.backup);
    saveSettings(db, country, undefined);
    const progress = new Progress(ctx, 'validating');
    const result = clean(db, {
      fix,
      fixTypos: Boolean(options.fixTypos),
      inactive: cutoff ? { cutoff, action: options.action } : undefined,
      flags: { fix, fixTypos: Boolean(options.fixTypos), inactiveSince: options.inactiveSince ?? null, action: cutoff ? options.action : null, asOf: options.asOf ?? null },
      ensure: { workers, onProgress: (done) => progress.update(done) },
    });
    progress.done();
    if (ctx.json) ctx.printJson(result);
    else printResult(ctx, result);
    return ExitCode.Ok;
  } finally {
    db.close();
  }
}

function printResult(ctx: CommandContext, result: CleanResult): void {
  const c = ctx.color;
  const verb = result.mode === 'fix' ? 'changed' : 'would change';
  ctx.info(`${result.validated.toLocaleString('en')} contact(s) validated first; clean run ${result.runId} (${result.mode}).`);
  ctx.report(c.bold(result.mode === 'fix' ? 'Changes written' : 'Dry run: nothing written (add --fix)'));
  for (const rule of result.rules) {
    const note = rule.applies ? '' : c.dim(' (only with --fix-typos)');
    ctx.report(`  ${rule.rule.padEnd(22)} ${rule.count.toLocaleString('en').padStart(10)} ${verb}  ${rule.describe}${note}`);
    for (const e of rule.examples) ctx.report(`      ${e.uid}: ${JSON.stringify(e.before)} → ${JSON.stringify(e.after)}`);
  }
  if (result.inactive) {
    const i = result.inactive;
    ctx.report(`  inactive-${i.action.padEnd(13)} ${i.count.toLocaleString('en').padStart(10)} ${verb}  no purchase, activity or creation since ${i.cutoff}`);
    for (const e of i.examples) ctx.report(`      ${e.uid}: ${e.before} → ${e.after}`);
    if (i.undated > 0) ctx.info(`${i.undated.toLocaleString('en')} active contact(s) have no date at all (no purchase, activity or creation date): not judged.`);
  }
  if (result.mode === 'fix') ctx.report(`${result.contactsChanged.toLocaleString('en')} contact(s) changed. Undo with: custkit clean --undo ${result.runId}`);
}

function undo(ctx: CommandContext, options: Options): number {
  if (options.fix || options.fixTypos || options.inactiveSince) throw new UsageError('--undo cannot be combined with --fix, --fix-typos or --inactive-since');
  if (!/^\d+$/.test(options.undo!)) throw new UsageError(`--undo: expected a run number, got "${options.undo}"`);
  const db = ctx.openDb({ mustExist: true });
  try {
    const result = undoRun(db, Number(options.undo));
    if (ctx.json) ctx.printJson(result);
    else {
      ctx.report(`Run ${result.undoneRun} undone (as run ${result.runId}): ${result.restored.toLocaleString('en')} value(s) restored.`);
      if (result.skipped > 0) ctx.report(`${result.skipped.toLocaleString('en')} value(s) left alone: they changed after run ${result.undoneRun}.`);
    }
    return result.skipped > 0 ? ExitCode.Partial : ExitCode.Ok;
  } catch (error) {
    if (error instanceof UndoError) throw new CliError(error.message, ExitCode.Failed);
    throw error;
  } finally {
    db.close();
  }
}

function listRuns(ctx: CommandContext): number {
  const db = ctx.openDb({ mustExist: true });
  try {
    const runs = db.prepare('SELECT id, started_at, mode, options, counts, contacts_changed, undoes_run, undone_at FROM clean_runs ORDER BY id').all() as Array<{
      id: number; started_at: string; mode: string; options: string; counts: string; contacts_changed: number; undoes_run: number | null; undone_at: string | null;
    }>;
    const parsed = runs.map((r) => ({ ...r, options: JSON.parse(r.options) as unknown, counts: JSON.parse(r.counts) as Record<string, number> }));
    if (ctx.json) ctx.printJson(parsed);
    else {
      if (parsed.length === 0) ctx.info('No clean run yet.');
      for (const r of parsed) {
        const counts = Object.entries(r.counts).filter(([, n]) => n > 0).map(([rule, n]) => `${rule} ${n}`).join(', ') || 'nothing';
        const extra = r.undoes_run ? ` (undoes run ${r.undoes_run})` : r.undone_at ? ` (undone ${r.undone_at})` : '';
        ctx.out(`${String(r.id).padStart(4)}  ${r.started_at}  ${r.mode.padEnd(7)}  ${r.contacts_changed} contact(s)${extra}: ${counts}`);
      }
    }
    return ExitCode.Ok;
  } finally {
    db.close();
  }
}
