/**
 * From clusters to merge plans: who survives in each cluster and how strongly each member matches the
 * survivor. The dry run prints these, the review file lists them, and `--apply` executes them.
 */
import type { Db } from '../store/db.js';
import type { Cluster } from './clustering.js';
import type { PairScore } from './find.js';
import type { MergePlan } from './merge.js';
import { survivorHints, MergeError } from './merge.js';
import { chooseSurvivor, COMPLETENESS_FIELDS, type ContactRow } from './survivorship.js';
import { BATCH, readRows, survivorshipColumns, type LoadedPlan } from './bulk-merge.js';

export interface ClusterPlan {
  cluster: number;
  survivor: ContactRow;
  members: Array<{ row: ContactRow; score: PairScore }>;
}

/** The contact columns a review file shows (review.ts reads nothing else from a planned row). */
export const REVIEW_FIELDS = ['uid', 'first_name', 'last_name', 'email', 'mobile', 'phone', 'postal_code', 'birth_date'] as const;

const PLAN_COLUMNS = [...new Set(['id', 'updated_at', ...COMPLETENESS_FIELDS, ...REVIEW_FIELDS])];

export function planClusters(db: Db, clusters: Cluster[], score: (a: number, b: number) => PairScore): ClusterPlan[] {
  const hints = survivorHints(db);
  // Only what survivorship ranks on and the review file shows: whole rows (attributes, validate's
  // columns...) for every member of every cluster were most of a large run's memory. --apply reads
  // the full rows again when it merges.
  const select = db.prepare(`SELECT ${PLAN_COLUMNS.join(', ')} FROM contacts WHERE id = ?`);
  return clusters.map((c, i) => {
    const rows = c.members.map((id) => select.get(id) as ContactRow | undefined);
    if (rows.some((r) => !r)) throw new MergeError(`cluster ${i + 1}: a contact disappeared while dedupe was running`);
    const present = rows as ContactRow[];
    const survivor = chooseSurvivor(present, hints);
    const members = present.filter((r) => r.id !== survivor.id).map((row) => ({ row, score: score(survivor.id, row.id) }));
    return { cluster: i + 1, survivor, members };
  });
}

export function toMergePlans(plans: ClusterPlan[]): MergePlan[] {
  return plans.map((p) => ({
    survivorId: p.survivor.id,
    members: p.members.map((m) => ({ id: m.row.id, probability: m.score.probability, evidence: m.score.evidence })),
  }));
}

/** "first_name exact (+5.2), birth_date different (-4.1)": the evidence in one cell. */
export function evidenceText(score: PairScore): string {
  return score.evidence
    .filter((e) => e.level !== 'missing')
    .map((e) => `${e.field} ${e.level} (${e.weight >= 0 ? '+' : ''}${e.weight.toFixed(1)})`)
    .join('; ');
}

/**
 * `--apply` without a review: clusters planned batch by batch on full rows (one read per batch), the
 * survivor chosen as planClusters chooses it and each member scored against it. Nothing is held for
 * more than a batch: planning every cluster first held each member's row and evidence at once.
 */
export function* loadedPlanBatches(db: Db, clusters: Cluster[], score: (a: number, b: number) => PairScore, size = BATCH): Generator<LoadedPlan[]> {
  const hints = survivorHints(db);
  const columns = survivorshipColumns(db);
  for (let start = 0; start < clusters.length; start += size) {
    const slice = clusters.slice(start, start + size);
    const rows = readRows(db, slice.flatMap((c) => c.members), columns);
    yield slice.map((c, i) => {
      const present = c.members.map((id) => rows.get(id));
      if (present.some((r) => !r)) throw new MergeError(`cluster ${start + i + 1}: a contact disappeared while dedupe was running`);
      const members = present as ContactRow[];
      const survivor = chooseSurvivor(members, hints);
      const plan: MergePlan = {
        survivorId: survivor.id,
        members: members.filter((r) => r.id !== survivor.id).map((r) => {
          const s = score(survivor.id, r.id);
          return { id: r.id, probability: s.probability, evidence: s.evidence };
        }),
      };
      return { plan, rows: members };
    });
  }
}
