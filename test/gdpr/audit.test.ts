import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';
import { listAudit, maskCommand, recordAudit } from '../../src/gdpr/audit.js';

const UID = '01a24de0-f320-7000-a1a6-e9746cfea166';

describe('maskCommand', () => {
  it('masks emails, phones, names, proofs and file names, keeps flags, command words, uids and ids', () => {
    expect(maskCommand(['gdpr', 'consent', 'ana@example.org', '--channel', 'email', '--withdraw', '--source', 'call with Ana', '--proof', 'ticket 12']))
      .toBe('custkit gdpr consent *** --channel email --withdraw --source *** --proof ***');
    expect(maskCommand(['contact', 'set', UID, 'last_name=Ferreira', 'email=', '--force'])).toBe(`custkit contact set ${UID} last_name=*** email=*** --force`);
    expect(maskCommand(['contact', 'show', '06 11 22 33 44'])).toBe('custkit contact show ***');
    expect(maskCommand(['contact', 'show', '0611223344'])).toBe('custkit contact show ***');
    expect(maskCommand(['contact', 'find', '--name', 'show', '--postal-code=31000'])).toBe('custkit contact find --name *** --postal-code=***');
    expect(maskCommand(['gdpr', 'access', UID, '--out', 'ana-ferreira.json'])).toBe(`custkit gdpr access ${UID} --out ***.json`);
    expect(maskCommand(['--db', 'shop.db', 'unmerge', '12'])).toBe('custkit --db shop.db unmerge 12');
    expect(maskCommand(['export', '--where', "email = 'ana@example.org'", '--channel=sms'])).toBe('custkit export --where *** --channel=sms');
  });
});

describe('the audit log', () => {
  it('records entries with their uids, and filters by date, uid and action (stage prefix)', () => {
    const db = openStore(':memory:');
    const other = '01a24de0-f320-7000-a1a6-000000000000';
    recordAudit(db, { action: 'contact.set', uids: [UID], details: { fields: ['email'] }, command: 'custkit contact set x' });
    recordAudit(db, { action: 'contact.tag', uids: [other, other], counts: { changed: 1 }, command: 'custkit contact tag y' });
    recordAudit(db, { action: 'gdpr.consent', uids: [UID], command: 'custkit gdpr consent z' });
    recordAudit(db, { action: 'contactless', command: 'custkit x' });
    expect(listAudit(db).map((r) => r.action)).toEqual(['contact.set', 'contact.tag', 'gdpr.consent', 'contactless']);
    expect(listAudit(db, { uid: UID }).map((r) => r.action)).toEqual(['contact.set', 'gdpr.consent']);
    expect(listAudit(db, { action: 'contact' }).map((r) => r.action)).toEqual(['contact.set', 'contact.tag']);
    expect(listAudit(db, { action: 'contact.tag' })[0]).toMatchObject({ targets: 1, uids: [other], counts: { changed: 1 } });
    expect(listAudit(db, { since: '2999-01-01' })).toEqual([]);
    expect(listAudit(db, { limit: 1 }).map((r) => r.action)).toEqual(['contactless']);
    expect(listAudit(db)[0]!.os_user).toBeTruthy();
  });

  it('is written in the transaction of the change: a rollback leaves no entry', () => {
    const db = openStore(':memory:');
    expect(() =>
      db.transaction(() => {
        recordAudit(db, { action: 'contact.set', uids: [UID] });
        throw new Error('the change failed');
      })(),
    ).toThrow('the change failed');
    expect(listAudit(db)).toEqual([]);
  });
});
