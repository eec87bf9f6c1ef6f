/**
 * dedupe --apply set-based (bulk-merge.ts) against merge by merge (the reference): the same survivors,
 * snapshots, moved purchases, consents and scores, pair for pair, in every table.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findDuplicates } from '../../src/dedupe/find.js';
import { applyMerges, applyMergesOneByOne, applyPlanBatches } from '../../src/dedupe/merge.js';
import { loadedPlanBatches, planClusters, toMergePlans } from '../../src/dedupe/plan.js';
import { rng } from '../../src/dedupe/scoring.js';
import { undoInBulk, unmergeSince, unmergeSinceOneByOne, type MergeRow } from '../../src/dedupe/unmerge.js';
import { openStore, type Db } from '../../src/store/db.js';
import { ensureValidated } from '../../src/validate/ensure.js';
import { tempDb } from '../helpers/cli.js';
import { syntheticContacts } from '../helpers/synthetic-store.js';

const TABLES = ['contacts', 'purchases', 'consents', 'scores', 'merges', 'merge_members', 'dedupe_runs'];

/**
 * Every table's rows. A member's moved rows are a set: merging one by one lists them in the order of
 * the index SQLite picked (purchases by date), in bulk by rowid, so each list is compared sorted.
 */
function content(db: Db): Record<string, unknown[]> {
  return Object.fromEntries(TABLES.map((t) => {
    const rows = db.prepare(`SELECT * FROM ${t} ORDER BY ${t === 'scores' ? 'run_id, contact_id' : t === 'merge_members' ? 'merge_id, contact_id' : 'rowid'}`).all() as Array<Record<string, unknown>>;
    if (t !== 'merge_members') return [t, rows];
    return [t, rows.map((r) => {
      const moved = JSON.parse(String(r.moved)) as Record<string, unknown[]>;
      const sorted = Object.fromEntries(Object.entries(moved).map(([k, ids]) => [k, ids.map((x) => JSON.stringify(x)).sort()]));
      return { ...r, moved: sorted };
    })];
  }));
}

function addScores(db: Db, seed: number): void {
  const r = rng(seed);
  const run = db.prepare(`INSERT INTO score_runs (as_of, method, bins, binning, segment_map, created_at, updated_at)
    VALUES (?, 'rfm', 5, 'quantile', 'default', '2026-01-01', '2026-01-01')`);
  const runs = ['2025-12-31', '2026-06-30'].map((asOf) => Number(run.run(asOf).lastInsertRowid));
  const insert = db.prepare('INSERT INTO scores (run_id, contact_id, recency_days, frequency, monetary_minor, segment) VALUES (?, ?, ?, ?, ?, ?)');
  for (const id of db.prepare('SELECT id FROM contacts').pluck().all() as number[]) {
    for (const runId of runs) if (r() < 0.6) insert.run(runId, id, Math.floor(r() * 400), 1 + Math.floor(r() * 5), Math.floor(r() * 50000), 'Champions');
  }
}

