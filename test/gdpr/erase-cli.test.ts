import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { custkit, fixture, queryStore, tempDir } from '../helpers/cli.js';
import { bytesHold } from '../helpers/personal-scan.js';

const EMAIL = 'zephirine.quillardet@example.org';
/** The person as the files spell them: after erasure none of these bytes may be left in the store or its WAL. */
const TRACES = [EMAIL, 'Zephirine.Quillardet@Example.org', 'Quillardet', 'Zéphirine', '06 98 76 54 32', '0698765432', '+33698765432', '12 rue des Lilas'];

function river(): { dir: string; db: string } {
  const dir = tempDir();
  const db = path.join(dir, 'shop.db');
  expect(custkit(['import', fixture('gdpr/erase-people.csv')], { db }).code).toBe(3); // one row rejected: it holds the person
  expect(custkit(['import', fixture('gdpr/erase-people-web.csv'), '--source', 'web'], { db }).code).toBe(0);
  expect(custkit(['import', fixture('gdpr/erase-orders.csv')], { db }).code).toBe(0);
  return { dir, db };
}

function fullRiver(): { dir: string; db: string } {
  const r = river();
  for (const args of [['clean', '--fix'], ['dedupe', '--apply'], ['score'], ['export', '--out', path.join(r.dir, 'before.csv')]]) {
    expect(custkit(args, { db: r.db }).code).toBe(0);
  }
  return r;
}

function traces(file: string): string[] {
  if (!fs.existsSync(file)) return [];
  const bytes = fs.readFileSync(file);
  return TRACES.filter((t) => bytesHold(bytes, t));
}

