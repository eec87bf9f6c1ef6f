import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireRunLock, readRunHolder, runLockHolder } from '../../src/pipeline/lock.js';
import { tempDir } from '../helpers/cli.js';

describe('the run lock', () => {
  it('is held by one run at a time; the other learns who holds it and since when', () => {
    const dir = path.join(tempDir(), 'shop.db-runs');
    const first = acquireRunLock(dir, { run: 'r1', pipeline: '/srv/nightly.yaml' });
    if ('heldBy' in first) throw new Error('the first run did not get the lock');
    expect(first.previous).toBeNull();
    const second = acquireRunLock(dir, { run: 'r2', pipeline: '/srv/nightly.yaml' });
    expect(second).toMatchObject({ heldBy: { run: 'r1', pid: process.pid, pipeline: '/srv/nightly.yaml' } });
    expect(runLockHolder(dir)).toMatchObject({ run: 'r1' });
    first.release();
    expect(readRunHolder(dir)).toBeNull();
    expect(runLockHolder(dir)).toBe('free');
    const third = acquireRunLock(dir, { run: 'r3', pipeline: '/srv/nightly.yaml' });
    if ('heldBy' in third) throw new Error('the lock was not released');
    expect(third.previous).toBeNull(); // released properly: no run to report as unfinished
    third.release();
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dir, 'lock.sqlite')).mode & 0o777).toBe(0o600);
  });

  it('a holder file left behind (a killed run) is reported as the previous run, not obeyed', () => {
    const dir = path.join(tempDir(), 'shop.db-runs');
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.writeFileSync(path.join(dir, 'holder.json'), JSON.stringify({ pid: 999_999_999, host: 'h', user: null, run: 'dead', pipeline: 'p', since: '2026-12-07T02:30:00.000Z' }));
    const lock = acquireRunLock(dir, { run: 'r1', pipeline: 'p' });
    if ('heldBy' in lock) throw new Error('a dead run\'s file blocked the lock');
    expect(lock.previous).toMatchObject({ run: 'dead' });
    expect(readRunHolder(dir)).toMatchObject({ run: 'r1', pid: process.pid });
    lock.release();
  });
});