describe('dedupe --apply in bulk', () => {
  for (const seed of [1, 2, 3]) {
    it(`gives exactly what merging one by one gives (seed ${seed}), and unmerge --all-since restores every table`, () => {
      const fileA = tempDb();
      const seeded = openStore(fileA);
      syntheticContacts(seeded, { people: 200 + seed * 50, duplicateShare: 0.3, seed, withHistory: true });
      addScores(seeded, seed);
      ensureValidated(seeded);
      const found = findDuplicates(seeded, { threshold: 0.95, chainThreshold: 0.5, maxBlock: 500 });
      const plans = toMergePlans(planClusters(seeded, found.clusters, found.score));
      seeded.close();
      const fileB = `${fileA}.b`;
      const fileC = `${fileA}.c`;
      fs.copyFileSync(fileA, fileB);
      fs.copyFileSync(fileA, fileC);
      const a = openStore(fileA);
      const b = openStore(fileB);
      const c = openStore(fileC);
      const before = content(a);
      const now = '2026-12-07T00:00:00.000Z';
      const one = applyMergesOneByOne(a, plans, { mode: 'apply', threshold: 0.95, now });
      const bulk = applyMerges(b, plans, { mode: 'apply', threshold: 0.95, now });
      // dedupe --apply's own path: clusters planned and merged a few at a time (batches of 7 here).
      const streamed = applyPlanBatches(c, loadedPlanBatches(c, found.clusters, found.score, 7), { mode: 'apply', threshold: 0.95, now });
      expect(one.length).toBeGreaterThan(10);
      expect(bulk).toEqual(one);
      expect(streamed).toEqual(one);
      const [ca, cb, cc] = [content(a), content(b), content(c)];
      for (const t of TABLES) expect({ table: t, rows: cb[t] }).toEqual({ table: t, rows: ca[t] });
      for (const t of TABLES) expect({ table: t, rows: cc[t] }).toEqual({ table: t, rows: ca[t] });
      c.close();
      // Some merges set a scores row aside and some added a withdrawal: the comparison covers them.
      expect(a.prepare("SELECT count(*) FROM merge_members WHERE removed <> '{}'").pluck().get()).toBeGreaterThan(0);
      unmergeSince(b, '2000-01-01');
      const restored = content(b);
      for (const t of ['contacts', 'purchases', 'consents', 'scores']) expect({ table: t, rows: restored[t] }).toEqual({ table: t, rows: before[t] });
      a.close();
      b.close();
    });
  }
});

describe('unmerge --all-since in bulk', () => {
  for (const seed of [4, 5]) {
    it(`gives exactly what undoing merge by merge gives, every table as before the merge (seed ${seed})`, () => {
      const fileA = tempDb();
      const seeded = openStore(fileA);
      syntheticContacts(seeded, { people: 200 + seed * 40, duplicateShare: 0.3, seed, withHistory: true });
      addScores(seeded, seed);
      ensureValidated(seeded);
      const before = content(seeded);
      const found = findDuplicates(seeded, { threshold: 0.95, chainThreshold: 0.5, maxBlock: 500 });
      applyMerges(seeded, toMergePlans(planClusters(seeded, found.clusters, found.score)), { mode: 'apply', threshold: 0.95 });
      // A change after the merge: a survivor's city edited by hand keeps its newer value either way.
      seeded.prepare("UPDATE contacts SET city = 'Changed later' WHERE id = (SELECT min(survivor_id) FROM merges)").run();
      seeded.close();
      const fileB = `${fileA}.b`;
      fs.copyFileSync(fileA, fileB);
      const a = openStore(fileA);
      const b = openStore(fileB);
      unmergeSinceOneByOne(a, '2000-01-01');
      // The bulk path itself (unmergeSince falls back to one by one when merges depend on each other).
      const merges = b.prepare('SELECT * FROM merges WHERE undone_at IS NULL ORDER BY id DESC').all() as MergeRow[];
      const outcome = b.transaction(() => undoInBulk(b, merges, '2026-12-07T00:00:00.000Z'))();
      expect(outcome).not.toBeNull();
      expect(outcome!.length).toBe(merges.length);
      const [ca, cb] = [content(a), content(b)];
      for (const t of ['contacts', 'purchases', 'consents', 'scores', 'merge_members']) expect({ table: t, rows: cb[t] }).toEqual({ table: t, rows: ca[t] });
      expect(b.prepare('SELECT count(*) FROM merges WHERE undone_at IS NULL').pluck().get()).toBe(0);
      const changed = cb.contacts.filter((r) => (r as { city: string }).city === 'Changed later');
      expect(changed).toHaveLength(1);
      for (const t of ['purchases', 'consents', 'scores']) expect({ table: t, rows: cb[t] }).toEqual({ table: t, rows: before[t] });
      a.close();
      b.close();
    });
  }
});
