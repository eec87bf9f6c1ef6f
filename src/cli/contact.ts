import type { Command } from 'commander';
import { ExitCode, UsageError, type CommandContext } from './context.js';
import type { Wrap } from './main.js';
import { money } from './format.js';
import type { Db } from '../store/db.js';
import { defaultCountryOf } from '../validate/ensure.js';
import { FilterError } from '../export/filter.js';
import { findContacts, lookup, lookupOne, LookupError, type ContactRef } from '../gdpr/lookup.js';
import { lookupFailure } from './lookup-failure.js';
import { contactProfile, type ContactProfile } from '../gdpr/profile.js';
import { contactsWhere, parseAssignment, parseTags, RectifyError, retag, setFields } from '../gdpr/rectify.js';
import { recordAudit } from '../gdpr/audit.js';
import type { DateOrder } from '../io/values.js';

const EXAMPLES = `
Examples:
  # Everything about a person, from what they give you: an email, a phone number or their uid
  $ custkit contact show helene.dupont@orange.fr
  $ custkit contact show "06 12 34 56 78"
  $ custkit contact show UID1 --json

  # Search by what you know of them (case and accents ignored)
  $ custkit contact find --name dupont
  $ custkit contact find --name "jean-pierre martin" --postal-code 69007
  $ custkit contact find --email @free.fr

  # Correct a person's data (right of rectification): validated as an import value, audited
  $ custkit contact set UID1 last_name=Durand city="Lyon"
  $ custkit contact set UID1 email=helene.durand@orange.fr "attributes.Carte fidélité=C-1234"
  $ custkit contact set UID1 phone=                   an empty value clears the field

  # Labels, for one person or for everyone an export --where expression selects
  $ custkit contact tag UID1 vip
  $ custkit contact untag UID1 vip
  $ custkit contact tag --where "city = 'Lyon' and segment = 'champions'" lyon-champions --dry-run
  $ custkit contact tag --where "city = 'Lyon'" lyon

Every change (set, tag, untag) is recorded in the audit trail (custkit audit), without the values.`;

function failWith(error: unknown): never {
  if (error instanceof LookupError) throw lookupFailure(error);
  if (error instanceof RectifyError) throw new UsageError(error.message);
  if (error instanceof FilterError) throw new UsageError(`--where: ${error.display()}`);
  throw error;
}

const label = (c: ContactRef): string =>
  `${c.uid}  ${c.status.padEnd(8)} ${c.source.padEnd(10)} ${[c.first_name, c.last_name].filter(Boolean).join(' ') || '-'}  ${c.email ?? '-'}  ${[c.postal_code, c.city].filter(Boolean).join(' ')}`;

