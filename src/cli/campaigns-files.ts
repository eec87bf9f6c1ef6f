import fs from 'node:fs';
import type { Command } from 'commander';
import Table from 'cli-table3';
import { CliError, ExitCode, UsageError, type CommandContext } from './context.js';
import type { Wrap } from './main.js';
import { CampaignError, type EarlierRead } from '../campaigns/lookup.js';
import { importResults } from '../campaigns/results.js';
import { importReturns } from '../campaigns/returns.js';
import { InputError } from '../io/tables.js';
import { TableFileError, writeTableFile, type TableRow } from '../export/table-file.js';
import type { Db } from '../store/db.js';
import { quoted, quotedList } from '../io/quote.js';

function campaignFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^#?\d+$/.test(value)) throw new UsageError(`--campaign ${value}: expected a campaign number (see "custkit campaigns")`);
  return Number(value.replace('#', ''));
}

function failWith(error: unknown): never {
  if (error instanceof CampaignError || error instanceof InputError) throw new CliError(error.message, ExitCode.Failed);
  if (error instanceof TableFileError) throw new UsageError(error.message);
  throw error;
}

/** Writes an import's unmatched rows: the file's own columns, then why each matched nobody. */
async function writeUnmatched(ctx: CommandContext, db: Db, importId: number, out: string): Promise<number> {
  const found = db.prepare('SELECT columns FROM campaign_imports WHERE id = ?').pluck().get(importId) as string | undefined;
  if (found === undefined) throw new CliError(`no results or returns import #${importId} (see "custkit campaigns unmatched")`, ExitCode.Failed);
  const columns = JSON.parse(found) as string[];
  function* rows(): Generator<TableRow> {
    for (const r of db.prepare('SELECT raw, reason FROM campaign_unmatched WHERE import_id = ? ORDER BY row_number').iterate(importId) as IterableIterator<{ raw: string; reason: string }>) {
      const raw = JSON.parse(r.raw) as string[];
      while (raw.length < columns.length) raw.push('');
      yield { values: [...raw.slice(0, columns.length), r.reason] };
    }
  }
  const result = await writeTableFile([...columns, 'unmatched_reason'], [...columns.map(() => 'text' as const), 'text'], rows(), {
    out, stdout: ctx.streams.stdout, delimiter: ',', encoding: 'utf8', bom: false, sheet: 'unmatched',
  });
  return result.rows;
}

const RESULTS_EXAMPLES = `
Examples:
  # Brevo's marketing events export, for campaign 3
  $ custkit campaigns results brevo-events.csv --campaign 3

  # A Mailchimp, Klaviyo or HubSpot export: the campaign is found by the file's campaign name or id
  # column (a name given with "export --name", or a tool campaign already matched), else each row
  # goes to the most recent campaign that listed its address
  $ custkit campaigns results klaviyo-activity.csv
  $ custkit campaigns results hubspot-recipients.xlsx

  # Keep the rows that matched no member, to look at them
  $ custkit campaigns results report.csv --campaign 3 --unmatched-out unmatched.csv

Hard bounces, unsubscribes and spam complaints suppress the address (source: the campaign); soft
bounces suppress it after N in a row ("campaigns settings --soft-bounces"); a click moves the contact's
last activity forward (an open does not: CNIL). Reading the same file again changes nothing.`;

const RETURNS_EXAMPLES = `
Examples:
  # Returned letters (PND) from the printer or La Poste, by customer code, uid, email or address
  $ custkit campaigns returns pnd-janvier.csv

  # The rows that matched no contact, to look them up by hand (the file is not read twice)
  $ custkit campaigns returns pnd-janvier.csv --unmatched-out pnd-unmatched.csv

The post channel leaves those contacts out until their address changes (import, contact set, clean).`;

