import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { custkit, fixture, ROOT, tempDir } from '../helpers/cli.js';
import { formatDuration, parseDuration } from '../../src/store/busy.js';

/**
 * Another process that opens the store as custkit does, takes the write lock and keeps it until told
 * (a line on its stdin) or `holdMs` at most: the machine's load decides how long the others take to start.
 */
function holdWriteLock(db: string, holdMs: number): Promise<ChildProcess> {
  const script = `
    const { openStore } = await import(${JSON.stringify(path.join(ROOT, 'dist/store/db.js'))});
    const db = openStore(${JSON.stringify(db)}, { wait: { waitMs: 1000, command: 'custkit import' } });
    db.exec('BEGIN');
    db.prepare("UPDATE contacts SET city = 'Lyon'").run();
    process.stdout.write('locked\\n');
    const release = () => { db.exec('COMMIT'); db.close(); process.exit(0); };
    process.stdin.once('data', release);
    setTimeout(release, ${holdMs});`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`lock holder exited early (${code})`)));
  });
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', resolve));
}

/** custkit run asynchronously (spawnSync would block the event loop the holder's exit is awaited on). */
function custkitAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/custkit.js'), ...args], { env: { ...process.env, NO_COLOR: '1', ...env } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('a busy store', () => {
  it('parses durations', () => {
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('45')).toBe(45_000);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('soon')).toBeNull();
    expect(parseDuration('10 minutes')).toBeNull();
    expect(formatDuration(90_000)).toBe('1m30s');
  });

  it('a writer gives up after --wait naming the holder; a reader is not blocked; a longer wait succeeds', async () => {
    const db = path.join(tempDir(), 'busy.db');
    expect(custkit(['--db', db, 'import', fixture('contacts-en-bom.csv')]).code).toBe(0);
    const holder = await holdWriteLock(db, 300_000);
    const again = ['import', '--force', fixture('contacts-en-bom.csv')];
    const [refused, viaEnv, reader] = await Promise.all([
      custkitAsync(['--db', db, '--wait', '1s', ...again]),
      custkitAsync(['--db', db, ...again], { CUSTKIT_WAIT: '500ms' }),
      // A reader reads beside the writer (WAL), at once.
      custkitAsync(['--db', db, 'db', 'info', '--json']),
    ]);
    expect(holder.exitCode).toBeNull(); // still holding: the refusals were not a race
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`the store is busy: custkit import \\(pid ${holder.pid}, .*started .* UTC\\) is writing to it; waited 1s and nothing was changed`));
    expect(refused.stderr).toMatch(/--wait DURATION \(or CUSTKIT_WAIT\)/);
    expect(viaEnv.code).toBe(1);
    expect(viaEnv.stderr).toMatch(/waited 1s|waited \d+ms/);
    expect(reader.code).toBe(0);

    const patient = custkitAsync(['--db', db, '--wait', '5m', ...again]);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    holder.stdin!.write('release\n');
    expect(await exited(holder)).toBe(0);
    const patientRun = await patient;
    expect(patientRun.stderr).not.toMatch(/busy/);
    expect(patientRun.code).toBe(0);
  }, 600_000);

  it('a lock file left by a killed process names nobody', async () => {
    const db = path.join(tempDir(), 'killed.db');
    expect(custkit(['--db', db, 'import', fixture('contacts-en-bom.csv')]).code).toBe(0);
    const holder = await holdWriteLock(db, 60_000);
    holder.kill('SIGKILL');
    await exited(holder);
    const after = await custkitAsync(['--db', db, '--wait', '2s', 'import', '--force', fixture('contacts-en-bom.csv')]);
    expect(after.code).toBe(0);
  }, 300_000);

  it('a bad --wait is a usage error', () => {
    const run = custkit(['--wait', 'later', 'db', 'info']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--wait: "later" is not a duration/);
  });
});
