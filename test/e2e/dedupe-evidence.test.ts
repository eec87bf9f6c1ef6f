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
