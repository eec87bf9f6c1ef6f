/**
 * Property-based tests (fast-check) of the promises the store makes whatever the data: importing the same
 * file again changes nothing; clean --fix followed by its undo gives back every value; dedupe --apply
 * followed by unmerge gives back the store; an export never lists a suppressed address or one whose
 * latest consent for the channel is not a grant. Commands run in-process through the CLI's own run().
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import type { Streams } from '../../src/cli/context.js';
import { openStore } from '../../src/store/db.js';
import { tempDir } from '../helpers/cli.js';
import { storeContent } from '../helpers/dedupe-store.js';
import { addConsent, addContact, makeStore } from '../export/store.js';
import { exportJsonl } from '../export/run.js';
import { addSuppression, type SuppressionKind } from '../../src/export/suppressions.js';

async function custkit(db: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { text: '', isTTY: false, write(t: string | Uint8Array): boolean { this.text += String(t); return true; } };
  const err = { text: '', isTTY: false, write(t: string | Uint8Array): boolean { this.text += String(t); return true; } };
  const code = await run(['node', 'custkit', '--db', db, ...args], { stdout: out, stderr: err, env: { ...process.env, NO_COLOR: '1', CUSTKIT_DB: undefined } } as unknown as Streams);
  return { code, stdout: out.text, stderr: err.text };
}

const FIRST = ['Jean', 'Marie', 'Zoé', 'Anaïs', 'jean', 'JEAN ', 'Jean-Pierre', '', 'Ève'];
const LAST = ['Dupont', 'DUPONT', 'Le Goff', "N'Diaye", 'dupont ', 'Lefèvre', ''];
const EMAIL = ['jean.dupont@gmail.com', 'JEAN.DUPONT@GMAIL.COM', ' jean.dupont@gmail.com', 'marie@exemple.fr', 'marie@gmial.com', 'not an email', '', 'zoe@orange.fr'];
const PHONE = ['06 12 34 56 78', '+33612345678', '0612345678', '01 42 33 44 55', '12', '', '+44 20 7946 0958'];
const CITY = ['Paris', 'PARIS', 'paris ', 'Lyon', 'Saint-Étienne', ''];
const POSTAL = ['75011', '75 011', '7501', '69003', ''];

const contactRow = fc.record({
  first: fc.constantFrom(...FIRST), last: fc.constantFrom(...LAST), email: fc.constantFrom(...EMAIL), phone: fc.constantFrom(...PHONE),
  city: fc.constantFrom(...CITY), postal: fc.constantFrom(...POSTAL), birth: fc.constantFrom('12/03/1980', '1980-03-12', '31/02/1990', '', 'soon'),
  note: fc.string({ maxLength: 12 }),
});
type Row = typeof contactRow extends fc.Arbitrary<infer T> ? T : never;

function csv(rows: Row[]): string {
  const quote = (v: string): string => `"${v.replace(/"/g, '""')}"`;
  const lines = ['customer_id,first_name,last_name,email,phone,city,postal_code,birth_date,notes'];
  rows.forEach((r, i) => lines.push([`C${i}`, r.first, r.last, r.email, r.phone, r.city, r.postal, r.birth, r.note].map(quote).join(',')));
  return `${lines.join('\n')}\n`;
}

function freshStore(rows: Row[]): { db: string; file: string } {
  const dir = tempDir();
  const file = path.join(dir, 'contacts.csv');
  fs.writeFileSync(file, csv(rows));
  return { db: path.join(dir, 'p.db'), file };
}

/** Contacts as a person sees them, derived and bookkeeping columns aside. */
function userContent(db: string, exclude: RegExp = /^$/): string {
  const handle = openStore(db, { readonly: true });
  try {
    const rows = handle.prepare('SELECT * FROM contacts ORDER BY id').all() as Array<Record<string, unknown>>;
    return JSON.stringify(rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !exclude.test(k)))));
  } finally {
    handle.close();
  }
}

const RUNS = { numRuns: 12, endOnFailure: true };

