import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';
import { CONTACT_LINK, ERASURE_PLAN, unplannedTables } from '../../src/gdpr/erase.js';

/**
 * Erasure must know every table that can hold a person's data. A stage that adds such a table (a column
 * linking to contacts, a uid, an email, a phone, a name) fails this test until it says in ERASURE_PLAN
 * what erasure does with it.
 */
describe('the erasure plan', () => {
  const db = openStore(':memory:');
  db.exec('ANALYZE'); // sqlite_stat tables exist in stores that ran it
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];

  it('names every table holding contact data', () => {
    const holding = tables.filter((table) => {
      const columns = (db.pragma(`table_info("${table}")`) as Array<{ name: string }>).map((c) => c.name);
      const keys = db.prepare('SELECT "table" FROM pragma_foreign_key_list(?)').pluck().all(table) as string[];
      return keys.includes('contacts') || columns.some((c) => CONTACT_LINK.test(c));
    });
    expect(holding.length).toBeGreaterThan(8);
    expect(holding.filter((t) => !(t in ERASURE_PLAN))).toEqual([]);
    expect(unplannedTables(db).filter((t) => t.columns.length > 0)).toEqual([]);
  });

  it('does something with every table that links rows to contacts', () => {
    const linked = tables.filter((t) => (db.prepare('SELECT "table" FROM pragma_foreign_key_list(?)').pluck().all(t) as string[]).includes('contacts'));
    expect(linked.filter((t) => ERASURE_PLAN[t]?.how === 'none')).toEqual([]);
  });

  it('flags a table a future stage adds with a contact_id column', () => {
    db.exec('CREATE TABLE campaign_clicks (id INTEGER PRIMARY KEY, contact_id INTEGER REFERENCES contacts(id), url TEXT)');
    expect(unplannedTables(db)).toEqual(expect.arrayContaining([{ table: 'campaign_clicks', columns: ['contact_id'] }]));
    expect('campaign_clicks' in ERASURE_PLAN).toBe(false);
  });
});
