/**
 * Helpers for the dedupe benchmark: load FEBRL into a store, and pairwise precision/recall of clusters
 * against ground truth (every pair of records of one person is a true pair).
 */
import { parse } from 'csv-parse/sync';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { Db } from '../src/store/db.js';
import type { Cluster } from '../src/dedupe/clustering.js';

/**
 * Loads a FEBRL file (rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode,
 * state, date_of_birth, soc_sec_id) as contacts. soc_sec_id is left out: customer files have no such key.
 * Returns contact id -> person id.
 */
export function loadFebrl(db: Db, file: string): Map<number, string> {
  const rows = parse(fs.readFileSync(file, 'utf8'), { columns: true, trim: true, skip_empty_lines: true }) as Record<string, string>[];
  const now = new Date().toISOString();
  const insert = db.prepare(`INSERT INTO contacts (uid, source, external_id, external_key, first_name, last_name,
      address_line1, address_line2, postal_code, city, birth_date, attributes, imported_at, updated_at)
    VALUES (?, 'febrl', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const truth = new Map<number, string>();
  db.transaction(() => {
    for (const r of rows) {
      const dob = /^(\d{4})(\d{2})(\d{2})$/.exec(r.date_of_birth ?? '');
      const iso = dob && Number(dob[2]) >= 1 && Number(dob[2]) <= 12 && Number(dob[3]) >= 1 && Number(dob[3]) <= 31
        ? `${dob[1]}-${dob[2]}-${dob[3]}` : r.date_of_birth || null;
      const street = [r.street_number, r.address_1].filter(Boolean).join(' ') || null;
      const info = insert.run(randomUUID(), r.rec_id, r.rec_id, r.given_name || null, r.surname || null, street,
        r.address_2 || null, r.postcode || null, r.suburb || null, iso, JSON.stringify({ state: r.state }), now, now);
      truth.set(Number(info.lastInsertRowid), /^rec-(\d+)-/.exec(r.rec_id)![1]);
    }
  })();
  return truth;
}

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
