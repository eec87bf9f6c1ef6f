/** Issue 13's two pairs through the built CLI: an import of fixtures/dedupe/household.csv, then dedupe --apply with the defaults. */
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';
import { custkit, fixture, tempDb } from '../helpers/cli.js';

describe('dedupe --apply with the defaults (household fixture)', () => {
  it('merges Lefèvre / Lefebvre sharing an email, and not the couple sharing email, landline and address', () => {
    const db = tempDb();
    expect(custkit(['import', fixture('dedupe/household.csv'), '--quiet'], { db }).code).toBe(0);
    const r = custkit(['dedupe', '--apply', '--json'], { db });
    expect(r.code).toBe(0);
    const store = openStore(db);
    const status = (code: string) => store.prepare('SELECT status, merged_into FROM contacts WHERE external_id = ?').get(code) as { status: string; merged_into: number | null };
    const merged = ['L001', 'L002'].map(status);
    expect(merged.filter((s) => s.status === 'merged')).toHaveLength(1);
    expect(status('H001').status).toBe('active');
    expect(status('H002').status).toBe('active');
    expect(JSON.parse(r.stdout).merges).toHaveLength(1);
    const uids = store.prepare("SELECT uid FROM contacts WHERE external_id IN ('H001', 'H002') ORDER BY external_id").pluck().all() as string[];
    store.close();
    const explained = JSON.parse(custkit(['explain', ...uids, '--json'], { db }).stdout);
    expect(explained.probability).toBeLessThan(0.01);
    expect(explained.fields.find((f: { field: string }) => f.field === 'civility').level).toBe('different');
  });
});

describe('custkit merges, explain by email, the dry run\'s blocking rules', () => {
  it('lists merges with --since, --uid and --json; explain takes an email and names the blocking rule', () => {
    const db = tempDb();
    custkit(['import', fixture('dedupe/household.csv'), '--quiet'], { db });
    const dry = custkit(['dedupe'], { db });
    expect(dry.stdout).toMatch(/blocking rules \(chosen from the data, budget 100,000 pairs/);
    expect(dry.stdout).toMatch(/\+ same (email|email local part)\s+\d/);
    // Rules that add nothing beyond the chosen ones are counted in one line (listed in --json), not one line each.
    expect(dry.stdout).toMatch(/\(\d+ more rules left out: the chosen ones already bring all or nearly all of their pairs; --json lists them\)/);
    expect(dry.stdout).not.toMatch(/^ {2}- .*: adds (nothing|little)/m);
    const json = JSON.parse(custkit(['dedupe', '--json'], { db }).stdout) as { blocking: { left_out: Array<{ reason: string }> } };
    expect(json.blocking.left_out.some((l) => /^adds (nothing|little)/.test(l.reason))).toBe(true);
    // Two contacts hold Sophie's email: explain asks for a uid, then takes the other's email.
    const ambiguous = custkit(['explain', 'sophie.lefevre@orange.fr', 'famille.roussel@free.fr'], { db });
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toMatch(/2 contacts hold sophie.lefevre@orange.fr/);
    const store = openStore(db);
    const [l1, l2, f1] = ['L001', 'L002', 'F001'].map((c) => store.prepare('SELECT uid FROM contacts WHERE external_id = ?').pluck().get(c) as string);
    store.close();
    const explained = JSON.parse(custkit(['explain', l1, l2, '--json'], { db }).stdout);
    expect(explained.blocking_rule).toMatch(/^same email/);
    const far = custkit(['explain', l1, 'FRANCOISE.LOPEZ111@laposte.net'], { db });
    expect(far.code, far.stderr).toBe(0);
    expect(far.stdout).toMatch(/no blocking rule of the last run brings this pair|brought by blocking rule/);

    const applied = custkit(['dedupe', '--apply'], { db });
    expect(applied.stdout).toMatch(/applied: 1 merge, 1 contacts merged into 1 survivor \(merge id 1;/);
    const again = custkit(['dedupe', '--apply'], { db });
    expect(again.stdout).toMatch(/applied: nothing to merge/);
    const listed = JSON.parse(custkit(['merges', '--json'], { db }).stdout).merges;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ merge_id: 1, decided_by: 'rule', threshold: 0.95, undone_at: null });
    expect([listed[0].survivor_uid, listed[0].members[0].uid].sort()).toEqual([l1, l2].sort());
    expect(listed[0].members[0].probability).toBeGreaterThan(0.95);
    expect(JSON.parse(custkit(['merges', '--json', '--uid', l2], { db }).stdout).merges).toHaveLength(1);
    expect(JSON.parse(custkit(['merges', '--json', '--uid', f1], { db }).stdout).merges).toHaveLength(0);
    expect(JSON.parse(custkit(['merges', '--json', '--since', '2999-01-01'], { db }).stdout).merges).toHaveLength(0);
    expect(custkit(['merges', '--since', 'yesterday'], { db }).code).toBe(2);
    expect(custkit(['merges'], { db }).stdout).toMatch(/rule \(p >= 0.95\)/);
    // Now one live contact holds Sophie's email.
    expect(custkit(['explain', 'sophie.lefevre@orange.fr', 'francoise.lopez111@laposte.net', '--json'], { db }).code).toBe(0);
    expect(custkit(['unmerge', '1'], { db }).code).toBe(0);
    expect(JSON.parse(custkit(['merges', '--json'], { db }).stdout).merges).toHaveLength(0);
    expect(JSON.parse(custkit(['merges', '--json', '--all'], { db }).stdout).merges[0].undone_at).not.toBeNull();
  }, 300_000);

  it('dedupe --help lists the decision values a review file accepts', () => {
    const help = custkit(['dedupe', '--help']).stdout;
    expect(help).toMatch(/merge: +merge, m, yes, y, oui, fusionner/);
    expect(help).toMatch(/keep apart: +keep apart, keep, apart, no, n, non/);
    expect(help).toMatch(/--max-pairs/);
  });
});