describe('store properties', () => {
  it('re-importing the same file changes no contact', async () => {
    await fc.assert(fc.asyncProperty(fc.array(contactRow, { minLength: 1, maxLength: 25 }), async (rows) => {
      const { db, file } = freshStore(rows);
      const first = await custkit(db, ['import', file]);
      expect([0, 3]).toContain(first.code);
      const before = userContent(db);
      const again = await custkit(db, ['import', file, '--force']);
      expect(again.code).toBe(first.code);
      expect(userContent(db)).toBe(before);
    }), RUNS);
  }, 300_000);

  it('clean --fix then clean --undo gives every value back', async () => {
    let changed = 0;
    await fc.assert(fc.asyncProperty(fc.array(contactRow, { minLength: 1, maxLength: 25 }), async (rows) => {
      const { db, file } = freshStore(rows);
      await custkit(db, ['import', file]);
      // Validated first, so that the comparison is about what clean writes, not what validation caches.
      await custkit(db, ['validate']);
      const before = userContent(db, /^(updated_at|validated_at|validated_key)$/);
      const fix = await custkit(db, ['clean', '--fix', '--json']);
      expect([0, 3]).toContain(fix.code);
      const runs = JSON.parse((await custkit(db, ['clean', '--runs', '--json'])).stdout) as Array<{ id: number }> | { runs: Array<{ id: number }> };
      const list = Array.isArray(runs) ? runs : runs.runs;
      if (list.length === 0) return; // nothing to fix in this sample
      if (userContent(db, /^(updated_at|validated_at|validated_key)$/) !== before) changed++;
      const undo = await custkit(db, ['clean', '--undo', String(list[list.length - 1]!.id)]);
      expect(undo.code, undo.stderr).toBe(0);
      expect(userContent(db, /^(updated_at|validated_at|validated_key)$/)).toBe(before);
    }), RUNS);
    // The property was put to the test: most samples had values to fix.
    expect(changed).toBeGreaterThan(RUNS.numRuns / 2);
  }, 300_000);

  it('dedupe --apply then unmerge gives the store back', async () => {
    let merged = 0;
    const person = fc.record({ first: fc.constantFrom('Jean', 'Marie', 'Zoé'), last: fc.constantFrom('Dupont', 'Lefèvre'), n: fc.integer({ min: 0, max: 3 }) });
    await fc.assert(fc.asyncProperty(fc.array(person, { minLength: 2, maxLength: 20 }), async (people) => {
      // Many near-duplicates: the same few people, emails and phones written several ways.
      const rows: Row[] = people.map((p, i) => ({
        first: i % 3 === 0 ? p.first.toUpperCase() : p.first, last: p.last, email: `${p.first}.${p.last}${p.n}@exemple.fr`.toLowerCase(),
        phone: `06 12 34 56 7${p.n}`, city: 'Paris', postal: '75011', birth: '', note: '',
      }));
      const { db, file } = freshStore(rows);
      await custkit(db, ['import', file]);
      await custkit(db, ['validate']);
      const handle = openStore(db);
      const before = storeContent(handle);
      handle.close();
      const apply = await custkit(db, ['dedupe', '--apply', '--json']);
      expect([0, 3]).toContain(apply.code);
      if ((JSON.parse(apply.stdout) as { merges: unknown[] }).merges.length > 0) merged++;
      const undo = await custkit(db, ['unmerge', '--all-since', '2000-01-01']);
      expect([0, 1]).toContain(undo.code); // 1: nothing was merged
      const after = openStore(db);
      expect(storeContent(after)).toBe(before);
      after.close();
    }), RUNS);
    expect(merged).toBeGreaterThan(RUNS.numRuns / 2);
  }, 300_000);

  it('an export never lists a suppressed address, nor one whose latest consent is not a grant', async () => {
    let exported = 0;
    const contact = fc.record({
      email: fc.constantFrom('a@example.com', 'b@example.com', 'c@example.com', 'd@example.com'),
      consents: fc.array(fc.record({ status: fc.constantFrom('granted', 'withdrawn') as fc.Arbitrary<'granted' | 'withdrawn'>, day: fc.integer({ min: 1, max: 4 }) }), { maxLength: 3 }),
    });
    const suppression = fc.record({ email: fc.constantFrom('a@example.com', 'b@example.com', 'e@example.com'), kind: fc.constantFrom<SuppressionKind>('unsubscribed', 'bounced', 'opposition') });
    await fc.assert(fc.asyncProperty(fc.array(contact, { minLength: 1, maxLength: 10 }), fc.array(suppression, { maxLength: 3 }), async (contacts, suppressions) => {
      const { db } = makeStore();
      const history = new Map<string, Array<{ status: string; at: string; seq: number }>>();
      let seq = 0;
      for (const c of contacts) {
        const id = addContact(db, { email: c.email, emailValid: 1 });
        for (const k of c.consents) {
          const at = `2025-0${k.day}-01 00:00:00`;
          addConsent(db, id, 'email', k.status, at);
          history.set(c.email, [...(history.get(c.email) ?? []), { status: k.status, at, seq: ++seq }]);
        }
      }
      for (const s of suppressions) addSuppression(db, s.email, s.kind);
      const { rows } = await exportJsonl(db, { channel: 'email' }, { columns: ['email'] });
      exported += rows.length;
      for (const row of rows) {
        const email = String(row.email);
        expect(suppressions.some((s) => s.email === email)).toBe(false);
        const latest = [...(history.get(email) ?? [])].sort((x, y) => (x.at === y.at ? y.seq - x.seq : x.at < y.at ? 1 : -1))[0];
        expect(latest?.status).toBe('granted');
      }
      db.close();
    }), { numRuns: 40 });
    expect(exported).toBeGreaterThan(0);
  }, 300_000);
});
