import type { Command } from 'commander';
import { CliError, ExitCode, UsageError } from './context.js';
import type { Wrap } from './main.js';
import { CampaignError } from '../campaigns/lookup.js';
import { markNotSent, markSent } from '../campaigns/not-sent.js';

const EXAMPLES = `
Examples:
  # Export #3 was made to look at the list and never sent: it stops counting toward the pressure cap
  $ custkit campaigns not-sent 3 --reason "checked the list, not sent"

  # It was sent after all: a campaign again (it counts, and takes the tool's results)
  $ custkit campaigns not-sent 3 --undo

  # Say it at export time instead
  $ custkit export --segment champions --preview --out look.csv

A campaign not sent stays in the export log ("custkit exports": a file of personal data was written)
with its members, is listed as "not sent" by "custkit campaigns", does not count toward the
marketing-pressure cap (export --max-sends, campaigns settings), and takes no results or postal
returns ("campaigns results --campaign ID" naming it is refused). A campaign with results or postal
returns was sent: it cannot be marked not sent. Both changes are audited.`;

export function registerNotSent(campaigns: Command, wrap: Wrap): void {
  campaigns
    .command('not-sent')
    .argument('<id>', 'the campaign (export) number')
    .description('Mark a campaign as never sent (an export made to look at a list): it leaves the pressure cap and takes no results. --undo marks it sent again.')
    .addHelpText('after', EXAMPLES)
    .option('--reason <text>', 'why, in your words (shown by "campaigns" and "campaigns show")')
    .option('--undo', 'it was sent after all: count it again')
    .action(
      wrap((ctx, id: string, flags: { reason?: string; undo?: boolean }) => {
        if (!/^#?\d+$/.test(id) || Number(id.replace('#', '')) < 1) throw new UsageError(`campaign ${id}: expected a campaign number (see "custkit campaigns")`);
        if (flags.undo && flags.reason !== undefined) throw new UsageError('--reason goes with marking a campaign not sent, not with --undo');
        if (flags.reason !== undefined && flags.reason.trim() === '') throw new UsageError('--reason: say why, or leave the flag out');
        const number = Number(id.replace('#', ''));
        const db = ctx.openDb({ mustExist: true });
        try {
          const change = flags.undo ? markSent(db, number) : markNotSent(db, number, flags.reason?.trim() ?? null);
          if (ctx.json) ctx.printJson(change);
          else {
            const label = `campaign #${change.id}${change.name ? ` "${change.name}"` : ''}`;
            if (flags.undo) {
              ctx.report(change.changed
                ? `${label} is a campaign sent again: its ${change.members} member(s) count toward the pressure cap, and results can be read for it`
                : `${label} was not marked not sent; nothing changed`);
            } else {
              ctx.report(change.changed
                ? `${label} marked not sent: its ${change.members} member(s) no longer count toward the pressure cap; "custkit campaigns not-sent ${change.id} --undo" if it was sent after all`
                : `${label} is already marked not sent (since ${change.notSentAt!.slice(0, 10)}${change.reason ? `: ${change.reason}` : ''}); nothing changed`);
            }
          }
          return ExitCode.Ok;
        } catch (error) {
          if (error instanceof CampaignError) throw new CliError(error.message, ExitCode.Failed);
          throw error;
        } finally {
          db.close();
        }
      }),
    );
}
