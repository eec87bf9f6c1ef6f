/**
 * The two pairs of issue 13: the same person under "Lefèvre" and "Lefebvre" with one email must merge
 * with the defaults; a couple sharing a family email, a landline and an address must not.
 */
import { describe, expect, it } from 'vitest';
import { COMPARISONS, identitiesDisagree, compareLevels } from '../../src/dedupe/comparison.js';
import { DEFAULT_CHAIN_THRESHOLD, DEFAULT_MAX_BLOCK, DEFAULT_THRESHOLD, findDuplicates } from '../../src/dedupe/find.js';
import { sexKey, syncKeys } from '../../src/dedupe/keys.js';
import { loadRecords, view } from '../../src/dedupe/records.js';
import { Scorer, defaultModel, probability } from '../../src/dedupe/scoring.js';
import { openStore, type Db } from '../../src/store/db.js';

type Row = [string, string | null, string, string, string | null, string | null, string | null, string | null, string | null];
const PAIRS: Row[] = [
  // id, civility, first, last, email, phone, address, postcode, birth date
  ['L1', 'Mme', 'Sophie', 'Lefèvre', 'sophie.lefevre@orange.fr', '06 71 72 73 74', '5 rue de la Paix', '75002', '1979-04-02'],
  ['L2', null, 'Sophie', 'Lefebvre', 'sophie.lefevre@orange.fr', null, null, null, null],
  ['H1', 'M.', 'Bernard', 'Roussel', 'famille.roussel@free.fr', '01 45 67 89 10', '8 rue des Lilas', '75015', '1961-05-12'],
  ['H2', 'Mme', 'Monique', 'Roussel', 'famille.roussel@free.fr', '01 45 67 89 10', '8 rue des Lilas', '75015', '1963-09-30'],
];

function store(filler: number): Db {
  const db = openStore(':memory:');
  const insert = db.prepare(`INSERT INTO contacts (uid, source, external_key, civility, first_name, last_name, email_norm, phone,
      address_line1, postal_code, city, birth_date, imported_at, updated_at)
    VALUES (?, 't', ?, ?, ?, ?, ?, ?, ?, ?, 'Paris', ?, '2025', '2025')`);
  const first = ['Jean', 'Marie', 'Luc', 'Anne', 'Paul', 'Claire', 'Marc', 'Julie', 'Hugo', 'Emma', 'Louis', 'Chloé'];
  const last = ['Martin', 'Petit', 'Durand', 'Moreau', 'Girard', 'Bonnet', 'Faure', 'Roux', 'Blanc', 'Morel', 'Perrin', 'Henry', 'Robin'];
  for (let i = 0; i < filler; i++) {
    const f = first[i % first.length];
    const l = last[(i * 7) % last.length];
    insert.run(`f${i}`, `f${i}`, i % 2 ? 'Mme' : 'M.', f, l, `${f}.${l}${i}@mail.fr`.toLowerCase(), `06 ${String(10_000_000 + i * 37).slice(0, 8)}`,
      `${i} rue Pasteur`, `75${String(i % 20).padStart(3, '0')}`, `19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 10}`);
  }
  for (const [id, civility, fn, ln, email, phone, addr, postal, dob] of PAIRS) insert.run(id, id, civility, fn, ln, email, phone, addr, postal, dob);
  syncKeys(db);
  return db;
}

const idOf = (db: Db, uid: string) => db.prepare('SELECT id FROM contacts WHERE uid = ?').pluck().get(uid) as number;

describe('evidence weighed right', () => {
  it('reads the civility or the gender as one key, and only a clear one', () => {
    expect(sexKey('Mme', null)).toBe('f');
    expect(sexKey('Monsieur', null)).toBe('m');
    expect(sexKey(null, 'F')).toBe('f');
    expect(sexKey('M. et Mme', null)).toBeNull();
    expect(sexKey(null, 'X')).toBeNull();
  });

  it('merges Lefèvre / Lefebvre with one email and keeps the couple apart, with the defaults', () => {
    const db = store(300);
    const result = findDuplicates(db, { threshold: DEFAULT_THRESHOLD, chainThreshold: DEFAULT_CHAIN_THRESHOLD, maxBlock: DEFAULT_MAX_BLOCK });
    const clusters = result.clusters.map((c) => c.members.slice().sort((a, b) => a - b).join(','));
    expect(clusters).toContain([idOf(db, 'L1'), idOf(db, 'L2')].join(','));
    expect(result.clusters.some((c) => c.members.includes(idOf(db, 'H1')) || c.members.includes(idOf(db, 'H2')))).toBe(false);
    const couple = result.score(idOf(db, 'H1'), idOf(db, 'H2'));
    expect(couple.probability).toBeLessThan(0.01);
    expect(couple.evidence.find((e) => e.field === 'civility')!.weight).toBeLessThan(-3);
    expect(couple.evidence.find((e) => e.field === 'email')!.level).toMatch(/household, capped/);
    db.close();
  });

  it('holds at a million contacts: the shares of values, not the fixture, decide', () => {
    const db = store(0);
    const records = loadRecords(db);
    const model = defaultModel(records);
    const tfOf = (name: string, shares: Record<string, number>) => new Map([[0, new Map(Object.entries(shares))]]);
    const tf = COMPARISONS.map((c) => {
      if (c.name === 'first_name') return tfOf(c.name, { sophie: 0.004, bernard: 0.006, monique: 0.003 });
      if (c.name === 'last_name') return tfOf(c.name, { roussel: 0.0005, lefevre: 0.002 });
      if (c.name === 'email') return tfOf(c.name, { 'sophie.lefevre@orange.fr': 1e-6, 'famille.roussel@free.fr': 1e-6 });
      if (c.name === 'phone') return tfOf(c.name, { '33145678910': 1e-6 });
      return null;
    });
    const scorer = new Scorer(model, 1_000_000, tf);
    const p = (a: string, b: string) => {
      const va = view(records, records.position[idOf(db, a)]);
      const vb = view(records, records.position[idOf(db, b)]);
      const code = compareLevels(va, vb);
      return { p: probability(scorer.weight(code, va, vb)), household: identitiesDisagree(code) };
    };
    expect(p('L1', 'L2').p).toBeGreaterThanOrEqual(DEFAULT_THRESHOLD);
    expect(p('L1', 'L2').household).toBe(false);
    expect(p('H1', 'H2').p).toBeLessThan(0.001);
    expect(p('H1', 'H2').household).toBe(true);
    db.close();
  });
});
