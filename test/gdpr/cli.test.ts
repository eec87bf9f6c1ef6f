/**
 * The gdpr commands end to end on a store of two people (Ana and Bruno) with orders and scores:
 * look-up, rectification, tags, consent (and the export honouring it), access with nobody else's data,
 * and an audit trail that holds no personal value.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { custkit, fixture, queryStore, tempDir } from '../helpers/cli.js';

const ANA = { email: 'ana.ferreira@example.org', first: 'Ana', last: 'Ferreira', mobile: '0611223344', e164: '+33611223344', note: 'aime le jazz' };
const BRUNO = { email: 'bruno.keller@example.net', first: 'Bruno', last: 'Keller', mobile: '0755667788', e164: '+33755667788', note: 'client pro' };

const personal = (p: typeof ANA): string[] => [p.email, p.first, p.last, p.mobile, p.e164, p.note];

let template: string;

function freshStore(): { dir: string; db: string; run: (args: string[]) => ReturnType<typeof custkit>; uid: (email: string) => string } {
  const dir = tempDir();
  fs.cpSync(template, dir, { recursive: true });
  const db = path.join(dir, 'custkit.db');
  return {
    dir,
    db,
    run: (args) => custkit(args, { cwd: dir }),
    uid: (email) => queryStore<{ uid: string }>(db, 'SELECT uid FROM contacts WHERE email_norm = ?', email)[0]!.uid,
  };
}

beforeAll(() => {
  template = tempDir();
  for (const step of [
    ['import', fixture('gdpr/two-people.csv')],
    ['import', fixture('gdpr/two-people-orders.csv'), '--kind', 'purchases'],
    ['score', '--as-of', '2025-06-30'],
    ['validate'],
  ]) {
    const result = custkit(['-q', ...step], { cwd: template });
    if (result.code !== 0) throw new Error(`custkit ${step.join(' ')}: exit ${result.code}\n${result.stderr}`);
  }
}, 60_000);

describe('contact show and find', () => {
  it('finds a person by email, phone or uid and shows every part of their record', () => {
    const s = freshStore();
    const byEmail = s.run(['--json', 'contact', 'show', ANA.email.toUpperCase()]);
    expect(byEmail.code).toBe(0);
    const [profile] = JSON.parse(byEmail.stdout) as Array<Record<string, any>>;
    expect(profile!.contact).toMatchObject({ email: ANA.email, last_name: ANA.last, postal_code: '31000' });
    expect(profile!.attributes).toEqual({ Notes: ANA.note });
    expect(profile!.consents.current.email.status).toBe('granted');
    expect(profile!.purchases).toMatchObject({ orders: 2, lines: 2, totals: [{ currency: 'EUR', net_minor: 6240 }] });
    expect(profile!.scores.latest).toMatchObject({ as_of: '2025-06-30', frequency: 2 });
    const byPhone = JSON.parse(s.run(['--json', 'contact', 'show', '06 11 22 33 44']).stdout) as Array<Record<string, any>>;
    expect(byPhone.map((p) => p.contact.uid)).toEqual([profile!.contact.uid]);
    expect(s.run(['contact', 'show', profile!.contact.uid]).stdout).toContain('purchases: 2 order(s)');
    expect(s.run(['contact', 'show', 'nobody@example.org']).code).toBe(1);
    expect(s.run(['contact', 'show', 'Ferreira']).code).toBe(2);
  });

  it('searches names without case or accents, and combines conditions', () => {
    const s = freshStore();
    expect(s.run(['contact', 'find', '--name', 'FERRÉIRA']).stdout).toContain(ANA.email);
    expect(s.run(['contact', 'find', '--name', 'ferreira', '--postal-code', '67000']).stdout).toBe('');
    const both = s.run(['contact', 'find', '--email', '@example.']).stdout.trim().split('\n');
    expect(both).toHaveLength(2);
    expect(s.run(['contact', 'find']).code).toBe(2);
  });
});

describe('contact set (rectification)', () => {
  it('writes what an import would write, bumps updated_at so validation re-runs, and audits without the values', () => {
    const s = freshStore();
    const uid = s.uid(ANA.email);
    const before = queryStore<{ updated_at: string }>(s.db, 'SELECT updated_at FROM contacts WHERE uid = ?', uid)[0]!;
    const result = s.run(['contact', 'set', uid, 'email=  Ana.Neves@Example.org ', 'last_name=Neves', 'mobile=07 81 22 33 45', 'birth_date=14/07/1985']);
    expect(result.code).toBe(0);
    const after = queryStore<Record<string, string>>(s.db, 'SELECT * FROM contacts WHERE uid = ?', uid)[0]!;
    expect(after).toMatchObject({ email: 'Ana.Neves@Example.org', email_norm: 'ana.neves@example.org', last_name: 'Neves', mobile_digits: '0781223345', birth_date: '1985-07-14' });
    expect(after.updated_at > before.updated_at).toBe(true);
    expect(after.validated_at < after.updated_at).toBe(true);
    expect(s.run(['-q', 'validate']).code).toBe(0);
    expect(queryStore<{ mobile_e164: string }>(s.db, 'SELECT mobile_e164 FROM contacts WHERE uid = ?', uid)[0]!.mobile_e164).toBe('+33781223345');
    const audit = JSON.parse(s.run(['--json', 'audit', '--uid', uid]).stdout) as Array<Record<string, any>>;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'contact.set', uids: [uid], details: { fields: ['email', 'last_name', 'mobile', 'birth_date'] } });
    expect(JSON.stringify(audit)).not.toMatch(/neves|0781|1985/i);
  });

  it('refuses a value the field rules call an error (exit 2, nothing changed, no entry) unless --force', () => {
    const s = freshStore();
    const uid = s.uid(ANA.email);
    const snapshot = JSON.stringify(queryStore(s.db, 'SELECT * FROM contacts ORDER BY id'));
    const refused = s.run(['contact', 'set', uid, 'email=ana.example.org', 'city=Albi']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('email: no @ in the address');
    expect(s.run(['contact', 'set', uid, 'birth_date=31/02/1980']).code).toBe(2);
    expect(s.run(['contact', 'set', uid, 'uid=x']).code).toBe(2);
    expect(JSON.stringify(queryStore(s.db, 'SELECT * FROM contacts ORDER BY id'))).toBe(snapshot);
    expect(queryStore(s.db, "SELECT * FROM audit_log WHERE action NOT IN ('import', 'score')")).toEqual([]);
    expect(s.run(['contact', 'set', uid, 'email=ana.example.org', '--force']).code).toBe(3);
    expect(queryStore<{ email: string }>(s.db, 'SELECT email FROM contacts WHERE uid = ?', uid)[0]!.email).toBe('ana.example.org');
  });
});

describe('contact tag and untag', () => {
  it('tags one contact or every contact --where selects; a dry run changes nothing', () => {
    const s = freshStore();
    const uid = s.uid(ANA.email);
    const tags = (email: string): string[] => JSON.parse(queryStore<{ tags: string }>(s.db, 'SELECT tags FROM contacts WHERE email_norm = ?', email)[0]!.tags) as string[];
    expect(s.run(['contact', 'tag', uid, 'vip,jazz']).code).toBe(0);
    expect(tags(ANA.email)).toEqual(['vip', 'jazz']);
    expect(s.run(['contact', 'untag', ANA.email, 'VIP']).code).toBe(0);
    expect(tags(ANA.email)).toEqual(['jazz']);
    const dry = s.run(['--json', 'contact', 'tag', '--where', "postal_code = '67000'", 'est', '--dry-run']);
    expect(JSON.parse(dry.stdout)).toMatchObject({ selected: 1, changed: 1, dry_run: true });
    expect(tags(BRUNO.email)).toEqual([]);
    expect(s.run(['contact', 'tag', '--where', "postal_code = '67000'", 'est']).code).toBe(0);
    expect(tags(BRUNO.email)).toEqual(['est']);
    expect(s.run(['contact', 'tag', '--where', 'postal_code = ', 'x']).code).toBe(2);
    expect(JSON.parse(s.run(['--json', 'audit', '--action', 'contact']).stdout).map((r: { action: string }) => r.action)).toEqual(['contact.tag', 'contact.untag', 'contact.tag']);
  });
});

describe('gdpr consent', () => {
  it('adds to the history (never overwrites) and a withdrawn person leaves the export', () => {
    const s = freshStore();
    const exported = (name: string): string => {
      expect(s.run(['-q', 'export', '--channel', 'sms', '--out', name]).code).toBe(0);
      return fs.readFileSync(path.join(s.dir, name), 'utf8');
    };
    expect(exported('before.csv')).toContain(ANA.e164);
    const history = (): unknown[] => queryStore(s.db, "SELECT id, status, recorded_at, source, proof FROM consents WHERE channel = 'sms' ORDER BY id");
    const old = history();
    const result = s.run(['gdpr', 'consent', ANA.email, '--channel', 'sms', '--withdraw', '--source', 'phone call', '--proof', 'ticket 4521']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('sms withdrawn (was granted)');
    const now = history();
    expect(now.slice(0, old.length)).toEqual(old);
    expect(now[now.length - 1]).toMatchObject({ status: 'withdrawn', source: 'phone call', proof: 'ticket 4521' });
    const after = exported('after.csv');
    expect(after).not.toContain(ANA.e164);
    expect(after).toContain(BRUNO.e164);
    expect(s.run(['gdpr', 'consent', ANA.email, '--channel', 'sms', '--grant', '--source', 'web form']).code).toBe(0);
    expect(exported('again.csv')).toContain(ANA.e164);
  });

  it('refuses incomplete or contradictory flags (exit 2) and unknown people (exit 1)', () => {
    const s = freshStore();
    expect(s.run(['gdpr', 'consent', ANA.email, '--channel', 'fax', '--grant', '--source', 'x']).code).toBe(2);
    expect(s.run(['gdpr', 'consent', ANA.email, '--channel', 'sms', '--grant', '--withdraw', '--source', 'x']).code).toBe(2);
    expect(s.run(['gdpr', 'consent', ANA.email, '--channel', 'sms', '--grant']).code).toBe(2);
    expect(s.run(['gdpr', 'consent', 'nobody@example.org', '--channel', 'sms', '--grant', '--source', 'x']).code).toBe(1);
  });
});

describe('gdpr access', () => {
  it('gives every row about the person, in every format, with nobody else\'s data, in a 0600 file', () => {
    const s = freshStore();
    const anaUid = s.uid(ANA.email);
    const brunoUid = s.uid(BRUNO.email);
    expect(s.run(['-q', 'gdpr', 'consent', anaUid, '--channel', 'post', '--grant', '--source', 'paper form']).code).toBe(0);
    expect(s.run(['-q', 'contact', 'tag', '--where', "email contains 'example'", 'everyone']).code).toBe(0);
    expect(s.run(['-q', 'contact', 'set', brunoUid, 'city=Colmar']).code).toBe(0);
    for (const file of ['ana.json', 'ana.csv', 'ana.html']) {
      expect(s.run(['gdpr', 'access', ANA.email, '--out', file]).code).toBe(0);
      const full = path.join(s.dir, file);
      expect(fs.statSync(full).mode & 0o777).toBe(0o600);
      const text = fs.readFileSync(full, 'utf8');
      for (const value of personal(ANA)) expect(text, `${file} holds ${value}`).toContain(file.endsWith('.html') ? value.replace(/'/g, '&#39;') : value);
      for (const value of [...personal(BRUNO), brunoUid, 'Colmar', 'Hifi', 'B-1']) expect(text, `${file} must not hold ${value}`).not.toContain(value);
    }
    const bundle = JSON.parse(fs.readFileSync(path.join(s.dir, 'ana.json'), 'utf8')) as { format: string; version: number; subject: { uid: string }; tables: Record<string, Array<Record<string, unknown>>> };
    expect(bundle).toMatchObject({ format: 'custkit-access', version: 1, subject: { uid: anaUid } });
    const counts = Object.fromEntries(Object.entries(bundle.tables).map(([k, v]) => [k, v.length]));
    expect(counts).toMatchObject({ contacts: 1, consents: 3, purchases: 2, scores: 1 });
    // The entries about Ana: the consent, the tag run named her by count only (not in it), and
    // the access itself is recorded after the bundle is built.
    expect(bundle.tables.audit_log!.map((a) => a.action)).toEqual(['gdpr.consent']);
    expect(s.run(['gdpr', 'access', ANA.email, '--out', 'ana.txt']).code).toBe(2);
    expect(JSON.parse(s.run(['--json', 'audit', '--uid', anaUid]).stdout).map((a: { action: string }) => a.action)).toEqual(['gdpr.consent', 'gdpr.access', 'gdpr.access', 'gdpr.access']);
  });
});

describe('the audit trail', () => {
  it('holds no name, email or phone after every command that writes it', () => {
    const s = freshStore();
    const anaUid = s.uid(ANA.email);
    for (const args of [
      ['contact', 'set', anaUid, `last_name=${BRUNO.last}`, 'mobile=06 99 88 77 66'],
      ['contact', 'tag', ANA.email, 'jazz'],
      ['contact', 'tag', '--where', `email = '${BRUNO.email}'`, 'pro'],
      ['gdpr', 'consent', BRUNO.mobile, '--channel', 'sms', '--withdraw', '--source', `call with ${BRUNO.first}`, '--proof', BRUNO.email],
      ['gdpr', 'access', BRUNO.email, '--out', `${BRUNO.last}.json`],
    ]) expect(s.run(['-q', ...args]).code, args.join(' ')).toBe(0);
    const log = JSON.stringify(queryStore(s.db, 'SELECT * FROM audit_log')) + JSON.stringify(queryStore(s.db, 'SELECT * FROM audit_targets'));
    expect(queryStore(s.db, "SELECT * FROM audit_log WHERE action LIKE 'contact.%' OR action LIKE 'gdpr.%'")).toHaveLength(5);
    for (const value of [...personal(ANA).slice(0, 4), ...personal(BRUNO).slice(0, 4), '06 11', '0755', '06 99', 'call with']) expect(log, value).not.toContain(value);
    const text = s.run(['audit']).stdout;
    expect(text).toContain('gdpr.consent');
    expect(text).not.toContain(BRUNO.email);
  });

  it('has an entry for each writing command wired to it, in the transaction of its change', () => {
    const s = freshStore();
    expect(s.run(['-q', 'clean', '--fix']).code).toBe(0);
    expect(s.run(['-q', 'export', '--out', 'list.csv']).code).toBe(0);
    expect(s.run(['-q', 'suppress', '--import', fixture('unsubscribed-mailchimp.csv')]).code).toBe(3);
    expect(s.run(['-q', 'dedupe', '--apply']).code).toBe(0);
    const entries = JSON.parse(s.run(['--json', 'audit']).stdout) as Array<{ action: string; counts: Record<string, number> }>;
    expect(entries.map((e) => e.action)).toEqual(['import', 'import', 'score', 'clean.fix', 'export', 'suppress.import', 'dedupe.apply']);
    expect(entries[0]!.counts).toMatchObject({ rows: 2, inserted: 2, rejected: 0 });
    expect(entries[2]!.counts).toMatchObject({ customers: 2, prospects: 0 });
    expect(entries[4]!.counts).toMatchObject({ rows: 2 });
  });
});
