/**
 * Staged contact values written range by range (staged-update.ts): the same store as one UPDATE per
 * row, whatever the ranges, with indexed and unindexed changes in their own statements, and the
 * indexes still finding every row by its new values.
 */
import { describe, expect, it } from 'vitest';
import { rng } from '../../src/dedupe/scoring.js';
import { ContactStaging, indexedColumns, writeInRanges } from '../../src/dedupe/staged-update.js';
import { openStore, type Db } from '../../src/store/db.js';
import { tempDb } from '../helpers/cli.js';
import { syntheticContacts } from '../helpers/synthetic-store.js';

type Change = { id: number; values: Record<string, unknown> };

function changes(db: Db, seed: number): Change[] {
  const r = rng(seed);
  const ids = db.prepare('SELECT id FROM contacts ORDER BY id').pluck().all() as number[];
  const out: Change[] = [];
  for (const id of ids) {
    const p = r();
    if (p < 0.4) out.push({ id, values: { attributes: `{"n":${id}}`, updated_at: `2026-12-0${1 + Math.floor(r() * 8)}` } });
    else if (p < 0.55) out.push({ id, values: { email: `new${id}@example.org`, email_norm: `new${id}@example.org`, updated_at: '2026-12-09' } });
    else if (p < 0.65) out.push({ id, values: { email_norm: null, tags: '["x"]' } });
    else if (p < 0.8) out.push({ id, values: { status: 'merged', merged_into: ids[0] } });
  }
  return out;
}

const rows = (db: Db) => db.prepare('SELECT * FROM contacts ORDER BY id').all();

describe('staged contact updates', () => {
  it('counts a column named by an index, an expression or a partial index as indexed', () => {
    const db = openStore(tempDb());
    const columns = db.prepare('PRAGMA table_info(contacts)').all() as Array<{ name: string; type: string }>;
    const indexed = indexedColumns(db, 'contacts', columns);
    for (const c of ['uid', 'email_norm', 'phone_e164', 'sms_e164', 'source', 'external_key']) expect(indexed.has(c)).toBe(true);
    for (const c of ['attributes', 'tags', 'updated_at', 'status', 'merged_into', 'first_name']) expect(indexed.has(c)).toBe(false);
    db.exec('CREATE INDEX contacts_lower_city ON contacts(lower(city)) WHERE tags IS NOT NULL');
    const more = indexedColumns(db, 'contacts', columns);
    expect(more.has('city') && more.has('tags')).toBe(true);
    db.close();
  });

  for (const range of [3, 17, 1 << 16]) {
    it(`writes exactly what one UPDATE per row writes (ranges of ${range} ids)`, () => {
      const file = tempDb();
      const a = openStore(file);
      syntheticContacts(a, { people: 60, duplicateShare: 0.3, seed: range });
      a.exec(`VACUUM INTO '${file}.b'`);
      const bulk = openStore(`${file}.b`);
      const list = changes(a, range);
      for (const c of list) {
        const cols = Object.keys(c.values);
        a.prepare(`UPDATE contacts SET ${cols.map((k) => `"${k}" = ?`).join(', ')} WHERE id = ?`).run(...cols.map((k) => c.values[k]), c.id);
      }
      const columns = (bulk.prepare('PRAGMA table_info(contacts)').all() as Array<{ name: string; type: string }>).filter((c) => c.name !== 'id');
      const staging = new ContactStaging(bulk, 'test_staging', columns);
      for (const c of list) {
        const ks = columns.map((col, k) => (col.name in c.values ? k : -1)).filter((k) => k >= 0);
        staging.add(c.id, ks, ks.map((k) => c.values[columns[k].name]));
      }
      const updates = staging.updates();
      expect(updates.length).toBe(2);
      const maxId = bulk.prepare('SELECT max(id) FROM contacts').pluck().get() as number;
      bulk.transaction(() => writeInRanges(bulk, maxId, updates, range))();
      staging.drop();
      expect(rows(bulk)).toEqual(rows(a));
      expect(bulk.pragma('integrity_check', { simple: true })).toBe('ok');
      const moved = list.find((c) => typeof c.values.email_norm === 'string')!;
      expect(bulk.prepare('SELECT id FROM contacts INDEXED BY contacts_email_norm WHERE email_norm = ?').pluck().get(moved.values.email_norm)).toBe(moved.id);
      a.close();
      bulk.close();
    });
  }
});
