import type { Command } from 'commander';
import Table from 'cli-table3';
import { listMerges } from '../dedupe/merge-list.js';
import { ExitCode, UsageError, type CommandContext } from './context.js';
import type { Wrap } from './main.js';

const EXAMPLES = `
Examples:
  # Every merge in force, newest first
  custkit merges

  # Merges made since a date, and those that involve one contact (as survivor or as merged record)
  custkit merges --since 2026-11-01
  custkit merges --uid 0192f0c4-7c1e-7a51-9b1e-2a8d3c4e5f60

  # As JSON, undone merges included; undo one with "custkit unmerge ID"
  custkit merges --all --json
`;

interface MergesOptions {
  since?: string;
  uid?: string;
  all?: boolean;
}

export function registerMerges(program: Command, wrap: Wrap): void {
  program
    .command('merges')
    .description(
      'List the merges "custkit dedupe --apply" made: merge id, when, the surviving contact, the contacts merged ' +
        'into it with their match probability, and who decided (a rule: the threshold; or a review: a decisions file).',
    )
    .addHelpText('after', EXAMPLES)
    .option('--since <date>', 'only merges made on or after DATE (yyyy-mm-dd or ISO timestamp)')
    .option('--uid <uid>', 'only merges involving this contact, as survivor or as merged record')
    .option('--all', 'include merges that were undone')
    .action(wrap(async (ctx: CommandContext, options: MergesOptions) => merges(ctx, options)));
}

function merges(ctx: CommandContext, options: MergesOptions): number {
  if (options.since !== undefined && (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+Z?)?$/.test(options.since) || Number.isNaN(Date.parse(options.since)))) {
    throw new UsageError(`--since must be a date like 2026-11-01, got "${options.since}"`);
  }
  // Merges are stamped in UTC ISO form; a date alone compares as its first instant.
  const since = options.since && options.since.length > 10 ? new Date(options.since).toISOString() : options.since;
  const db = ctx.openDb({ mustExist: true });
  try {
    const list = listMerges(db, { since, uid: options.uid, includeUndone: options.all });
    if (ctx.json) {
      ctx.printJson({ merges: list.map((m) => ({ merge_id: m.mergeId, created_at: m.createdAt, survivor_uid: m.survivorUid, decided_by: m.decidedBy,
        threshold: m.threshold, undone_at: m.undoneAt, members: m.members.map((x) => ({ uid: x.uid, probability: x.probability })) })) });
      return ExitCode.Ok;
    }
    if (list.length === 0) {
      ctx.out('no merge matches (merges are made by "custkit dedupe --apply")');
      return ExitCode.Ok;
    }
    const table = new Table({ head: ['id', 'when', 'survivor uid', 'merged uids (probability)', 'decided by', ...(options.all ? ['undone'] : [])], style: { head: [], border: [] } });
    for (const m of list) {
      table.push([m.mergeId, m.createdAt.slice(0, 19).replace('T', ' '), m.survivorUid,
        m.members.map((x) => `${x.uid} (${x.probability === null ? '-' : x.probability.toFixed(3)})`).join('\n'),
        m.decidedBy === 'rule' ? `rule (p >= ${m.threshold ?? '?'})` : 'review', ...(options.all ? [m.undoneAt ?? ''] : [])]);
    }
    ctx.out(table.toString());
    ctx.info(`${list.length} merge${list.length === 1 ? '' : 's'}; undo one with "custkit unmerge ID"`);
    return ExitCode.Ok;
  } finally {
    db.close();
  }
}
