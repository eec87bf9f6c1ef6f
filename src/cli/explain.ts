import type { Command } from 'commander';
import Table from 'cli-table3';
import { lastRuleChoice, makeScorer, scorePair } from '../dedupe/find.js';
import { broughtBy } from '../dedupe/rule-choice.js';
import type { Db } from '../store/db.js';
import { syncKeys } from '../dedupe/keys.js';
import { ensureValidated } from '../validate/ensure.js';
import { loadRecords, view } from '../dedupe/records.js';
import { CliError, ExitCode, type CommandContext } from './context.js';
import type { Wrap } from './main.js';

const EXAMPLES = `
Examples:
  # Why are these two contacts (not) the same person? (uids as dedupe, the review file and export print them)
  custkit explain UID1 UID2

  # The same, with the compared values (personal data) and as JSON
  custkit explain --show-values --json UID1 UID2

  # A contact can be named by its email instead of its uid (it must hold that email alone)
  custkit explain chloe.lefevre@free.fr ines.garcia@yahoo.fr
`;

export function registerExplain(program: Command, wrap: Wrap): void {
  program
    .command('explain')
    .description(
      'Explain the match probability of two contacts: for each field, the comparison level reached and its ' +
        'weight in bits (log2 of m/u, adjusted for how common the value is), the prior, the total, and which ' +
        'blocking rule of the last dedupe run brings the pair (or that none does: the pair is never compared).',
    )
    .addHelpText('after', EXAMPLES)
    .argument('<contact1>', 'first contact: uid or email')
    .argument('<contact2>', 'second contact: uid or email')
    .option('--show-values', 'also print the normalised values compared (personal data)')
    .action(wrap(async (ctx: CommandContext, uid1: string, uid2: string, options: { showValues?: boolean }) => explain(ctx, uid1, uid2, options)));
}

/** A contact by uid, or by email (normalised as import does) when exactly one active contact holds it. */
function resolve(db: Db, given: string, position: number): { id: number; uid: string; status: string } {
  const byUid = db.prepare('SELECT id, uid, status FROM contacts WHERE uid = ?').get(given) as { id: number; uid: string; status: string } | undefined;
  if (byUid) return byUid;
  if (given.includes('@')) {
    const rows = db.prepare("SELECT id, uid, status FROM contacts WHERE email_norm = ? ORDER BY status <> 'active', id").all(given.trim().toLowerCase()) as Array<{ id: number; uid: string; status: string }>;
    const live = rows.filter((r) => r.status === 'active' || r.status === 'inactive');
    if (live.length === 1) return live[0];
    if (live.length > 1) throw new CliError(`argument ${position}: ${live.length} contacts hold ${given}; name one by uid (${live.map((r) => r.uid).join(', ')})`, ExitCode.Failed);
    if (rows.length > 0) return rows[0];
    throw new CliError(`argument ${position}: no contact with email ${given} in this store`, ExitCode.Failed);
  }
  throw new CliError(`argument ${position}: no contact with uid ${given} in this store`, ExitCode.Failed);
}

function explain(ctx: CommandContext, uid1: string, uid2: string, options: { showValues?: boolean }): number {
  const db = ctx.openDb({ mustExist: true });
  try {
    const ids = [uid1, uid2].map((given, i) => resolve(db, given, i + 1));
    [uid1, uid2] = ids.map((r) => r.uid);
    // A merged or erased record has no keys; explain it from its own values all the same.
    ensureValidated(db);
    db.transaction(() => syncKeys(db))();
    const missing = ids.filter((r) => r.status === 'merged' || r.status === 'erased');
    if (missing.length > 0) ctx.warn(`contact ${missing.map((r) => r.id === ids[0].id ? uid1 : uid2).join(', ')} is ${missing[0].status}: it takes no part in dedupe`);
    const records = loadRecords(db, { ids: ids.map((r) => r.id) });
    if (records.size < 2) throw new CliError('both contacts must be active or inactive to be compared (a merged contact can be restored with "custkit unmerge")', ExitCode.Failed);
    const scorer = makeScorer(db);
    const score = scorePair(scorer, records, ids[0].id, ids[1].id);
    const rules = lastRuleChoice(db);
    const rule = rules ? broughtBy(rules, view(records, records.position[ids[0].id]), view(records, records.position[ids[1].id])) : null;
    const blocking = !rules ? 'no dedupe run yet: run "custkit dedupe" to choose the blocking rules'
      : rule ? `brought by blocking rule "${rule.name}" (unless its block was over --max-block)`
        : 'no blocking rule of the last run brings this pair: dedupe never compares it';
    const values = (field: string, i: number): string => {
      const r = view(records, records.position[ids[i].id]);
      const v: Record<string, unknown> = {
        first_name: r.fn, last_name: r.ln, birth_date: r.dob, email: r.email,
        phone: r.phones?.join(' '), postal_code: r.postal, city: r.city, address: r.addr, siret: r.siret,
      };
      return v[field] === null || v[field] === undefined ? '' : String(v[field]);
    };
    if (ctx.json) {
      ctx.printJson({
        uids: [uid1, uid2], model: scorer.model.trained ? 'trained' : 'default', prior_bits: scorer.prior, weight_bits: score.weight, probability: score.probability,
        blocking_rule: rule?.name ?? null, blocking,
        fields: score.evidence.map((e) => ({ ...e, ...(options.showValues ? { values: [values(e.field, 0), values(e.field, 1)] } : {}) })),
      });
      return ExitCode.Ok;
    }
    const head = ['field', 'level', 'weight (bits)', ...(options.showValues ? ['value 1', 'value 2'] : [])];
    const table = new Table({ head, style: { head: [], border: [] } });
    table.push(['prior', `model: ${scorer.model.trained ? 'trained' : 'default'}`, scorer.prior.toFixed(2), ...(options.showValues ? ['', ''] : [])]);
    for (const e of score.evidence) {
      table.push([e.field, e.level, e.level === 'missing' ? '0 (missing)' : `${e.weight >= 0 ? '+' : ''}${e.weight.toFixed(2)}`,
        ...(options.showValues ? [values(e.field, 0), values(e.field, 1)] : [])]);
    }
    table.push(['total', '', score.weight.toFixed(2), ...(options.showValues ? ['', ''] : [])]);
    ctx.out(table.toString());
    ctx.out(`match probability: ${score.probability.toFixed(4)}`);
    ctx.out(blocking);
    return ExitCode.Ok;
  } finally {
    db.close();
  }
}
