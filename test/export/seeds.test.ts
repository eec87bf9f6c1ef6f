import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import Papa from 'papaparse';
import { addSeed, listSeeds, SeedError, traceEmail, traceFile } from '../../src/export/seeds.js';
import { addEmailable, addScore, addScoreRun, makeStore } from './store.js';
import { exportFile, exportJsonl } from './run.js';
import { tempDir } from '../helpers/cli.js';

function store(people = 20) {
  const { db } = makeStore();
  const run = addScoreRun(db);
  for (let i = 0; i < people; i++) addScore(db, run, addEmailable(db, { email: `person${String(i).padStart(2, '0')}@example.com`, firstName: `P${i}`, city: 'Lyon' }), { segment: 'Champions' });
  addSeed(db, 'Trap.One@Traps.example', 'Camille Roux');
  addSeed(db, 'trap.two@traps.example');
  addSeed(db, 'trap.three@traps.example', 'Jean Pierre Lenoir');
  return db;
}

function rowsOf(file: string): string[][] {
  return Papa.parse<string[]>(fs.readFileSync(file, 'utf8'), { skipEmptyLines: true }).data;
}

describe('seeds (trap addresses)', () => {
  it('registers seeds once, normalised, and lists them', () => {
    const db = store(0);
    expect(() => addSeed(db, ' TRAP.ONE@traps.example ')).toThrow(SeedError);
    expect(() => addSeed(db, 'not an email')).toThrow(/not an email address/);
    expect(listSeeds(db).map((s) => [s.email, s.first_name, s.last_name, s.exports])).toEqual([
      ['trap.one@traps.example', 'Camille', 'Roux', 0],
      ['trap.two@traps.example', null, null, 0],
      ['trap.three@traps.example', 'Jean', 'Pierre Lenoir', 0],
    ]);
  });

  it('mixes N seeds in at the recorded positions, looking like ordinary rows; counts leave them out', async () => {
    const db = store();
    const { file, result } = await exportFile(db, { segments: ['champions'] }, { format: 'csv', withSeeds: 2, columns: ['uid', 'email', 'first_name', 'last_name', 'city', 'segment'] });
    expect(result.rows).toBe(20);
    expect(result.seeds).toBe(2);
    const rows = rowsOf(file);
    expect(rows).toHaveLength(1 + 22);
    const recorded = db.prepare('SELECT s.email, es.position FROM export_seeds es JOIN seeds s ON s.id = es.seed_id WHERE es.export_id = ? ORDER BY es.position').all(result.exportId) as { email: string; position: number }[];
    expect(recorded).toHaveLength(2);
    for (const { email, position } of recorded) {
      const row = rows[position]!;
      expect(row[1]).toBe(email);
      expect(row[0]).toMatch(/^[0-9a-f-]{36}$/); // a uid like everyone else's
      expect(row[5]).toBe('Champions'); // copied from a neighbour
      expect(row[4]).toBe(''); // no made-up personal data
    }
    const logged = db.prepare('SELECT row_count, seed_count FROM exports WHERE id = ?').get(result.exportId);
    expect(logged).toEqual({ row_count: 20, seed_count: 2 });
  });

  it('never puts seeds in an ordinary export, even when a seed address was imported as a contact', async () => {
    const db = store(3);
    addEmailable(db, { email: 'trap.two@traps.example' });
    const { rows } = await exportJsonl(db, {}, { columns: ['email'] });
    expect(rows.map((r) => r.email)).toEqual(['person00@example.com', 'person01@example.com', 'person02@example.com']);
  });

  it('refuses more seeds than registered, or seeds on a non-email channel, before writing', async () => {
    const db = store(2);
    await expect(exportFile(db, {}, { format: 'csv', withSeeds: 4 })).rejects.toThrow(/only 3 seeds registered/);
    await expect(exportFile(db, { channel: 'sms' }, { format: 'csv', withSeeds: 1 })).rejects.toThrow(/--channel email/);
  });

  it('traces a seed address and a leaked file back to their export', async () => {
    const db = store();
    const first = await exportFile(db, {}, { format: 'csv', withSeeds: 3, columns: ['email', 'first_name'] }, 'partner-a');
    const second = await exportFile(db, { limit: 5 }, { format: 'xlsx', withSeeds: 1, columns: ['email'] }, 'partner-b');
    const byEmail = traceEmail(db, 'TRAP.ONE@traps.example');
    expect(byEmail.exports.map((x) => x.id)).toContain(first.result.exportId);

    // The file as written: same bytes.
    const exact = await traceFile(db, first.file);
    expect(exact.identical?.id).toBe(first.result.exportId);
    expect(exact.candidates[0]!.id).toBe(first.result.exportId);

    // The file reworked by someone else (re-ordered, other columns, quoted apostrophes): its seeds still tell.
    const leaked = path.join(tempDir(), 'leaked.txt');
    const emails = rowsOf(first.file).slice(1).map((r) => `'${r[0]}`).reverse();
    fs.writeFileSync(leaked, `Mail;Nom\n${emails.map((e) => `${e};x`).join('\n')}\n`);
    const reworked = await traceFile(db, leaked);
    expect(reworked.identical).toBeNull();
    expect(reworked.seedsFound).toHaveLength(3);
    expect(reworked.candidates[0]).toMatchObject({ id: first.result.exportId, matched: 3 });

    const xlsx = await traceFile(db, second.file);
    expect(xlsx.identical?.id).toBe(second.result.exportId);
    expect(xlsx.candidates.map((c) => c.id)).toContain(second.result.exportId);
    expect(xlsx.seedsFound).toHaveLength(1);

    // A large file read in chunks, with the seed written across the first chunk boundary (256 KiB).
    const big = path.join(tempDir(), 'big.csv');
    const filler = 'filler@example.com;x\n';
    const head = filler.repeat(Math.floor((256 * 1024 - 12) / filler.length));
    fs.writeFileSync(big, `${head}${'#'.repeat(256 * 1024 - 12 - head.length)}\ntrap.two@traps.example;x\n${filler.repeat(20_000)}`);
    expect((await traceFile(db, big)).seedsFound).toEqual(['trap.two@traps.example']);

    const clean = path.join(tempDir(), 'clean.csv');
    fs.writeFileSync(clean, 'email\nperson01@example.com\n');
    expect((await traceFile(db, clean)).candidates).toEqual([]);
    expect(() => traceEmail(db, 'person01@example.com')).toThrow(/not a registered seed/);
  });
});
