import { describe, expect, it } from 'vitest';
import { DEFAULT_CHAIN_THRESHOLD, DEFAULT_MAX_BLOCK, DEFAULT_THRESHOLD, MIN_FIT_CONTACTS, findDuplicates } from '../../src/dedupe/find.js';
import { rng } from '../../src/dedupe/scoring.js';
import { openStore, type Db } from '../../src/store/db.js';

/** People with a duplicate for one in five, first name / surname / birth date / city / email only. */
function sparseStore(people: number): Db {
  const db = openStore(':memory:');
  const random = rng(11);
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
  const insert = db.prepare(`INSERT INTO contacts (uid, source, external_key, first_name, last_name, email_norm, city, birth_date, imported_at, updated_at)
    VALUES (?, 't', ?, ?, ?, ?, ?, ?, '2025', '2025')`);
  let n = 0;
  for (let p = 0; p < people; p++) {
    const fn = pick(['Jean', 'Marie', 'Luc', 'Anne', 'Paul', 'Claire', 'Marc', 'Julie', 'Hugo', 'Emma', 'Louis', 'Chloé', 'Léa', 'Tom']);
    const ln = pick(['Martin', 'Petit', 'Durand', 'Moreau', 'Girard', 'Bonnet', 'Faure', 'Roux', 'Blanc', 'Morel', 'Perrin', 'Henry', 'Robin', 'Caron']);
    const dob = `19${50 + Math.floor(random() * 50)}-0${1 + Math.floor(random() * 9)}-1${Math.floor(random() * 9)}`;
    const city = pick(['Paris', 'Lyon', 'Lille', 'Nantes', 'Brest', 'Pau', 'Metz', 'Caen']);
    const email = `${fn}.${ln}${p}@mail.fr`.toLowerCase();
    insert.run(`u${n}`, `k${n++}`, fn, ln, email, city, dob);
    if (random() < 0.2) insert.run(`u${n}`, `k${n++}`, fn, `${ln}e`, random() < 0.5 ? email : null, city, dob);
  }
  return db;
}

const run = (db: Db, train = false) => findDuplicates(db, { threshold: DEFAULT_THRESHOLD, chainThreshold: DEFAULT_CHAIN_THRESHOLD, maxBlock: DEFAULT_MAX_BLOCK, train });
const models = (db: Db) => db.prepare('SELECT fields, fitted_by FROM dedupe_models ORDER BY id').all() as Array<{ fields: string; fitted_by: string }>;

describe('a model fitted to the file', () => {
  it('is fitted on the first run of a store that has none, says why, and is kept', () => {
    const db = sparseStore(1000);
    const first = run(db);
    expect(first.contacts).toBeGreaterThanOrEqual(MIN_FIT_CONTACTS);
    expect(first.training?.reason).toBe('no model yet');
    expect(first.training?.fields).toBe('first_name,last_name,birth_date,email,city');
    expect(first.model.trained).toBe(true);
    expect(models(db)).toEqual([{ fields: 'first_name,last_name,birth_date,email,city', fitted_by: 'auto' }]);
    // EM ran on the blocks chosen for this file: none of them needs a postcode or a phone.
    expect(first.training!.rules.length).toBeGreaterThan(0);
    expect(first.training!.rules.every((r) => !/postcode|phone/.test(r.rule))).toBe(true);
    const second = run(db);
    expect(second.training).toBeUndefined();
    expect(models(db)).toHaveLength(1);
    expect(second.clusters.length).toBe(first.clusters.length);
    db.close();
  });

  it('is fitted again when the fields of the store change, and on --train', () => {
    const db = sparseStore(1000);
    run(db);
    db.prepare("UPDATE contacts SET postal_code = '75011', updated_at = '2026'").run();
    const changed = run(db);
    expect(changed.training?.reason).toBe('the fields changed');
    expect(models(db).map((m) => m.fields)).toEqual(['first_name,last_name,birth_date,email,city', 'first_name,last_name,birth_date,email,postal_code,city']);
    expect(run(db, true).training?.reason).toBe('asked (--train)');
    expect(models(db).at(-1)!.fitted_by).toBe('train');
    db.close();
  });

  it('is not fitted unasked on a small store', () => {
    const db = sparseStore(100);
    expect(run(db).training).toBeUndefined();
    expect(models(db)).toHaveLength(0);
    db.close();
  });
});
