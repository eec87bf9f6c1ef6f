import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { tempDir } from '../helpers/cli.js';
import { openStore, type Db } from '../../src/store/db.js';
import { clean } from '../../src/validate/clean.js';
import { fieldFixes } from '../../src/validate/clean-fixes.js';
import { CLEAN_RULES } from '../../src/validate/clean-rules.js';
import { ensureValidated, staleCount } from '../../src/validate/ensure.js';
import { buildReport, reportFromParts, reportPart } from '../../src/validate/report.js';
import { undoRun } from '../../src/validate/undo.js';
import { addConsent, addPurchase, seedContacts } from './seed.js';

function store(): Db {
  const dir = tempDir('custkit-clean-');
  return openStore(path.join(dir, 'test.db'));
}

const messy = [
  { first_name: 'JEAN', last_name: 'DUPONT', email: ' Jean.Dupont@Orange.FR ', phone: '06 12 34 56 78', postal_code: '1000', city: 'Bourg', address_line1: '1 rue A', country: 'France', civility: 'Mlle' },
  { first_name: 'Anne', last_name: 'Martin', email: 'anne@gmial.com', mobile: '07.81.22.33.44', country: 'FR', created_at: '2020-01-01' },
  { first_name: 'Paul', last_name: 'Bernard', email: 'paul@free.fr', phone: '+33142685300', postal_code: '75002', city: 'Paris', address_line1: '2 rue B', country: 'FR', created_at: '2019-05-01' },
];

const flags = {};
const row = (db: Db, id: number) => db.prepare('SELECT * FROM contacts WHERE id = ?').get(id) as Record<string, unknown>;

describe('ensureValidated', () => {
  it('validates new and changed contacts only, and never touches raw values or updated_at', () => {
    const db = store();
    const [a] = seedContacts(db, messy);
    expect(staleCount(db)).toBe(3);
    expect(ensureValidated(db, { today: '2026-06-15' })).toBe(3);
    expect(ensureValidated(db, { today: '2026-06-15' })).toBe(0);
    expect(row(db, a!)).toMatchObject({ email: ' Jean.Dupont@Orange.FR ', updated_at: '2025-01-01T00:00:00.000Z', phone_e164: '+33612345678' });
    db.prepare("UPDATE contacts SET phone = '01 42 68 53 00', updated_at = ? WHERE id = ?").run(new Date().toISOString(), a);
    expect(ensureValidated(db)).toBe(1);
    expect(row(db, a!)).toMatchObject({ phone_e164: '+33142685300', phone_type: 'fixed' });
    // another default country makes every stored verdict stale
    expect(ensureValidated(db, { defaultCountry: 'BE' })).toBe(3);
  });

  it('a large run cut short leaves the store as it was: nothing validated, every index there', () => {
    const db = store();
    const ids = seedContacts(db, Array.from({ length: 50_000 }, (_, i) => ({ last_name: 'Roux', phone: `06 12 34 ${String(i % 100).padStart(2, '0')} 78` })));
    const indexes = () => db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name").all();
    const before = indexes();
    db.exec(`CREATE TRIGGER cut_short BEFORE UPDATE OF validated_at ON contacts WHEN NEW.id = ${ids[ids.length - 1]} BEGIN SELECT RAISE(ABORT, 'cut short'); END`);
    expect(() => ensureValidated(db, { workers: 0 })).toThrow(/cut short/);
    expect(db.prepare('SELECT count(*) FROM contacts WHERE validated_at IS NOT NULL OR phone_e164 IS NOT NULL').pluck().get()).toBe(0);
    expect(indexes()).toEqual(before);
    db.exec('DROP TRIGGER cut_short');
    expect(ensureValidated(db, { workers: 0 })).toBe(50_000);
    expect(staleCount(db)).toBe(0);
  });
});

