import type { Command } from 'commander';
import { unmerge, unmergeSince, UnmergeError, type UnmergeOutcome } from '../dedupe/unmerge.js';
import { CliError, ExitCode, UsageError, type CommandContext } from './context.js';
import type { Wrap } from './main.js';

const EXAMPLES = `
Examples:
  # Undo merge 2: the merged records come back as they were, with their purchases and consents
  custkit unmerge 2

  # Undo every merge made since a date (newest first)
  custkit unmerge --all-since 2026-11-01
`;

export function registerUnmerge(program: Command, wrap: Wrap): void {
  program
    .command('unmerge')
    .description(
      'Undo a merge made by "custkit dedupe --apply": restore each merged record exactly as it was, move its ' +
        'purchases, consents and scores back, and return the survivor to its values before the merge.',
    )
    .addHelpText('after', EXAMPLES)
    .argument('[merge_id]', 'the merge to undo (printed by dedupe --apply)')
    .option('--all-since <date>', 'undo every merge made on or after DATE (yyyy-mm-dd or ISO timestamp)')
    .action(wrap(async (ctx: CommandContext, mergeId: string | undefined, options: { allSince?: string }) => run(ctx, mergeId, options)));
}

function run(ctx: CommandContext, mergeId: string | undefined, options: { allSince?: string }): number {
  if ((mergeId === undefined) === (options.allSince === undefined)) throw new UsageError('give either a MERGE_ID or --all-since DATE');
  if (mergeId !== undefined && !/^[1-9]\d*$/.test(mergeId)) throw new UsageError(`MERGE_ID must be a positive whole number, got "${mergeId}"`);
  if (options.allSince !== undefined && (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+Z?)?$/.test(options.allSince) || Number.isNaN(Date.parse(options.allSince)))) {
    throw new UsageError(`--all-since must be a date like 2026-11-01, got "${options.allSince}"`);
  }
  const db = ctx.openDb({ mustExist: true });
  try {
    let outcomes: UnmergeOutcome[];
    try {
      // Merges are stamped in UTC ISO form; a date alone compares as its first instant.
      const since = options.allSince && options.allSince.length > 10 ? new Date(options.allSince).toISOString() : options.allSince;
      outcomes = mergeId !== undefined ? [unmerge(db, Number(mergeId))] : unmergeSince(db, since!);
    } catch (error) {
      if (error instanceof UnmergeError) throw new CliError(`${error.message}; nothing was changed`, ExitCode.Failed);
      throw error;
    }
    if (ctx.json) {
      ctx.printJson({ undone: outcomes.map((o) => ({ merge_id: o.mergeId, survivor_uid: o.survivorUid, restored: o.restored })) });
    } else if (outcomes.length === 0) {
      ctx.report(`no merge made since ${options.allSince} is left to undo`);
    } else {
      for (const o of outcomes) ctx.report(`merge ${o.mergeId} undone: ${o.restored.length} contacts restored beside ${o.survivorUid}`);
    }
    return ExitCode.Ok;
  } finally {
    db.close();
  }
}
