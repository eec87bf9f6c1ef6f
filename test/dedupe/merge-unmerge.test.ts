import { describe, expect, it } from 'vitest';
import { syntheticContacts } from '../../bench/dedupe-synthetic.js';
import { findDuplicates } from '../../src/dedupe/find.js';
import { applyMerges } from '../../src/dedupe/merge.js';
import { planClusters, toMergePlans } from '../../src/dedupe/plan.js';
import { rng } from '../../src/dedupe/scoring.js';
import { unmerge, unmergeSince } from '../../src/dedupe/unmerge.js';
import { openStore, type Db } from '../../src/store/db.js';
import { storeContent } from '../helpers/dedupe-store.js';

/** A scores table like the score stage's, with one row per run and contact (a merge can clash on it). */
function addScores(db: Db, seed: number): void {
  db.exec(`CREATE TABLE scores (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, contact_id INTEGER NOT NULL REFERENCES contacts(id),
    recency_days INTEGER, segment TEXT, UNIQUE (run_id, contact_id))`);
  const r = rng(seed);
  const insert = db.prepare('INSERT INTO scores (run_id, contact_id, recency_days, segment) VALUES (?, ?, ?, ?)');
  for (const id of db.prepare('SELECT id FROM contacts').pluck().all() as number[]) {
    for (const run of [1, 2]) if (r() < 0.6) insert.run(run, id, Math.floor(r() * 400), r() < 0.5 ? 'Champions' : 'At Risk');
  }
}

function mergeAll(db: Db) {
  const found = findDuplicates(db, { threshold: 0.95, chainThreshold: 0.5, maxBlock: 500 });
  return applyMerges(db, toMergePlans(planClusters(db, found.clusters, found.score)), { mode: 'apply', threshold: 0.95 });
}

describe('merge then unmerge (property over generated stores)', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`leaves the store's content as it was (seed ${seed})`, () => {
      const db = openStore(':memory:');
      syntheticContacts(db, { people: 150 + seed * 40, duplicateShare: 0.3, seed, withHistory: true });
      addScores(db, seed);
      const before = storeContent(db);
      const merges = mergeAll(db);
      expect(merges.length).toBeGreaterThan(10);
      expect(storeContent(db)).not.toBe(before);
      // Every purchase follows its person to the survivor.
      expect(db.prepare("SELECT count(*) FROM purchases p JOIN contacts c ON c.id = p.contact_id WHERE c.status = 'merged'").pluck().get()).toBe(0);
      if (seed % 2 === 0) {
        unmergeSince(db, '2000-01-01');
      } else {
        // One by one, in a shuffled order: merges of one run are independent of each other.
        const r = rng(seed);
        const order = merges.map((m) => m.mergeId).sort(() => r() - 0.5);
        for (const id of order) unmerge(db, id);
      }
      expect(storeContent(db)).toBe(before);
    });
  }

  it('refuses to undo a merge whose survivor was merged again, until the later one is undone', () => {
    const db = openStore(':memory:');
    syntheticContacts(db, { people: 50, duplicateShare: 0, seed: 9 });
    const ids = db.prepare('SELECT id FROM contacts ORDER BY id LIMIT 3').pluck().all() as number[];
    const before = storeContent(db);
    const [first] = applyMerges(db, [{ survivorId: ids[0], members: [{ id: ids[1], probability: null, evidence: [] }] }], { mode: 'decisions', threshold: null });
    const [second] = applyMerges(db, [{ survivorId: ids[2], members: [{ id: ids[0], probability: null, evidence: [] }] }], { mode: 'decisions', threshold: null });
    expect(() => unmerge(db, first.mergeId)).toThrow(new RegExp(`undo that one first|merge ${second.mergeId}`));
    unmerge(db, second.mergeId);
    unmerge(db, first.mergeId);
    expect(storeContent(db)).toBe(before);
  });
});
