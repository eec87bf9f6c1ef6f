import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';
import { custkit, tempDb } from '../helpers/cli.js';
import { seedDedupeStore, storeContent } from '../helpers/dedupe-store.js';

/** The fixture's known duplicates: uid pairs that are the same person. */
const SAME_PERSON = [
  ['uid-C001', 'uid-C002'], // accents and case, another email, same mobile written +33
  ['uid-C003', 'uid-C004'], // Gauthier / Gautier, birth date day/month swapped, same email
  ['uid-C005', 'uid-C006'], // first and last names swapped
  ['uid-C007', 'uid-C008'], // identical
  ['uid-C014', 'uid-C015'], // same SIRET, company contact without birth date
];

let db: string;
beforeEach(() => {
  db = tempDb();
  seedDedupeStore(db).close();
});

function clustersOf(json: { examples: Array<{ survivor_uid: string; members: Array<{ uid: string }> }> }): string[][] {
  return json.examples.map((e) => [e.survivor_uid, ...e.members.map((m) => m.uid)].sort()).sort();
}

describe('custkit dedupe (dry run)', () => {
  it('finds exactly the known duplicates and changes no contact', () => {
    const before = storeContent(openStore(db));
    const r = custkit(['dedupe', '--json', '--examples', '50'], { db });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.clusters).toBe(5);
    expect(out.contacts_that_would_merge).toBe(5);
    expect(clustersOf(out)).toEqual(SAME_PERSON.map((p) => [...p].sort()).sort());
    expect(out.candidate_pairs).toBeGreaterThanOrEqual(5);
    expect(storeContent(openStore(db))).toBe(before);
  });

  it('prints a readable summary without personal data', () => {
    const r = custkit(['dedupe'], { db });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/candidate pairs:\s+\d+/);
    expect(r.stdout).toMatch(/clusters:\s+5/);
    expect(r.stdout).not.toMatch(/Lef[eè]vre|orange\.fr|06 12/i);
  });

  it('rejects a bad threshold with exit 2', () => {
    const r = custkit(['dedupe', '--threshold', '1.5'], { db });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--threshold/);
  });

  it('a very high threshold keeps the weaker pairs apart', () => {
    const low = JSON.parse(custkit(['dedupe', '--json', '--threshold', '0.5'], { db }).stdout);
    const high = JSON.parse(custkit(['dedupe', '--json', '--threshold', '0.999999999999'], { db }).stdout);
    expect(high.matches).toBeLessThan(low.matches);
  });
});