/** A file read before: nothing to read again; the rows that matched nobody then can still be written out. */
async function alreadyRead(ctx: CommandContext, db: Db, s: { file: string; alreadyImported: EarlierRead | null }, kind: 'results' | 'returns', unmatchedOut: string | undefined): Promise<number> {
  const earlier = s.alreadyImported!;
  if (unmatchedOut !== undefined) await writeUnmatched(ctx, db, earlier.importId, unmatchedOut);
  if (ctx.json) ctx.printJson(s);
  else ctx.info(`${s.file}: already read as ${kind} import #${earlier.importId} on ${earlier.importedAt}; nothing changed`);
  return ExitCode.Ok;
}

/**
 * What `campaigns results` and `campaigns returns` share: the flags checked, the file read once (a file
 * read before changes nothing), the unmatched rows written when asked, --json; `describe` prints the
 * summary in words (off --json) and gives the exit code.
 */
async function readCampaignFile<S extends { file: string; alreadyImported: EarlierRead | null; importId: number | null }>(
  ctx: CommandContext,
  file: string,
  flags: { campaign?: string; unmatchedOut?: string },
  kind: 'results' | 'returns',
  read: (db: Db, campaign: number | undefined) => Promise<S>,
  describe: (summary: S) => number,
): Promise<number> {
  const campaign = campaignFlag(flags.campaign);
  if (!fs.existsSync(file)) throw new CliError(`${file}: no such file`, ExitCode.Failed);
  const db = ctx.openDb({ mustExist: true });
  try {
    const s = await read(db, campaign);
    if (s.alreadyImported) return await alreadyRead(ctx, db, s, kind, flags.unmatchedOut);
    if (flags.unmatchedOut !== undefined) await writeUnmatched(ctx, db, s.importId!, flags.unmatchedOut);
    if (ctx.json) ctx.printJson(s);
    return describe(s);
  } catch (error) {
    return failWith(error);
  } finally {
    db.close();
  }
}

