import type { Command } from 'commander';
import Table from 'cli-table3';
import { CliError, ExitCode, UsageError, type CommandContext } from './context.js';
import type { Wrap } from './main.js';
import { registerCampaignFiles } from './campaigns-files.js';
import { registerNotSent } from './campaigns-not-sent.js';
import { CampaignError } from '../campaigns/lookup.js';
import { checkPeriod } from '../campaigns/pressure.js';
import { listCampaigns, showCampaign, type Breakdown, type CampaignSummary, type Outcomes } from '../campaigns/report.js';
import { DEFAULT_SOFT_BOUNCE_LIMIT, getSettings, setPressureDefault, setSoftBounceLimit } from '../campaigns/settings.js';
import { SelectionError } from '../export/select.js';
import { recordAudit } from '../gdpr/audit.js';
import { CHANNELS, type Channel } from '../store/types.js';

const EXAMPLES = `
Examples:
  # Every export is a campaign: the last 20, with their results once a report was read
  $ custkit export --segment champions --preset brevo --name "Soldes d'hiver" --out brevo.csv
  $ custkit campaigns

  # One campaign by segment and RFM cell: who opened, clicked, bounced
  $ custkit campaigns show 1

  # Read the mailing tool's report (Brevo, Mailchimp, Klaviyo, HubSpot; CSV or XLSX)
  $ custkit campaigns results brevo-report.csv --campaign 1

  # Letters returned by the post office (PND): those addresses get no more letters
  $ custkit campaigns returns pnd.csv

  # Export #1 was only looked at, never sent: it leaves the pressure cap and is listed as not sent
  $ custkit campaigns not-sent 1 --reason "checked the list, not sent"

  # No one gets more than 4 emails in 30 days, store-wide; 2 soft bounces in a row suppress an address
  $ custkit campaigns settings --channel email --max-sends 4 --per 30d --soft-bounces 2

A campaign's delivered count is the members the tool reported delivered (or opened or clicked); when
the report has no delivery events, it is the members less those who bounced. Open and click rates are
of delivered; bounce rate is of members. See docs/campaigns.md.`;

function pct(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

function outcomeCells(o: Outcomes | null): string[] {
  if (!o) return ['', '', '', '', '', ''];
  return [
    `${o.delivered}${o.deliveredEstimated ? '*' : ''} (${pct(o.rates.delivered)})`,
    `${o.opened} (${pct(o.rates.opened)})`,
    `${o.clicked} (${pct(o.rates.clicked)})`,
    `${o.bounced} (${pct(o.rates.bounced)})`,
    `${o.unsubscribed} (${pct(o.rates.unsubscribed)})`,
    `${o.complained} (${pct(o.rates.complained)})`,
  ];
}

const OUTCOME_HEAD = ['delivered', 'opened', 'clicked', 'bounced', 'unsub.', 'spam'];

function selectionText(c: CampaignSummary): string {
  const parts: string[] = [];
  if (c.segments.length) parts.push(c.segments.join(', '));
  if (c.tags.length) parts.push(`tag ${c.tags.join(', ')}`);
  if (c.where) parts.push(`where ${c.where}`);
  return parts.join('; ') || 'all';
}

function failWith(error: unknown): never {
  if (error instanceof CampaignError) throw new CliError(error.message, ExitCode.Failed);
  if (error instanceof SelectionError) throw new UsageError(error.message);
  throw error;
}

function wholeNumber(flag: string, value: string, min: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min) throw new UsageError(`${flag} ${value}: expected a whole number${min > 0 ? ` of at least ${min}` : ''}`);
  return Number(value);
}

function printBreakdown(ctx: CommandContext, title: string, rows: Breakdown[]): void {
  const table = new Table({ head: [title, 'members', ...OUTCOME_HEAD], style: { head: ctx.color.level ? ['bold'] : [], border: [] } });
  for (const r of rows) table.push([r.group, r.members, ...outcomeCells(r.members > 0 && rows.length > 0 ? r : null)]);
  ctx.out(table.toString());
}