describe('review file, decisions, apply, explain, unmerge', () => {
  it('applies exactly the reviewed decisions and remembers pairs kept apart', () => {
    const file = path.join(path.dirname(db), 'review.csv');
    const r = custkit(['dedupe', '--review', file], { db });
    expect(r.code, r.stderr).toBe(0);
    const rows = parse(fs.readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(5);
    expect(rows.every((row) => row.decision === 'merge' && Number(row.probability) > 0.9 && row.evidence.includes('first_name'))).toBe(true);
    // The reviewer keeps the company pair apart.
    for (const row of rows) if ([row.uid, row.survivor_uid].includes('uid-C015')) row.decision = 'keep apart';
    fs.writeFileSync(file, stringify(rows, { header: true }));

    const applied = custkit(['dedupe', '--apply', '--decisions', file, '--json'], { db });
    expect(applied.code, applied.stderr).toBe(0);
    const out = JSON.parse(applied.stdout);
    expect(out.merges).toHaveLength(4);
    expect(out.kept_apart).toBe(1);

    const store = openStore(db);
    const merged = store.prepare("SELECT uid FROM contacts WHERE status = 'merged' ORDER BY uid").pluck().all();
    expect(merged).toHaveLength(4);
    expect(merged).not.toContain('uid-C014');
    expect(merged).not.toContain('uid-C015');
    store.close();

    // Re-running finds nothing new: merged contacts are out, the kept-apart pair is not proposed again.
    const again = JSON.parse(custkit(['dedupe', '--json'], { db }).stdout);
    expect(again.clusters).toBe(0);
  });

  it('names the file, row and column of a bad decision, and changes nothing', () => {
    const file = path.join(path.dirname(db), 'review.csv');
    custkit(['dedupe', '--review', file], { db });
    const rows = parse(fs.readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];
    rows[2].decision = 'perhaps';
    fs.writeFileSync(file, stringify(rows, { header: true }));
    const before = storeContent(openStore(db));
    const r = custkit(['dedupe', '--apply', '--decisions', file], { db });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}: row 4, column "decision"`);
    expect(storeContent(openStore(db))).toBe(before);
  });

  it('writes an XLSX review file that reads back', () => {
    const file = path.join(path.dirname(db), 'review.xlsx');
    expect(custkit(['dedupe', '--review', file], { db }).code).toBe(0);
    const r = custkit(['dedupe', '--apply', '--decisions', file, '--json'], { db });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).merges).toHaveLength(5);
  });

  it('--apply merges with survivorship, moves purchases and consents, and unmerge restores the store', () => {
    const before = storeContent(openStore(db));
    const r = custkit(['dedupe', '--apply', '--json'], { db });
    expect(r.code, r.stderr).toBe(0);
    const merges = JSON.parse(r.stdout).merges as Array<{ merge_id: number; survivor_uid: string }>;
    expect(merges).toHaveLength(5);

    const store = openStore(db);
    const survivorOf = (uid: string) => store.prepare(`SELECT s.uid FROM contacts c JOIN contacts s ON s.id = c.merged_into WHERE c.uid = ?`).pluck().get(uid);
    // C001 is the more complete of the Lefèvre records (it has a landline): it survives, and takes the
    // email of C002, updated more recently; its own email is kept in attributes.
    expect(survivorOf('uid-C002')).toBe('uid-C001');
    const helene = store.prepare("SELECT * FROM contacts WHERE uid = 'uid-C001'").get() as Record<string, string>;
    expect(helene.email).toBe('h.lefevre@gmail.com');
    expect(helene.phone).toBe('01 42 33 44 55');
    expect(JSON.parse(helene.attributes).other_emails).toEqual(['helene.lefevre@orange.fr']);
    const purchases = store.prepare("SELECT count(*) FROM purchases p JOIN contacts c ON c.id = p.contact_id WHERE c.uid = 'uid-C001'").pluck().get();
    expect(purchases).toBe(3);
    // Consent: a withdrawal is never overridden by an older opt-in, and wins a tie.
    const current = (uid: string, channel: string) => store.prepare(`SELECT k.status FROM consents k JOIN contacts c ON c.id = k.contact_id
      WHERE c.uid = ? AND k.channel = ? ORDER BY k.recorded_at DESC, k.id DESC LIMIT 1`).pluck().get(uid, channel);
    expect(current('uid-C001', 'sms')).toBe('withdrawn');
    const sophie = merges.find((m) => ['uid-C007', 'uid-C008'].includes(m.survivor_uid))!;
    expect(current(sophie.survivor_uid, 'email')).toBe('withdrawn');
    store.close();

    // explain shows per-field levels and weights for a merged pair's survivor and another contact
    const explained = custkit(['explain', 'uid-C009', 'uid-C010', '--json'], { db });
    expect(explained.code, explained.stderr).toBe(0);
    const ex = JSON.parse(explained.stdout);
    expect(ex.probability).toBeLessThan(0.5);
    expect(ex.fields.find((f: { field: string }) => f.field === 'last_name').level).toBe('exact');
    expect(ex.fields.find((f: { field: string }) => f.field === 'first_name').weight).toBeLessThan(0);

    const undo = custkit(['unmerge', '--all-since', '2000-01-01', '--json'], { db });
    expect(undo.code, undo.stderr).toBe(0);
    expect(JSON.parse(undo.stdout).undone).toHaveLength(5);
    expect(storeContent(openStore(db))).toBe(before);
  });

  it('unmerge of one merge restores only that one; unknown ids fail with exit 1', () => {
    const merges = JSON.parse(custkit(['dedupe', '--apply', '--json'], { db }).stdout).merges as Array<{ merge_id: number; survivor_uid: string }>;
    const one = merges[0];
    const r = custkit(['unmerge', String(one.merge_id)], { db });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`merge ${one.merge_id} undone`);
    const store = openStore(db);
    expect(store.prepare("SELECT count(*) FROM contacts WHERE status = 'merged'").pluck().get()).toBe(4);
    store.close();
    expect(custkit(['unmerge', String(one.merge_id)], { db }).code).toBe(1);
    expect(custkit(['unmerge', '999'], { db }).code).toBe(1);
    expect(custkit(['unmerge'], { db }).code).toBe(2);
  });

  it('explain prints a table with the total and probability', () => {
    const r = custkit(['explain', 'uid-C005', 'uid-C006'], { db });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/swapped with last name/);
    expect(r.stdout).toMatch(/match probability: 0\.9\d+|match probability: 1\.0000/);
    expect(custkit(['explain', 'uid-C005', 'nope'], { db }).code).toBe(1);
  });

  it('explain gives the probability dedupe used', () => {
    const out = JSON.parse(custkit(['dedupe', '--json', '--examples', '50'], { db }).stdout);
    const cluster = out.examples.find((e: { survivor_uid: string }) => ['uid-C003', 'uid-C004'].includes(e.survivor_uid));
    const explained = JSON.parse(custkit(['explain', cluster.survivor_uid, cluster.members[0].uid, '--json'], { db }).stdout);
    expect(explained.probability).toBeCloseTo(cluster.members[0].probability, 4);
    expect(explained.probability).toBeLessThan(1);
  });
});

describe('incremental dedupe --new', () => {
  it('compares only new contacts and keeps the survivor uid stable', () => {
    const first = JSON.parse(custkit(['dedupe', '--apply', '--json'], { db }).stdout).merges as Array<{ survivor_uid: string }>;
    const survivor = first.find((m) => ['uid-C007', 'uid-C008'].includes(m.survivor_uid))!.survivor_uid;
    const store = openStore(db);
    // A new, more complete and more recent record of Sophie Bernard arrives.
    store.prepare(`INSERT INTO contacts (uid, source, external_id, external_key, first_name, last_name, email, email_norm, mobile, mobile_digits,
        address_line1, postal_code, city, birth_date, company, imported_at, updated_at)
      VALUES ('uid-C099', 'fixture', 'C099', 'C099', 'Sophie', 'Bernard', 'sophie.bernard@yahoo.fr', 'sophie.bernard@yahoo.fr', '06 55 44 33 22',
        '0655443322', '5 rue Pasteur', '44000', 'Nantes', '1968-05-30', 'Bernard Conseil', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`).run();
    store.close();
    const r = JSON.parse(custkit(['dedupe', '--new', '--apply', '--json'], { db }).stdout);
    expect(r.merges).toHaveLength(1);
    expect(r.merges[0].survivor_uid).toBe(survivor);
    expect(JSON.parse(custkit(['dedupe', '--json'], { db }).stdout).clusters).toBe(0);
  });
});

describe('dedupe --train', () => {
  it('stores a model that later runs use', () => {
    const r = JSON.parse(custkit(['dedupe', '--train', '--json'], { db }).stdout);
    expect(r.training.model_id).toBe(1);
    const later = JSON.parse(custkit(['dedupe', '--json'], { db }).stdout);
    expect(later.model).toBe('trained');
  });
});
