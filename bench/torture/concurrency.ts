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
  lostWrites: number;
  problems: string[];
}

function custkit(db: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, '--db', db, ...args], { env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
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
  const figures: ConcurrencyFigures = { rounds: 0, writerRuns: 0, writerFailures: 0, readerRuns: 0, readerFailures: 0, lostWrites: 0, problems: [] };
  // The store exists before the first round: the writers meet on a store both must wait for, not create.
  const first = await custkit(db, ['import', contactsFile(options.dir, 'seed', 10, 0), '--source', 'seed']);
  if (first.code !== 0) throw new Error(`seed import failed: ${first.stderr}`);
  let expected = 10;
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
  options.log(`concurrency: ${figures.rounds} rounds, ${figures.writerRuns} writer runs (${figures.writerFailures} failed), ${figures.readerRuns} reader runs (${figures.readerFailures} failed), ${figures.lostWrites} writes lost`);
  return figures;
}
