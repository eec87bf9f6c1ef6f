import { describe, expect, it } from 'vitest';
import { block, countPairs, type BlockingRule } from '../../src/dedupe/blocking.js';
import { BLOCK_KEYS, keyValue, type KeyName } from '../../src/dedupe/block-keys.js';
import { syncKeys } from '../../src/dedupe/keys.js';
import { loadRecords, view, type Records } from '../../src/dedupe/records.js';
import { broughtBy, candidateRules, chooseRules } from '../../src/dedupe/rule-choice.js';
import { PairCounter } from '../../src/dedupe/pair-count.js';
import { rng } from '../../src/dedupe/scoring.js';
import { openStore, type Db } from '../../src/store/db.js';

/** A store of `n` contacts drawn from small pools, so every key repeats and blocks of all sizes form. */
function store(n: number, fields: { postal?: boolean; phone?: boolean; email?: boolean } = {}): Db {
  const db = openStore(':memory:');
  const random = rng(7);
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
  const insert = db.prepare(`INSERT INTO contacts (uid, source, external_key, first_name, last_name, email_norm, phone, postal_code, city, birth_date, imported_at, updated_at)
    VALUES (?, 't', ?, ?, ?, ?, ?, ?, ?, ?, '2025', '2025')`);
  for (let i = 0; i < n; i++) {
    const fn = pick(['Jean', 'Jeanne', 'Marie', 'Luc', 'Lucas', 'Anne', 'Ana']);
    const ln = pick(['Martin', 'Martín', 'Petit', 'Durand', 'Durant', 'Moreau']);
    insert.run(`u${i}`, `k${i}`, random() < 0.9 ? fn : null, ln, fields.email ? `${fn}.${ln}${Math.floor(random() * 30)}@x.fr`.toLowerCase() : null,
      fields.phone && random() < 0.5 ? `06 12 34 56 ${String(Math.floor(random() * 40)).padStart(2, '0')}` : null,
      fields.postal ? pick(['75011', '75012', '69003']) : null, pick(['Paris', 'Lyon', 'Lille']),
      random() < 0.85 ? `19${70 + Math.floor(random() * 5)}-0${1 + Math.floor(random() * 3)}-1${Math.floor(random() * 3)}` : null);
  }
  syncKeys(db);
  return db;
}

function produced(records: Records, rule: BlockingRule, maxBlock: number): number {
  let pairs = 0;
  block(records, { maxBlock, rules: [rule] }, () => pairs++);
  return pairs;
}

describe('blocking rules chosen from the data', () => {
  it('generates candidates only from the fields the store has, with typo-tolerant forms', () => {
    const sparse = new Set<KeyName>(['fn', 'fnPhon', 'fi', 'ln', 'lnPhon', 'dob', 'dobYM', 'dobYD', 'dobMD', 'city', 'email', 'emailLocal']);
    const rules = candidateRules(sparse);
    expect(rules.every((r) => r.fields.every((f) => sparse.has(f)))).toBe(true);
    const names = rules.map((r) => r.name);
    expect(names).toContain('surname sound + birth year + month');
    expect(names).toContain('first-name sound + city');
    expect(names).toContain('same email local part');
    expect(names.some((n) => /postcode|phone|SIRET/.test(n))).toBe(false);
    // One typo in any single field: for each field, some rule does without it.
    for (const attribute of ['first_name', 'last_name', 'birth_date', 'city', 'email']) {
      expect(rules.some((r) => r.fields.every((f) => BLOCK_KEYS[f].attribute !== attribute))).toBe(true);
    }
  });

  it('counts pairs from key frequencies equal to the pairs blocking really produces, big blocks skipped', () => {
    const db = store(400, { postal: true, phone: true, email: true });
    const records = loadRecords(db);
    const rules = candidateRules(new Set(Object.keys(BLOCK_KEYS) as KeyName[]));
    expect(rules.length).toBeGreaterThan(40);
    for (const maxBlock of [500, 40, 3]) {
      // All at once, grouped by first key (one sort shared by several rules), in the order given.
      expect(new PairCounter(records, maxBlock).countAll(rules)).toEqual(rules.map((rule) => countPairs(records, rule, maxBlock)));
    }
    for (const maxBlock of [500, 40]) {
      for (const rule of rules) {
        const counted = countPairs(records, rule, maxBlock);
        const real = produced(records, rule, maxBlock);
        // The counter rule choice uses (sorted blocks, no hashing) gives countPairs' count, rule for rule.
        expect({ rule: rule.name, maxBlock, fast: new PairCounter(records, maxBlock).count(rule) }).toEqual({ rule: rule.name, maxBlock, fast: counted });
        // Two contacts sharing two numbers are counted twice by the frequencies, compared once.
        if (rule.fields[0] === 'phones') expect(counted).toBeGreaterThanOrEqual(real);
        else expect({ rule: rule.name, maxBlock, pairs: counted }).toEqual({ rule: rule.name, maxBlock, pairs: real });
      }
    }
    db.close();
  });

  it('takes rules within the budget and says why the others were left out', () => {
    const db = store(600);
    const records = loadRecords(db);
    const choice = chooseRules(records, { maxBlock: 500, maxPairs: 3000, matchesPerContact: 0.1 });
    expect(choice.chosen.length).toBeGreaterThan(0);
    expect(choice.pairs).toBeLessThanOrEqual(3000);
    expect(choice.chosen.reduce((s, c) => s + c.pairs, 0)).toBe(choice.pairs);
    const over = choice.leftOut.filter((l) => /over the pair budget/.test(l.reason));
    expect(over.length).toBeGreaterThan(0);
    expect(choice.leftOut.every((l) => l.reason.length > 0)).toBe(true);
    // No rule over a field the store lacks is ever chosen.
    expect(choice.chosen.some((c) => c.rule.fields.some((f) => ['postal', 'phones', 'siret', 'addr'].includes(f)))).toBe(false);
    const bigger = chooseRules(records, { maxBlock: 500, maxPairs: 100_000, matchesPerContact: 0.1 });
    expect(bigger.expectedRecall).toBeGreaterThanOrEqual(choice.expectedRecall);
    db.close();
  });

  it('names the rule that brings a pair', () => {
    const db = store(50);
    const records = loadRecords(db);
    const rules: BlockingRule[] = [
      { name: 'surname + birth year + month', fields: ['ln', 'dobYM'], sensitive: false },
      { name: 'same city', fields: ['city'], sensitive: false },
    ];
    const a = view(records, 0);
    const b = { ...a, dob: a.dob ? `${a.dob.slice(0, 6)}28` : null, city: 'elsewhere' };
    expect(broughtBy(rules, a, b)?.name).toBe(a.dob && a.ln ? 'surname + birth year + month' : undefined);
    expect(keyValue('dobYD', { ...a, dob: '19800315' })).toBe('198015');
    expect(broughtBy(rules, a, { ...b, ln: 'zzz' })).toBeNull();
    db.close();
  });
});
