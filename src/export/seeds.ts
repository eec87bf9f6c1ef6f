/**
 * Trap (seed) addresses: mailboxes the user controls, mixed into lists handed to third parties. A message
 * that reaches one, or a leaked file that holds some, tells which export it came from. Seeds live in
 * their own table, never in `contacts`, so they are in no ordinary export and no count.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../store/db.js';
import { inspectFile, sniffEncoding } from '../io/sniff.js';
import { openText } from '../io/readers.js';
import { readXlsxSheets } from '../io/xlsx.js';
import { normaliseEmail, nowIso } from './keys.js';
import { SelectionError } from './select.js';

export interface SeedRow {
  id: number;
  uid: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  created_at: string;
}

export class SeedError extends Error {}

/** "Jeanne Martin" -> first "Jeanne", last "Martin"; one word is a first name. */
function splitName(name: string | undefined): [string | null, string | null] {
  const words = (name ?? '').trim().split(/\s+/).filter(Boolean);
  if (!words.length) return [null, null];
  return [words[0]!, words.length > 1 ? words.slice(1).join(' ') : null];
}

export function addSeed(db: Db, emailText: string, name?: string): SeedRow {
  const email = normaliseEmail(emailText);
  if (!email) throw new SelectionError(`"${emailText}" is not an email address`);
  if (db.prepare('SELECT 1 FROM seeds WHERE email = ?').get(email)) throw new SeedError(`${email} is already a seed`);
  const [first, last] = splitName(name);
  const uid = crypto.randomUUID();
  const created = nowIso();
  const info = db.prepare('INSERT INTO seeds (uid, email, first_name, last_name, created_at) VALUES (?, ?, ?, ?, ?)').run(uid, email, first, last, created);
  return { id: Number(info.lastInsertRowid), uid, email, first_name: first, last_name: last, created_at: created };
}

export interface SeedListing extends SeedRow {
  exports: number;
}

export function listSeeds(db: Db): SeedListing[] {
  return db
    .prepare(
      `SELECT s.*, (SELECT count(*) FROM export_seeds e WHERE e.seed_id = s.id) AS exports
       FROM seeds s ORDER BY s.id`,
    )
    .all() as SeedListing[];
}

/** N seeds chosen at random (all of them when N equals their number). */
export function pickSeeds(db: Db, n: number): SeedRow[] {
  const all = db.prepare('SELECT * FROM seeds ORDER BY id').all() as SeedRow[];
  if (all.length < n) throw new SelectionError(`--with-seeds ${n}: only ${all.length} seed${all.length === 1 ? '' : 's'} registered (add some with "custkit seeds add EMAIL")`);
  for (let i = all.length - 1; i > 0; i--) {
    const j = crypto.randomInt(i + 1);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, n);
}

export interface TracedExport {
  id: number;
  created_at: string;
  os_user: string | null;
  channel: string;
  destination: string;
  row_count: number;
  seed_count: number;
}

export interface EmailTrace {
  seed: SeedRow;
  exports: (TracedExport & { position: number })[];
}

export function traceEmail(db: Db, emailText: string): EmailTrace {
  const email = normaliseEmail(emailText);
  if (!email) throw new SelectionError(`"${emailText}" is not an email address`);
  const seed = db.prepare('SELECT * FROM seeds WHERE email = ?').get(email) as SeedRow | undefined;
  if (!seed) throw new SeedError(`${email} is not a registered seed`);
  const exports = db
    .prepare(
      `SELECT x.id, x.created_at, x.os_user, x.channel, x.destination, x.row_count, x.seed_count, es.position
       FROM export_seeds es JOIN exports x ON x.id = es.export_id
       WHERE es.seed_id = ? ORDER BY x.id`,
    )
    .all(seed.id) as (TracedExport & { position: number })[];
  return { seed, exports };
}

export interface FileTrace {
  file: string;
  sha256: string;
  /** The export whose written file has exactly these bytes, if any. */
  identical: TracedExport | null;
  seedsFound: string[];
  /** Exports that held the seeds found, best match first. */
  candidates: (TracedExport & { matched: number })[];
}

const EMAIL_IN_TEXT = /[^\s"',;<>()[\]{}:|\t]+@[^\s"',;<>()[\]{}:|\t]+\.[^\s"',;<>()[\]{}:|\t]+/g;

/** Every seed address that appears in a file (CSV, TSV, JSON, text or XLSX), read as a stream. */
async function seedsInFile(file: string, seedEmails: Set<string>): Promise<Set<string>> {
  const found = new Set<string>();
  const look = (text: string): void => {
    for (const m of text.matchAll(EMAIL_IN_TEXT)) {
      const email = m[0].toLowerCase().replace(/^'+/, '');
      if (seedEmails.has(email)) found.add(email);
    }
  };
  if (path.extname(file).toLowerCase() === '.xlsx') {
    for await (const sheet of readXlsxSheets(file)) {
      for await (const row of sheet.rows) for (const cell of row.cells) if (typeof cell === 'string') look(cell);
    }
    return found;
  }
  const facts = await inspectFile(file);
  let carry = '';
  for await (const chunk of openText(file, sniffEncoding(facts))) {
    const text = carry + (chunk as string);
    // Look up to the last line break and keep the rest: an address never spans lines, but it may span
    // two chunks. A file without line breaks is cut at a space or separator instead.
    let cut = text.lastIndexOf('\n') + 1;
    if (cut === 0 && text.length > 1 << 20) cut = Math.max(text.lastIndexOf(' '), text.lastIndexOf(','), text.lastIndexOf(';')) + 1;
    look(text.slice(0, cut));
    carry = text.slice(cut);
  }
  look(carry);
  return found;
}

export async function traceFile(db: Db, file: string): Promise<FileTrace> {
  if (!fs.existsSync(file)) throw new SeedError(`${file}: no such file`);
  const facts = await inspectFile(file);
  const columns = 'x.id, x.created_at, x.os_user, x.channel, x.destination, x.row_count, x.seed_count';
  const identical = (db
    .prepare(`SELECT ${columns} FROM exports x WHERE x.sha256 = ? OR EXISTS (SELECT 1 FROM json_each(x.files) f WHERE json_extract(f.value, '$.sha256') = ?) ORDER BY x.id LIMIT 1`)
    .get(facts.sha256, facts.sha256) ?? null) as TracedExport | null;
  const seeds = db.prepare('SELECT id, email FROM seeds').all() as { id: number; email: string }[];
  const found = await seedsInFile(file, new Set(seeds.map((s) => s.email)));
  const ids = seeds.filter((s) => found.has(s.email)).map((s) => s.id);
  let candidates: (TracedExport & { matched: number })[] = [];
  if (ids.length) {
    candidates = db
      .prepare(
        `SELECT ${columns}, count(*) AS matched
         FROM export_seeds es JOIN exports x ON x.id = es.export_id
         WHERE es.seed_id IN (${ids.map(() => '?').join(', ')})
         GROUP BY x.id ORDER BY matched DESC, x.seed_count - count(*) ASC, x.id DESC`,
      )
      .all(...ids) as (TracedExport & { matched: number })[];
  }
  return { file, sha256: facts.sha256, identical, seedsFound: [...found].sort(), candidates };
}
