import { describe, expect, it } from 'vitest';
import { COMPARISONS } from '../../src/dedupe/comparison.js';
import { termFrequencies, termFrequenciesOf } from '../../src/dedupe/frequencies.js';
import { syncKeys } from '../../src/dedupe/keys.js';
import { loadRecords } from '../../src/dedupe/records.js';
import { openStore } from '../../src/store/db.js';

describe('term frequencies', () => {
  const db = openStore(':memory:');
  const insert = db.prepare(`INSERT INTO contacts (uid, source, external_key, first_name, last_name, email_norm, imported_at, updated_at)
    VALUES (?, 't', ?, ?, ?, ?, '2025', '2025')`);
  const people: Array<[string, string, string | null]> = [
    ['Jean', 'Martin', 'jean.martin@a.fr'], ['Jean', 'Martin', 'jean.martin@b.fr'], ['Léa', 'Martin', 'lea@a.fr'],
    ['Zoé', 'Quinquis', 'jean.martin@a.fr'], ['Martin', 'Jean', null],
  ];
  people.forEach(([fn, ln, email], i) => insert.run(`u${i}`, `k${i}`, fn, ln, email));
  syncKeys(db);
  const level = (name: string, l: number, store: ReturnType<typeof termFrequencies>) => store[COMPARISONS.findIndex((c) => c.name === name)]!.get(l)!;

  it('gives each value the share of the other contacts holding it, from the store or from the records', () => {
    for (const tf of [termFrequencies(db), termFrequenciesOf(loadRecords(db))]) {
      // Held by 2 of 5: one other contact besides the one asked about.
      expect(level('first_name', 0, tf).get('jean')).toBe(1 / 5);
      // A first name that is someone's last name only counts as a first name.
      expect(level('first_name', 0, tf).get('martin')).toBe(1 / 5);
      expect(level('last_name', 0, tf).get('martin')).toBe(2 / 5);
      expect(level('last_name', 0, tf).get('quinquis')).toBe(1 / 5);
      expect(level('email', 0, tf).get('jean.martin@a.fr')).toBe(1 / 4);
      expect(level('email', 0, tf).get('lea@a.fr')).toBe(1 / 4);
      expect(level('email', 3, tf).get('jean.martin')).toBe(2 / 4);
    }
  });

  it('counts each phone number of a contact, from the store or from the records', () => {
    const phones = openStore(':memory:');
    const add = phones.prepare(`INSERT INTO contacts (uid, source, external_key, first_name, phone, mobile, imported_at, updated_at)
      VALUES (?, 't', ?, 'x', ?, ?, '2025', '2025')`);
    [['01 45 67 89 10', '06 11 22 33 44'], ['01 45 67 89 10', null], ['01 45 67 89 10', '06 99 88 77 66'], [null, '06 11 22 33 44']]
      .forEach(([p, m], i) => add.run(`u${i}`, `k${i}`, p, m));
    syncKeys(phones);
    for (const tf of [termFrequencies(phones), termFrequenciesOf(loadRecords(phones))]) {
      expect(level('phone', 0, tf).get('33145678910')).toBe(2 / 6);
      expect(level('phone', 0, tf).get('33611223344')).toBe(1 / 6);
    }
  });
});
