/**
 * A small sample of each part of the torture suite (npm run torture runs them in full): a few dozen
 * fuzzed files, the hostile files at a sixteenth of their size, a kill -9 of five writing commands (one
 * of each kind: import, merge, file written, store replaced, results read), and one round of
 * two writers and a reader.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli.js';
import { fuzz } from '../../bench/torture/fuzz.js';
import { killTorture } from '../../bench/torture/kill.js';
import { concurrencyTorture } from '../../bench/torture/concurrency.js';

const quiet = (): void => undefined;

describe('torture sample', () => {
  it('fuzzed files and hostile files: documented exit codes only, no stack trace, refused files change nothing, bombs stay small', async () => {
    const f = await fuzz({ count: 40, workers: 1, seed: Date.now() % 100000, dir: tempDir(), full: false, log: quiet, nice: 0 });
    expect(f.examples.filter((e) => /unexpected|changed/.test(e))).toEqual([]);
    expect(f.stackTraces).toBe(0);
    expect(f.unexpected).toBe(0);
    expect(f.refusedThatChangedStore).toBe(0);
    expect(f.dryRunsThatChangedStore).toBe(0);
    expect(f.slowFiles).toBe(0);
    expect(f.files).toBe(40);
    // A refused file is refused by its dry run too (docs/cli.md: a dry run exits as the real run would).
    expect(Object.keys(f.codePairs).filter((pair) => pair.startsWith('1/') !== pair.endsWith('/1'))).toEqual([]);
    expect(Object.keys(f.exitCodes).every((k) => /^(dry-run|import) [0-3]$/.test(k))).toBe(true);
    expect(f.bombs.length).toBeGreaterThanOrEqual(8);
    for (const bomb of f.bombs) {
      expect(bomb.code, bomb.file).toBe(1);
      expect(bomb.peakRssMb, bomb.file).toBeLessThanOrEqual(300);
    }
  }, 600_000);

  it('kill -9 during import, dedupe --apply, export, db restore, db rekey and campaigns results leaves a sound store, before or after, never between, no export file cut short, nothing left behind', async () => {
    const commands = ['import', 'dedupe --apply', 'export', 'db restore', 'db rekey', 'campaigns results'];
    const k = await killTorture({ perCommand: 1, contacts: 400, dir: path.join(tempDir(), 'kill'), seed: Date.now() % 1000, log: quiet, commands });
    expect(k.problems).toEqual([]);
    expect(k.notLanded).toEqual([]);
    expect(k.kills).toBe(commands.length);
    expect(k.corruptStores + k.halfApplied + k.failedReruns + k.leftovers).toBe(0);
  }, 600_000);

  it('two writers and a reader at once: every write accounted for', async () => {
    const c = await concurrencyTorture({ rounds: 1, rows: 300, dir: tempDir(), log: quiet });
    expect(c.problems).toEqual([]);
    expect(c.writerFailures + c.readerFailures + c.inconsistentReads + c.lostWrites).toBe(0);
    expect(c.readerRuns).toBeGreaterThan(0);
  }, 300_000);
});
