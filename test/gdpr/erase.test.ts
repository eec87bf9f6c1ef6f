import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importFile, type ImportRequest } from '../../src/io/import.js';
import { openStore, type Db } from '../../src/store/db.js';
import { contactsUnderErasure, eraseAddresses, eraseContacts, HOLDER_KEY } from '../../src/gdpr/erase.js';
import { emailHash, phoneHash } from '../../src/export/digests.js';
import { recordAudit } from '../../src/gdpr/audit.js';
import { lookup } from '../../src/gdpr/lookup.js';
import { cellsHolding } from '../helpers/personal-scan.js';
import { checkStore } from '../../src/store/check.js';

const FIXTURES = path.resolve(__dirname, '../../fixtures/gdpr');
const PERSON = ['zephirine.quillardet@example.org', 'Quillardet', 'Zéphirine', '06 98 76 54 32', '+33698765432', '12 rue des Lilas', 'préfère le soir'];
const OTHERS = ['octave.bernardin@example.com', 'Bernardin', 'leonie.marchetti@example.net'];
const OPTIONS = { reason: 'ticket 9', source: 'gdpr erase', defaultCountry: 'FR' };

function request(file: string, extra: Partial<ImportRequest> = {}): ImportRequest {
  return { file, displayName: path.basename(file), source: 'default', encoding: 'auto', delimiter: 'auto', dates: 'auto', currency: 'EUR', force: false, ...extra };
}

let dir: string;
let db: Db;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custkit-erase-'));
  db = openStore(path.join(dir, 'store.db'));
  await importFile(db, request(path.join(FIXTURES, 'erase-people.csv')));
  await importFile(db, request(path.join(FIXTURES, 'erase-people-web.csv'), { source: 'web' }));
  await importFile(db, request(path.join(FIXTURES, 'erase-orders.csv')));
});

afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const idsOf = (email: string): number[] => db.prepare('SELECT id FROM contacts WHERE email_norm = ? ORDER BY id').pluck().all(email) as number[];

/** What other stages leave about a person: a clean fix, dedupe keys and a decision, a merge, a free-text --where. */
function decorate(zIds: number[], otherId: number): void {
  const [z1, z2] = zIds as [number, number];
  db.exec(`INSERT INTO clean_runs (id, started_at, mode, options, counts) VALUES (1, '2026-01-01', 'fix', '{}', '{}')`);
  db.prepare(`INSERT INTO clean_fixes (run_id, contact_id, rules, email_old, email_new, last_name_old) VALUES (1, ?, 1, ' ZEPHIRINE.quillardet@EXAMPLE.org', 'zephirine.quillardet@example.org', 'QUILLARDET')`).run(z1);
  db.prepare(`INSERT INTO dedupe_keys (contact_id, keyed_at, ln, email, phones) VALUES (?, 'x', 'quillardet', 'zephirine.quillardet@example.org', '33 698765432')`).run(z1);
  db.prepare(`INSERT INTO dedupe_decisions (a_id, b_id, decision, decided_at) VALUES (?, ?, 'keep apart', 'x')`).run(z1, otherId);
  db.exec(`INSERT INTO dedupe_runs (id, started_at, mode, max_contact_id, clusters, merged) VALUES (1, 'x', 'apply', 9, 1, 1)`);
  const snapshot = JSON.stringify(db.prepare('SELECT * FROM contacts WHERE id = ?').get(z2));
  db.prepare(`INSERT INTO merges (id, run_id, survivor_id, created_at, survivor_before, survivor_after) VALUES (1, 1, ?, 'x', ?, ?)`).run(z1, snapshot, snapshot);
  db.prepare(`INSERT INTO merge_members (merge_id, contact_id, evidence, snapshot, moved) VALUES (1, ?, '{"last_name":"Quillardet"}', ?, '{}')`).run(z2, snapshot);
  db.prepare(`UPDATE contacts SET status = 'merged', merged_into = ? WHERE id = ?`).run(z1, z2);
  db.prepare(`INSERT INTO consents (contact_id, channel, status, recorded_at, source, proof) VALUES (?, 'email', 'granted', 'x', 'call', 'Quillardet said yes')`).run(z1);
  db.exec(`INSERT INTO exports (created_at, channel, selection, format, options, destination, row_count, sha256, files)
           VALUES ('x', 'email', '{"where":"email = ''zephirine.quillardet@example.org''"}', 'csv', '{}', 'out.csv', 1, 'x', '[]')`);
  recordAudit(db, { action: 'test', command: 'custkit contact show zephirine.quillardet@example.org', uids: [] });
}

