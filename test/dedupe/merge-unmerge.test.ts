import { describe, expect, it } from 'vitest';
import { syntheticContacts } from '../helpers/synthetic-store.js';
import { findDuplicates } from '../../src/dedupe/find.js';
import { applyMerges } from '../../src/dedupe/merge.js';
import { planClusters, toMergePlans } from '../../src/dedupe/plan.js';
import { rng } from '../../src/dedupe/scoring.js';
import { unmerge, unmergeSince } from '../../src/dedupe/unmerge.js';
import { openStore, type Db } from '../../src/store/db.js';
import { storeContent } from '../helpers/dedupe-store.js';
import { ensureValidated } from '../../src/validate/ensure.js';

/** Score rows in two runs (one per run and contact: a merge clashes when both people were scored). */
function addScores(db: Db, seed: number): void {
  const r = rng(seed);
  const run = db.prepare(`INSERT INTO score_runs (as_of, method, bins, binning, segment_map, created_at, updated_at)
    VALUES (?, 'rfm', 5, 'quantile', 'default', '2026-01-01', '2026-01-01')`);
  const runs = ['2025-12-31', '2026-06-30'].map((asOf) => Number(run.run(asOf).lastInsertRowid));
  const insert = db.prepare(`INSERT INTO scores (run_id, contact_id, recency_days, frequency, monetary_minor, segment)
    VALUES (?, ?, ?, ?, ?, ?)`);
  for (const id of db.prepare('SELECT id FROM contacts').pluck().all() as number[]) {
    for (const runId of runs) if (r() < 0.6) insert.run(runId, id, Math.floor(r() * 400), 1 + Math.floor(r() * 5), Math.floor(r() * 50000), r() < 0.5 ? 'Champions' : 'At Risk');
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
      ensureValidated(db); // what any dedupe run does first; the property is about merge and unmerge
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
    ensureValidated(db);
    const before = storeContent(db);
    const [first] = applyMerges(db, [{ survivorId: ids[0], members: [{ id: ids[1], probability: null, evidence: [] }] }], { mode: 'decisions', threshold: null });
    const [second] = applyMerges(db, [{ survivorId: ids[2], members: [{ id: ids[0], probability: null, evidence: [] }] }], { mode: 'decisions', threshold: null });
    expect(() => unmerge(db, first.mergeId)).toThrow(new RegExp(`undo that one first|merge ${second.mergeId}`));
    unmerge(db, second.mergeId);
    unmerge(db, first.mergeId);
    expect(storeContent(db)).toBe(before);
  });
});