export function registerCampaigns(program: Command, wrap: Wrap): void {
  const campaigns = program
    .command('campaigns')
    .description('What each export became: members, results read from the mailing tool (delivered, opened, clicked, bounced, unsubscribed, complained), postal returns, and the marketing-pressure cap.')
    .addHelpText('after', EXAMPLES);

  campaigns
    .command('list', { isDefault: true })
    .description('List campaigns, most recent first: size, channel, segments, and results once read.')
    .option('--limit <n>', 'the N most recent (default 20)', '20')
    .option('--channel <channel>', 'only campaigns on this channel')
    .action(
      wrap((ctx, flags: { limit: string; channel?: string }) => {
        const limit = wholeNumber('--limit', flags.limit, 0);
        if (flags.channel !== undefined && !(CHANNELS as readonly string[]).includes(flags.channel)) throw new UsageError(`--channel ${flags.channel}: one of ${CHANNELS.join(', ')}`);
        const db = ctx.openDb({ mustExist: true });
        try {
          const rows = listCampaigns(db, { limit, channel: flags.channel });
          if (ctx.json) {
            ctx.printJson(rows);
            return ExitCode.Ok;
          }
          if (!rows.length) {
            ctx.info('no campaigns yet: every export is one (custkit export ...)');
            return ExitCode.Ok;
          }
          const table = new Table({ head: ['#', 'when', 'name', 'channel', 'selection', 'size', ...OUTCOME_HEAD], style: { head: ctx.color.level ? ['bold'] : [], border: [] } });
          for (const c of rows) {
            const channel = `${c.channel}${c.includeUnconsented ? ' (internal)' : ''}${c.sent ? '' : ' (not sent)'}`;
            table.push([c.id, c.createdAt.slice(0, 16), c.name ?? c.toolCampaign ?? '', channel, selectionText(c), c.size, ...outcomeCells(c.results)]);
          }
          ctx.out(table.toString());
          if (rows.some((c) => c.results?.deliveredEstimated)) ctx.info('* no delivery events in the report: delivered = members less bounces');
          if (rows.some((c) => !c.sent)) ctx.info('not sent: a list exported to look at ("campaigns not-sent", "export --preview"); it does not count toward the pressure cap');
          return ExitCode.Ok;
        } finally {
          db.close();
        }
      }),
    );

  campaigns
    .command('show')
    .argument('<id>', 'the campaign (export) number')
    .description('One campaign broken down by segment and by RFM cell (the members\' scores in the run the export read).')
    .action(
      wrap((ctx, id: string) => {
        const number = wholeNumber('campaign', id.replace(/^#/, ''), 1);
        const db = ctx.openDb({ mustExist: true });
        try {
          const detail = showCampaign(db, number);
          if (ctx.json) {
            ctx.printJson(detail);
            return ExitCode.Ok;
          }
          ctx.out(`campaign #${detail.id}${detail.name ? ` "${detail.name}"` : ''}: ${detail.channel}, ${detail.createdAt}, ${detail.size} people (${selectionText(detail)})${detail.scoreRun ? `, score run ${detail.scoreRun}` : ''}`);
          if (detail.notSent) ctx.out(`  not sent: marked ${detail.notSent.at.slice(0, 16).replace('T', ' ')}${detail.notSent.reason ? ` (${detail.notSent.reason})` : ''}; it does not count toward the pressure cap ("custkit campaigns not-sent ${detail.id} --undo" if it was sent)`);
          if (detail.toolCampaign) ctx.out(`  ${detail.tool ?? 'tool'} campaign: ${detail.toolCampaign}`);
          if (detail.postalReturns) ctx.out(`  postal returns (PND): ${detail.postalReturns}`);
          if (!detail.results && detail.sent) ctx.info('no results yet: read the mailing tool\'s report with "custkit campaigns results FILE --campaign ID"');
          printBreakdown(ctx, 'segment', detail.bySegment);
          printBreakdown(ctx, 'RFM cell', detail.byRfmCell);
          return ExitCode.Ok;
        } catch (error) {
          return failWith(error);
        } finally {
          db.close();
        }
      }),
    );

  registerCampaignFiles(campaigns, wrap);
  registerNotSent(campaigns, wrap);

  campaigns
    .command('settings')
    .description(`Show or change the campaign settings: soft bounces in a row that suppress an address (default ${DEFAULT_SOFT_BOUNCE_LIMIT}), and the store-wide marketing-pressure cap per channel (default: none).`)
    .option('--soft-bounces <n>', 'soft bounces in a row (campaigns with results, no delivery between) that suppress an address; 0: never')
    .option('--channel <channel>', 'the channel the cap is for', 'email')
    .option('--max-sends <n>', 'at most N campaigns per person on the channel in the period (0: remove the cap)')
    .option('--per <period>', 'the period of the cap, e.g. 30d, 4w, 1m (default 30d)')
    .action(
      wrap((ctx, flags: { softBounces?: string; channel: string; maxSends?: string; per?: string }) => {
        if (!(CHANNELS as readonly string[]).includes(flags.channel)) throw new UsageError(`--channel ${flags.channel}: one of ${CHANNELS.join(', ')}`);
        if (flags.per !== undefined && flags.maxSends === undefined) throw new UsageError('--per goes with --max-sends N');
        const soft = flags.softBounces === undefined ? undefined : wholeNumber('--soft-bounces', flags.softBounces, 0);
        const max = flags.maxSends === undefined ? undefined : wholeNumber('--max-sends', flags.maxSends, 0);
        const period = flags.per ?? '30d';
        try {
          if (max !== undefined && max > 0) checkPeriod(period);
        } catch (error) {
          return failWith(error);
        }
        const db = ctx.openDb({ mustExist: true });
        try {
          const channel = flags.channel as Channel;
          if (soft !== undefined || max !== undefined) {
            db.transaction(() => {
              if (soft !== undefined) setSoftBounceLimit(db, soft);
              if (max !== undefined) setPressureDefault(db, channel, max > 0 ? { maxSends: max, period } : null);
              recordAudit(db, { action: 'campaigns.settings', details: { soft_bounces: soft ?? null, channel: max !== undefined ? channel : null, max_sends: max ?? null, per: max ? period : null } });
            })();
          }
          const settings = getSettings(db);
          if (ctx.json) ctx.printJson(settings);
          else {
            ctx.out(`soft bounces in a row that suppress an address: ${settings.softBounceLimit === 0 ? 'never' : settings.softBounceLimit}`);
            for (const c of CHANNELS) {
              const cap = settings.pressure[c];
              ctx.out(`marketing pressure cap, ${c}: ${cap ? `at most ${cap.maxSends} campaign(s) per ${cap.period}` : 'none'}`);
            }
          }
          return ExitCode.Ok;
        } finally {
          db.close();
        }
      }),
    );
}