export function registerCampaignFiles(campaigns: Command, wrap: Wrap): void {
  campaigns
    .command('results')
    .argument('<file>', "the mailing tool's campaign report or activity export (.csv or .xlsx)")
    .description("Read a mailing tool's campaign results into the store: opens, clicks, bounces, unsubscribes and spam complaints per member; suppressions and activity dates follow.")
    .addHelpText('after', RESULTS_EXAMPLES)
    .option('--campaign <id>', 'the campaign every row belongs to (default: from the file, else per address)')
    .option('--unmatched-out <file>', 'also write the rows that matched no member (.csv or .xlsx)')
    .action(
      wrap(async (ctx, file: string, flags: { campaign?: string; unmatchedOut?: string }) => {
        return readCampaignFile(ctx, file, flags, 'results', (db, campaign) => importResults(db, file, { campaign }), (s) => {
          const unknown = Object.values(s.unknown).reduce((x, y) => x + y, 0);
          if (!ctx.json) {
            ctx.info(`${file}${s.tool ? ` (${s.tool})` : ''}: ${s.rows} row(s), ${s.matched} matched, ${s.unmatched} unmatched; ${s.eventsAdded} new event(s), ${s.eventsKnown} already known (results import #${s.importId})`);
            for (const c of s.campaigns) ctx.info(`  campaign #${c.id}${c.name ? ` ${quoted(c.name)}` : ''}: ${c.rows} row(s), ${c.how}`);
            const sup = s.suppressed;
            ctx.info(`  suppressed: ${sup.hardBounces} hard bounce(s), ${sup.unsubscribes} unsubscribe(s), ${sup.complaints} spam complaint(s), ${sup.softBounceStreaks} soft-bounce streak(s); ${s.consentsWithdrawn} consent withdrawal(s) recorded; last activity moved for ${s.activityMoved} contact(s) who clicked`);
            const ignored = Object.entries(s.ignored).map(([w, n]) => `${w} ${n}`).join(', ');
            if (ignored) ctx.info(`  events that say nothing about the person, not kept: ${ignored}`);
            if (unknown) ctx.warn(`events not understood (rows left out): ${quotedList(Object.entries(s.unknown).map(([w, n]) => `${quoted(w)} ${n}`), 'event words', { quote: (x) => x })}`);
            for (const r of s.unmatchedRows) ctx.warn(`row ${r.row}: ${r.reason}`);
            if (s.unmatched > s.unmatchedRows.length) ctx.warn(`… and ${s.unmatched - s.unmatchedRows.length} more unmatched rows`);
            if (s.unmatched) ctx.info(`write them all: custkit campaigns unmatched ${s.importId} --out unmatched.csv`);
          }
          return s.unmatched > 0 || unknown > 0 ? ExitCode.Partial : ExitCode.Ok;
        });
      }),
    );

  campaigns
    .command('returns')
    .argument('<file>', 'returned letters (PND): a CSV or XLSX naming each contact')
    .description('Mark the postal addresses of returned letters (PND) undeliverable: the post channel leaves them out until the address changes.')
    .addHelpText('after', RETURNS_EXAMPLES)
    .option('--campaign <id>', 'the post campaign the letters came from (default: from a campaign column, else the latest that listed the contact)')
    .option('--unmatched-out <file>', 'also write the rows that matched no contact (.csv or .xlsx)')
    .action(
      wrap(async (ctx, file: string, flags: { campaign?: string; unmatchedOut?: string }) => {
        return readCampaignFile(ctx, file, flags, 'returns', (db, campaign) => importReturns(db, file, { campaign }), (s) => {
          if (!ctx.json) {
            ctx.info(`${file}: ${s.rows} row(s) by ${s.matchedBy}: ${s.marked} address(es) marked undeliverable, ${s.already} already, ${s.unmatched} unmatched (returns import #${s.importId})`);
            for (const r of s.unmatchedRows) ctx.warn(`row ${r.row}: ${r.reason}`);
          }
          return s.unmatched > 0 ? ExitCode.Partial : ExitCode.Ok;
        });
      }),
    );

  campaigns
    .command('unmatched')
    .argument('[import]', 'a results or returns import number')
    .description('The rows of results and returns files that matched nobody: listed per import, or written back with their own columns.')
    .option('--out <file>', 'write the rows of one import (.csv, .xlsx, or - for stdout)')
    .action(
      wrap(async (ctx, importId: string | undefined, flags: { out?: string }) => {
        if (importId !== undefined && !/^\d+$/.test(importId)) throw new UsageError(`${importId}: expected an import number`);
        if (flags.out !== undefined && importId === undefined) throw new UsageError('--out writes one import\'s rows: give its number');
        const db = ctx.openDb({ mustExist: true });
        try {
          if (flags.out !== undefined) {
            const n = await writeUnmatched(ctx, db, Number(importId), flags.out);
            if (flags.out !== '-') ctx.info(`${n} unmatched row(s) of import #${importId} written to ${flags.out}`);
            return ExitCode.Ok;
          }
          const rows = db
            .prepare(`SELECT i.id, i.kind, i.file_name, i.imported_at, i.unmatched FROM campaign_imports i ${importId === undefined ? '' : 'WHERE i.id = ?'} ORDER BY i.id DESC`)
            .all(...(importId === undefined ? [] : [Number(importId)])) as { id: number; kind: string; file_name: string; imported_at: string; unmatched: number }[];
          if (ctx.json) ctx.printJson(rows);
          else if (!rows.length) ctx.info('no results or returns files read yet');
          else {
            const table = new Table({ head: ['import', 'kind', 'file', 'when', 'unmatched'], style: { head: [], border: [] } });
            for (const r of rows) table.push([`#${r.id}`, r.kind, r.file_name, r.imported_at, r.unmatched]);
            ctx.out(table.toString());
          }
          return ExitCode.Ok;
        } catch (error) {
          return failWith(error);
        } finally {
          db.close();
        }
      }),
    );
}