function printProfile(ctx: CommandContext, p: ContactProfile): void {
  const c = p.contact;
  ctx.out(`contact ${String(c.uid)} (${String(c.status)}, source ${String(c.source)})`);
  for (const [key, value] of Object.entries(c)) {
    if (value === null || value === '' || ['uid', 'status', 'source', 'validation_issues'].includes(key)) continue;
    ctx.out(`  ${key.padEnd(18)} ${String(value)}`);
  }
  if (c.validation_issues && c.validation_issues !== '[]') ctx.out(`  ${'issues'.padEnd(18)} ${String(c.validation_issues)}`);
  if (typeof c.validated_at === 'string' && typeof c.updated_at === 'string' && c.validated_at < c.updated_at) {
    ctx.out('  (the validated columns predate the last change: the next validate, dedupe or export refreshes them)');
  }
  if (p.merged_records.length) ctx.out(`records merged into it: ${p.merged_records.join(', ')}`);
  ctx.out(`tags: ${p.tags.length ? p.tags.join(', ') : '-'}`);
  const attributes = Object.entries(p.attributes);
  ctx.out(`attributes:${attributes.length ? '' : ' -'}`);
  for (const [key, value] of attributes) ctx.out(`  ${key}: ${String(value)}`);
  ctx.out('consents (current choice per channel):');
  for (const channel of ['email', 'sms', 'phone', 'post'] as const) {
    const k = p.consents.current[channel];
    ctx.out(`  ${channel.padEnd(6)} ${k ? `${k.status.padEnd(9)} ${k.recorded_at}  ${k.source ?? ''}${k.proof ? `  proof: ${k.proof}` : ''}` : 'none recorded'}`);
  }
  if (p.consents.history.length > Object.keys(p.consents.current).length) {
    ctx.out(`consent history (${p.consents.history.length} choices, oldest first):`);
    for (const k of p.consents.history) ctx.out(`  ${k.recorded_at}  ${k.channel.padEnd(6)} ${k.status.padEnd(9)} ${k.source ?? ''}${k.proof ? `  proof: ${k.proof}` : ''}`);
  }
  const u = p.purchases;
  ctx.out(u.lines === 0 ? 'purchases: none'
    : `purchases: ${u.orders} order(s), ${u.lines} line(s), ${u.first_at} to ${u.last_at}, net ${u.totals.map((t) => `${money(t.net_minor)} ${t.currency}`).join(' + ')}`);
  for (const k of u.categories) ctx.out(`  ${k.category}: ${money(k.net_minor)} ${k.currency}`);
  const s = p.scores.latest;
  ctx.out(s ? `score (latest run #${s.run_id}, ${s.as_of}, ${s.method}): ${s.segment}, R${s.r_score ?? '-'} F${s.f_score ?? '-'} M${s.m_score ?? '-'}, ` +
      `${s.frequency} order(s), ${money(s.monetary_minor)}${s.clv_minor !== null ? `, CLV ${money(s.clv_minor)}` : ''}` : 'score: not in the latest run');
  if (p.scores.history.length > (s ? 1 : 0)) ctx.out(`segment history: ${p.scores.history.map((h) => `#${h.run_id} ${h.as_of} ${h.method}: ${h.segment}`).join('; ')}`);
  for (const m of p.merges) {
    ctx.out(`merge #${m.merge_id} (${m.created_at}${m.undone_at ? `, undone ${m.undone_at}` : ''}): ${m.role}; survivor ${m.survivor_uid}, merged ${m.merged_uids.join(', ')}`);
  }
}

function resolveOne(db: Db, who: string): ContactRef {
  return lookupOne(db, who, defaultCountryOf(db));
}

export function registerContact(program: Command, wrap: Wrap): void {
  const contact = program
    .command('contact')
    .description('Look a person up, correct their data (right of rectification) and label people. Changes are audited.')
    .addHelpText('after', EXAMPLES);

  contact
    .command('show')
    .argument('<who>', 'an email, a phone number or a contact uid')
    .description('Everything about a person: fields, attributes, consents (current and history), purchases, scores and segments, merges. Several matches are all shown.')
    .action(
      wrap((ctx, who: string) => {
        const db = ctx.openDb({ readonly: true });
        try {
          const found = lookup(db, who, defaultCountryOf(db));
          if (found.length === 0) throw new LookupError(`no contact matches "${who.trim()}"`, true);
          const profiles = found.map((c) => contactProfile(db, c.id));
          if (ctx.json) ctx.printJson(profiles);
          else {
            if (found.length > 1) ctx.info(`${found.length} contacts match "${who.trim()}":`);
            profiles.forEach((p, i) => {
              if (i > 0) ctx.out('');
              printProfile(ctx, p);
            });
          }
          return ExitCode.Ok;
        } catch (error) {
          return failWith(error);
        } finally {
          db.close();
        }
      }),
    );

  contact
    .command('find')
    .description('Search contacts by name, postal code, city, part of an email or a phone number; every condition given must hold.')
    .option('--name <words>', 'words of the first or last name (or company), case and accents ignored')
    .option('--postal-code <code>', 'postal code, exactly')
    .option('--city <city>', 'city, case and accents ignored')
    .option('--email <text>', 'part of the email address')
    .option('--phone <number>', 'a phone or mobile number, written any way')
    .option('--limit <n>', 'at most this many', (v) => {
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`--limit ${v}: expected a positive whole number`);
      return Number(v);
    }, 100)
    .action(
      wrap((ctx, flags: { name?: string; postalCode?: string; city?: string; email?: string; phone?: string; limit: number }) => {
        if ([flags.name, flags.postalCode, flags.city, flags.email, flags.phone].every((v) => v === undefined)) {
          throw new UsageError('give at least one of --name, --postal-code, --city, --email, --phone');
        }
        const db = ctx.openDb({ readonly: true });
        try {
          const found = findContacts(db, { ...flags, limit: flags.limit + 1 }, defaultCountryOf(db));
          const shown = found.slice(0, flags.limit);
          if (ctx.json) ctx.printJson(shown);
          else {
            for (const c of shown) ctx.out(label(c));
            if (found.length > flags.limit) ctx.info(`more than ${flags.limit} match: narrow the search or raise --limit`);
            else ctx.info(`${found.length} contact(s)`);
          }
          return ExitCode.Ok;
        } catch (error) {
          return failWith(error);
        } finally {
          db.close();
        }
      }),
    );

  contact
    .command('set')
    .argument('<who>', 'the contact: uid (or an email or phone that designates one contact)')
    .argument('<changes...>', 'field=value pairs; an empty value clears the field; attributes.NAME=value for an attribute')
    .option('--dates <order>', 'how to read a typed date such as 03/04/1985: dmy or mdy', 'dmy')
    .option('--force', 'write a value the field rules call invalid (validate will flag it)')
    .description('Correct a person\'s data (right of rectification). Values are read as an import reads a cell and checked by the validation rules; the change is audited.')
    .action(
      wrap((ctx, who: string, changes: string[], flags: { dates: string; force?: boolean }) => {
        if (!['dmy', 'mdy', 'ymd'].includes(flags.dates)) throw new UsageError(`--dates ${flags.dates}: expected dmy, mdy or ymd`);
        const db = ctx.openDb();
        try {
          const assignments = changes.map(parseAssignment);
          const target = resolveOne(db, who);
          const result = db.transaction(() => {
            const r = setFields(db, target.id, assignments, { dateOrder: flags.dates as DateOrder, force: flags.force, defaultCountry: defaultCountryOf(db) });
            if (r.changed.length) recordAudit(db, { action: 'contact.set', uids: [target.uid], details: { fields: r.changed, forced: r.issues.some((i) => i.severity === 'error') } });
            return r;
          })();
          if (ctx.json) ctx.printJson({ uid: target.uid, ...result });
          else {
            ctx.info(result.changed.length ? `${target.uid}: changed ${result.changed.join(', ')}` : `${target.uid}: nothing to change (the values are already these)`);
            for (const issue of result.issues) ctx.warn(`${issue.field}: ${issue.reason}`);
          }
          return result.issues.some((i) => i.severity === 'error') ? ExitCode.Partial : ExitCode.Ok;
        } catch (error) {
          return failWith(error);
        } finally {
          db.close();
        }
      }),
    );

  for (const add of [true, false]) {
    const name = add ? 'tag' : 'untag';
    contact
      .command(name)
      .argument('<items...>', add ? 'the contact (uid, email or phone) then the tags; with --where, only the tags' : 'the contact then the tags to remove; with --where, only the tags')
      .option('--where <expr>', 'every active or inactive contact this export filter selects (see custkit export --help)')
      .option('--dry-run', 'say how many contacts would change, change nothing')
      .description(add ? 'Add tags to a contact, or to every contact --where selects. Audited.' : 'Remove tags from a contact, or from every contact --where selects. Audited.')
      .action(
        wrap((ctx, items: string[], flags: { where?: string; dryRun?: boolean }) => {
          const db = ctx.openDb();
          try {
            const tags = parseTags(flags.where !== undefined ? items : items.slice(1));
            const targets = flags.where !== undefined ? contactsWhere(db, flags.where) : [resolveOne(db, items[0]!)];
            let changed: string[] = [];
            const apply = db.transaction(() => {
              changed = retag(db, targets.map((t) => t.id), tags, add);
              if (flags.dryRun) throw new DryRun();
              // A --where run names its contacts by count (the entry stays small); one contact by uid.
              if (changed.length) {
                recordAudit(db, { action: `contact.${name}`, uids: flags.where === undefined ? changed : undefined, counts: { selected: targets.length, changed: changed.length }, details: { tags } });
              }
            });
            try {
              apply();
            } catch (error) {
              if (!(error instanceof DryRun)) throw error;
            }
            if (ctx.json) ctx.printJson({ tags, selected: targets.length, changed: changed.length, dry_run: flags.dryRun === true });
            else ctx.info(`${flags.dryRun ? 'would change' : 'changed'} ${changed.length} of ${targets.length} contact(s): ${add ? '+' : '-'}${tags.join(`, ${add ? '+' : '-'}`)}`);
            return ExitCode.Ok;
          } catch (error) {
            return failWith(error);
          } finally {
            db.close();
          }
        }),
      );
  }
}

/** Thrown inside a dry run's transaction so SQLite rolls back exactly what the real run would write. */
class DryRun extends Error {}
