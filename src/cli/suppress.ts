import fs from 'node:fs';
import { Option, type Command } from 'commander';
import { isSupportedCountry, type CountryCode } from 'libphonenumber-js';
import { CliError, ExitCode, UsageError } from './context.js';
import type { Wrap } from './main.js';
import { recordAudit } from '../gdpr/audit.js';
import { addSuppression, importSuppressions, suppressionCounts, SuppressionInputError, type SuppressionKind } from '../export/suppressions.js';
import { quoted } from '../io/quote.js';

const EXAMPLES = `
Examples:
  # One person unsubscribed by replying to a campaign
  $ custkit suppress jeanne.martin@example.fr --reason unsubscribed

  # A phone number on an opposition list (national numbers are read as French unless --country)
  $ custkit suppress "06 12 34 56 78" --reason opposition
  $ custkit suppress +442079460958 --reason opposition

  # A mailing tool's unsubscribe export (the email or phone column is found by its header)
  $ custkit suppress --import mailchimp_unsubscribed.csv
  $ custkit suppress --import brevo_hard_bounces.csv --reason bounced
  $ custkit suppress --import sms_stop.xlsx --column "Phone Number"

  # What is suppressed, by kind
  $ custkit suppress --list

Only a SHA-256 of the normalised address (trimmed lower-case email, E.164 phone) is stored. An email
suppression applies to the email channel, a phone suppression to sms and phone; "opposition" applies
to every channel and every address of the person.`;

const REASONS = ['unsubscribed', 'bounced', 'opposition'] as const;

interface SuppressFlags {
  reason: SuppressionKind;
  import?: string;
  column?: string;
  country: string;
  list?: boolean;
}

export function registerSuppress(program: Command, wrap: Wrap): void {
  program
    .command('suppress')
    .argument('[address]', 'an email address or a phone number')
    .description('Add people who must not be contacted again (unsubscribed, bounced, opposition list) to the suppression list that every export checks.')
    .addHelpText('after', EXAMPLES)
    .addOption(new Option('--reason <reason>', 'why').choices([...REASONS]).default('unsubscribed'))
    .option('--import <file>', 'a CSV/XLSX unsubscribe or bounce export from a mailing tool')
    .option('--column <name>', 'the column holding the address (default: found by its header)')
    .option('--country <code>', 'country for national phone numbers (ISO code)', 'FR')
    .option('--list', 'print how many addresses are suppressed, by kind')
    .action(
      wrap(async (ctx, address: string | undefined, flags: SuppressFlags) => {
        const country = flags.country.toUpperCase();
        if (!isSupportedCountry(country)) throw new UsageError(`--country ${flags.country}: not an ISO country code`);
        const modes = [address !== undefined, flags.import !== undefined, flags.list === true].filter(Boolean).length;
        if (modes !== 1) throw new UsageError('give one of: an ADDRESS, --import FILE, or --list');
        if (flags.import !== undefined && !fs.existsSync(flags.import)) throw new CliError(`${flags.import}: no such file`, ExitCode.Failed);
        const db = ctx.openDb();
        try {
          if (flags.list) {
            const counts = suppressionCounts(db);
            if (ctx.json) ctx.printJson(counts);
            else if (!counts.length) ctx.info('nothing is suppressed yet');
            else for (const c of counts) ctx.out(`${c.kind.padEnd(13)} ${c.key_type.padEnd(6)} ${c.n}`);
            return ExitCode.Ok;
          }
          if (address !== undefined) {
            const result = db.transaction(() => {
              const added = addSuppression(db, address, flags.reason, country as CountryCode);
              recordAudit(db, { action: 'suppress.add', counts: { added: added.added ? 1 : 0 }, details: { kind: flags.reason, key_type: added.keyType } });
              return added;
            })();
            if (ctx.json) ctx.printJson({ ...result, kind: flags.reason });
            else ctx.info(result.added ? `suppressed (${result.keyType}, ${flags.reason})` : `already suppressed (${result.keyType}, ${flags.reason})`);
            return ExitCode.Ok;
          }
          const summary = await importSuppressions(db, flags.import!, { kind: flags.reason, column: flags.column, country: country as CountryCode });
          if (ctx.json) ctx.printJson(summary);
          else {
            ctx.info(`${summary.file}: column ${quoted(summary.column)}, ${summary.rows} row(s): ${summary.added} suppressed (${flags.reason}), ${summary.already} already, ${summary.empty} empty, ${summary.rejected.length} rejected`);
            for (const r of summary.rejected.slice(0, 20)) ctx.warn(`row ${r.row}, column ${quoted(r.column)}: ${r.reason}`);
            if (summary.rejected.length > 20) ctx.warn(`… and ${summary.rejected.length - 20} more rejected rows (see --json)`);
          }
          return summary.rejected.length ? ExitCode.Partial : ExitCode.Ok;
        } catch (error) {
          if (error instanceof SuppressionInputError) throw new UsageError(error.message);
          throw error;
        } finally {
          db.close();
        }
      }),
    );
}
