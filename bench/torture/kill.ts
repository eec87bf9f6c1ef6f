/**
 * Torture, part 2: `kill -9` at a random moment of every writing command, then `db check` and the
 * command again. A store is "half-applied" when its row counts (per table, and contacts per status)
 * match neither the store before the command nor the store after a full run of it: every command
 * writes in one transaction (or, for derived values, in batches a re-run completes), so a kill must
 * leave one or the other.
 */
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { BIN } from '../common.js';
import { generateDataset } from '../generate.js';
import { checkStore } from '../../src/store/check.js';
import { mulberry32 } from '../random.js';

export interface KillFigures {
  kills: number;
  killedBeforeEnd: number;
  corruptStores: number;
  halfApplied: number;
  failedReruns: number;
  perCommand: Record<string, { kills: number; before: number; after: number; half: number }>;
  problems: string[];
}

interface Step {
  name: string;
  args: (dir: string) => string[];
  /** The store state the command starts from (a copy of the prepared store, plus these commands). */
  setup: string[][];
}

function cli(db: string, args: string[]): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, '--db', db, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stderr: r.stderr };
}

/** Row counts of every table, and contacts per status: what a half-applied command would disturb. */
function counts(db: string): string {
  const handle = new Database(db, { readonly: true });
  try {
    const tables = (handle.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[])
      .filter((t) => !DERIVED.has(t));
    const parts = tables.map((t) => `${t}=${handle.prepare(`SELECT count(*) FROM "${t}"`).pluck().get() as number}`);
    const statuses = handle.prepare('SELECT status || \':\' || count(*) FROM contacts GROUP BY status ORDER BY status').pluck().all() as string[];
    const undone = tables.includes('merges') ? handle.prepare('SELECT count(*) FROM merges WHERE undone_at IS NOT NULL').pluck().get() : 0;
    // The values clean --fix, merges and unmerges change (ids are the same in every copy; uids and
    // timestamps are not, and are left out).
    const digest = crypto.createHash('sha256');
    for (const row of handle.prepare(`SELECT id, status, merged_into, first_name, last_name, email, phone, mobile, postal_code, city, country
      FROM contacts ORDER BY id`).raw().iterate() as Iterable<unknown[]>) digest.update(JSON.stringify(row));
    return [...parts, ...statuses, `undone=${undone}`, `contacts#${digest.digest('hex').slice(0, 12)}`].join(' ');
  } finally {
    handle.close();
  }
}

/**
 * Caches of values derived from the contacts, written in committed batches that the next run continues
 * (src/validate/ensure.ts, dedupe keys), and what dedupe's dry run records before any merge (the blocking
 * rules it chose, the model it fitted): a kill may leave them written or partly filled, by design.
 */
const DERIVED = new Set(['dedupe_keys', 'dedupe_blocking', 'dedupe_models']);

function copyStore(from: string, to: string): void {
  for (const suffix of ['', '-wal', '-shm', '-writer']) fs.rmSync(to + suffix, { force: true });
  fs.copyFileSync(from, to);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function killTorture(options: { perCommand: number; contacts: number; dir: string; seed: number; log: (line: string) => void; commands?: string[] }): Promise<KillFigures> {
  fs.mkdirSync(options.dir, { recursive: true });
  const rand = mulberry32(options.seed);
  const data = generateDataset({ contacts: options.contacts, duplicateShare: 0.2, purchasesPerContact: 2, seed: options.seed, outDir: path.join(options.dir, 'data') });
  const base = path.join(options.dir, 'base.db');
  copyStoreFresh(base);
  if (cli(base, ['import', data.contactsFile]).code! > 3 || cli(base, ['import', data.purchasesFile!, '--kind', 'purchases']).code! > 3) throw new Error('setup import failed');
  const steps: Step[] = [
    { name: 'import', args: () => ['import', '--force', '--source', 'again', data.contactsFile], setup: [] },
    { name: 'clean --fix', args: () => ['clean', '--fix'], setup: [] },
    { name: 'dedupe --apply', args: () => ['dedupe', '--apply'], setup: [] },
    { name: 'unmerge', args: () => ['unmerge', '--all-since', '2000-01-01'], setup: [['dedupe', '--apply']] },
    { name: 'score', args: () => ['score', '--as-of', '2025-01-01'], setup: [] },
    { name: 'export', args: (dir) => ['export', '--channel', 'email', '--out', path.join(dir, `out-${++outputs}.csv`)], setup: [] },
  ];
  let outputs = 0;
  const figures: KillFigures = { kills: 0, killedBeforeEnd: 0, corruptStores: 0, halfApplied: 0, failedReruns: 0, perCommand: {}, problems: [] };
  for (const step of steps.filter((s) => !options.commands || options.commands.includes(s.name))) {
    const start = path.join(options.dir, `start-${step.name.replace(/\W+/g, '-')}.db`);
    copyStore(base, start);
    for (const args of step.setup) cli(start, args);
    // The state after a full run, and how long one takes (kills land within it).
    const reference = path.join(options.dir, 'reference.db');
    copyStore(start, reference);
    const t0 = Date.now();
    const full = cli(reference, step.args(options.dir));
    const duration = Date.now() - t0;
    if (full.code !== 0 && full.code !== 3) {
      figures.problems.push(`${step.name}: the reference run failed (${full.code}): ${full.stderr.split('\n')[0]}`);
      continue;
    }
    const before = counts(start);
    const after = counts(reference);
    const tally = { kills: 0, before: 0, after: 0, half: 0 };
    figures.perCommand[step.name] = tally;
    for (let k = 0; k < options.perCommand; k++) {
      const victim = path.join(options.dir, 'victim.db');
      copyStore(start, victim);
      const child = spawn(process.execPath, [BIN, '--db', victim, ...step.args(options.dir)], { stdio: 'ignore' });
      const delay = Math.floor(rand() * duration);
      await sleep(delay);
      const stillRunning = child.exitCode === null;
      child.kill('SIGKILL');
      await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)));
      figures.kills++;
      tally.kills++;
      if (stillRunning) figures.killedBeforeEnd++;
      let check;
      try {
        const handle = new Database(victim, { readonly: false });
        check = checkStore(handle);
        handle.close();
      } catch (error) {
        check = { ok: false, integrity: 'damaged', problems: [{ check: 'open', examples: [(error as Error).message] }] };
      }
      if (!check.ok) {
        if (check.integrity === 'damaged') figures.corruptStores++;
        figures.problems.push(`${step.name} killed at ${delay} ms: db check: ${JSON.stringify(check.problems).slice(0, 300)}`);
      }
      const state = counts(victim);
      if (state === before) tally.before++;
      else if (state === after) tally.after++;
      else {
        tally.half++;
        figures.halfApplied++;
        figures.problems.push(`${step.name} killed at ${delay} ms: counts match neither side:\n   before ${before}\n   after  ${after}\n   got    ${state}`);
      }
      const rerun = cli(victim, step.args(options.dir));
      if ((rerun.code !== 0 && rerun.code !== 3) || cli(victim, ['db', 'check']).code !== 0) {
        figures.failedReruns++;
        figures.problems.push(`${step.name}: the re-run after a kill at ${delay} ms failed (${rerun.code}): ${rerun.stderr.split('\n')[0]}`);
      }
    }
    options.log(`kill -9 ${step.name}: ${tally.kills} kills (${duration} ms per full run): ${tally.before} left it as before, ${tally.after} as after, ${tally.half} half-applied`);
  }
  return figures;
}

function copyStoreFresh(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-writer']) fs.rmSync(file + suffix, { force: true });
}
