/**
 * Property-based tests (fast-check) of the GDPR promises over generated stores: after `gdpr erase` and a
 * re-import of the original file the person is absent, counted as suppressed, and on no export;
 * `gdpr access` returns every table's rows for the person and nothing of anyone else; `gdpr purge`
 * erases exactly the contacts its rules name. Commands run in-process through the CLI's own run().
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import type { Streams } from '../../src/cli/context.js';
import { openStore } from '../../src/store/db.js';
import { accessBundle } from '../../src/gdpr/access.js';
import { personIds } from '../../src/gdpr/profile.js';
import { cutoffDate } from '../../src/validate/duration.js';
import { tempDir } from '../helpers/cli.js';
import { cellsHolding } from '../helpers/personal-scan.js';

async function custkit(db: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { text: '', isTTY: false, write(t: string | Uint8Array): boolean { this.text += String(t); return true; } };
  const err = { text: '', isTTY: false, write(t: string | Uint8Array): boolean { this.text += String(t); return true; } };
  const code = await run(['node', 'custkit', '--db', db, ...args], { stdout: out, stderr: err, env: { ...process.env, NO_COLOR: '1', CUSTKIT_DB: undefined } } as unknown as Streams);
  return { code, stdout: out.text, stderr: err.text };
}

const LAST = ['Quillardet', 'Bernardin', 'Marchetti', 'Nguyen', "N'Diaye", 'Le Goff', 'Lefèvre', 'Rousseau'];
const FIRST = ['Zéphirine', 'Octave', 'Léonie', 'Anh', 'Awa', 'Yann', 'Ève', 'Basile'];

/** One generated person: distinct email and mobile (index-based), written one to three times with variations. */
const person = fc.record({
  rows: fc.integer({ min: 1, max: 3 }),
  upper: fc.boolean(),
  international: fc.boolean(),
  optInEmail: fc.constantFrom('oui', 'non', ''),
  optInSms: fc.constantFrom('oui', 'non', ''),
  orders: fc.integer({ min: 0, max: 2 }),
  rejected: fc.boolean(),
});
type Person = typeof person extends fc.Arbitrary<infer T> ? T : never;

const world = fc.record({
  people: fc.array(person, { minLength: 2, maxLength: 7 }),
  target: fc.nat(),
  clean: fc.boolean(),
  dedupe: fc.boolean(),
});

function emailOf(i: number): string {
  return `${FIRST[i]!.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '')}.p${i}@example.org`;
}
function mobileOf(i: number, international: boolean): string {
  const digits = `6${String(10 + i).padStart(2, '0')}${String(4455 + i * 7)}11`.slice(0, 9);
  return international ? `+33${digits}` : `0${digits.slice(0, 1)} ${digits.slice(1, 3)} ${digits.slice(3, 5)} ${digits.slice(5, 7)} ${digits.slice(7, 9)}`;
}

function files(people: Person[]): { contacts: string; orders: string } {
  const dir = tempDir();
  const lines = ['Code client,Prénom,Nom,E-mail,Mobile,Opt-in email,Opt-in SMS'];
  const orders = ['customer_id,order_id,line,date,amount'];
  people.forEach((p, i) => {
    for (let r = 0; r < p.rows; r++) {
      const email = p.upper && r === 1 ? emailOf(i).toUpperCase() : emailOf(i);
      lines.push([`K${i}-${r}`, FIRST[i], LAST[i], email, mobileOf(i, p.international !== (r === 2)), p.optInEmail, p.optInSms].join(','));
    }
    // Too few cells: the row is rejected, and kept with its raw cells (the person's email among them).
    if (p.rejected) lines.push([`K${i}-x`, FIRST[i], LAST[i], emailOf(i)].join(','));
    for (let o = 0; o < p.orders; o++) orders.push([`K${i}-0`, `O${i}-${o}`, 1, `2025-0${o + 1}-1${i}`, `${10 + i}.50`].join(','));
  });
  const contacts = path.join(dir, 'contacts.csv');
  const orderFile = path.join(dir, 'orders.csv');
  fs.writeFileSync(contacts, `${lines.join('\n')}\n`);
  fs.writeFileSync(orderFile, `${orders.join('\n')}\n`);
  return { contacts, orders: orderFile };
}

