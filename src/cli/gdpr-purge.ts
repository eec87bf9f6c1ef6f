import type { Command } from 'commander';
import { ExitCode, UsageError, type CommandContext } from './context.js';
import type { Wrap } from './main.js';
import { defaultCountryOf } from '../validate/ensure.js';
import { cutoffDate, DurationError } from '../validate/duration.js';
import { eraseContacts, type EraseResult } from '../gdpr/erase.js';
import { CNIL_DEFAULTS, deleteExpiredRejects, planIsEmpty, planPurge, type PurgeCandidate, type PurgePlan } from '../gdpr/purge.js';
import { scrubFile, withSecureDelete, type FileScrub } from '../gdpr/scrub-file.js';
import { recordAudit } from '../gdpr/audit.js';
import { fileLine, tableLines } from './gdpr-erase-format.js';

export const PURGE_EXAMPLES = `
Examples:
  # What the CNIL's default periods would purge today (nothing is changed; exit 3 if anything would go)
  $ custkit gdpr purge --dry-run

  # Purge: prospects 3 years after collection or last action, customers 3 years after their last
  # purchase, rejected rows after 90 days (cron: exit 3 says something was purged)
  $ custkit gdpr purge

  # Your own periods, and what would go as of a date
  $ custkit gdpr purge --prospects 2y --customers 5y --rejects 30d --as-of 2027-01-01 --dry-run --json

A click or a purchase restarts a prospect's clock (last_activity_at, purchases), an email open does not;
a consent the person gave themselves (gdpr consent --grant) counts too. Purged people are erased exactly
as "gdpr erase" does, their suppression hashes kept; contacts holding a trap (seed) address are never
purged. Audited, without the people's data.`;

interface PurgeFlags {
  prospects: string;
  customers: string;
  rejects: string;
  asOf?: string;
  dryRun?: boolean;
}

export function registerGdprPurge(gdpr: Command, wrap: Wrap): void {
  gdpr
    .command('purge')
    .option('--prospects <period>', 'keep a prospect this long after collection or their last action', CNIL_DEFAULTS.prospects)
    .option('--customers <period>', 'keep a customer this long after their last purchase', CNIL_DEFAULTS.customers)
    .option('--rejects <period>', 'keep rejected rows this long after their import', CNIL_DEFAULTS.rejects)
    .option('--as-of <date>', 'count the periods back from this day (yyyy-mm-dd) instead of today')
    .option('--dry-run', 'list what would be purged, change nothing')
    .description('Retention: erase the prospects and customers kept past their period, delete old rejected rows (CNIL defaults: 3 years, 3 years, 90 days). Exit 3 when anything was purged.')
    .addHelpText('after', PURGE_EXAMPLES)
    .action(wrap((ctx, flags: PurgeFlags) => runPurge(ctx, flags)));
}

function rules(flags: PurgeFlags): { prospects: string; customers: string; rejects: string; asOf: string } {
  const asOf = flags.asOf ?? new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf) || Number.isNaN(Date.parse(`${asOf}T00:00:00Z`))) throw new UsageError(`--as-of ${asOf}: expected a date like 2027-01-01`);
  for (const flag of ['prospects', 'customers', 'rejects'] as const) {
    try {
      cutoffDate(flags[flag], asOf);
    } catch (error) {
      if (error instanceof DurationError) throw new UsageError(`--${flag} ${error.message}`);
      throw error;
    }
  }
  return { prospects: flags.prospects, customers: flags.customers, rejects: flags.rejects, asOf };
}

function runPurge(ctx: CommandContext, flags: PurgeFlags): number {
  const given = rules(flags);
  const db = ctx.openDb({ mustExist: true });
  try {
    const plan = planPurge(db, given);
    const people = [...plan.prospects, ...plan.customers];
    let result: EraseResult | null = null;
    let rejectsDeleted = plan.rejects.rows;
    let scrub: FileScrub | null = null;
    if (!flags.dryRun && !planIsEmpty(plan)) {
      result = withSecureDelete(db, () => {
        const erased = eraseContacts(db, people.map((p) => p.id), { reason: 'retention period over', source: 'gdpr purge', defaultCountry: defaultCountryOf(db) });
        rejectsDeleted = deleteExpiredRejects(db, plan);
        recordAudit(db, {
          action: 'gdpr.purge',
          uids: erased.records,
          counts: { prospects: plan.prospects.length, customers: plan.customers.length, rejects: rejectsDeleted, suppressions: erased.suppressionsAdded, ...erased.tables },
          details: { prospects: given.prospects, customers: given.customers, rejects: given.rejects, as_of: given.asOf },
        });
        return erased;
      });
      scrub = scrubFile(db, result.needles);
    }
    if (ctx.json) {
      ctx.printJson({
        dry_run: Boolean(flags.dryRun), as_of: plan.asOf, cutoffs: plan.cutoffs,
        prospects: plan.prospects.map(json), customers: plan.customers.map(json),
        rejects: { rows: rejectsDeleted, imports: plan.rejects.imports }, seeds_kept: plan.seedsKept,
        tables: result?.tables ?? {}, suppressions_added: result?.suppressionsAdded ?? 0,
        file: scrub && { wal_truncated: scrub.walTruncated, vacuumed: scrub.vacuumed, clean: scrub.clean },
      });
    } else {
      for (const line of describe(plan, { dryRun: Boolean(flags.dryRun), rejectsDeleted, result, scrub })) ctx.report(line);
    }
    return planIsEmpty(plan) ? ExitCode.Ok : ExitCode.Partial;
  } finally {
    db.close();
  }
}

function json(c: PurgeCandidate): { uid: string; since: string } {
  return { uid: c.uid, since: c.since };
}

const SHOWN = 10;

function uidList(list: PurgeCandidate[]): string {
  const shown = list.slice(0, SHOWN).map((c) => `${c.uid} (${c.since})`).join(', ');
  return list.length > SHOWN ? `${shown}, and ${list.length - SHOWN} more (--json lists them all)` : shown;
}

function describe(plan: PurgePlan, o: { dryRun: boolean; rejectsDeleted: number; result: EraseResult | null; scrub: FileScrub | null }): string[] {
  const c = plan.cutoffs;
  const lines = [`${o.dryRun ? 'would purge' : 'purge'} as of ${plan.asOf}: prospects collected or last active before ${c.prospects}, customers whose last purchase is before ${c.customers}, rejected rows imported before ${c.rejects}`];
  if (planIsEmpty(plan)) {
    lines.push('  nothing is past its retention period');
  } else {
    const verb = o.dryRun ? 'would erase' : 'erased';
    if (plan.prospects.length) lines.push(`  ${verb} ${plan.prospects.length} prospect(s): ${uidList(plan.prospects)}`);
    if (plan.customers.length) lines.push(`  ${verb} ${plan.customers.length} customer(s): ${uidList(plan.customers)}`);
    if (o.rejectsDeleted) lines.push(`  ${o.dryRun ? 'would delete' : 'deleted'} ${o.rejectsDeleted} rejected row(s) of ${plan.rejects.imports.length} import(s): ${plan.rejects.imports.map((i) => `#${i}`).join(', ')}`);
    if (o.result) {
      lines.push(...tableLines(o.result.tables).map((l) => `  ${l}`));
      lines.push(`    ${o.result.suppressionsAdded} address hash(es) added to suppressions as erased (kept: they are the opposition record)`);
    }
  }
  if (plan.seedsKept) lines.push(`  ${plan.seedsKept} contact(s) holding a trap (seed) address kept: seeds are never purged`);
  const file = fileLine(o.scrub);
  if (file) lines.push(file);
  return lines;
}
