/**
 * A small store whose KPIs are computed by hand in kpis.test.ts (as of 2025-06-30, baseline 2024-12-31).
 *
 *   A  active    A1 2023-09-10 100 X web; A2 2025-02-15 80 Y store
 *   B  active    B1 2024-03-01 40 X web                               (bought 2 years ago, not since: churned)
 *   C  active    C1 2025-01-20 60 X web; C2 2025-03-05 20 Y web, returned 2025-03-20 (-20): C2 is no order
 *   D  active    D1 2025-06-10 200 Z app; D2 2025-06-30 10 Z app; D3 2025-07-05 99 (after the as-of date)
 *   E  active    no purchase (prospect)
 *   F  inactive  F1 2024-12-15 30 X web, partly returned 2025-01-05 (-10)
 *   G  merged    G1 2025-04-01 500 X web                              (not part of the file)
 *   H  erased    no purchase
 *   I  active    I1 2025-02-03 25 Y web; I2 2025-04-11 35 Y web
 *   J  active    J1 2024-11-20 50 X web, fully returned 2025-02-01 (-50): a customer at the baseline only
 */
import { openStore, type Db } from '../../src/store/db.js';
import { addContact, addLines, type Line } from '../score/store-helpers.js';

export const AS_OF = '2025-06-30';
export const BASELINE = '2024-12-31';

export const LINES: Line[] = [
  { customer: 'A', order: 'A1', date: '2023-09-10', amount: 100, category: 'X', channel: 'web' },
  { customer: 'A', order: 'A2', date: '2025-02-15', amount: 80, category: 'Y', channel: 'store' },
  { customer: 'B', order: 'B1', date: '2024-03-01', amount: 40, category: 'X', channel: 'web' },
  { customer: 'C', order: 'C1', date: '2025-01-20', amount: 60, category: 'X', channel: 'web' },
  { customer: 'C', order: 'C2', date: '2025-03-05', amount: 20, category: 'Y', channel: 'web' },
  { customer: 'C', order: 'C2', line: 2, date: '2025-03-20', amount: -20, category: 'Y', channel: 'web' },
  { customer: 'D', order: 'D1', date: '2025-06-10', amount: 200, category: 'Z', channel: 'app' },
  { customer: 'D', order: 'D2', date: '2025-06-30 18:45:00', amount: 10, category: 'Z', channel: 'app' },
  { customer: 'D', order: 'D3', date: '2025-07-05', amount: 99, category: 'Z', channel: 'app' },
  { customer: 'F', order: 'F1', date: '2024-12-15', amount: 30, category: 'X', channel: 'web' },
  { customer: 'F', order: 'F1', line: 2, date: '2025-01-05', amount: -10, category: 'X', channel: 'web' },
  { customer: 'G', order: 'G1', date: '2025-04-01', amount: 500, category: 'X', channel: 'web' },
  { customer: 'I', order: 'I1', date: '2025-02-03', amount: 25, category: 'Y', channel: 'web' },
  { customer: 'I', order: 'I2', date: '2025-04-11', amount: 35, category: 'Y', channel: 'web' },
  { customer: 'J', order: 'J1', date: '2024-11-20', amount: 50, category: 'X', channel: 'web' },
  { customer: 'J', order: 'J1', line: 2, date: '2025-02-01', amount: -50, category: 'X', channel: 'web' },
];

/** Survey answers kept in attributes by a contacts import (its mapping says so). */
const ANSWERS: Record<string, Record<string, string>> = {
  A: { 'Note de recommandation': '10', Satisfaction: '4/5', Notes: 'aime le jardin' },
  B: { 'Note de recommandation': '6', Satisfaction: '5' },
  C: { 'Note de recommandation': '8', Satisfaction: '3' },
  D: { 'Note de recommandation': '9' },
  G: { 'Note de recommandation': '0', Satisfaction: '1' },
};

export function fixtureStore(file = ':memory:'): Db {
  const db = openStore(file);
  const status: Record<string, string> = { A: 'active', B: 'active', C: 'active', D: 'active', E: 'active', F: 'inactive', G: 'active', H: 'active', I: 'active', J: 'active' };
  const ids = new Map(Object.entries(status).map(([name, s]) => [name, addContact(db, name, s)]));
  addLines(db, LINES);
  db.prepare(
    `INSERT INTO imports (file_name, sha256, kind, source, columns, mapping, started_at)
     VALUES ('survey.csv', 'x', 'contacts', 'test', '[]', ?, '2025-01-01')`,
  ).run(JSON.stringify({ 'Customer ID': 'external_id', 'Note de recommandation': null, Satisfaction: null, Notes: null }));
  for (const [name, answers] of Object.entries(ANSWERS)) db.prepare('UPDATE contacts SET attributes = ? WHERE id = ?').run(JSON.stringify(answers), ids.get(name));
  // G merged into A by a dedupe run, and a second merge that was undone.
  db.exec(`INSERT INTO dedupe_runs (id, started_at, mode, max_contact_id, clusters, merged) VALUES (1, '2025-05-01', 'apply', 10, 2, 2)`);
  const merge = db.prepare(`INSERT INTO merges (run_id, survivor_id, created_at, survivor_before, survivor_after, undone_at) VALUES (1, ?, '2025-05-01', '{}', '{}', ?)`);
  merge.run(ids.get('A'), null);
  merge.run(ids.get('B'), '2025-05-02');
  db.prepare("UPDATE contacts SET status = 'merged', merged_into = ? WHERE id = ?").run(ids.get('A'), ids.get('G'));
  db.prepare("UPDATE contacts SET status = 'erased' WHERE id = ?").run(ids.get('H'));
  return db;
}
