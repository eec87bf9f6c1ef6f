import { describe, expect, it } from 'vitest';
import { deriveKeys, syncKeys, type KeySource } from '../../src/dedupe/keys.js';
import { loadRecords, newRecordsBuilder, view } from '../../src/dedupe/records.js';
import { StringCodes } from '../../src/dedupe/string-codes.js';
import { rng } from '../../src/dedupe/scoring.js';
import { openStore, type Db } from '../../src/store/db.js';
import { ensureValidated } from '../../src/validate/ensure.js';
import { syntheticContacts } from '../helpers/synthetic-store.js';

function store(validated: boolean): Db {
  const db = openStore(':memory:');
  syntheticContacts(db, { people: 120, duplicateShare: 0.3, seed: 7, withHistory: false });
  // Values validate rejects or normalises, so the raw columns matter: foreign and broken numbers, countries by name.
  const odd = db.prepare('UPDATE contacts SET phone = ?, mobile = ?, country = ?, postal_code = ? WHERE id = ?');
  odd.run('+32 2 555 12 34', '0032 470 12 34 56', 'Belgique', 'B-1000', 3);
  odd.run('06 12 34 56 78', 'n/a', 'be', ' 75 011 ', 4);
  odd.run('612345678', null, null, null, 5);
  if (validated) ensureValidated(db);
  return db;
}

describe('keys and records', () => {
  for (const validated of [false, true]) {
    it(`stores exactly deriveKeys of every contact (${validated ? 'validated' : 'raw'} store)`, () => {
      const db = store(validated);
      syncKeys(db);
      const rows = db.prepare(`SELECT c.*, k.fn AS k_fn, k.ln AS k_ln, k.ln_phon AS k_ln_phon, k.email AS k_email, k.postal AS k_postal,
        k.dob AS k_dob, k.siret AS k_siret, k.addr AS k_addr, k.city AS k_city, k.phones AS k_phones
        FROM contacts c JOIN dedupe_keys k ON k.contact_id = c.id`).all() as Array<KeySource & Record<string, string | null>>;
      expect(rows.length).toBe(db.prepare("SELECT count(*) FROM contacts WHERE status IN ('active', 'inactive')").pluck().get());
      for (const row of rows) {
        const k = deriveKeys(row);
        expect([row.k_fn, row.k_ln, row.k_ln_phon, row.k_email, row.k_postal, row.k_dob, row.k_siret, row.k_addr, row.k_city, row.k_phones])
          .toEqual([k.fn, k.ln, k.ln_phon, k.email, k.postal, k.dob, k.siret, k.addr, k.city, k.phones.length > 0 ? k.phones.join(' ') : null]);
      }
    });
  }

  it('builds the same records while keying a store as loading its keys afterwards', () => {
    const db = store(true);
    const builder = newRecordsBuilder(db);
    syncKeys(db, builder);
    const built = builder.finish();
    const loaded = loadRecords(db);
    expect(built.size).toBe(loaded.size);
    expect([...built.ids]).toEqual([...loaded.ids]);
    for (let i = 0; i < built.size; i++) expect(view(built, i)).toEqual(view(loaded, i));
    expect([...built.codes.email]).toEqual([...loaded.codes.email]);
    expect(built.values.fn).toBe(built.values.ln); // one list, so a swapped name has the same code
  });
});

describe('StringCodes', () => {
  it('numbers strings densely in order of first sight, agreeing with a Map through many growths', () => {
    const codes = new StringCodes();
    const reference = new Map<string, number>();
    const random = rng(9);
    for (let n = 0; n < 50_000; n++) {
      const value = n % 5 === 0 ? `é${Math.floor(random() * 10)}` : `${Math.floor(random() * 30_000)}@x.fr`;
      if (!reference.has(value)) reference.set(value, reference.size);
      expect(codes.code(value)).toBe(reference.get(value));
    }
    expect(codes.values).toEqual([...reference.keys()]);
  });
});