describe('custkit gdpr erase', () => {
  it('leaves none of the person\'s bytes in the store file or its WAL, after every stage ran on them', () => {
    const { dir, db } = fullRiver();
    const mergeId = queryStore<{ id: number }>(db, 'SELECT id FROM merges WHERE undone_at IS NULL ORDER BY id')[0]?.id;
    expect(mergeId).toBeDefined();
    // A reader keeps the store open: the WAL file stays, and must be truncated all the same.
    const reader = new Database(db, { readonly: true });
    try {
      expect(traces(db).length + traces(`${db}-wal`).length).toBeGreaterThan(3);
      const run = custkit(['gdpr', 'erase', EMAIL, '--reason', 'ticket 9, Zéphirine Quillardet by phone'], { db });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/erased 1 person: [0-9a-f-]{36} \(with 1 record\(s\) merged into them\)/);
      expect(run.stdout).toMatch(/1 rejected rows emptied/);
      expect(run.stdout).toMatch(/no erased address left/);
      expect(fs.existsSync(`${db}-wal`) ? fs.statSync(`${db}-wal`).size : 0).toBe(0);
      expect(traces(db)).toEqual([]);
      expect(traces(`${db}-wal`)).toEqual([]);
    } finally {
      reader.close();
    }
    expect(custkit(['db', 'check'], { db }).code).toBe(0);
    const unmerge = custkit(['unmerge', String(mergeId)], { db });
    expect(unmerge.code).toBe(1);
    expect(unmerge.stderr).toMatch(/cannot be undone: the person was erased/);
    const audit = custkit(['audit', '--action', 'gdpr.erase'], { db });
    expect(audit.stdout).toMatch(/gdpr\.erase/);
    expect(audit.stdout).toMatch(/ticket 9, \*\*\* \*\*\* by phone/);
    expect(audit.stdout).not.toMatch(/quillardet|zéphirine/i);
    // Exports on every channel leave them out.
    for (const channel of ['email', 'sms']) {
      const out = path.join(dir, `${channel}.csv`);
      custkit(['export', '--channel', channel, '--include-unconsented', '--out', out], { db });
      expect(fs.readFileSync(out, 'utf8')).not.toMatch(/quillardet|98 ?76 ?54 ?32/i);
    }
  });

  it('makes a re-import of the original files skip the person, counted as suppressed', () => {
    const { db } = river();
    expect(custkit(['gdpr', 'erase', EMAIL, '--reason', 'ticket 9', '--all'], { db }).code).toBe(0);
    const again = custkit(['import', fixture('gdpr/erase-people.csv'), '--force', '--json'], { db });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ suppressed: 2, rejected: 0, imported: 0 });
    const orders = custkit(['import', fixture('gdpr/erase-orders.csv'), '--force'], { db });
    expect(orders.stderr).toMatch(/2 suppressed/);
    expect(orders.stderr).toMatch(/rows about erased people skipped/);
    expect(custkit(['contact', 'show', EMAIL], { db }).code).toBe(1);
    expect(queryStore(db, "SELECT count(*) AS n FROM consents c JOIN contacts k ON k.id = c.contact_id WHERE k.status = 'erased'")).toEqual([{ n: 0 }]);
  });

  it('refuses an address several contacts share unless --all or a uid, and lists them by uid', () => {
    const { db } = river();
    const uids = queryStore<{ uid: string }>(db, 'SELECT uid FROM contacts WHERE email_norm = ? ORDER BY id', EMAIL).map((r) => r.uid);
    expect(uids).toHaveLength(2);
    const refused = custkit(['gdpr', 'erase', EMAIL, '--reason', 'ticket 9'], { db });
    expect(refused.code).toBe(2);
    for (const uid of uids) expect(refused.stderr).toContain(uid);
    expect(queryStore(db, "SELECT count(*) AS n FROM contacts WHERE status = 'erased'")).toEqual([{ n: 0 }]);
    const one = custkit(['gdpr', 'erase', uids[1]!, '--reason', 'ticket 9', '--json'], { db });
    expect(one.code).toBe(0);
    // The address stays the other record's: not suppressed, so the other is still exported and imported.
    expect(JSON.parse(one.stdout)).toMatchObject({ dry_run: false, people: [uids[1]], shared_addresses: 1 });
    expect(queryStore(db, "SELECT count(*) AS n FROM suppressions WHERE key_type = 'email'")).toEqual([{ n: 0 }]);
    const again = custkit(['gdpr', 'erase', uids[1]!, '--reason', 'ticket 9'], { db });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already erased/);
  });

  it('--dry-run says what would go and changes nothing; bad input is a usage error', () => {
    const { db } = river();
    const before = queryStore(db, 'SELECT * FROM contacts ORDER BY id');
    const dry = custkit(['gdpr', 'erase', EMAIL, '--reason', 'ticket 9', '--all', '--dry-run'], { db });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/would erase 2 people/);
    expect(queryStore(db, 'SELECT * FROM contacts ORDER BY id')).toEqual(before);
    expect(queryStore(db, 'SELECT count(*) AS n FROM suppressions')).toEqual([{ n: 0 }]);
    expect(custkit(['gdpr', 'erase', EMAIL, '--reason', ' '], { db }).code).toBe(2);
    expect(custkit(['gdpr', 'erase', 'Quillardet', '--reason', 'x'], { db }).code).toBe(2);
    expect(custkit(['gdpr', 'erase', '01a24e3b-f8e5-7000-ab61-000000000000', '--reason', 'x'], { db }).code).toBe(1);
  });

  it('for an address no contact holds: suppresses it so no import brings it in', () => {
    const { db } = river();
    const run = custkit(['gdpr', 'erase', 'nobody.here@example.org', '--reason', 'ticket 10'], { db });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/no contact holds this address/);
    const file = path.join(tempDir(), 'new.csv');
    fs.writeFileSync(file, 'Prénom,Nom,E-mail\nNo,Body,Nobody.Here@example.org\nAl,Ok,al.ok@example.org\n');
    const imported = JSON.parse(custkit(['import', file, '--json'], { db }).stdout) as { imported: number; suppressed: number };
    expect(imported).toMatchObject({ imported: 1, suppressed: 1 });
  });
});