async function build(w: { people: Person[]; clean: boolean; dedupe: boolean }): Promise<{ db: string; contacts: string; orders: string }> {
  const f = files(w.people);
  const db = path.join(tempDir(), 'p.db');
  expect([0, 3]).toContain((await custkit(db, ['import', f.contacts])).code);
  if (w.people.some((p) => p.orders > 0)) expect((await custkit(db, ['import', f.orders])).code).toBe(0);
  if (w.clean) expect((await custkit(db, ['clean', '--fix'])).code).toBe(0);
  if (w.dedupe) expect((await custkit(db, ['dedupe', '--apply'])).code).toBe(0);
  return { db, ...f };
}

const RUNS = { numRuns: 8, endOnFailure: true };

describe('gdpr properties', () => {
  it('after erase and a re-import of the original files, the person is absent, counted suppressed, and on no export', async () => {
    await fc.assert(fc.asyncProperty(world, async (w) => {
      const t = w.target % w.people.length;
      const target = w.people[t]!;
      const { db, contacts, orders } = await build(w);
      const erase = await custkit(db, ['gdpr', 'erase', emailOf(t), '--reason', 'property', '--all']);
      expect(erase.code, erase.stderr).toBe(0);
      const again = JSON.parse((await custkit(db, ['import', contacts, '--force', '--json'])).stdout) as { suppressed: number; rejected: number };
      expect(again.suppressed).toBe(target.rows + (target.rejected ? 1 : 0));
      expect(again.rejected).toBe(w.people.filter((p, i) => i !== t && p.rejected).length);
      if (w.people.some((p) => p.orders > 0)) {
        const ordersAgain = JSON.parse((await custkit(db, ['import', orders, '--force', '--json'])).stdout) as { suppressed: number };
        expect(ordersAgain.suppressed).toBe(target.orders);
      }
      const handle = openStore(db, { readonly: true });
      try {
        expect(cellsHolding(handle, [emailOf(t), mobileOf(t, true), LAST[t]!])).toEqual([]);
        expect(handle.prepare("SELECT count(*) FROM contacts WHERE status <> 'erased' AND email_norm = ?").pluck().get(emailOf(t))).toBe(0);
      } finally {
        handle.close();
      }
      for (const channel of ['email', 'sms']) {
        const out = path.join(tempDir(), `${channel}.csv`);
        const exported = await custkit(db, ['export', '--channel', channel, '--include-unconsented', '--out', out]);
        expect([0, 3]).toContain(exported.code);
        const text = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
        expect(text.toLowerCase()).not.toContain(emailOf(t));
        expect(text.replace(/\D/g, '')).not.toContain(mobileOf(t, true).slice(3));
      }
    }), RUNS);
  }, 600_000);

  it('access returns every table\'s rows for the person and no row of anyone else', async () => {
    await fc.assert(fc.asyncProperty(world, async (w) => {
      const t = w.target % w.people.length;
      const { db } = await build(w);
      const handle = openStore(db);
      try {
        const root = handle.prepare("SELECT id FROM contacts WHERE email_norm = ? AND status <> 'merged' ORDER BY id LIMIT 1").pluck().get(emailOf(t)) as number;
        const mine = new Set(personIds(handle, root));
        const bundle = accessBundle(handle, root);
        expect(new Set(bundle.tables.contacts!.map((c) => c.id))).toEqual(mine);
        const tables = handle.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
        for (const table of tables) {
          const keys = (handle.prepare('SELECT "from", "table" FROM pragma_foreign_key_list(?)').all(table) as Array<{ from: string; table: string }>)
            .filter((k) => k.table === 'contacts').map((k) => k.from);
          if (keys.length === 0 || table === 'contacts') continue;
          const expected = handle.prepare(`SELECT count(*) FROM "${table}" WHERE ${keys.map((k) => `"${k}" IN (${[...mine].join(',')})`).join(' OR ')}`).pluck().get() as number;
          expect(bundle.tables[table]?.length ?? 0, table).toBe(expected);
        }
        const others = w.people.map((_, i) => i).filter((i) => i !== t);
        const text = JSON.stringify(bundle.tables).toLowerCase();
        for (const i of others) {
          expect(text).not.toContain(emailOf(i));
          expect(text).not.toContain(LAST[i]!.toLowerCase());
        }
        expect(text).toContain(emailOf(t));
      } finally {
        handle.close();
      }
    }), RUNS);
  }, 600_000);

  it('purge erases exactly the contacts the rules name', async () => {
    const day = fc.integer({ min: 0, max: 3000 }).map((n) => new Date(Date.UTC(2019, 0, 1) + n * 86_400_000).toISOString().slice(0, 10));
    const contact = fc.record({ created: day, activity: fc.option(day, { nil: null }), purchase: fc.option(day, { nil: null }) });
    await fc.assert(fc.asyncProperty(fc.array(contact, { minLength: 1, maxLength: 12 }), day, fc.constantFrom('1y', '3y', '18m'), fc.constantFrom('2y', '3y'),
      async (list, asOf, prospects, customers) => {
        const dir = tempDir();
        const file = path.join(dir, 'c.csv');
        fs.writeFileSync(file, `Code client,E-mail,Date de création,Dernière activité\n${list.map((c, i) => `P${i},p${i}@example.org,${c.created},${c.activity ?? ''}`).join('\n')}\n`);
        const orders = path.join(dir, 'o.csv');
        fs.writeFileSync(orders, `customer_id,order_id,line,date,amount\n${list.flatMap((c, i) => (c.purchase ? [`P${i},O${i},1,${c.purchase},10.00`] : [])).join('\n')}\n`);
        const db = path.join(dir, 'p.db');
        expect((await custkit(db, ['import', file, '--map', 'Dernière activité=last_activity_at'])).code).toBe(0);
        if (list.some((c) => c.purchase)) expect((await custkit(db, ['import', orders])).code).toBe(0);
        const pc = cutoffDate(prospects, asOf);
        const cc = cutoffDate(customers, asOf);
        const expected = list.map((c, i) => ({ c, i })).filter(({ c }) => (c.purchase ? c.purchase < cc
          : [c.created, c.activity ?? ''].sort().at(-1)! < pc)).map(({ i }) => `P${i}`).sort();
        const purge = await custkit(db, ['gdpr', 'purge', '--as-of', asOf, '--prospects', prospects, '--customers', customers, '--json']);
        expect(purge.code).toBe(expected.length ? 3 : 0);
        const handle = openStore(db, { readonly: true });
        try {
          const uidToCode = new Map(list.map((_, i) => [
            handle.prepare("SELECT uid FROM contacts WHERE external_key = 'erased:' || ? OR external_id = ?").pluck().get(crypto.createHash('sha256').update(`P${i}`).digest('hex'), `P${i}`) as string, `P${i}`]));
          const plan = JSON.parse(purge.stdout) as { prospects: Array<{ uid: string }>; customers: Array<{ uid: string }> };
          expect([...plan.prospects, ...plan.customers].map((p) => uidToCode.get(p.uid)).sort()).toEqual(expected);
          const erased = handle.prepare("SELECT count(*) FROM contacts WHERE status = 'erased' AND source = 'default'").pluck().get();
          expect(erased).toBe(expected.length);
        } finally {
          handle.close();
        }
      }), { numRuns: 15, endOnFailure: true });
  }, 600_000);
});
