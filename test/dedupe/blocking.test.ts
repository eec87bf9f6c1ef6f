import { describe, expect, it } from 'vitest';
import { BLOCKING_RULES, block, sqlCondition } from '../../src/dedupe/blocking.js';
import { syncKeys } from '../../src/dedupe/keys.js';
import { loadRecords } from '../../src/dedupe/records.js';
import { openStore, type Db } from '../../src/store/db.js';

function store(people: Array<[string, string, string | null, string | null]>): Db {
  const db = openStore(':memory:');
  const insert = db.prepare(`INSERT INTO contacts (uid, source, external_key, first_name, last_name, email_norm, postal_code, imported_at, updated_at)
    VALUES (?, 't', ?, ?, ?, ?, ?, '2025', '2025')`);
  people.forEach(([fn, ln, email, postal], i) => insert.run(`u${i}`, `k${i}`, fn, ln, email, postal));
  syncKeys(db);
  return db;
}

describe('blocking', () => {
  it('gives each candidate pair once, whatever the number of rules it satisfies', () => {
    const db = store([['Jean', 'Dupont', 'jd@x.fr', '75011'], ['Jean', 'Dupont', 'jd@x.fr', '75011'], ['Paul', 'Martin', null, '13001']]);
    const pairs: string[] = [];
    const result = block(loadRecords(db), { maxBlock: 100 }, (i, j) => pairs.push(`${i}-${j}`));
    expect(pairs).toEqual(['0-1']);
    expect(result.pairs).toBe(1);
    expect(result.perRule.find((r) => r.rule === 'same email')!.pairs).toBe(1);
  });

  it('pairs swapped first and last names', () => {
    const db = store([['Camille', 'Martin', null, '33000'], ['Martin', 'Camille', null, '33000']]);
    const pairs: string[] = [];
    const result = block(loadRecords(db), { maxBlock: 100 }, (i, j) => pairs.push(`${i}-${j}`));
    expect(pairs).toEqual(['0-1']);
    expect(result.perRule.find((r) => r.rule === 'swapped first/last names + postcode')!.pairs).toBe(1);
  });

  it('skips a block over the cap and names its rule and key', () => {
    const many = Array.from({ length: 12 }, (_, i): [string, string, string | null, string | null] => [`P${String.fromCharCode(97 + i)}`, 'Martin', null, '75011']);
    const db = store(many);
    const result = block(loadRecords(db), { maxBlock: 10 }, () => undefined);
    expect(result.skipped).toContainEqual({ rule: 'surname sound + first initial + postcode', key: 'M635|p|75011', size: 12 });
    expect(result.pairs).toBe(0);
  });

  it('never prints an email or phone in a warning', () => {
    const db = store(Array.from({ length: 5 }, (_, i): [string, string, string | null, string | null] => [`N${i}`, `S${i}`, 'noemail@shop.fr', null]));
    const result = block(loadRecords(db), { maxBlock: 3 }, () => undefined);
    expect(result.skipped[0].rule).toBe('same email');
    expect(result.skipped[0].key).not.toContain('noemail@shop.fr');
  });

  it('with newAbove, pairs only involve newer contacts', () => {
    const db = store([['Jean', 'Dupont', 'jd@x.fr', null], ['Jean', 'Dupont', 'jd@x.fr', null], ['Jean', 'Dupont', 'jd@x.fr', null]]);
    const pairs: string[] = [];
    block(loadRecords(db), { maxBlock: 100, newAbove: 2 }, (i, j) => pairs.push(`${i}-${j}`));
    expect(pairs).toEqual(['0-2', '1-2']);
  });

  it('states every rule as a SQL join condition', () => {
    expect(sqlCondition(BLOCKING_RULES.find((r) => r.name === 'swapped first/last names + postcode')!)).toBe('a.fn = b.ln AND a.ln = b.fn AND a.postal = b.postal');
  });
});
