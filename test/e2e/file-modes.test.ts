/**
 * Every file custkit writes is created 0600 (DESIGN.md), whatever the user's umask: the store, its WAL and
 * shared memory, backups, exports, review, issue and reject files, access bundles, reports. Run here with
 * umask 000, where a file created without an explicit mode would come out world-readable.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, fixture, tempDir } from '../helpers/cli.js';

function run(dir: string, args: string[]): number {
  const quoted = args.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const result = spawnSync('bash', ['-c', `umask 000; exec "$CK_NODE" "$CK_BIN" --db shop.db ${quoted}`], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', CUSTKIT_DB: undefined, CK_NODE: process.execPath, CK_BIN: BIN },
  });
  return result.status ?? -1;
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [path.join(dir, e.name), ...walk(path.join(dir, e.name))] : [path.join(dir, e.name)]));
}

describe('file modes', () => {
  it('every file written is 0600 and every folder created 0700, even under umask 000', () => {
    const dir = tempDir();
    const steps: Array<[string[], number[]]> = [
      [['import', fixture('clients-fr-cp1252.csv')], [0]],
      [['import', fixture('purchases-fr.csv')], [3]],
      [['validate', '--out', 'issues.csv'], [3]],
      [['validate', '--out', 'issues.xlsx'], [3]],
      [['rejects', '--out', 'rejects.csv'], [0]],
      [['dedupe', '--review', 'review.csv'], [0]],
      [['dedupe', '--review', 'review.xlsx'], [0]],
      [['export', '--include-unconsented', '--out', 'list.csv'], [0]],
      [['export', '--include-unconsented', '--format', 'xlsx', '--out', 'list.xlsx'], [0]],
      [['gdpr', 'access', 'chloe.lefevre@free.fr', '--out', 'person.json'], [0]],
      [['gdpr', 'access', 'chloe.lefevre@free.fr', '--out', 'person.html'], [0]],
      [['report', '--html', 'report.html'], [0]],
      [['db', 'backup', 'copy.db'], [0]],
      [['clean', '--fix'], [0]],
      [['db', 'restore', 'copy.db'], [0]],
    ];
    for (const [args, codes] of steps) expect(codes, args.join(' ')).toContain(run(dir, args));
    const entries = walk(dir);
    expect(entries.some((f) => f.endsWith('shop.db.backups'))).toBe(true);
    expect(entries.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    for (const entry of entries) {
      const stat = fs.statSync(entry);
      expect((stat.mode & 0o777).toString(8), path.relative(dir, entry)).toBe(stat.isDirectory() ? '700' : '600');
    }
  }, 180_000);
});
