/**
 * Torture, part 3: two writers and a reader at once on one store, repeated. Each writer imports a file
 * of its own (a source of its own, so no write of one can stand in for the other's); the reader reads
 * the whole time. Every write must be accounted for: both writers succeed (the second waits for the
 * first), and the store ends with exactly the contacts and imports the rounds wrote; the reader never
 * fails and never waits for a writer.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { BIN } from '../common.js';
import { checkStore } from '../../src/store/check.js';

export interface ConcurrencyFigures {
  rounds: number;
  writerRuns: number;
  writerFailures: number;
  readerRuns: number;
  readerFailures: number;
  /** Reads that saw part of an import (a count no sequence of whole imports gives): must be 0. */
  inconsistentReads: number;
  lostWrites: number;
  problems: string[];
}

function custkit(db: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, '--db', db, ...args], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function contactsFile(dir: string, name: string, rows: number, round: number): string {
  const file = path.join(dir, `${name}-${round}.csv`);
  const lines = ['customer_id,email,first_name,last_name,city'];
  for (let i = 0; i < rows; i++) lines.push(`${name}-${round}-${i},${name}${round}x${i}@example.com,First${i},Last${i},City${i % 50}`);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

export async function concurrencyTorture(options: { rounds: number; rows: number; dir: string; log: (line: string) => void }): Promise<ConcurrencyFigures> {
  fs.mkdirSync(options.dir, { recursive: true });
  const db = path.join(options.dir, 'shared.db');
  for (const suffix of ['', '-wal', '-shm', '-writer']) fs.rmSync(db + suffix, { force: true });
  const figures: ConcurrencyFigures = { rounds: 0, writerRuns: 0, writerFailures: 0, readerRuns: 0, readerFailures: 0, inconsistentReads: 0, lostWrites: 0, problems: [] };
  // The store exists before the first round: the writers meet on a store both must wait for, not create.
  const first = await custkit(db, ['import', contactsFile(options.dir, 'seed', 10, 0), '--source', 'seed']);
  if (first.code !== 0) throw new Error(`seed import failed: ${first.stderr}`);
  let expected = 10;
  const perSource: Record<string, number> = {};
  for (let round = 1; round <= options.rounds; round++) {
    const a = contactsFile(options.dir, 'a', options.rows, round);
    const b = contactsFile(options.dir, 'b', options.rows, round);
    let writing = true;
    const reader = (async () => {
      while (writing) {
        const r = await custkit(db, ['db', 'info', '--json']);
        figures.readerRuns++;
        if (r.code !== 0) {
          figures.readerFailures++;
          figures.problems.push(`round ${round}: reader exit ${r.code}: ${r.stderr.split('\n')[0]}`);
          continue;
        }
        // A reader sees whole imports or none: the count is the round's start plus 0, 1 or 2 files.
        const seen = (JSON.parse(r.stdout) as { tables: Record<string, number> }).tables.contacts!;
        const files = (seen - expected) / options.rows;
        if (!Number.isInteger(files) || files < 0 || files > 2) {
          figures.inconsistentReads++;
          figures.problems.push(`round ${round}: a reader saw ${seen} contacts, not ${expected} plus 0, 1 or 2 files of ${options.rows}`);
        }
      }
    })();
    const writers = await Promise.all([
      custkit(db, ['import', a, '--source', 'a']),
      custkit(db, ['import', b, '--source', 'b']),
    ]);
    writing = false;
    await reader;
    for (const w of writers) {
      figures.writerRuns++;
      if (w.code !== 0) {
        figures.writerFailures++;
        figures.problems.push(`round ${round}: writer exit ${w.code}: ${w.stderr.split('\n')[0]}`);
      } else {
        expected += options.rows;
      }
    }
    const handle = new Database(db, { readonly: true });
    const contacts = handle.prepare('SELECT count(*) FROM contacts').pluck().get() as number;
    // Every write accounted for by whom: each source holds its rows of every round, and no import is
    // left unfinished.
    for (const source of ['a', 'b']) {
      const mine = handle.prepare('SELECT count(*) FROM contacts WHERE source = ?').pluck().get(source) as number;
      const wrote = writers.filter((w, i) => w.code === 0 && ['a', 'b'][i] === source).length;
      perSource[source] = (perSource[source] ?? 0) + wrote * options.rows;
      if (mine !== perSource[source]) figures.problems.push(`round ${round}: source ${source} holds ${mine} contacts, expected ${perSource[source]}`);
    }
    const unfinished = handle.prepare("SELECT count(*) FROM imports WHERE status = 'running'").pluck().get() as number;
    if (unfinished) figures.problems.push(`round ${round}: ${unfinished} imports left running`);
    const check = checkStore(handle, { quick: true });
    handle.close();
    if (contacts !== expected) {
      figures.lostWrites += Math.abs(expected - contacts);
      figures.problems.push(`round ${round}: ${contacts} contacts, expected ${expected}`);
    }
    if (!check.ok) figures.problems.push(`round ${round}: db check: ${JSON.stringify(check.problems).slice(0, 200)}`);
    figures.rounds++;
    fs.rmSync(a);
    fs.rmSync(b);
  }
  options.log(`concurrency: ${figures.rounds} rounds, ${figures.writerRuns} writer runs (${figures.writerFailures} failed), ${figures.readerRuns} reader runs (${figures.readerFailures} failed, ${figures.inconsistentReads} saw part of an import), ${figures.lostWrites} writes lost`);
  return figures;
}
