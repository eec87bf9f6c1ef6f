import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli.js';
import { openStore, type Db } from '../../src/store/db.js';
import { indexesNaming, withoutIndexes } from '../../src/validate/indexes.js';

function store(): Db {
  return openStore(path.join(tempDir('custkit-indexes-'), 'test.db'));
}

const indexSql = (db: Db) => db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'contacts' ORDER BY name").all();

describe('indexesNaming', () => {
  it('finds the indexes whose columns or condition name a written column, and no others', () => {
    const db = store();
    expect(indexesNaming(db, 'contacts', ['sms_e164', 'phone_e164', 'completeness']).map((i) => i.name)).toEqual(['contacts_phone_e164', 'contacts_sms_e164']);
    expect(indexesNaming(db, 'contacts', ['email_clean', 'phone'])).toEqual([]);
    db.close();
  });
});

describe('withoutIndexes', () => {
  it('drops the indexes for the write and builds the same ones again, also when the write fails', () => {
    const db = store();
    const before = indexSql(db);
    const dropped = indexesNaming(db, 'contacts', ['sms_e164']);
    expect(() => withoutIndexes(db, dropped, () => 1)).toThrow(/transaction/);
    db.exec('BEGIN');
    const seen = withoutIndexes(db, dropped, () => indexSql(db).length);
    expect(seen).toBe(before.length - 1);
    expect(indexSql(db)).toEqual(before);
    expect(() => withoutIndexes(db, dropped, () => { throw new Error('write failed'); })).toThrow('write failed');
    expect(indexSql(db)).toEqual(before);
    db.exec('COMMIT');
    db.close();
  });
});
