/**
 * A postal return (PND) is lifted only by a material change of the postal address: the key it is
 * compared by folds case, accents, ligatures, spaces and punctuation. Migration 72 moves the returns
 * and post members recorded with the earlier (lower-cased text) key to the folded one, so that the
 * returns in force on upgrade stay in force.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, openRaw, type Db } from '../../src/store/db.js';
import { migrations } from '../../src/store/migrations.js';
import { sha256Hex } from '../../src/export/digests.js';
import { postAddressKey } from '../../src/export/post-address.js';
import { importReturns } from '../../src/campaigns/returns.js';
import { addConsent, addContact, makeStore } from '../export/store.js';
import { exportFile } from '../export/run.js';
import { tempDir } from '../helpers/cli.js';

describe('the post address key', () => {
  const key = (line1: string, city: string, postalCode = '42000', line2 = '', country = 'FR'): string => postAddressKey(line1, line2, postalCode, city, country);

  it('folds what says nothing about where a letter goes', () => {
    const base = key('12 rue de l Eglise', 'Saint Etienne');
    expect(key('12, rue de l\'Église', 'Saint  Etienne')).toBe(base);
    expect(key('  12 RUE DE L\'EGLISE ', 'SAINT-ÉTIENNE')).toBe(base);
    expect(key('12 rue de l’Église.', 'saint etienne', '42 000')).toBe(base);
    expect(key('3 rue des Cœurs', 'Lyon')).toBe(key('3 rue des Coeurs', 'Lyon'));
    expect(postAddressKey('1 rue A', null, '69001', 'Lyon', 'fr')).toBe(postAddressKey('1 rue A', '', '69001', 'Lyon', 'FR'));
  });

  it('keeps a new street, number, postal code, city, second line or country apart', () => {
    const base = key('12 rue de l Eglise', 'Saint Etienne');
    for (const other of [
      key('14 rue de l Eglise', 'Saint Etienne'),
      key('12 rue de la Paix', 'Saint Etienne'),
      key('12 rue de l Eglise', 'Saint Etienne', '42100'),
      key('12 rue de l Eglise', 'Saint Chamond'),
      key('12 rue de l Eglise', 'Saint Etienne', '42000', 'Bât B'),
      key('12 rue de l Eglise', 'Saint Etienne', '42000', '', 'BE'),
    ]) expect(other).not.toBe(base);
    // Punctuation is a separator, not nothing: two numbers do not run together.
    expect(key('Bât 1, 23 rue A', 'Lyon')).not.toBe(key('Bât 12, 3 rue A', 'Lyon'));
  });
});

describe('a postal return', () => {
  async function returned(): Promise<{ db: Db; id: number; post: () => Promise<number> }> {
    const { db } = makeStore();
    const id = addContact(db, { lastName: 'Blanc', address: '9 quai Nord', postalCode: '42000', city: 'Saint  Etienne', country: 'FR' });
    addConsent(db, id, 'post', 'granted');
    let n = 0;
    const post = async (): Promise<number> => (await exportFile(db, { channel: 'post' }, { format: 'csv' }, `post-${++n}`)).result.rows;
    expect(await post()).toBe(1);
    const file = path.join(tempDir(), 'pnd.csv');
    fs.writeFileSync(file, `uid;Motif\n${db.prepare('SELECT uid FROM contacts WHERE id = ?').pluck().get(id) as string};NPAI\n`);
    expect((await importReturns(db, file)).marked).toBe(1);
    expect(await post()).toBe(0);
    return { db, id, post };
  }

  it('stays when only spaces, case, accents or punctuation of the address change', async () => {
    const { db, id, post } = await returned();
    db.prepare("UPDATE contacts SET city = 'Saint Etienne' WHERE id = ?").run(id); // what clean --fix does
    expect(await post()).toBe(0);
    db.prepare("UPDATE contacts SET city = 'SAINT-ÉTIENNE', address_line1 = '9, Quai  Nord' WHERE id = ?").run(id);
    expect(await post()).toBe(0);
  });

  it("a returns file naming the person by name and address finds them whatever the spelling of the street and name", async () => {
    const { db } = makeStore();
    const id = addContact(db, { lastName: 'Lefèvre', address: "12 rue de l'Église", postalCode: '42000', city: 'Saint-Étienne', country: 'FR' });
    const neighbour = addContact(db, { lastName: 'Lefèvre', address: '14 rue de l Eglise', postalCode: '42000', city: 'Saint-Étienne', country: 'FR' });
    addConsent(db, id, 'post', 'granted');
    addConsent(db, neighbour, 'post', 'granted');
    expect((await exportFile(db, { channel: 'post' }, { format: 'csv' }, 'post-pnd')).result.rows).toBe(2);
    const file = path.join(tempDir(), 'pnd-la-poste.csv');
    fs.writeFileSync(file, 'Nom;Adresse;Code postal;Motif\nLEFEVRE;12 RUE DE L EGLISE;42000;NPAI\n');
    const summary = await importReturns(db, file);
    expect([summary.marked, summary.unmatched]).toEqual([1, 0]);
    expect(db.prepare('SELECT contact_id FROM postal_returns').pluck().all()).toEqual([id]);
  });

  it('is lifted by a new street or a new postal code', async () => {
    for (const change of ["address_line1 = '10 quai Nord'", "postal_code = '42100', postal_code_norm = '42100'"]) {
      const { db, id, post } = await returned();
      db.prepare(`UPDATE contacts SET ${change} WHERE id = ?`).run(id);
      expect(await post()).toBe(1);
    }
  });
});

describe('campaigns migration 72', () => {
  it('moves the returns and post members of the current address to the folded key; others keep theirs', () => {
    const file = path.join(tempDir(), 'old.db');
    fs.writeFileSync(file, '');
    const db = openRaw(file, null);
    db.pragma('foreign_keys = ON');
    migrate(db, migrations.filter((m) => m.id < 72));
    const blanc = addContact(db, { lastName: 'Blanc', address: '9, Quai Nord', postalCode: '42000', city: 'Saint  Etienne', country: 'FR' });
    const roux = addContact(db, { lastName: 'Roux', address: '8 allée Jean Jaurès', postalCode: '31000', city: 'Toulouse', country: 'FR' });
    // The key up to migration 71: lines and city trimmed and lower-cased (ASCII only), as text.
    const oldHash = (l1: string, pc: string, city: string): string => sha256Hex(`${l1.trim().toLowerCase()}||${pc}|${city.trim().toLowerCase()}|FR`);
    const blancOld = oldHash('9, Quai Nord', '42000', 'Saint  Etienne');
    const rouxFormer = oldHash('4 rue Neuve', '01000', 'Bourg-en-Bresse'); // Roux has moved since her letter came back
    const exportId = Number(db.prepare(
      `INSERT INTO exports (created_at, channel, selection, format, options, destination, row_count, sha256, files)
       VALUES ('2026-12-01 10:00:00', 'post', '{}', 'csv', '{}', 'x.csv', 2, 'x', '[]')`,
    ).run().lastInsertRowid);
    db.prepare('INSERT INTO export_members (export_id, contact_id, address_hash) VALUES (?, ?, unhex(?)), (?, ?, unhex(?))').run(exportId, blanc, blancOld, exportId, roux, rouxFormer);
    db.prepare('INSERT INTO postal_returns (contact_id, address_hash, export_id) VALUES (?, ?, ?), (?, ?, ?)').run(blanc, blancOld, exportId, roux, rouxFormer, exportId);

    expect(migrate(db).includes(72)).toBe(true);
    const blancNew = sha256Hex(postAddressKey('9, Quai Nord', null, '42000', 'Saint  Etienne', 'FR'));
    expect(blancNew).not.toBe(blancOld);
    expect(db.prepare('SELECT contact_id, address_hash FROM postal_returns ORDER BY contact_id').all()).toEqual([
      { contact_id: blanc, address_hash: blancNew },
      { contact_id: roux, address_hash: rouxFormer },
    ]);
    expect(db.prepare('SELECT contact_id, lower(hex(address_hash)) AS h FROM export_members ORDER BY contact_id').all()).toEqual([
      { contact_id: blanc, h: blancNew },
      { contact_id: roux, h: rouxFormer },
    ]);
    expect(db.prepare('SELECT count(*) FROM pragma_table_info(\'campaigns\') WHERE name IN (\'not_sent_at\', \'not_sent_reason\')').pluck().get()).toBe(2);
    db.close();
  });
});