describe('eraseContacts', () => {
  it('leaves nothing of the person in any table, everything of the others, and the purchases for the totals', () => {
    const zIds = idsOf('zephirine.quillardet@example.org');
    expect(zIds).toHaveLength(2);
    const otherId = idsOf('octave.bernardin@example.com')[0]!;
    decorate(zIds, otherId);
    expect(cellsHolding(db, PERSON).length).toBeGreaterThan(5);
    const revenue = db.prepare('SELECT sum(amount_minor) FROM purchases').pluck().get();
    const others = cellsHolding(db, OTHERS).length;

    const result = db.transaction(() => eraseContacts(db, [zIds[0]!], OPTIONS))();

    expect(result.people).toHaveLength(1);
    expect(result.records).toHaveLength(2); // the record merged into the survivor goes too
    expect(cellsHolding(db, PERSON)).toEqual([]);
    expect(cellsHolding(db, OTHERS).length).toBe(others);
    expect(db.prepare('SELECT sum(amount_minor) FROM purchases').pluck().get()).toBe(revenue);
    const holder = db.prepare('SELECT id FROM contacts WHERE external_key = ?').pluck().get(HOLDER_KEY);
    expect(db.prepare('SELECT count(*) FROM purchases WHERE contact_id = ?').pluck().get(holder)).toBe(2);
    expect(db.prepare(`SELECT count(*) FROM purchases WHERE contact_id IN (${zIds.join(',')})`).pluck().get()).toBe(0);
    expect(db.prepare('SELECT status, uid IS NOT NULL AS uid, merged_into FROM contacts WHERE id = ?').get(zIds[1])).toEqual({ status: 'erased', uid: 1, merged_into: null });
    expect(db.prepare('SELECT erased_at IS NOT NULL FROM merges WHERE id = 1').pluck().get()).toBe(1);
    const hashes = db.prepare("SELECT hash FROM suppressions WHERE kind = 'erased'").pluck().all();
    expect(hashes).toEqual(expect.arrayContaining([emailHash('zephirine.quillardet@example.org'), phoneHash('+33698765432')]));
    expect(db.prepare('SELECT count(*) FROM dedupe_decisions').pluck().get()).toBe(0);
    // The rejected row keeps its number, its cells are gone.
    expect(db.prepare('SELECT raw FROM rejects').pluck().all()).toEqual([JSON.stringify(new Array(8).fill(''))]);
    expect(lookup(db, 'zephirine.quillardet@example.org')).toEqual([]);
  });

  it('makes a later import skip the person (counted as suppressed), orders naming them included', async () => {
    const zIds = idsOf('zephirine.quillardet@example.org');
    db.transaction(() => eraseContacts(db, zIds, OPTIONS))();
    const contacts = db.prepare('SELECT count(*) FROM contacts').pluck().get();
    const consents = db.prepare('SELECT count(*) FROM consents').pluck().get();
    const [people] = await importFile(db, request(path.join(FIXTURES, 'erase-people.csv'), { force: true }));
    const [web] = await importFile(db, request(path.join(FIXTURES, 'erase-people-web.csv'), { source: 'web', force: true }));
    const [orders] = await importFile(db, request(path.join(FIXTURES, 'erase-orders.csv'), { force: true }));
    expect(people).toMatchObject({ suppressed: 2, rejected: 0 }); // Z1, and the rejected Z3 row is not kept either
    expect(web).toMatchObject({ suppressed: 1 });
    expect(orders).toMatchObject({ suppressed: 2, inserted: 0 });
    expect(db.prepare('SELECT count(*) FROM contacts').pluck().get()).toBe(contacts);
    expect(db.prepare('SELECT count(*) FROM consents').pluck().get()).toBe(consents);
    expect(db.prepare('SELECT suppressed FROM imports ORDER BY id DESC LIMIT 1').pluck().get()).toBe(2);
    expect(cellsHolding(db, PERSON)).toEqual([]);
  });

  it('recognises a re-imported row by its hashed customer code when the file no longer has the address', async () => {
    const [z1] = idsOf('zephirine.quillardet@example.org');
    db.transaction(() => eraseContacts(db, [z1!], OPTIONS))();
    const file = path.join(dir, 'renamed.csv');
    fs.writeFileSync(file, 'Code client,Prénom,Nom,E-mail\nZ1,Zéphirine,Q.,zq@elsewhere.example\n');
    const [summary] = await importFile(db, request(file));
    expect(summary).toMatchObject({ suppressed: 1, inserted: 0 });
  });

  it('erases an address the store holds no contact for: its rejected rows emptied, its hash suppressed', () => {
    db.exec("DELETE FROM contacts WHERE id NOT IN (SELECT contact_id FROM purchases) AND email_norm = 'zephirine.quillardet@example.org' AND external_id = 'W7'");
    const result = db.transaction(() => eraseAddresses(db, { emails: ['zephirine.quillardet@example.org'] }, OPTIONS))();
    expect(result.tables.rejects).toBe(1);
    expect(result.suppressionsAdded).toBe(1);
  });

  it('finds contacts an erasure recorded elsewhere applies to (a store restored from an older copy)', () => {
    const zIds = idsOf('zephirine.quillardet@example.org');
    db.prepare("INSERT INTO suppressions (hash, key_type, kind, source, created_at) VALUES (?, 'email', 'erased', 'x', 'x')").run(emailHash('zephirine.quillardet@example.org'));
    expect(contactsUnderErasure(db)).toEqual(zIds);
    db.transaction(() => eraseContacts(db, contactsUnderErasure(db), OPTIONS))();
    expect(contactsUnderErasure(db)).toEqual([]);
  });

  it('is what db check holds the store to: an erased contact keeping data, rows or snapshots is reported', () => {
    const zIds = idsOf('zephirine.quillardet@example.org');
    decorate(zIds, idsOf('octave.bernardin@example.com')[0]!);
    db.transaction(() => eraseContacts(db, [zIds[0]!], OPTIONS))();
    expect(checkStore(db, { quick: true }).problems).toEqual([]);
    const problems = (): string[] => checkStore(db, { quick: true }).problems.map((p) => p.check);
    db.prepare("INSERT INTO consents (contact_id, channel, status, recorded_at) VALUES (?, 'sms', 'granted', 'x')").run(zIds[0]);
    db.prepare("UPDATE contacts SET phone_e164 = '+33698765432' WHERE id = ?").run(zIds[1]);
    db.exec(`UPDATE merges SET survivor_before = '{"last_name":"Quillardet"}' WHERE id = 1`);
    expect(problems()).toEqual(expect.arrayContaining(['erased contact keeping personal data', 'erased contact keeping rows about them', "merge keeping an erased contact's snapshots"]));
  });
});
