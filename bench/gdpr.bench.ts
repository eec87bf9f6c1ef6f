/**
 * `npm run bench:gdpr`: times `gdpr erase` (one person) and `gdpr purge` (its dry run, and the real run)
 * on a store of N contacts (default 100,000) with about 4.7 purchase lines each, validated and scored
 * (test/report/synthetic.ts). The store is generated once and kept in bench/out/; each timed command
 * runs on a fresh copy, in its own process: wall time, CPU time (user + system) and peak RSS (GNU time).
 * Erase reads the whole store file for the erased addresses after its change, so its cost grows with
 * the file, not with the person. Options: --contacts N.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { openStore } from '../src/store/db.js';
import { ensureValidated } from '../src/validate/ensure.js';
import { generateShop, scoreHistory } from '../test/report/synthetic.js';
import { argValue, BIN, OUT } from './common.js';

const AS_OF = '2025-06-30';
const contacts = Number(argValue('contacts', '100000'));

function prepare(file: string): string {
  if (!fs.existsSync(file)) {
    fs.mkdirSync(OUT, { recursive: true });
    const partial = `${file}.partial`;
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(partial + suffix, { force: true });
    const db = openStore(partial);
    generateShop(db, { contacts, until: AS_OF });
    ensureValidated(db);
    scoreHistory(db, AS_OF);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    fs.renameSync(partial, file);
    for (const suffix of ['-wal', '-shm']) fs.rmSync(partial + suffix, { force: true });
  }
  const db = openStore(file, { readonly: true });
  const email = db.prepare("SELECT email_norm FROM contacts WHERE email_norm IS NOT NULL ORDER BY id LIMIT 1 OFFSET ?").pluck().get(Math.floor(contacts / 2)) as string;
  db.close();
  return email;
}

function time(args: string[]): { seconds: number; cpu: number; rssMb: number; code: number } {
  const child = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', process.execPath, BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (child.status !== 0 && child.status !== 3) throw new Error(`custkit ${args.join(' ')} failed:\n${child.stderr}`);
  const [seconds, user, system, kb] = child.stderr.trim().split('\n').pop()!.split(' ').map(Number) as [number, number, number, number];
  return { seconds, cpu: user + system, rssMb: kb / 1024, code: child.status };
}

function copy(file: string): string {
  const target = `${file}.run.db`;
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(target + suffix, { force: true });
  fs.copyFileSync(file, target);
  return target;
}

const file = path.join(OUT, `gdpr-${contacts}.db`);
const email = prepare(file);
console.log(`store: ${file}, ${contacts.toLocaleString('en')} contacts, ${(fs.statSync(file).size / 1e6).toFixed(0)} MB`);
const cases: Array<[string, (db: string) => string[]]> = [
  ['gdpr erase (one person)', (db) => ['--db', db, 'gdpr', 'erase', email, '--reason', 'bench', '--all']],
  ['gdpr purge --dry-run', (db) => ['--db', db, 'gdpr', 'purge', '--as-of', '2027-01-01', '--dry-run', '-q']],
  ['gdpr purge', (db) => ['--db', db, 'gdpr', 'purge', '--as-of', '2027-01-01', '--json']],
];
for (const [label, args] of cases) {
  const db = copy(file);
  const r = time(args(db));
  const erased = openStore(db, { readonly: true }).prepare("SELECT count(*) FROM contacts WHERE status = 'erased'").pluck().get() as number;
  console.log(`${label.padEnd(26)} ${r.seconds.toFixed(2)} s wall, ${r.cpu.toFixed(2)} s CPU, ${r.rssMb.toFixed(0)} MB peak, exit ${r.code}, ${erased.toLocaleString('en')} erased records`);
}
