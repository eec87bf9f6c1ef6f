import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CliError, ExitCode, UsageError } from './context.js';
import type { Wrap } from './main.js';
import { defaultCountryOf } from '../validate/ensure.js';
import { lookupOne, LookupError } from '../gdpr/lookup.js';
import { lookupFailure } from './lookup-failure.js';
import { ConsentError, isChannel, recordConsent } from '../gdpr/consent.js';
import { accessBundle } from '../gdpr/access.js';
import { accessFormatOf, writeAccessFile } from '../gdpr/access-files.js';
import { recordAudit } from '../gdpr/audit.js';
import { CHANNELS } from '../store/types.js';
import { registerGdprErase } from './gdpr-erase.js';
import { registerGdprPurge } from './gdpr-purge.js';

const EXAMPLES = `
Examples:
  # A person withdraws their consent to emails by phone: recorded with its source and proof
  $ custkit gdpr consent chloe.lefevre@free.fr --channel email --withdraw --source "phone call" --proof "ticket 4521"

  # A person grants SMS consent on a paper form (a uid works as well as an email)
  $ custkit gdpr consent UID1 --channel sms --grant --source "paper form" --proof "form scanned as 2026-03-01-17.pdf"

  # Right of access: every row the store holds about a person, for them
  $ custkit gdpr access chloe.lefevre@free.fr --out chloe.json    versioned JSON (portability)
  $ custkit gdpr access chloe.lefevre@free.fr --out chloe.html    a page the person can read
  $ custkit gdpr access UID1 --out person.csv                    one long table: table,row,column,value

A consent choice never overwrites the previous one: the history stays, the latest is the current
choice, and export honours it. Files are created readable by you only (0600). Both commands are
recorded in the audit trail (custkit audit), without the person's data.`;

function failWith(error: unknown): never {
  if (error instanceof LookupError) throw lookupFailure(error);
  if (error instanceof ConsentError) throw new CliError(error.message, /^--/.test(error.message) ? ExitCode.Usage : ExitCode.Failed);
  throw error;
}

interface ConsentFlags {
  channel: string;
  grant?: boolean;
  withdraw?: boolean;
  source?: string;
  proof?: string;
}

export function registerGdpr(program: Command, wrap: Wrap): void {
  const gdpr = program
    .command('gdpr')
    .description('The rights of the people in the store: record their consent choices, give them every row held about them, erase them for good, purge data kept too long. Every action is audited.')
    .addHelpText('after', EXAMPLES);

  gdpr
    .command('consent')
    .argument('<who>', 'the person: email, phone number or contact uid (one contact)')
    .requiredOption('--channel <channel>', `the channel: ${CHANNELS.join(', ')}`)
    .option('--grant', 'the person agrees to be contacted on the channel')
    .option('--withdraw', 'the person withdraws their consent for the channel')
    .option('--source <where>', 'where the choice was made: "phone call", "paper form", "web preferences"…')
    .option('--proof <text>', 'what proves it: a ticket number, a document name…')
    .description('Record a person\'s consent choice for a channel. The history is kept; the latest choice is the one export honours.')
    .action(
      wrap((ctx, who: string, flags: ConsentFlags) => {
        if (!isChannel(flags.channel)) throw new UsageError(`--channel ${flags.channel}: expected one of ${CHANNELS.join(', ')}`);
        if (flags.grant === flags.withdraw) throw new UsageError('give one of --grant or --withdraw');
        if (flags.source === undefined || flags.source.trim() === '') throw new UsageError('--source is required: say where the choice was made');
        const db = ctx.openDb();
        try {
          const target = lookupOne(db, who, defaultCountryOf(db));
          const status = flags.grant ? 'granted' : 'withdrawn';
          const result = db.transaction(() => {
            const r = recordConsent(db, target.id, { channel: flags.channel as (typeof CHANNELS)[number], status, source: flags.source!, proof: flags.proof });
            recordAudit(db, { action: 'gdpr.consent', uids: [target.uid], details: { channel: r.channel, status: r.status, previous: r.previous } });
            return r;
          })();
          if (ctx.json) ctx.printJson({ uid: target.uid, ...result });
          else {
            const was = result.previous === null ? 'none recorded before' : result.previous === status ? `already ${status}: renewed` : `was ${result.previous}`;
            ctx.info(`${target.uid}: ${result.channel} ${status} (${was})`);
          }
          return ExitCode.Ok;
        } catch (error) {
          return failWith(error);
        } finally {
          db.close();
        }
      }),
    );

  gdpr
    .command('access')
    .argument('<who>', 'the person: email, phone number or contact uid (one contact)')
    .requiredOption('--out <file>', 'FILE.json (versioned document), FILE.csv (one long table) or FILE.html (a readable page)')
    .description('Right of access and portability: every row the store holds about one person, in every table, and nobody else\'s data.')
    .action(
      wrap((ctx, who: string, flags: { out: string }) => {
        if (!accessFormatOf(flags.out)) throw new UsageError(`--out ${flags.out}: name a .json, .csv or .html file`);
        const folder = path.dirname(path.resolve(flags.out));
        if (!fs.existsSync(folder)) throw new CliError(`${flags.out}: folder ${folder} does not exist`, ExitCode.Failed);
        const db = ctx.openDb();
        try {
          const target = lookupOne(db, who, defaultCountryOf(db));
          const bundle = accessBundle(db, target.id);
          const rows = Object.values(bundle.tables).reduce((n, t) => n + t.length, 0);
          // The file is written before the entry is committed: a failed write leaves no entry claiming it.
          db.transaction(() => {
            writeAccessFile(bundle, flags.out);
            recordAudit(db, { action: 'gdpr.access', uids: bundle.subject.records, counts: { rows }, details: { format: accessFormatOf(flags.out) } });
          })();
          if (ctx.json) ctx.printJson({ uid: target.uid, file: flags.out, rows, tables: Object.fromEntries(Object.entries(bundle.tables).map(([k, v]) => [k, v.length])) });
          else ctx.info(`${flags.out}: ${rows} row(s) from ${Object.keys(bundle.tables).length} table(s) about ${target.uid}`);
          return ExitCode.Ok;
        } catch (error) {
          return failWith(error);
        } finally {
          db.close();
        }
      }),
    );

  registerGdprErase(gdpr, wrap);
  registerGdprPurge(gdpr, wrap);
}
