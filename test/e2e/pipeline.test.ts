/**
 * custkit run and custkit runs through the built CLI, on copies of fixtures/pipeline: the whole nightly
 * job, its dry run, two runs at once, a run killed with SIGKILL, the worst exit code, a refused file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, custkit, fixture, queryStore, tempDir } from '../helpers/cli.js';

interface Workspace {
  dir: string;
  store: string;
}

function workspace(): Workspace {
  const dir = tempDir('custkit-pipeline-');
  fs.cpSync(fixture('pipeline'), dir, { recursive: true });
  return { dir, store: path.join(dir, 'shop.db') };
}

function count(store: string, table: string): number {
  return queryStore<{ n: number }>(store, `SELECT count(*) AS n FROM ${table}`)[0]!.n;
}

function runs(ws: Workspace): Array<{ run: string; status: string; exit_code: number | null; stopped_in: string | null; steps: Array<{ event: string; index: number; exit_code?: number; counts?: Record<string, number>; error?: string }> }> {
  const result = custkit(['runs', '--json'], { db: ws.store });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

/** Every file of the workspace with its SHA-256 (the store's -wal/-shm aside: SQLite's own bookkeeping). */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || /-(wal|shm)$/.test(entry.name)) continue;
    const file = path.join(entry.parentPath, entry.name);
    files[path.relative(dir, file)] = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  }
  return files;
}

