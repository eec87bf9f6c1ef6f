import type { Command } from 'commander';
import { CliError, ExitCode, UsageError, type CommandContext } from './context.js';
import type { Wrap } from './main.js';
import type { Db } from '../store/db.js';
import { defaultCountryOf } from '../validate/ensure.js';
import { identifierKind, lookup, LookupError, type ContactRef } from '../gdpr/lookup.js';
import { lookupFailure } from './lookup-failure.js';
import { eraseAddresses, eraseContacts, type EraseResult } from '../gdpr/erase.js';
import { scrubFile, withSecureDelete, type FileScrub } from '../gdpr/scrub-file.js';
import { maskCommand, recordAudit } from '../gdpr/audit.js';
import { normaliseEmail, normalisePhone } from '../export/keys.js';
import type { CountryCode } from 'libphonenumber-js';
import { describeErasure, maskPersonal } from './gdpr-erase-format.js';

export const ERASE_EXAMPLES = `
Examples:
  # See first what would go (nothing is changed; exits as the real run would)
  $ custkit gdpr erase chloe.lefevre@free.fr --reason "ticket 4711" --dry-run

  # A person asks to be forgotten: every trace of them goes, their address is suppressed for good
  $ custkit gdpr erase chloe.lefevre@free.fr --reason "request by email, ticket 4711"

  # Two records share a phone: erase the one meant by its uid, or both with --all
  $ custkit gdpr erase "+33 6 12 34 56 78" --reason "ticket 4712" --all

What goes: the contact's fields, attributes, tags, consents, scores, clean history, dedupe keys, review
decisions and merge snapshots, rejected rows holding their email or phone, and their addresses wherever
free text held them. What stays: the contact's uid marked erased (the record of the erasure), their
purchases for the totals, moved to an anonymous record, and SHA-256 hashes of their email and phones as
"erased" suppressions, so a later import skips them (counted as suppressed) and no export names them.
The store file is then checkpointed and checked byte by byte. Audited, without the person's data.`;

interface EraseFlags {
  reason?: string;
  all?: boolean;
  dryRun?: boolean;
}

class Rollback extends Error {}

/** The people the text designates; an erased record named by uid is returned too (nothing left to do). */
function targets(db: Db, who: string, flags: EraseFlags, country: string): ContactRef[] {
  const found = lookup(db, who, country);
  if (found.length > 1 && !flags.all) {
    const list = found.map((c) => `${c.uid} (${c.source}${c.status === 'active' ? '' : `, ${c.status}`})`).join(', ');
    throw new UsageError(`"${who.trim()}" matches ${found.length} contacts: ${list}. Give one uid, or --all to erase every one of them`);
  }
  return found;
}

export function registerGdprErase(gdpr: Command, wrap: Wrap): void {
  gdpr
    .command('erase')
    .argument('<who>', 'the person: email, phone number or contact uid')
    .requiredOption('--reason <text>', 'why: the request and its reference (kept in the audit trail)')
    .option('--all', 'when the email or phone matches several contacts, erase all of them')
    .option('--dry-run', 'say what would be erased, change nothing')
    .description('Right to erasure: remove a person\'s personal data from every table of the store and from the file itself; their address stays suppressed so no import brings them back.')
    .addHelpText('after', ERASE_EXAMPLES)
    .action(wrap((ctx, who: string, flags: EraseFlags) => runErase(ctx, who, flags)));
}

function runErase(ctx: CommandContext, who: string, flags: EraseFlags): number {
  const reason = flags.reason?.trim() ?? '';
  if (reason === '') throw new UsageError('--reason is required: say which request this erasure answers');
  const kind = identifierKind(who);
  if (kind === null) throw new UsageError(`"${who.trim()}" is not an email, a phone number or a contact uid`);
  const db = ctx.openDb({ mustExist: true });
  try {
    const country = defaultCountryOf(db);
    let found: ContactRef[];
    try {
      found = targets(db, who, flags, country);
    } catch (error) {
      if (error instanceof LookupError) throw lookupFailure(error);
      throw error;
    }
    if (found.length === 0 && kind === 'uid') throw new CliError(`no contact has the uid ${who.trim()}`, ExitCode.Failed);
    const already = found.filter((c) => c.status === 'erased');
    const toErase = found.filter((c) => c.status !== 'erased');
    if (found.length > 0 && toErase.length === 0) {
      if (ctx.json) ctx.printJson({ dry_run: Boolean(flags.dryRun), erased: [], already_erased: already.map((c) => c.uid) });
      else ctx.report(`${already.map((c) => c.uid).join(', ')}: already erased; nothing to do`);
      return ExitCode.Ok;
    }
    // Names are masked in the reason kept in the audit trail, like addresses are: read them before they go.
    const names = db.prepare(`SELECT first_name, last_name FROM contacts WHERE id IN (${toErase.map((c) => c.id).join(',') || '0'})`).raw().all().flat()
      .filter((n): n is string => typeof n === 'string' && n.trim().length >= 2);
    const options = { reason, source: 'gdpr erase', defaultCountry: country };
    const erase = (): EraseResult => {
      if (toErase.length > 0) return eraseContacts(db, toErase.map((c) => c.id), options);
      const email = kind === 'email' ? normaliseEmail(who) : null;
      const phone = kind === 'phone' ? normalisePhone(who, country as CountryCode) : null;
      return eraseAddresses(db, { emails: email ? [email] : [], phones: phone ? [phone] : [] }, options);
    };
    const audit = (result: EraseResult): void => {
      recordAudit(db, {
        action: 'gdpr.erase',
        command: maskPersonal(maskCommand(process.argv.slice(2)), result.needles, names),
        uids: result.records,
        counts: { people: result.people.length, records: result.records.length, suppressions: result.suppressionsAdded, ...result.tables },
        details: { reason: maskPersonal(reason, result.needles, names), no_contact: toErase.length === 0 },
      });
    };
    let result: EraseResult;
    let scrub: FileScrub | null = null;
    if (flags.dryRun) {
      let planned: EraseResult | null = null;
      try {
        db.transaction(() => {
          planned = erase();
          throw new Rollback();
        })();
      } catch (error) {
        if (!(error instanceof Rollback)) throw error;
      }
      result = planned!;
    } else {
      result = withSecureDelete(db, () => {
        const r = erase();
        audit(r);
        return r;
      });
      scrub = scrubFile(db, result.needles);
    }
    if (ctx.json) {
      ctx.printJson({
        dry_run: Boolean(flags.dryRun), people: result.people, records: result.records, already_erased: already.map((c) => c.uid),
        tables: result.tables, suppressions_added: result.suppressionsAdded, shared_addresses: result.shared, unplanned_tables: result.unplanned,
        file: scrub && { wal_truncated: scrub.walTruncated, vacuumed: scrub.vacuumed, clean: scrub.clean },
      });
    } else {
      for (const line of describeErasure(result, { dryRun: Boolean(flags.dryRun), noContact: toErase.length === 0, scrub })) ctx.report(line);
    }
    if (scrub && scrub.clean === false) {
      ctx.warn('the store file still holds one of the erased addresses after VACUUM: another process may hold an old snapshot open; run the command again when it is closed');
      return ExitCode.Partial;
    }
    if (scrub && !scrub.walTruncated) ctx.warn('another process kept the WAL open: it will be truncated when the last connection closes');
    return ExitCode.Ok;
  } finally {
    db.close();
  }
}
