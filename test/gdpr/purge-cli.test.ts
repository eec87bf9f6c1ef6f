import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { custkit, fixture, queryStore, tempDir } from '../helpers/cli.js';

describe('custkit gdpr purge', () => {
  it('dry run lists and exits 3; the purge erases, audits and exits 3; a second run finds nothing (exit 0)', () => {
    const db = path.join(tempDir(), 'shop.db');
    expect(custkit(['import', fixture('gdpr/erase-people.csv')], { db }).code).toBe(3);
    expect(custkit(['import', fixture('gdpr/erase-orders.csv')], { db }).code).toBe(0);
    const today = custkit(['gdpr', 'purge', '--dry-run'], { db });
    expect(today.code).toBe(0);
    expect(today.stdout).toMatch(/nothing is past its retention period/);

    const dry = custkit(['gdpr', 'purge', '--as-of', '2029-01-01', '--dry-run', '--json'], { db });
    expect(dry.code).toBe(3);
    const plan = JSON.parse(dry.stdout) as { prospects: unknown[]; customers: Array<{ since: string }>; rejects: { rows: number } };
    expect(plan.prospects).toHaveLength(1); // Léonie: collected 2024-03-02, no purchase
    expect(plan.customers.map((c) => c.since).sort()).toEqual(['2025-04-01', '2025-06-12']);
    expect(plan.rejects.rows).toBe(1);
    expect(queryStore(db, "SELECT count(*) AS n FROM contacts WHERE status = 'erased'")).toEqual([{ n: 0 }]);

    const run = custkit(['gdpr', 'purge', '--as-of', '2029-01-01'], { db });
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/erased 1 prospect\(s\)/);
    expect(run.stdout).toMatch(/erased 2 customer\(s\)/);
    expect(run.stdout).toMatch(/deleted 1 rejected row/);
    expect(queryStore(db, "SELECT count(*) AS n FROM contacts WHERE status = 'erased' AND source = 'default'")).toEqual([{ n: 3 }]);
    expect(queryStore(db, 'SELECT count(*) AS n FROM rejects')).toEqual([{ n: 0 }]);
    expect(queryStore(db, 'SELECT sum(amount_minor) AS n FROM purchases')).toEqual([{ n: 37050 }]);
    const audit = JSON.parse(custkit(['audit', '--action', 'gdpr.purge', '--json'], { db }).stdout) as Array<{ counts: Record<string, number> }>;
    expect(audit[0]?.counts).toMatchObject({ prospects: 1, customers: 2, rejects: 1 });
    expect(custkit(['gdpr', 'purge', '--as-of', '2029-01-01'], { db }).code).toBe(0);
    expect(custkit(['db', 'check'], { db }).code).toBe(0);
  });

  it('refuses a period or a date it cannot read (exit 2)', () => {
    const db = path.join(tempDir(), 'shop.db');
    expect(custkit(['import', fixture('gdpr/two-people.csv')], { db }).code).toBe(0);
    expect(custkit(['gdpr', 'purge', '--prospects', 'three years'], { db }).code).toBe(2);
    expect(custkit(['gdpr', 'purge', '--as-of', '2027-13-01'], { db }).code).toBe(2);
  });
});
