import type { Command } from 'commander';
import { ExitCode, UsageError } from './context.js';
import type { Wrap } from './main.js';
import { listAudit } from '../gdpr/audit.js';

const EXAMPLES = `
Examples:
  # Who changed what, most recent last
  $ custkit audit
  $ custkit audit --since 2026-01-01

  # Everything done to one person (the uid custkit contact show prints)
  $ custkit audit --uid UID1

  # One kind of action ("contact" covers contact.set, contact.tag…), as JSON for a script
  $ custkit audit --action gdpr.consent
  $ custkit audit --action contact --json

The trail holds when, the OS user, the command with personal values masked (***), the action, the
contacts it concerned (by uid) and counts: never a name, an email or a phone.`;

interface AuditFlags {
  since?: string;
  uid?: string;
  action?: string;
  limit?: number;
}

export function registerAudit(program: Command, wrap: Wrap): void {
  program
    .command('audit')
    .description('The audit trail: every change commands made to the store, by whom and when, without personal data.')
    .addHelpText('after', EXAMPLES)
    .option('--since <date>', 'entries on or after this date (yyyy-mm-dd)')
    .option('--uid <uid>', 'entries about this contact')
    .option('--action <action>', 'this action, or every action of a stage ("contact", "gdpr")')
    .option('--limit <n>', 'the latest n entries', (v) => {
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`--limit ${v}: expected a positive whole number`);
      return Number(v);
    })
    .action(
      wrap((ctx, flags: AuditFlags) => {
        if (flags.since !== undefined && !/^\d{4}-\d{2}-\d{2}([T ][\d:.]+Z?)?$/.test(flags.since)) {
          throw new UsageError(`--since ${flags.since}: expected a date as yyyy-mm-dd`);
        }
        const db = ctx.openDb({ readonly: true });
        try {
          const hasLog = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'").get() !== undefined;
          const rows = hasLog ? listAudit(db, { since: flags.since, uid: flags.uid?.toLowerCase(), action: flags.action, limit: flags.limit }) : [];
          if (ctx.json) ctx.printJson(rows);
          else if (rows.length === 0) ctx.info('no audit entries match');
          else {
            for (const r of rows) {
              const counts = Object.entries(r.counts).map(([k, v]) => `${k}=${v}`).join(' ');
              const details = Object.entries(r.details).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`).join(' ');
              const who = r.uids.length === 1 ? r.uids[0] : r.targets > 0 ? `${r.targets} contacts` : '';
              ctx.out(`#${r.id}  ${r.at}  ${r.os_user ?? '-'}  ${r.action}  ${[who, counts, details].filter(Boolean).join('  ')}`);
              ctx.out(`      ${r.command}`);
            }
          }
          return ExitCode.Ok;
        } finally {
          db.close();
        }
      }),
    );
}
