/**
 * The export's memory map is bounded (src/export/run.ts); CUSTKIT_EXPORT_MMAP sets another bound. Any
 * bound gives the same file, and a value that is not a size is a usage error before anything is read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { custkit, fixture, tempDb, tempDir } from '../helpers/cli.js';

describe('CUSTKIT_EXPORT_MMAP', () => {
  it('gives the same file with the map off, bounded and at the ceiling; a value that is not a size exits 2', () => {
    const db = tempDb();
    expect(custkit(['import', fixture('clients-fr-cp1252.csv'), '-q'], { db }).code).toBe(0);
    const dir = tempDir();
    const files = ['0', '256M', '2G', ''].map((bound, i) => {
      const out = path.join(dir, `list-${i}.csv`);
      const run = custkit(['export', '--include-unconsented', '--out', out, '-q'], { db, env: { CUSTKIT_EXPORT_MMAP: bound } });
      expect(run.code, run.stderr).toBe(0);
      return fs.readFileSync(out, 'utf8');
    });
    expect(files[0]!.split('\n').length).toBeGreaterThan(2);
    expect(new Set(files).size).toBe(1);
    const bad = custkit(['export', '--out', path.join(dir, 'bad.csv')], { db, env: { CUSTKIT_EXPORT_MMAP: 'lots' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('CUSTKIT_EXPORT_MMAP=lots: not a size');
    expect(fs.existsSync(path.join(dir, 'bad.csv'))).toBe(false);
  });
});
