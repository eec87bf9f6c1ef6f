/**
 * The full pipeline file of docs/pipeline.md runs as printed, on a copy of fixtures/pipeline/: a reference
 * whose example fails is worse than none.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, custkit, fixture, queryStore, tempDir } from '../helpers/cli.js';

describe('docs/pipeline.md', () => {
  const doc = fs.readFileSync(path.join(ROOT, 'docs/pipeline.md'), 'utf8');
  const full = doc.match(/## A full pipeline file[\s\S]*?```yaml\n([\s\S]*?)```/)?.[1];

  it('has a full pipeline file', () => {
    expect(full).toMatch(/steps:/);
  });

  it('runs its full pipeline file on the fixtures, and its dry run first changes nothing', () => {
    const dir = tempDir('custkit-doc-pipeline-');
    fs.cpSync(fixture('pipeline'), dir, { recursive: true });
    fs.mkdirSync(path.join(dir, 'lists'));
    fs.writeFileSync(path.join(dir, 'full.yaml'), full!);
    const dry = custkit(['run', 'full.yaml', '--dry-run'], { cwd: dir });
    expect(dry.code, dry.stderr).toBe(0);
    expect(fs.existsSync(path.join(dir, 'shop.db'))).toBe(false);
    // From another folder, as cron would: the paths are the pipeline file's.
    const result = custkit(['run', path.join(dir, 'full.yaml')], { cwd: tempDir() });
    expect(result.code, result.stderr).toBe(0);
    expect(fs.readdirSync(path.join(dir, 'lists')).sort()).toEqual(['best-customers.csv', 'report.html', 'sms.csv']);
    expect(fs.readdirSync(path.join(dir, 'archive')).sort()).toEqual(['clients.csv', 'orders-2025-06.csv']);
    expect(queryStore(path.join(dir, 'shop.db'), 'SELECT count(*) AS n FROM score_runs')).toEqual([{ n: 1 }]);
  }, 180_000);
});