describe('clean', () => {
  it('a dry run counts and shows changes but writes nothing', () => {
    const db = store();
    seedContacts(db, messy);
    const result = clean(db, { fix: false, fixTypos: false, flags });
    const byRule = Object.fromEntries(result.rules.map((r) => [r.rule, r.count]));
    expect(byRule).toMatchObject({ 'email-format': 1, 'email-typo': 1, 'phone-e164': 1, 'mobile-e164': 1, 'postal-code': 1, 'country-code': 1, 'first-name': 1, 'last-name': 1, civility: 1, 'gender-from-civility': 1 });
    expect(result.rules.find((r) => r.rule === 'email-typo')!.applies).toBe(false);
    expect(result.rules.find((r) => r.rule === 'postal-code')!.examples[0]).toMatchObject({ before: '1000', after: '01000' });
    expect(db.prepare("SELECT count(*) AS n FROM contacts WHERE updated_at <> '2025-01-01T00:00:00.000Z'").get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT count(*) AS n FROM clean_changes').get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT count(*) AS n FROM clean_fixes').get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT mode FROM clean_runs').all()).toEqual([{ mode: 'dry-run' }]);
  });

  it('--fix writes normalised values, bumps updated_at, keeps validation fresh, and a second run changes nothing', () => {
    const db = store();
    const [a, b] = seedContacts(db, messy);
    const first = clean(db, { fix: true, fixTypos: false, flags });
    expect(first.contactsChanged).toBe(2); // Paul's values are already in shape
    expect(row(db, a!)).toMatchObject({ email: 'Jean.Dupont@orange.fr', email_norm: 'jean.dupont@orange.fr', phone: '+33612345678', phone_digits: '+33612345678', postal_code: '01000', country: 'FR', first_name: 'Jean', last_name: 'Dupont', civility: 'Mme', gender: 'female' });
    expect(row(db, b!)).toMatchObject({ email: 'anne@gmial.com', mobile: '+33781223344' });
    expect(row(db, a!).updated_at).not.toBe('2025-01-01T00:00:00.000Z');
    expect(staleCount(db)).toBe(0);
    const second = clean(db, { fix: true, fixTypos: false, flags });
    expect(second.contactsChanged).toBe(0);
    expect(second.rules.every((r) => r.count === 0)).toBe(true);
  });

  it('treats a cell of spaces as empty: no default country written, gender filled from the civility', () => {
    const db = store();
    const [a] = seedContacts(db, [{ last_name: 'Blanc', country: '   ', gender: '  ', civility: 'M.' }]);
    const plan = Object.fromEntries(clean(db, { fix: false, fixTypos: false, flags }).rules.map((r) => [r.rule, r.count]));
    expect(plan).toMatchObject({ 'country-code': 0, 'gender-format': 0, 'gender-from-civility': 1 });
    const fixed = clean(db, { fix: true, fixTypos: false, flags });
    expect(Object.fromEntries(fixed.rules.map((r) => [r.rule, r.count]))).toMatchObject({ 'country-code': 0, 'gender-format': 0, 'gender-from-civility': 1 });
    expect(row(db, a!)).toMatchObject({ country: '   ', gender: 'male' });
    // foreign-key checks, off for the fix, are on again afterwards
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
  });

  it('--fix-typos applies the suggestion, revalidates, and --undo puts everything back', () => {
    const db = store();
    const [, b] = seedContacts(db, messy);
    const before = db.prepare('SELECT id, email, phone, mobile, postal_code, country, first_name, civility, gender FROM contacts ORDER BY id').all();
    const run = clean(db, { fix: true, fixTypos: true, flags });
    expect(row(db, b!)).toMatchObject({ email: 'anne@gmail.com', email_valid: 1, email_suggestion: null });
    const undone = undoRun(db, run.runId);
    expect(undone.skipped).toBe(0);
    expect(db.prepare('SELECT id, email, phone, mobile, postal_code, country, first_name, civility, gender FROM contacts ORDER BY id').all()).toEqual(before);
    expect(row(db, b!)).toMatchObject({ email_valid: 0, email_norm: 'anne@gmial.com' });
    expect(() => undoRun(db, run.runId)).toThrow(/already undone/);
  });

  it('keeps one row of changes per contact, and --undo restores them, leaving values changed since alone', () => {
    const db = store();
    const [a, b, c] = seedContacts(db, messy);
    const before = db.prepare('SELECT * FROM contacts ORDER BY id').all() as Array<Record<string, unknown>>;
    const run = clean(db, { fix: true, fixTypos: false, flags });
    const fixes = db.prepare('SELECT contact_id, rules, phone_old, phone_new, country_old, country_new, gender_old, gender_new FROM clean_fixes WHERE run_id = ? ORDER BY id').all(run.runId) as Array<Record<string, unknown>>;
    expect(fixes.map((f) => f.contact_id)).toEqual([a, b]);
    expect(fixes[0]).toMatchObject({ phone_old: '06 12 34 56 78', phone_new: '+33612345678', country_old: 'France', country_new: 'FR', gender_old: null, gender_new: 'female' });
    expect(fixes[1]).toMatchObject({ phone_old: null, phone_new: null, country_old: null, country_new: null });
    expect(JSON.parse((db.prepare('SELECT fix_rules FROM clean_runs WHERE id = ?').pluck().get(run.runId) as string))).toEqual(run.rules.map((r) => r.rule));
    expect(db.prepare('SELECT count(*) FROM clean_changes').pluck().get()).toBe(0);
    // undo reads them a page at a time, newest contact first
    const names = run.rules.map((r) => r.rule);
    const fieldOf = (name: string) => CLEAN_RULES.find((r) => r.name === name)!.field;
    const paged = [...fieldFixes(db, run.runId, names, fieldOf, 1)];
    expect(paged).toEqual([...fieldFixes(db, run.runId, names, fieldOf)]);
    expect(paged.map((f) => f.contactId)).toEqual([b, ...Array(paged.length - 1).fill(a)]);
    // a value changed after the fix is not the run's to put back
    db.prepare("UPDATE contacts SET phone = '01 42 68 53 00' WHERE id = ?").run(a);
    const undone = undoRun(db, run.runId);
    const changed = run.rules.reduce((sum, r) => sum + r.count, 0);
    expect(undone).toMatchObject({ restored: changed - 1, skipped: 1 });
    const after = db.prepare('SELECT * FROM contacts ORDER BY id').all() as Array<Record<string, unknown>>;
    const raw = ['email', 'email_norm', 'mobile', 'postal_code', 'country', 'first_name', 'last_name', 'civility', 'gender'];
    for (const [i, id] of [a, b, c].entries()) {
      expect(after[i], `contact ${id}`).toMatchObject(Object.fromEntries(raw.map((k) => [k, before[i]![k]])));
    }
    expect(after[0]).toMatchObject({ phone: '01 42 68 53 00', phone_e164: '+33142685300' });
    expect(after[1]).toMatchObject({ mobile_digits: '0781223344' }); // the key import derives from the restored value
    const undoRunRow = db.prepare('SELECT counts, contacts_changed FROM clean_runs WHERE id = ?').get(undone.runId) as { counts: string; contacts_changed: number };
    expect(undoRunRow.contacts_changed).toBe(2);
    expect(JSON.parse(undoRunRow.counts)).toMatchObject({ 'country-code': 1, 'gender-from-civility': 1, 'mobile-e164': 1 });
  });

  it('records every change it writes, also when a rule cannot tell (an email_valid left empty by hand)', () => {
    const db = store();
    const [a] = seedContacts(db, [{ last_name: 'Petit', email: 'A@Free.FR', phone: '06 12 34 56 78' }]);
    ensureValidated(db);
    db.prepare('UPDATE contacts SET email_valid = NULL WHERE id = ?').run(a);
    const run = clean(db, { fix: true, fixTypos: false, flags });
    expect(row(db, a!)).toMatchObject({ email: 'A@Free.FR', phone: '+33612345678' });
    expect(run.rules.find((r) => r.rule === 'phone-e164')!.count).toBe(1);
    expect(run.rules.find((r) => r.rule === 'email-format')!.count).toBe(0);
    expect(undoRun(db, run.runId)).toMatchObject({ skipped: 0 });
    expect(row(db, a!)).toMatchObject({ phone: '06 12 34 56 78' });
  });

  it('--undo puts back a fix that also flagged inactive contacts, and counts each contact once', () => {
    const db = store();
    const [a, b] = seedContacts(db, messy);
    const before = db.prepare('SELECT id, email, phone, mobile, postal_code, country, first_name, civility, gender, tags, status FROM contacts ORDER BY id').all();
    const run = clean(db, { fix: true, fixTypos: false, inactive: { cutoff: '2023-06-15', action: 'flag' }, flags });
    expect(run.inactive!.count).toBe(2);
    expect(row(db, b!)).toMatchObject({ tags: '["inactive"]', mobile: '+33781223344' });
    expect(run.contactsChanged).toBe(3); // a and b have rule changes, b and c the flag: each counted once
    expect(undoRun(db, run.runId).skipped).toBe(0);
    expect(db.prepare('SELECT id, email, phone, mobile, postal_code, country, first_name, civility, gender, tags, status FROM contacts ORDER BY id').all()).toEqual(before);
    expect(row(db, a!).country).toBe('France');
  });

  it('--undo revalidates what it restores even within the millisecond of the fix', () => {
    const db = store();
    const [, b] = seedContacts(db, messy);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(new Date('2026-06-15T10:00:00.000Z'));
      const run = clean(db, { fix: true, fixTypos: true, flags });
      expect(row(db, b!)).toMatchObject({ email: 'anne@gmail.com', email_valid: 1 });
      undoRun(db, run.runId);
      expect(row(db, b!)).toMatchObject({ email: 'anne@gmial.com', email_valid: 0, email_suggestion: 'anne@gmail.com' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('--undo still restores a fix run recorded value by value (before clean_fixes)', () => {
    const db = store();
    const [a] = seedContacts(db, [{ last_name: 'Durand', phone: '+33612345678', country: 'FR', gender: 'male' }]);
    const run = Number(db.prepare("INSERT INTO clean_runs (started_at, mode, options, counts) VALUES ('2025-02-01', 'fix', '{}', '{}')").run().lastInsertRowid);
    const change = db.prepare('INSERT INTO clean_changes (run_id, contact_id, rule, field, old_value, new_value) VALUES (?, ?, ?, ?, ?, ?)');
    change.run(run, a, 'phone-e164', 'phone', '06 12 34 56 78', '+33612345678');
    change.run(run, a, 'country-code', 'country', 'France', 'FR');
    change.run(run, a, 'gender-from-civility', 'gender', null, 'male');
    expect(undoRun(db, run)).toMatchObject({ restored: 3, skipped: 0 });
    expect(row(db, a!)).toMatchObject({ phone: '06 12 34 56 78', phone_digits: '0612345678', country: 'France', gender: null, phone_e164: '+33612345678' });
  });

  it('a fix that fails writes nothing: no run, no recorded change, contacts as they were', () => {
    const db = store();
    seedContacts(db, messy);
    ensureValidated(db);
    const before = db.prepare('SELECT * FROM contacts ORDER BY id').all();
    db.exec("CREATE TRIGGER fail_fix BEFORE UPDATE OF counts ON clean_runs BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    expect(() => clean(db, { fix: true, fixTypos: true, inactive: { cutoff: '2023-06-15', action: 'flag' }, flags })).toThrow(/disk full/);
    expect(db.prepare('SELECT * FROM contacts ORDER BY id').all()).toEqual(before);
    expect(db.prepare('SELECT (SELECT count(*) FROM clean_runs) + (SELECT count(*) FROM clean_fixes) + (SELECT count(*) FROM clean_changes)').pluck().get()).toBe(0);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.exec('DROP TRIGGER fail_fix');
    expect(clean(db, { fix: true, fixTypos: false, flags }).contactsChanged).toBe(2);
  });

  it('--inactive-since flags or removes contacts with no recent purchase, activity or creation', () => {
    const db = store();
    const [, b, c] = seedContacts(db, messy);
    addPurchase(db, c!, 'CMD-1', '2026-01-10');
    const flagged = clean(db, { fix: true, fixTypos: false, inactive: { cutoff: '2023-06-15', action: 'flag' }, flags });
    expect(flagged.inactive).toMatchObject({ count: 1, undated: 1 });
    expect(row(db, b!)).toMatchObject({ tags: '["inactive"]', status: 'active' });
    expect(clean(db, { fix: true, fixTypos: false, inactive: { cutoff: '2023-06-15', action: 'flag' }, flags }).inactive!.count).toBe(0);
    const removed = clean(db, { fix: true, fixTypos: false, inactive: { cutoff: '2023-06-15', action: 'remove' }, flags });
    expect(removed.inactive!.count).toBe(1);
    expect(row(db, b!).status).toBe('inactive');
    expect(row(db, c!).status).toBe('active');
  });
});

describe('buildReport', () => {
  it('counts fields, issues, required fields, reachability and completeness', () => {
    const db = store();
    const [a, b, c] = seedContacts(db, [...messy, { first_name: 'Vide' }]);
    addConsent(db, a!, 'email', 'granted');
    addConsent(db, c!, 'email', 'granted', '2024-01-01');
    addConsent(db, c!, 'email', 'withdrawn', '2025-01-01');
    addConsent(db, b!, 'sms', 'granted');
    ensureValidated(db);
    const report = buildReport(db, 'email|phone|address');
    expect(report.contacts).toBe(4);
    expect(report.fields.find((f) => f.field === 'email')).toMatchObject({ filled: 3, valid: 2, invalid: 1, empty: 1 });
    const typo = report.fields.find((f) => f.field === 'email')!.issues[0]!;
    expect(typo).toMatchObject({ code: 'domain_typo', count: 1, severity: 'error' });
    expect(typo.examples).toHaveLength(1);
    expect(report.required.failing).toBe(1);
    expect(report.reachable.email.count).toBe(1); // c withdrew
    expect(report.reachable.sms.count).toBe(1);
    expect(report.reachable.post.count).toBe(2);
    expect(report.completeness.reduce((sum, b2) => sum + b2.count, 0)).toBe(4);
  });

  it('gives the same report from consecutive id ranges as from one pass', () => {
    const db = store();
    const many = Array.from({ length: 12 }, (_, i) => ({ ...messy[i % messy.length]!, email: i % 4 === 0 ? `x${i}@gmial.com` : `p${i}@free.fr` }));
    const ids = seedContacts(db, [...many, { first_name: 'Vide' }, { phone: '06 00 00 00 00' }]);
    addConsent(db, ids[1]!, 'email', 'granted');
    addConsent(db, ids[5]!, 'sms', 'granted');
    ensureValidated(db);
    const whole = buildReport(db, 'email|phone|address');
    for (const middle of [ids[0]!, ids[3]!, ids[8]!, ids[ids.length - 1]!]) {
      const parts = [reportPart(db, 'email|phone|address', [0, middle]), reportPart(db, 'email|phone|address', [middle, Number.MAX_SAFE_INTEGER])];
      expect(reportFromParts(db, parts, 'email|phone|address')).toEqual(whole);
    }
  });
});
