/**
 * Helpers for the dedupe benchmark: pairwise precision/recall of clusters against ground truth (every
 * pair of records of one person is a true pair), and the generator's truth file read into a map.
 */
import { parse } from 'csv-parse/sync';
import fs from 'node:fs';
import type { Db } from '../src/store/db.js';
import type { Cluster } from '../src/dedupe/clustering.js';

export interface Quality {
  truePairs: number;
  predictedPairs: number;
  correct: number;
  precision: number;
  recall: number;
  f1: number;
}

function pairCount(n: number): number {
  return (n * (n - 1)) / 2;
}

/** Pairwise quality of clusters against truth (contact id -> person id). */
export function pairwiseQuality(clusters: Cluster[], truth: Map<number, string>): Quality {
  const people = new Map<string, number>();
  for (const person of truth.values()) people.set(person, (people.get(person) ?? 0) + 1);
  const truePairs = [...people.values()].reduce((s, n) => s + pairCount(n), 0);
  let predictedPairs = 0;
  let correct = 0;
  for (const c of clusters) {
    predictedPairs += pairCount(c.members.length);
    const byPerson = new Map<string, number>();
    for (const id of c.members) {
      const p = truth.get(id) ?? `unknown-${id}`;
      byPerson.set(p, (byPerson.get(p) ?? 0) + 1);
    }
    for (const n of byPerson.values()) correct += pairCount(n);
  }
  const precision = predictedPairs === 0 ? 1 : correct / predictedPairs;
  const recall = truePairs === 0 ? 1 : correct / truePairs;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { truePairs, predictedPairs, correct, precision, recall, f1 };
}

/** Truth from bench/generate.ts (`row_external_id,person_id`), keyed by contact id through external_id. */
export function loadTruth(db: Db, truthFile: string): Map<number, string> {
  const rows = parse(fs.readFileSync(truthFile, 'utf8'), { columns: true, skip_empty_lines: true }) as Array<{ row_external_id: string; person_id: string }>;
  const ids = new Map((db.prepare('SELECT external_id, id FROM contacts').raw().all() as Array<[string, number]>));
  const truth = new Map<number, string>();
  for (const r of rows) {
    const id = ids.get(r.row_external_id);
    if (id !== undefined) truth.set(id, r.person_id);
  }
  return truth;
}
