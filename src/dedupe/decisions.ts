/**
 * Applying a reviewed file: "merge" rows merge exactly those members into the survivor named on the
 * row; "keep apart" rows are remembered so later runs never propose the pair again; empty decisions
 * are left undecided. Everything is checked before anything is written, and written in one transaction.
 */
import type { Db } from '../store/db.js';
import { makeScorer, scorePair } from './find.js';
import { syncKeys } from './keys.js';
import { applyMerges, type MergeOutcome, type MergePlan } from './merge.js';
import { loadRecords } from './records.js';
import { ReviewFileError, type DecisionRow } from './review.js';

export interface DecisionsOutcome {
  merges: MergeOutcome[];
  keptApart: number;
  undecided: number;
}

export function applyDecisions(db: Db, file: string, rows: DecisionRow[]): DecisionsOutcome {
  return db.transaction(() => {
    const byUid = db.prepare('SELECT id, status FROM contacts WHERE uid = ?');
    const lookup = (uid: string, row: number, column: string): number => {
      const found = byUid.get(uid) as { id: number; status: string } | undefined;
      if (!found) throw new ReviewFileError(`${file}: row ${row}, column "${column}": no contact with this uid in the store`);
      if (found.status === 'merged' || found.status === 'erased') {
        throw new ReviewFileError(`${file}: row ${row}, column "${column}": this contact is already ${found.status}`);
      }
      return found.id;
    };
    const plans = new Map<number, MergePlan>();
    const mergedBy = new Map<number, number>();
    const apart: Array<[number, number]> = [];
    let undecided = 0;
    for (const r of rows) {
      if (r.decision === null) {
        undecided++;
        continue;
      }
      const survivor = lookup(r.survivorUid, r.row, 'survivor_uid');
      const member = lookup(r.uid, r.row, 'uid');
      if (survivor === member) throw new ReviewFileError(`${file}: row ${r.row}: uid and survivor_uid are the same contact`);
      if (r.decision === 'keep apart') {
        apart.push([Math.min(survivor, member), Math.max(survivor, member)]);
        continue;
      }
      const earlier = mergedBy.get(member);
      if (earlier !== undefined) throw new ReviewFileError(`${file}: row ${r.row}: this contact is already merged by row ${earlier}`);
      mergedBy.set(member, r.row);
      const plan = plans.get(survivor) ?? { survivorId: survivor, members: [] };
      plan.members.push({ id: member, probability: null, evidence: [] });
      plans.set(survivor, plan);
    }
    for (const [survivor] of plans) {
      if (mergedBy.has(survivor)) {
        throw new ReviewFileError(`${file}: row ${mergedBy.get(survivor)}: a survivor cannot also be merged into another record`);
      }
    }
    if (plans.size > 0) {
      // The evidence kept with each merge is recomputed, not read from the editable file.
      syncKeys(db);
      const ids = [...plans.values()].flatMap((p) => [p.survivorId!, ...p.members.map((m) => m.id)]);
      const records = loadRecords(db, { ids });
      const scorer = makeScorer(db);
      for (const plan of plans.values()) {
        for (const m of plan.members) {
          const s = scorePair(scorer, records, plan.survivorId!, m.id);
          m.probability = s.probability;
          m.evidence = s.evidence;
        }
      }
    }
    const remember = db.prepare(`INSERT OR REPLACE INTO dedupe_decisions (a_id, b_id, decision, decided_at) VALUES (?, ?, 'keep apart', ?)`);
    const now = new Date().toISOString();
    for (const [a, b] of apart) remember.run(a, b, now);
    const merges = plans.size > 0 ? applyMerges(db, [...plans.values()], { mode: 'decisions', threshold: null }) : [];
    return { merges, keptApart: apart.length, undecided };
  })();
}