/** A contacts file big enough that importing it takes a while (a step to kill, a lock to hold). */
function bigContacts(file: string, rows: number): void {
  const letters = (n: number): string => (n < 26 ? '' : letters(Math.floor(n / 26) - 1)) + String.fromCharCode(97 + (n % 26));
  const lines = ['external_id,first_name,last_name,email'];
  for (let i = 1; i <= rows; i += 1) lines.push(`B${i},${letters(i * 7919 % 9973)},${letters(i * 104729 % 99991)},p${i}@example.com`);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

/** The nightly job less dedupe and report: what the lock and kill tests need, in less time. */
function leanPipeline(ws: Workspace): string {
  const file = path.join(ws.dir, 'lean.yaml');
  fs.writeFileSync(file, [
    'steps:',
    '  - import: { files: "inbox/contacts/*.csv", archive: archive, source: crm }',
    '  - import: { files: "inbox/orders/*.csv", archive: archive, kind: purchases, source: crm }',
    '  - score: { as-of: 2025-06-30 }',
    '  - export: { segment: [champions], out: best.csv }',
    '',
  ].join('\n'));
  return file;
}

function start(args: string[], cwd: string): { child: ChildProcess; done: Promise<{ code: number | null; signal: string | null; stderr: string }> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', CUSTKIT_DB: undefined } });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.resume();
  const done = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
  return { child, done };
}

async function until(test: () => boolean, what: string, ms = 60_000): Promise<void> {
  const started = Date.now();
  while (!test()) {
    if (Date.now() - started > ms) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('custkit run', () => {
  it('runs the nightly pipeline end to end: imports and archives, cleans, merges, scores, exports, reports, logs', () => {
    const ws = workspace();
    const result = custkit(['run', 'nightly.yaml'], { db: ws.store, cwd: ws.dir });
    expect(result.code, result.stderr).toBe(0);
    expect(fs.readdirSync(path.join(ws.dir, 'inbox/contacts'))).toEqual([]);
    expect(fs.readdirSync(path.join(ws.dir, 'inbox/orders'))).toEqual([]);
    expect(fs.readdirSync(path.join(ws.dir, 'archive')).sort()).toEqual(['clients.csv', 'orders-2025-06.csv']);
    expect(count(ws.store, 'imports')).toBe(2);
    expect(count(ws.store, 'purchases')).toBe(19);
    expect(count(ws.store, 'merges')).toBeGreaterThan(0);
    expect(count(ws.store, 'score_runs')).toBe(1);
    expect(queryStore(ws.store, 'SELECT row_count FROM exports')).toEqual([{ row_count: 1 }]);
    expect(fs.readFileSync(path.join(ws.dir, 'best-customers.csv'), 'utf8')).toMatch(/^EMAIL;/);
    expect(fs.readFileSync(path.join(ws.dir, 'report.html'), 'utf8')).toMatch(/<html/i);

    const runsDir = `${ws.store}-runs`;
    expect(fs.statSync(runsDir).mode & 0o777).toBe(0o700);
    const logs = fs.readdirSync(runsDir).filter((f) => f.endsWith('.jsonl'));
    expect(logs).toHaveLength(1);
    expect(fs.statSync(path.join(runsDir, logs[0]!)).mode & 0o777).toBe(0o600);
    const lines = fs.readFileSync(path.join(runsDir, logs[0]!), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.event)).toEqual(['run', ...Array(7).fill(['step-start', 'step']).flat(), 'end']);
    const first = lines.find((l) => l.event === 'step' && l.index === 1);
    expect(first.counts).toMatchObject({ files: 1, archived: 1, rows_read: 10, imported: 10 });
    expect(first.files[0].archived_to).toBe(path.join(ws.dir, 'archive/clients.csv'));
    expect(fs.readFileSync(path.join(runsDir, logs[0]!), 'utf8')).not.toMatch(/helene|dupont/i); // figures, never people

    // Tomorrow, with nothing new in the inbox: the same steps, nothing imported, a second log.
    const again = custkit(['run', 'nightly.yaml'], { db: ws.store, cwd: ws.dir });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('no file matches');
    const listed = runs(ws);
    expect(listed.map((r) => [r.status, r.exit_code])).toEqual([['ok', 0], ['ok', 0]]);
    expect(listed[0]!.steps.filter((s) => s.event === 'step').map((s) => s.exit_code)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(listed[0]!.steps[0]!.counts).toMatchObject({ files: 0 });
    const table = custkit(['runs'], { db: ws.store });
    expect(table.stdout).toMatch(/ok\s.*7\/7/);
    expect(custkit(['runs', '--id', 'last'], { db: ws.store }).stdout).toMatch(/dedupe/);
  }, 180_000);

  it('a dry run shows each step on a copy and changes, moves and writes nothing; it exits as the real run does', () => {
    const ws = workspace();
    expect(custkit(['run', 'nightly.yaml'], { db: ws.store, cwd: ws.dir }).code).toBe(0);
    fs.copyFileSync(fixture('purchases-fr.csv'), path.join(ws.dir, 'inbox/orders/more.csv')); // two rows rejected on purpose
    const before = snapshot(ws.dir);
    const dry = custkit(['run', 'nightly.yaml', '--dry-run'], { db: ws.store, cwd: ws.dir });
    expect(dry.code, dry.stderr).toBe(3);
    expect(dry.stdout).toContain(`${path.join(ws.dir, 'inbox/orders/more.csv')}: exit 3, would move to ${path.join(ws.dir, 'archive')}`);
    expect(dry.stdout).toContain(`would write ${path.join(ws.dir, 'best-customers.csv')}`);
    expect(dry.stdout).toMatch(/step 5\/7 score: exit 0 \(would\)/);
    expect(snapshot(ws.dir)).toEqual(before);
    expect(fs.readdirSync(ws.dir).filter((f) => f.startsWith('.custkit-dry-run'))).toEqual([]);
    expect(runs(ws)).toHaveLength(1);
    expect(custkit(['run', 'nightly.yaml'], { db: ws.store, cwd: ws.dir }).code).toBe(3);
  }, 180_000);

  it('two runs started at once: one runs, the other exits 1 at once naming it; the store is as one run leaves it', async () => {
    const ws = workspace();
    bigContacts(path.join(ws.dir, 'inbox/contacts/big.csv'), 20_000);
    const lean = leanPipeline(ws);
    const a = start(['--db', ws.store, 'run', lean], ws.dir);
    const b = start(['--db', ws.store, 'run', lean], ws.dir);
    const results = await Promise.all([a.done, b.done]);
    const codes = results.map((r) => r.code).sort();
    expect(codes, results.map((r) => r.stderr).join('\n')).toEqual([0, 1]);
    const loser = results.find((r) => r.code === 1)!;
    const winnerPid = results[0]!.code === 0 ? a.child.pid : b.child.pid;
    expect(loser.stderr).toMatch(new RegExp(`another pipeline run is in progress: run \\S+ of ${lean.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(pid ${winnerPid}\\b.*since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\); nothing was done`));
    expect(count(ws.store, 'imports')).toBe(3);
    expect(count(ws.store, 'score_runs')).toBe(1);
    expect(count(ws.store, 'exports')).toBe(1);
    expect(runs(ws).map((r) => r.status)).toEqual(['ok']);
    expect(custkit(['db', 'check'], { db: ws.store }).code).toBe(0);
  }, 240_000);

  it('a run killed with SIGKILL mid-import leaves the store and the inbox as they were; the next run takes over and finishes', async () => {
    const ws = workspace();
    expect(custkit(['import', fixture('contacts-en-bom.csv'), '-q'], { db: ws.store }).code).toBe(0);
    const contactsBefore = count(ws.store, 'contacts');
    bigContacts(path.join(ws.dir, 'inbox/contacts/big.csv'), 40_000);
    const lean = leanPipeline(ws);
    const killed = start(['--db', ws.store, 'run', lean], ws.dir);
    // The store names its writer once a write transaction has begun: the import is then mid-transaction.
    const writer = `${ws.store}-writer`;
    await until(() => fs.existsSync(writer) && fs.readFileSync(writer, 'utf8').includes(`"pid":${killed.child.pid}`), 'the import to begin writing');
    killed.child.kill('SIGKILL');
    expect((await killed.done).signal).toBe('SIGKILL');

    expect(count(ws.store, 'contacts')).toBe(contactsBefore);
    expect(fs.existsSync(path.join(ws.dir, 'inbox/contacts/big.csv'))).toBe(true);
    const [interrupted] = runs(ws);
    expect(interrupted).toMatchObject({ status: 'interrupted', exit_code: null, stopped_in: 'step 1 (import)' });

    const rerun = custkit(['run', lean], { db: ws.store, cwd: ws.dir });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toContain(`the previous run ${interrupted!.run} (pid ${killed.child.pid}) did not finish: it stopped in step 1 (import)`);
    expect(fs.readdirSync(path.join(ws.dir, 'inbox/contacts'))).toEqual([]);
    expect(fs.readdirSync(path.join(ws.dir, 'archive'))).toEqual(expect.arrayContaining(['big.csv', 'clients.csv', 'orders-2025-06.csv']));
    expect(count(ws.store, 'contacts')).toBeGreaterThanOrEqual(contactsBefore + 40_000);
    expect(runs(ws).map((r) => r.status)).toEqual(['ok', 'interrupted']);
  }, 240_000);

  it('exits with the worst step code: 3 when an import rejected rows, 1 when a step fails (the later ones not run, the earlier ones kept)', () => {
    const ws = workspace();
    fs.copyFileSync(fixture('purchases-fr.csv'), path.join(ws.dir, 'inbox/orders/more.csv'));
    const partial = custkit(['run', 'nightly.yaml'], { db: ws.store, cwd: ws.dir });
    expect(partial.code, partial.stderr).toBe(3);
    expect(runs(ws)[0]).toMatchObject({ status: 'partial', exit_code: 3 });
    expect(runs(ws)[0]!.steps.filter((s) => s.event === 'step').map((s) => s.exit_code)).toEqual([0, 3, 0, 0, 0, 0, 0]);

    fs.writeFileSync(path.join(ws.dir, 'failing.yaml'), 'steps:\n  - score: { as-of: 2025-07-31 }\n  - export: { segment: [nobody here], out: nobody.csv }\n  - report: { html: never.html }\n');
    const runsBefore = count(ws.store, 'score_runs');
    const failed = custkit(['run', 'failing.yaml'], { db: ws.store, cwd: ws.dir });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('step 3 (report): not run (a step before it failed)');
    expect(count(ws.store, 'score_runs')).toBe(runsBefore + 1); // step 1 stays done
    expect(fs.existsSync(path.join(ws.dir, 'never.html'))).toBe(false);
    const [last] = runs(ws);
    expect(last).toMatchObject({ status: 'failed', exit_code: 1 });
    expect(last!.steps.map((s) => s.exit_code)).toEqual([0, 2]);
    expect(last!.steps[1]!.error).toMatch(/nobody here/);
  }, 180_000);

  it('a file the import would refuse stops the step before any file of it is imported, and stays in the inbox', () => {
    const ws = workspace();
    fs.writeFileSync(path.join(ws.dir, 'inbox/contacts/zz-unknown.csv'), 'foo,bar\n1,2\n');
    const result = custkit(['run', 'nightly.yaml'], { db: ws.store, cwd: ws.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/zz-unknown\.csv: no column is one custkit recognises/);
    expect(fs.readdirSync(path.join(ws.dir, 'inbox/contacts')).sort()).toEqual(['clients.csv', 'zz-unknown.csv']);
    expect(fs.existsSync(path.join(ws.dir, 'archive'))).toBe(false);
    expect(fs.existsSync(ws.store) ? count(ws.store, 'imports') : 0).toBe(0);
  });

  it('a wrong pipeline file exits 2 naming the step and the key, before anything runs or is created', () => {
    const dir = tempDir();
    const file = path.join(dir, 'p.yaml');
    fs.writeFileSync(file, 'steps:\n  - import: { files: "*.csv", archive: done }\n  - score: { method: rfmca }\n  - export: { out: x.csv, segmnt: vip }\n');
    const result = custkit(['run', file], { db: path.join(dir, 'shop.db') });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${file}: step 2 (score): key "method": `);
    expect(result.stderr).toContain(`${file}: step 3 (export): unknown key "segmnt"`);
    expect(result.stderr).toContain('nothing was run');
    expect(fs.readdirSync(dir)).toEqual(['p.yaml']);
  });
});
