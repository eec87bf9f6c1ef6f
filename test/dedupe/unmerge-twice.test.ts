/**
 * A survivor merged into twice (two nights of `dedupe --apply`, each bringing in a new record of the
 * same person): `unmerge --all-since` undoes both and gives back the store as it was.
 */
import { describe, expect, it } from 'vitest';
import { findDuplicates } from '../../src/dedupe/find.js';
import { applyMerges } from '../../src/dedupe/merge.js';
import { planClusters, toMergePlans } from '../../src/dedupe/plan.js';
import { unmergeSince } from '../../src/dedupe/unmerge.js';
import { openStore, type Db } from '../../src/store/db.js';
import { ensureValidated } from '../../src/validate/ensure.js';
import { tempDb } from '../helpers/cli.js';
import { syntheticContacts } from '../helpers/synthetic-store.js';

function apply(db: Db): number {
  ensureValidated(db);
  const found = findDuplicates(db, { threshold: 0.95, chainThreshold: 0.5, maxBlock: 500 });
  const plans = toMergePlans(planClusters(db, found.clusters, found.score));
  applyMerges(db, plans, { mode: 'apply', threshold: 0.95 });
  return plans.length;
}

const rows = (db: Db): unknown[] => db.prepare('SELECT * FROM contacts ORDER BY id').all();

describe('unmerge --all-since after two nights', () => {
  it('undoes two merges into the same survivor', () => {
    const db = openStore(tempDb());
    syntheticContacts(db, { people: 200, duplicateShare: 0.3, seed: 7, withHistory: true });
    ensureValidated(db);
    const original = rows(db);
    const otherTables = (): unknown[] => ['purchases', 'consents'].map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all());
    const originalOthers = otherTables();
    expect(apply(db)).toBeGreaterThan(0);
    // Night two: a new record for each of a few survivors (the same person, another source's key).
    const survivors = db.prepare('SELECT DISTINCT survivor_id FROM merges LIMIT 5').pluck().all() as number[];
    const cols = (db.prepare("SELECT group_concat(name, ', ') FROM pragma_table_info('contacts') WHERE name NOT IN ('id', 'uid', 'external_key', 'source')").pluck().get() as string);
    for (const [i, id] of survivors.entries()) {
      db.prepare(`INSERT INTO contacts (uid, external_key, source, ${cols}) SELECT ?, ?, 'night-two', ${cols} FROM contacts WHERE id = ?`).run(`night-two-${i}`, `k${i}`, id);
    }
    ensureValidated(db);
    const nightTwo = db.prepare("SELECT * FROM contacts WHERE source = 'night-two' ORDER BY id").all();
    const mergesBefore = db.prepare('SELECT count(*) FROM merges').pluck().get() as number;
    expect(apply(db)).toBeGreaterThan(0);
    const twice = db.prepare('SELECT count(*) FROM (SELECT survivor_id FROM merges GROUP BY survivor_id HAVING count(*) > 1)').pluck().get() as number;
    expect(twice).toBeGreaterThan(0);
    unmergeSince(db, '2000-01-01');
    expect(db.prepare('SELECT count(*) FROM merges WHERE undone_at IS NULL').pluck().get()).toBe(0);
    expect(mergesBefore).toBeGreaterThan(0);
    // Every record is back as an active record of its own.
    expect(db.prepare("SELECT count(*) FROM contacts WHERE status = 'merged' OR merged_into IS NOT NULL").pluck().get()).toBe(0);
    // Every record as it was before the first night, and night two's records as they came in.
    expect(rows(db)).toEqual([...original, ...nightTwo]);
    expect(otherTables()).toEqual(originalOthers);
    db.close();
  });
});
