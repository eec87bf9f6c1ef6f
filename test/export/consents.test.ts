import { describe, expect, it } from 'vitest';
import { ASK, GRANTED, NO_CONSENT, readConsents, WITHDRAWN } from '../../src/export/consents.js';
import { mulberry32 as rng } from '../../bench/random.js';
import { addConsent, addContact, makeStore } from './store.js';

describe('consents read in bulk', () => {
  it('gives each contact its latest row by (recorded_at, id), whatever the order rows were added in', () => {
    const { db } = makeStore();
    const none = addContact(db, {});
    const one = addContact(db, {});
    addConsent(db, one, 'email', 'granted');
    const later = addContact(db, {});
    addConsent(db, later, 'email', 'granted', '2025-03-01 00:00:00');
    addConsent(db, later, 'email', 'withdrawn', '2025-01-01 00:00:00');
    const tie = addContact(db, {});
    addConsent(db, tie, 'email', 'granted', '2025-03-01 00:00:00');
    addConsent(db, tie, 'email', 'withdrawn', '2025-03-01 00:00:00'); // same instant: the higher id wins
    const otherChannel = addContact(db, {});
    addConsent(db, otherChannel, 'sms', 'granted');
    const keep = new Uint8Array(otherChannel + 1);
    keep[later] = 1;
    const table = readConsents(db, 'email', keep)!;
    expect([...table.states.subarray(none, otherChannel + 1)]).toEqual([NO_CONSENT, GRANTED, GRANTED, WITHDRAWN, NO_CONSENT]);
    expect([...table.latest.keys()]).toEqual([later]);
    expect(table.latest.get(later)!.at).toBe('2025-03-01 00:00:00');
  });

  it('leaves to the exact rule what it does not compare: non-text or non-ASCII times', () => {
    const { db } = makeStore();
    const blob = addContact(db, {});
    addConsent(db, blob, 'email', 'granted');
    db.prepare("INSERT INTO consents (contact_id, channel, status, recorded_at) VALUES (?, 'email', 'withdrawn', x'32303236')").run(blob);
    const accented = addContact(db, {});
    addConsent(db, accented, 'email', 'granted', '2025-01-01 00:00:00');
    addConsent(db, accented, 'email', 'withdrawn', '2025-01-01 é');
    const single = addContact(db, {});
    addConsent(db, single, 'email', 'granted', '1er janvier');
    const table = readConsents(db, 'email', new Uint8Array(single + 1))!;
    expect([...table.states.subarray(blob, single + 1)]).toEqual([ASK, ASK, GRANTED]);
    // Rows that all say the same settle the contact whatever their times: no second read.
    const same = addContact(db, {});
    addConsent(db, same, 'email', 'granted', '1er janvier 🎉');
    addConsent(db, same, 'email', 'granted', '2025-01-01 00:00:00');
    expect(readConsents(db, 'email', new Uint8Array(same + 1))!.states[same]).toBe(GRANTED);
    // A character outside the BMP in a row read again: SQLite and JavaScript count its length
    // differently, so the whole read is given up (the export then decides every row by the exact rule).
    addConsent(db, single, 'email', 'withdrawn', '1er janvier 🎉');
    expect(readConsents(db, 'email', new Uint8Array(same + 1))).toBeNull();
  });

  it('agrees with SQL on random histories', () => {
    const { db } = makeStore();
    const random = rng(7);
    const dates = ['2025-01-01 00:00:00', '2025-01-01 00:00:01', '2025-02-01 00:00:00', '2025-02-01'];
    const ids: number[] = [];
    for (let i = 0; i < 300; i++) {
      const id = addContact(db, {});
      ids.push(id);
      for (let k = Math.floor(random() * 4); k > 0; k--) {
        addConsent(db, id, random() < 0.8 ? 'email' : 'post', random() < 0.6 ? 'granted' : 'withdrawn', dates[Math.floor(random() * dates.length)]);
      }
    }
    const latest = db.prepare("SELECT status FROM consents WHERE contact_id = ? AND channel = 'email' ORDER BY recorded_at DESC, id DESC LIMIT 1").pluck();
    const table = readConsents(db, 'email', new Uint8Array(ids.at(-1)! + 1).fill(1))!;
    for (const id of ids) {
      const status = latest.get(id) as string | undefined;
      expect(table.states[id]).toBe(status === undefined ? NO_CONSENT : status === 'granted' ? GRANTED : WITHDRAWN);
    }
  });
});
