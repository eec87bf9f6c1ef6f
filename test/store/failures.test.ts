import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, custkit, fixture, queryStore, tempDir } from '../helpers/cli.js';
import { openStore } from '../../src/store/db.js';
import { explainFailure } from '../../src/store/failures.js';

/** A small tmpfs of our own (we run as root in CI); the disk-full and read-only tests skip without it. */
function mountTmpfs(size: string): string | null {
  const dir = tempDir('custkit-mnt-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    mounted.push(dir);
    return dir;
  } catch {
    return null;
  }
}
const mounted: string[] = [];
afterAll(() => {
  for (const dir of mounted) spawnSync('umount', [dir]);
});

const canMount = process.getuid?.() === 0 && mountTmpfs('64k') !== null;

function bigCsv(rows: number): string {
  const file = path.join(tempDir(), 'many.csv');
  const lines = ['email,first_name,last_name,city'];
  for (let i = 0; i < rows; i++) lines.push(`user${i}@example.com,Name${i},Last${i},City${i % 100}`);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('operating-system failures', () => {
  it.skipIf(!canMount)('disk full: its own message, the file system named, the store as it was', () => {
    const mnt = mountTmpfs('8m')!;
    const db = path.join(mnt, 's.db');
    expect(custkit(['import', fixture('contacts-en-bom.csv')], { db }).code).toBe(0);
    const before = queryStore(db, 'SELECT count(*) AS n FROM contacts')[0];
    // Leave almost no room, then import 30,000 rows.
    const filler = path.join(mnt, 'filler');
    spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' });
    fs.truncateSync(filler, Math.max(0, fs.statSync(filler).size - 256 * 1024));
    const run = custkit(['import', bigCsv(30000)], { db });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`the disk is full \\(the file system mounted on ${mnt} \\(tmpfs, .* free of 8.0 MiB\\)\\); nothing was changed`));
    expect(run.stderr).toMatch(/Free some space there/);
    fs.unlinkSync(filler);
    expect(queryStore(db, 'SELECT count(*) AS n FROM contacts')[0]).toEqual(before);
    expect(custkit(['db', 'check'], { db }).code).toBe(0);
  });

  it.skipIf(!canMount)('read-only file system: the store and a new store', () => {
    const mnt = mountTmpfs('8m')!;
    const db = path.join(mnt, 's.db');
    expect(custkit(['import', fixture('contacts-en-bom.csv')], { db }).code).toBe(0);
    execFileSync('mount', ['-o', 'remount,ro', mnt]);
    for (const store of [db, path.join(mnt, 'new.db')]) {
      const run = custkit(['import', '--force', fixture('contacts-en-bom.csv')], { db: store });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/is on a read-only file system \(the file system mounted on .* \(tmpfs/);
      expect(run.stderr).toMatch(/nothing was changed.*Remount it read-write/);
    }
  });

  // Runs the CLI as uid 65534: needs root, and a project that user can read (a clone inside a 0700 folder,
  // such as mktemp -d makes, is not). Otherwise skipped, and the reason printed.
  const otherUserCanRun = process.getuid?.() === 0
    && spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(BIN)}, require('fs').constants.R_OK)`], { uid: 65534, gid: 65534 }).status === 0;
  if (!otherUserCanRun) console.warn('skipping the permission-denied test: not root, or uid 65534 cannot read this project');
  it.skipIf(!otherUserCanRun)('permission denied: another user cannot write the store', () => {
    const dir = tempDir();
    fs.chmodSync(dir, 0o755);
    fs.chmodSync(path.dirname(dir), 0o755);
    const db = path.join(dir, 's.db');
    expect(custkit(['import', fixture('contacts-en-bom.csv')], { db }).code).toBe(0);
    fs.chmodSync(db, 0o644);
    const asNobody = (args: string[]): { code: number | null; stderr: string } => {
      const r = spawnSync(process.execPath, [BIN, '--db', db, ...args], { uid: 65534, gid: 65534, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      return { code: r.status, stderr: r.stderr };
    };
    const run = asNobody(['import', '--force', fixture('contacts-en-bom.csv')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot be written by this user|permission denied|cannot be opened/);
    expect(run.stderr).toMatch(/nothing was changed/);
    expect(run.stderr).not.toMatch(/unexpected failure/);
  });

  it('a store whose folder vanished while it was open', () => {
    const dir = tempDir();
    const file = path.join(dir, 's.db');
    const db = openStore(file);
    db.exec('CREATE TABLE probe (x)');
    fs.rmSync(dir, { recursive: true });
    let caught: unknown = null;
    try {
      db.transaction(() => db.prepare('INSERT INTO probe VALUES (1)').run())();
    } catch (error) {
      caught = error;
    }
    db.close();
    expect(caught).not.toBeNull();
    expect(explainFailure(caught, file)).toMatchObject({ kind: 'vanished' });
    expect(explainFailure(caught, file)!.message).toMatch(/no longer there.*nothing was changed/);
    const missing = custkit(['import', fixture('contacts-en-bom.csv')], { db: path.join(dir, 'gone', 's.db') });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/does not exist \(a disk not mounted, a folder moved\?\); nothing was changed/);
  });

  it('maps SQLite and errno codes to their kind', () => {
    const err = (code: string, message = code): Error => Object.assign(new Error(message), { code });
    expect(explainFailure(err('SQLITE_FULL', 'database or disk is full'), '/tmp/x.db')?.kind).toBe('disk full');
    expect(explainFailure(err('ENOSPC'), '/tmp/x.db')?.kind).toBe('disk full');
    expect(explainFailure(err('SQLITE_CORRUPT', 'database disk image is malformed'), '/tmp/x.db')?.message).toMatch(/custkit db check.*restore the latest backup/);
    expect(explainFailure(err('SQLITE_IOERR_WRITE'), '/tmp/x.db')?.kind).toBe('io');
    expect(explainFailure(err('EACCES'), '/tmp/x.db')?.kind).toBe('permission');
    expect(explainFailure(new Error('a bug'), '/tmp/x.db')).toBeNull();
  });
});
