/**
 * npm run bench:encryption — what encryption at rest and automatic backups cost, in CPU time (user +
 * system of the custkit process, from GNU time: steadier than wall time on a shared machine).
 *
 *   npm run bench:encryption [-- --contacts 100000] [--repeat 3] [--store FILE]
 *
 * 1. import and export of the same generated contacts file (bench/generate.ts) into a plain store and
 *    into one encrypted with CUSTKIT_KEY (ChaCha20-Poly1305): CPU seconds, wall seconds, ratio; each run
 *    --repeat times, plain and encrypted in turn, keeping each one's lowest CPU time (the least disturbed).
 * 2. with --store FILE (a large store, e.g. 1M contacts; it is copied, never changed): `db backup` of the
 *    plain copy (the automatic backup of dedupe --apply, clean --fix and gdpr purge is the same
 *    VACUUM INTO), `db encrypt` of it, and `db backup` of the encrypted copy.
 * Both stores use CUSTKIT_KEY from this script's environment only for the encrypted runs.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { argValue, BIN, OUT } from './common.js';
import { cachedContactsFile } from './generate.js';

const KEY = 'bench passphrase';

interface Timed {
  cpu: number;
  wall: number;
  rssMb: number;
}

function custkit(args: string[], key: string | null): Timed {
  const env = { ...process.env, CUSTKIT_KEY: key ?? '' };
  const started = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-f', 'CPU=%U %S RSS=%M', process.execPath, BIN, ...args], { encoding: 'utf8', env, maxBuffer: 1 << 26 });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0 && result.status !== 3) throw new Error(`custkit ${args.join(' ')} failed: ${result.stderr}`);
  const m = /CPU=([\d.]+) ([\d.]+) RSS=(\d+)/.exec(result.stderr);
  if (!m) throw new Error('GNU time printed no figures');
  return { cpu: Number(m[1]) + Number(m[2]), wall, rssMb: Number(m[3]) / 1024 };
}

function fresh(name: string): string {
  const file = path.join(OUT, name);
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${file}${suffix}`, { force: true });
  fs.rmSync(`${file}.backups`, { recursive: true, force: true });
  return file;
}

const fmt = (t: Timed): string => `CPU ${t.cpu.toFixed(2)} s, wall ${t.wall.toFixed(2)} s, peak RSS ${t.rssMb.toFixed(0)} MB`;
const ratio = (a: Timed, b: Timed): string => `${(((b.cpu / a.cpu) - 1) * 100).toFixed(1)}%`;

function lowest(a: Timed | undefined, b: Timed): Timed {
  return a === undefined || b.cpu < a.cpu ? b : a;
}

function importExport(contacts: number, repeat: number): void {
  const csv = cachedContactsFile(contacts, OUT);
  console.log(`import and export of ${contacts.toLocaleString('en')} contacts (${csv}), lowest CPU of ${repeat} runs`);
  const results: Record<string, { import?: Timed; export?: Timed }> = { plain: {}, encrypted: {} };
  for (let run = 0; run < repeat; run++) {
    for (const [label, key] of [['plain', null], ['encrypted', KEY]] as const) {
      const db = fresh(`encryption-${label}.db`);
      const imported = custkit(['--db', db, 'import', csv, '--json'], key);
      const out = path.join(OUT, `encryption-${label}.csv`);
      fs.rmSync(out, { force: true });
      const exported = custkit(['--db', db, 'export', '--include-unconsented', '--out', out], key);
      results[label]!.import = lowest(results[label]!.import, imported);
      results[label]!.export = lowest(results[label]!.export, exported);
    }
  }
  for (const label of ['plain', 'encrypted']) console.log(`  ${label.padEnd(9)} import: ${fmt(results[label]!.import!)}; export: ${fmt(results[label]!.export!)}`);
  console.log(`  encryption costs ${ratio(results.plain!.import!, results.encrypted!.import!)} CPU on import, ${ratio(results.plain!.export!, results.encrypted!.export!)} on export`);
}

function backups(source: string): void {
  const bytes = fs.statSync(source).size;
  console.log(`backups of ${source} (${(bytes / 1024 ** 3).toFixed(2)} GiB), on a copy`);
  const db = fresh('encryption-large.db');
  fs.copyFileSync(source, db);
  fs.chmodSync(db, 0o600);
  const plainBackup = fresh('encryption-large-backup.db');
  const plain = custkit(['--db', db, 'db', 'backup', plainBackup], null);
  console.log(`  db backup (plain):     ${fmt(plain)}; ${(fs.statSync(plainBackup).size / 1024 ** 2).toFixed(0)} MiB written`);
  const encrypt = custkit(['--db', db, 'db', 'encrypt'], KEY);
  console.log(`  db encrypt:            ${fmt(encrypt)}`);
  const encryptedBackup = fresh('encryption-large-backup-enc.db');
  const encrypted = custkit(['--db', db, 'db', 'backup', encryptedBackup], KEY);
  console.log(`  db backup (encrypted): ${fmt(encrypted)}`);
  for (const f of [db, plainBackup, encryptedBackup]) fresh(path.basename(f));
}

fs.mkdirSync(OUT, { recursive: true });
importExport(Number(argValue('contacts', '100000')), Number(argValue('repeat', '3')));
const store = argValue('store');
if (store) backups(store);
