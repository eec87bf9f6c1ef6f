import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../../src/store/db.js';
import { SHARED_DATA } from '../helpers/cli.js';
import { addLines, type Line } from './store-helpers.js';

export const CDNOW = path.join(SHARED_DATA, 'cdnow');

/** CDNOW_sample.txt into a store: one contact per sample id, one order per record. */
export function loadCdnow(db: Db): void {
  const lines: Line[] = fs
    .readFileSync(path.join(CDNOW, 'CDNOW_sample.txt'), 'utf8')
    .trim()
    .split('\n')
    .map((row, i) => {
      const [, id, date, , dollars] = row.trim().split(/\s+/);
      return { customer: String(Number(id)), order: `L${i + 1}`, date: `${date!.slice(0, 4)}-${date!.slice(4, 6)}-${date!.slice(6, 8)}`, amount: Number(dollars) };
    });
  addLines(db, lines, 'cdnow');
}

