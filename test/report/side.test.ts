/**
 * The report's side thread (src/report/side.ts) computes the same report as one thread does. It runs
 * only from built JavaScript, so this test loads the built modules (npm test builds first).
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';
import { ensureValidated } from '../../src/validate/ensure.js';
import type { Timing } from '../../src/report/side.js';
import { ROOT, tempDb } from '../helpers/cli.js';
import { generateShop, scoreHistory } from './synthetic.js';

const AS_OF = '2025-06-30';
const BUILT = path.join(ROOT, 'dist/report/build.js');

describe.skipIf(!fs.existsSync(BUILT))('the report on two threads', () => {
  let file: string;
  beforeAll(() => {
    file = tempDb();
    const store = openStore(file);
    generateShop(store, { contacts: 1_500, until: AS_OF });
    ensureValidated(store, { workers: 0 });
    scoreHistory(store, AS_OF);
    store.close();
  }, 120_000);

  it('gives the same KPIs as one thread, the side ones computed on the worker', async () => {
    const built = (await import(BUILT)) as typeof import('../../src/report/build.js');
    const db = openStore(file);
    try {
      const timings: Timing[] = [];
      const two = built.buildReport(db, { asOf: AS_OF, sideThread: true, timings });
      const one = built.buildReport(db, { asOf: AS_OF, sideThread: false });
      expect(timings.filter((t) => t.thread === 'side').map((t) => t.step)).toEqual(expect.arrayContaining(['file health', 'segments and migration', 'revenue per day, category and channel']));
      expect(two).toEqual(one);
      expect(two.scores?.migration.length).toBeGreaterThan(0);
      expect(two.categories.length).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  }, 120_000);

  it('runs on the worker for an encrypted store too (the key reaches the worker in memory)', async () => {
    const built = (await import(BUILT)) as typeof import('../../src/report/build.js');
    const builtDb = (await import(path.join(ROOT, 'dist/store/db.js'))) as typeof import('../../src/store/db.js');
    const cipher = (await import(path.join(ROOT, 'dist/store/cipher.js'))) as typeof import('../../src/store/cipher.js');
    const encrypted = tempDb();
    fs.copyFileSync(file, encrypted);
    cipher.setCopyKey(encrypted, null, 'side thread passphrase');
    const db = builtDb.openStore(encrypted, { key: 'side thread passphrase' });
    try {
      const timings: Timing[] = [];
      built.buildReport(db, { asOf: AS_OF, sideThread: true, timings });
      expect(timings.filter((t) => t.thread === 'side').map((t) => t.step)).toContain('file health');
    } finally {
      db.close();
    }
  }, 120_000);
});
