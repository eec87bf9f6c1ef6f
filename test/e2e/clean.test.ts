import { describe, expect, it } from 'vitest';
import { custkit, fixture, tempDb, queryStore } from '../helpers/cli.js';

const RAW = 'uid, email, email_norm, phone, phone_digits, mobile, postal_code, country, first_name, last_name, civility, gender, siret, tags, status';

function importedStore(): string {
  const db = tempDb();
  expect(custkit(['import', fixture('clients-fr-cp1252.csv')], { db }).code).toBe(0);
  // the purchases fixture has two broken rows on purpose: import exits 3
  expect(custkit(['import', fixture('purchases-fr.csv'), '--kind', 'purchases'], { db }).code).toBe(3);
  return db;
}

const rows = (db: string, sql: string): unknown[] => queryStore(db, sql);

describe('custkit clean', () => {
  it('is a dry run by default: shows counts and examples per rule, writes nothing', () => {
    const db = importedStore();
    const before = rows(db, `SELECT ${RAW}, updated_at FROM contacts ORDER BY id`);
    const result = custkit(['clean'], { db });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Dry run: nothing written');
    expect(result.stdout).toMatch(/phone-e164\s+\d+ would change/);
    expect(result.stdout).toMatch(/"01 42 68 53 00" → "\+33142685300"/);
    expect(result.stdout).toMatch(/email-typo\s+2 would change .*only with --fix-typos/);
    expect(rows(db, `SELECT ${RAW}, updated_at FROM contacts ORDER BY id`)).toEqual(before);
    expect(rows(db, 'SELECT mode FROM clean_runs')).toEqual([{ mode: 'dry-run' }]);
  });

  it('--fix writes normalised values once: a second --fix changes nothing; --undo restores the import', () => {
    const db = importedStore();
    const imported = rows(db, `SELECT ${RAW} FROM contacts ORDER BY id`);
    const planned = JSON.parse(custkit(['--json', 'clean'], { db }).stdout);
    const first = custkit(['--json', 'clean', '--fix', '--fix-typos'], { db });
    expect(first.code).toBe(0);
    const run = JSON.parse(first.stdout);
    // the fix records and writes exactly what the dry run planned, rule by rule, with the same examples
    const byRule = (result: { rules: Array<{ rule: string; count: number; examples: unknown[] }> }) => result.rules.map((r) => [r.rule, r.count, r.examples]);
    expect(byRule(run)).toEqual(byRule(planned));
    expect(run.mode).toBe('fix');
    expect(run.contactsChanged).toBeGreaterThan(0);
    expect(rows(db, "SELECT DISTINCT email FROM contacts WHERE email LIKE 'jp.martin@%'")).toEqual([{ email: 'jp.martin@gmail.com' }]);
    expect(rows(db, "SELECT count(*) AS n FROM contacts WHERE phone IS NOT NULL AND phone NOT LIKE '+%' AND phone_e164 IS NOT NULL")).toEqual([{ n: 0 }]);
    const afterFirst = rows(db, `SELECT ${RAW}, updated_at FROM contacts ORDER BY id`);

    const second = JSON.parse(custkit(['--json', 'clean', '--fix', '--fix-typos'], { db }).stdout);
    expect(second.contactsChanged).toBe(0);
    expect(second.rules.every((r: { count: number }) => r.count === 0)).toBe(true);
    expect(rows(db, `SELECT ${RAW}, updated_at FROM contacts ORDER BY id`)).toEqual(afterFirst);

    const runs = custkit(['clean', '--runs'], { db });
    expect(runs.stdout).toMatch(/^\s+2 .* fix .*phone-e164 \d+/m);
    const undo = custkit(['clean', '--undo', String(run.runId)], { db });
    expect(undo.code).toBe(0);
    expect(rows(db, `SELECT ${RAW} FROM contacts ORDER BY id`)).toEqual(imported);
    expect(custkit(['clean', '--undo', String(run.runId)], { db }).code).toBe(1);
  });

  it('--inactive-since flags contacts without recent purchases; remove sets them inactive', () => {
    const db = importedStore();
    const dry = custkit(['--json', 'clean', '--inactive-since', '1y', '--as-of', '2027-06-01'], { db });
    const planned = JSON.parse(dry.stdout).inactive;
    expect(planned.count).toBeGreaterThan(0);
    const removed = JSON.parse(custkit(['--json', 'clean', '--fix', '--inactive-since', '1y', '--as-of', '2027-06-01', '--action', 'remove'], { db }).stdout);
    expect(removed.inactive.count).toBe(planned.count);
    expect(rows(db, "SELECT count(*) AS n FROM contacts WHERE status = 'inactive'")).toEqual([{ n: planned.count }]);
    const again = JSON.parse(custkit(['--json', 'clean', '--fix', '--inactive-since', '1y', '--as-of', '2027-06-01', '--action', 'remove'], { db }).stdout);
    expect(again.inactive.count).toBe(0);
  });

  it('refuses bad flags with exit 2 and leaves the store unchanged', () => {
    const db = importedStore();
    const before = rows(db, `SELECT ${RAW}, updated_at FROM contacts ORDER BY id`);
    for (const args of [['--inactive-since', 'ages'], ['--action', 'delete'], ['--as-of', '01/02/2026'], ['--undo', 'x'], ['--undo', '1', '--fix']]) {
      const result = custkit(['clean', '--fix', ...args], { db });
      expect(result.code, args.join(' ')).toBe(2);
    }
    expect(rows(db, `SELECT ${RAW}, updated_at FROM contacts ORDER BY id`)).toEqual(before);
    expect(rows(db, 'SELECT count(*) AS n FROM clean_runs')).toEqual([{ n: 0 }]);
  });
});
