/**
 * Step 2, blocking: which pairs are worth comparing. Each rule is a SQL key expression over
 * `dedupe_keys` (or `dedupe_phones`); two contacts whose keys are equal form a candidate pair, and the
 * candidates are the union of every rule (each pair once, smaller id first). A rule with a `right`
 * expression pairs `left` of one contact with `right` of the other (swapped names). Blocks larger than
 * the cap are skipped and reported: one "martin" block must not turn into millions of pairs.
 */
import type { Db } from '../store/db.js';

export interface BlockingRule {
  name: string;
  table: 'dedupe_keys' | 'dedupe_phones';
  left: string;
  right?: string;
  /** The key holds contact details (email, phone): warnings never print it. */
  sensitive: boolean;
}

export const BLOCKING_RULES: readonly BlockingRule[] = [
  { name: 'same email', table: 'dedupe_keys', left: 'email', sensitive: true },
  { name: 'same phone', table: 'dedupe_phones', left: 'nsn', sensitive: true },
  // A superset of "surname sound + first initial + postcode": the first name is often the typo.
  { name: 'surname sound + postcode', table: 'dedupe_keys', left: "ln_phon || '|' || postal", sensitive: false },
  { name: 'first + last name + birth date', table: 'dedupe_keys', left: "fn || '|' || ln || '|' || dob", sensitive: false },
  { name: 'surname sound + birth date', table: 'dedupe_keys', left: "ln_phon || '|' || dob", sensitive: false },
  // The next three find people whose surname changed (marriage) or was mistyped beyond its sound.
  { name: 'first name + birth date', table: 'dedupe_keys', left: "fn || '|' || dob", sensitive: false },
  { name: 'birth date + postcode', table: 'dedupe_keys', left: "dob || '|' || postal", sensitive: false },
  { name: 'first name + postcode', table: 'dedupe_keys', left: "fn || '|' || postal", sensitive: false },
  { name: 'same SIRET', table: 'dedupe_keys', left: 'siret', sensitive: true },
  { name: 'swapped first/last names', table: 'dedupe_keys', left: "fn || '|' || ln", right: "ln || '|' || fn", sensitive: false },
];

export interface SkippedBlock {
  rule: string;
  /** The key value, or a masked form for sensitive rules. */
  key: string;
  size: number;
}

export interface BlockingOptions {
  /** Largest block compared; bigger ones are skipped with a warning. */
  maxBlock: number;
  /** Only pairs with at least one contact id above this (incremental `--new`). */
  newAbove?: number;
  rules?: readonly BlockingRule[];
}

export interface BlockingResult {
  /** Candidate pairs (a < b), also left in the temp table `dedupe_candidates`. */
  pairs: number;
  perRule: Array<{ rule: string; pairs: number }>;
  skipped: SkippedBlock[];
}

function mask(key: string): string {
  return `${key.slice(0, 2)}… (${key.length} characters)`;
}

/** Runs every rule into temp table `dedupe_candidates(a, b)`. Reads the store, writes only temp tables. */
export function block(db: Db, options: BlockingOptions): BlockingResult {
  const rules = options.rules ?? BLOCKING_RULES;
  db.exec(`DROP TABLE IF EXISTS temp.dedupe_candidates;
    CREATE TEMP TABLE dedupe_candidates (a INTEGER NOT NULL, b INTEGER NOT NULL, PRIMARY KEY (a, b)) WITHOUT ROWID;`);
  const perRule: BlockingResult['perRule'] = [];
  const skipped: SkippedBlock[] = [];
  const newAbove = options.newAbove ?? 0;
  const count = db.prepare('SELECT count(*) AS n FROM temp.dedupe_candidates').pluck();
  for (const rule of rules) {
    const before = count.get() as number;
    const sides = rule.right ? [rule.left, rule.right] : [rule.left];
    sides.forEach((expr, i) => {
      db.exec(`DROP TABLE IF EXISTS temp.dedupe_block${i};
        CREATE TEMP TABLE dedupe_block${i} AS
          SELECT contact_id AS id, ${expr} AS k FROM ${rule.table} WHERE (${expr}) IS NOT NULL;
        CREATE INDEX temp.dedupe_block${i}_k ON dedupe_block${i}(k, id);`);
    });
    const right = rule.right ? 'dedupe_block1' : 'dedupe_block0';
    // A block's size is what a key would cost: both sides together for an asymmetric rule.
    const big = db
      .prepare(`SELECT k, sum(n) AS size FROM (
          SELECT k, count(*) AS n FROM temp.dedupe_block0 GROUP BY k
          ${rule.right ? 'UNION ALL SELECT k, count(*) AS n FROM temp.dedupe_block1 GROUP BY k' : ''})
        GROUP BY k HAVING sum(n) > ? ORDER BY size DESC`)
      .all(options.maxBlock) as Array<{ k: string; size: number }>;
    for (const b of big) skipped.push({ rule: rule.name, key: rule.sensitive ? mask(b.k) : b.k, size: b.size });
    db.exec('DROP TABLE IF EXISTS temp.dedupe_big; CREATE TEMP TABLE dedupe_big (k TEXT PRIMARY KEY) WITHOUT ROWID;');
    const addBig = db.prepare('INSERT OR IGNORE INTO temp.dedupe_big (k) VALUES (?)');
    for (const b of big) addBig.run(b.k);
    const order = rule.right ? 'y.id <> x.id' : 'y.id > x.id';
    db.prepare(`INSERT OR IGNORE INTO temp.dedupe_candidates (a, b)
        SELECT min(x.id, y.id), max(x.id, y.id)
        FROM temp.dedupe_block0 x JOIN temp.${right} y ON y.k = x.k AND ${order}
        WHERE x.k NOT IN (SELECT k FROM temp.dedupe_big) AND (x.id > ? OR y.id > ?)`).run(newAbove, newAbove);
    perRule.push({ rule: rule.name, pairs: (count.get() as number) - before });
  }
  db.exec('DROP TABLE IF EXISTS temp.dedupe_block0; DROP TABLE IF EXISTS temp.dedupe_block1; DROP TABLE IF EXISTS temp.dedupe_big;');
  // Pairs a person already kept apart are never proposed again.
  db.exec(`DELETE FROM temp.dedupe_candidates WHERE EXISTS
    (SELECT 1 FROM dedupe_decisions d WHERE d.a_id = dedupe_candidates.a AND d.b_id = dedupe_candidates.b)`);
  return { pairs: count.get() as number, perRule, skipped };
}
