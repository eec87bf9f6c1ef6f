/**
 * A refused file whose header is huge (one 50 KB header cell, 16,384 columns, 1,500 long column names)
 * gets an error of a few hundred characters, not the header: every message that quotes input is bounded
 * (src/io/quote.ts). Before, import printed the 50 KB header whole and a dry run 1,500 table rows.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { custkit, fixture, tempDir } from '../helpers/cli.js';

let dir: string;
let db: string;
const files: Record<string, string> = {};

beforeAll(() => {
  dir = tempDir();
  db = path.join(dir, 'shop.db');
  expect(custkit(['import', fixture('contacts-en-bom.csv')], { db }).code).toBe(0);
  const write = (name: string, text: string): void => {
    files[name] = path.join(dir, name);
    fs.writeFileSync(files[name]!, text);
  };
  write('one-cell.csv', `${'H'.repeat(50_000)}\nvalue\n`);
  write('wide.csv', `${Array.from({ length: 16_384 }, (_, i) => `c${i}`).join(',')}\n${'1,'.repeat(16_383)}1\n`);
  const questions = Array.from({ length: 1_500 }, (_, i) => `Question ${i} about something rather long`);
  write('survey.csv', `${questions.join(',')}\n${questions.map(() => 'a').join(',')}\n`);
});

describe('a refused file with a huge header', () => {
  it('import: the one 50 KB header cell is cut, with its length', () => {
    const r = custkit(['import', files['one-cell.csv']!], { db });
    expect(r.code).toBe(1);
    expect(r.stderr.length).toBeLessThan(1_500);
    expect(r.stderr).toContain(`"${'H'.repeat(80)}…" (50,000 characters)`);
  });

  it('import of 16,384 columns (limit raised): ten columns at most, then how many more', () => {
    const r = custkit(['import', files['wide.csv']!, '--max-columns', '20000'], { db });
    expect(r.code).toBe(1);
    expect(r.stderr.length).toBeLessThan(1_500);
    expect(r.stderr).toContain('"c0", "c1", "c2", "c3", "c4", "c5", … and 16,378 more columns');
    // With the default limit it is refused on the limit, briefly.
    const limited = custkit(['import', files['wide.csv']!], { db });
    expect(limited.code).toBe(1);
    expect(limited.stderr).toMatch(/16,384 columns, over the 2,000 limit/);
    expect(limited.stderr.length).toBeLessThan(500);
  });

  it('import --dry-run: the mapping table stops at 40 rows and says how many more', () => {
    const r = custkit(['import', '--dry-run', files['survey.csv']!], { db });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('… and 1,460 more columns kept in attributes (--json lists them all)');
    expect(r.stdout.length).toBeLessThan(15_000);
    expect(r.stderr.length).toBeLessThan(1_500);
  });

  it('--map naming a column the file lacks lists a bounded part of its columns', () => {
    const r = custkit(['import', files['survey.csv']!, '--map', 'Nope=email'], { db });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/… and 1,4\d\d more columns\)/);
    expect(r.stderr.length).toBeLessThan(1_000);
  });

  it('campaigns results and returns, suppress --import: the same bounds', () => {
    for (const args of [['campaigns', 'results'], ['campaigns', 'returns'], ['suppress', '--import']]) {
      for (const file of ['one-cell.csv', 'survey.csv']) {
        const r = custkit([...args, files[file]!], { db });
        expect(r.code, `${args.join(' ')} ${file}`).not.toBe(0);
        expect(r.stderr.length, `${args.join(' ')} ${file}: ${r.stderr.slice(0, 200)}`).toBeLessThan(1_000);
        expect(r.stderr).toMatch(file === 'one-cell.csv' ? /…" \(50,000 characters\)/ : /… and 1,4\d\d more columns/);
      }
    }
  });
});
