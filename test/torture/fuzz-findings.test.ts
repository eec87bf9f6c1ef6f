/**
 * Files the torture fuzz found a problem with, kept as tests once fixed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { custkit, fixture, tempDb, tempDir } from '../helpers/cli.js';

describe('fuzz findings', () => {
  it('a UTF-8 file behind a UTF-16 byte-order mark (one header of 24,000 wide characters): the dry run shows it cut to 100 characters', () => {
    // Read as UTF-16, the whole file is one line of CJK-looking characters. The preview table measured
    // and cut that cell one character at a time: the dry run spun for minutes before this was fixed.
    const file = path.join(tempDir(), 'orders.csv');
    fs.writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), fs.readFileSync(fixture('help/order-history.csv'))]));
    const dry = custkit(['import', file, '--dry-run'], { db: tempDb() });
    const real = custkit(['import', file], { db: tempDb() });
    expect(dry.code).toBe(1);
    expect(real.code).toBe(1);
    const header = dry.stdout.split('\n').find((line) => line.includes('(kept in attributes)'))!;
    expect(header).toContain('…');
    expect([...header].length).toBeLessThan(160);
  }, 120_000);
});
