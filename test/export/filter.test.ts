import { describe, expect, it } from 'vitest';
import { compileFilter, FilterError } from '../../src/export/filter.js';
import { SelectionError } from '../../src/export/select.js';
import { addEmailable, addScore, addScoreRun, makeStore } from './store.js';
import { exportJsonl } from './run.js';

function store() {
  const { db } = makeStore();
  const run = addScoreRun(db);
  const lyon = addEmailable(db, { email: 'lyon@example.com', city: 'Lyon', tags: ['VIP'], birthDate: '1980-04-02', lastName: "O'Brien" });
  const paris = addEmailable(db, { email: 'paris@example.com', city: 'Paris', tags: [], company: 'ACME 100% bio' });
  const nocity = addEmailable(db, { email: 'nocity@example.com', city: null, tags: ['newsletter'] });
  addScore(db, run, lyon, { segment: 'Champions', r: 5, f: 4, monetaryMinor: 125_000, lastPurchase: '2026-03-10 14:30:00' });
  addScore(db, run, paris, { segment: 'At Risk', r: 2, f: 1, monetaryMinor: 9_900, lastPurchase: '2025-11-01' });
  addScore(db, run, nocity, { segment: 'Loyal Customers', r: 4, f: 5, monetaryMinor: 50_000, lastPurchase: '2026-01-01' });
  return db;
}

async function who(db: ReturnType<typeof store>, where: string): Promise<string[]> {
  const { rows } = await exportJsonl(db, { where }, { columns: ['email'] });
  return rows.map((r) => String(r.email).split('@')[0]!).sort();
}

function errorOf(expression: string): FilterError {
  try {
    compileFilter(expression);
  } catch (error) {
    if (error instanceof FilterError) return error;
    throw error;
  }
  throw new Error(`"${expression}" compiled`);
}

describe('--where filter language', () => {
  it('selects on contact fields and scores', async () => {
    const db = store();
    expect(await who(db, 'city = "lyon"')).toEqual(['lyon']);
    expect(await who(db, 'city = "Lyon" and r >= 4 and last_purchase > 2026-01-01')).toEqual(['lyon']);
    expect(await who(db, 'r >= 4 or city = \'Paris\'')).toEqual(['lyon', 'nocity', 'paris']);
    expect(await who(db, 'not (city = "Lyon")')).toEqual(['nocity', 'paris']);
    expect(await who(db, 'city != "Lyon"')).toEqual(['nocity', 'paris']);
    expect(await who(db, 'city is empty')).toEqual(['nocity']);
    expect(await who(db, 'city is not empty and f in (1, 4)')).toEqual(['lyon', 'paris']);
    expect(await who(db, 'city not in ("Paris")')).toEqual(['lyon', 'nocity']);
    expect(await who(db, 'segment = "at-risk"')).toEqual(['paris']);
    expect(await who(db, 'segment in (champions, "LOYAL customers")')).toEqual(['lyon', 'nocity']);
    expect(await who(db, 'tag = "vip"')).toEqual(['lyon']);
    expect(await who(db, 'tag is empty')).toEqual(['paris']);
    expect(await who(db, 'monetary >= 500')).toEqual(['lyon', 'nocity']);
    expect(await who(db, 'birth_date < "1990-01-01"')).toEqual(['lyon']);
    expect(await who(db, 'last_name = "O\'Brien"')).toEqual(['lyon']);
    expect(await who(db, 'company contains "100%"')).toEqual(['paris']);
    expect(await who(db, 'company contains "%"')).toEqual(['paris']);
    expect(await who(db, 'email starts with "NO"')).toEqual(['nocity']);
    expect(await who(db, 'last_purchase >= today-100y')).toEqual(['lyon', 'nocity', 'paris']);
  });

  it('points at the column of a mistake', () => {
    expect(errorOf('citty = "Lyon"')).toMatchObject({ column: 1 });
    expect(errorOf('citty = "Lyon"').reason).toMatch(/unknown field "citty"/);
    expect(errorOf('city = "Lyon" and r >=').column).toBe(23);
    expect(errorOf('city = "Lyon" and r >=').reason).toMatch(/expected a number, found the end/);
    expect(errorOf('city = "Lyon').reason).toMatch(/unterminated text/);
    expect(errorOf('city = "Lyon').column).toBe(8);
    expect(errorOf('(city = "Lyon"').reason).toMatch(/expected "\)"/);
    expect(errorOf('r >= "four"')).toMatchObject({ column: 6 });
    expect(errorOf('last_purchase > 2026-02-30').reason).toMatch(/not a calendar date/);
    expect(errorOf('city is "x"').reason).toMatch(/expected "empty"/);
    expect(errorOf('r contains "4"').reason).toMatch(/works on text fields/);
    expect(errorOf('city = "Lyon" r = 4').column).toBe(15);
    expect(errorOf('').reason).toMatch(/empty/);
    expect(errorOf('city = "a" and ' + '('.repeat(60) + 'r = 1' + ')'.repeat(60)).reason).toMatch(/nested/);
    const shown = errorOf('city = "Lyon" and r >= x').display();
    expect(shown.split('\n')[2]).toBe(`  ${' '.repeat(23)}^`);
  });

  it('turns injection attempts into errors or plain values', async () => {
    const db = store();
    for (const attack of [
      'city = "x"; DROP TABLE contacts',
      'city = "x" -- comment',
      'city = "x" or 1 = 1',
      "city = 'x' union select uid from contacts",
      'city) or (1=1',
      'sqlite_master = 1',
      'email = email',
      'city = "x" /* */',
      'city = `x`',
    ]) {
      expect(() => compileFilter(attack), attack).toThrow(FilterError);
    }
    // Quotes inside a value stay in the value: nothing matches, nothing breaks.
    expect(await who(db, `city = "Lyon' OR '1'='1"`)).toEqual([]);
    expect(await who(db, `city = 'x"); DELETE FROM contacts; --'`)).toEqual([]);
    const { params, sql } = compileFilter(`city = "Lyon' OR 1=1 --"`);
    expect(params).toEqual(["Lyon' OR 1=1 --"]);
    expect(sql).not.toContain('Lyon');
    expect((db.prepare('SELECT count(*) AS n FROM contacts').get() as { n: number }).n).toBe(3);
  });

  it('refuses score fields and segments when the store has no score run', async () => {
    const { db } = makeStore();
    addEmailable(db, { email: 'a@example.com' });
    await expect(exportJsonl(db, { where: 'r >= 4' })).rejects.toThrow(SelectionError);
    await expect(exportJsonl(db, { segments: ['champions'] })).rejects.toThrow(/score run/);
  });

  it('matches segments of the latest run or of --run, and names the segments on a miss', async () => {
    const db = store();
    const older = 1;
    const newer = addScoreRun(db, '2026-09-30');
    const lyon = (db.prepare("SELECT id FROM contacts WHERE email_norm = 'lyon@example.com'").get() as { id: number }).id;
    addScore(db, newer, lyon, { segment: 'Hibernating' });
    const latest = await exportJsonl(db, { segments: ['hibernating'] }, { columns: ['email', 'segment'] });
    expect(latest.rows).toEqual([{ email: 'lyon@example.com', segment: 'Hibernating' }]);
    const old = await exportJsonl(db, { segments: ['Champions'], run: older }, { columns: ['email', 'segment'] });
    expect(old.rows).toEqual([{ email: 'lyon@example.com', segment: 'Champions' }]);
    await expect(exportJsonl(db, { segments: ['champions'] })).rejects.toThrow(/has no such segment \(it has: Hibernating\)/);
    await expect(exportJsonl(db, { run: 99 })).rejects.toThrow(/no such score run/);
  });

  it("selects nobody, without failing, for a segment the run's map defines but no one is in tonight", async () => {
    const db = store();
    const run = addScoreRun(db, '2026-12-31');
    db.prepare('UPDATE score_runs SET parameters = ? WHERE id = ?').run(
      JSON.stringify({ segmentMap: { name: 'mini', fallback: 'Other', segments: [{ name: 'Champions' }, { name: "Can't Lose Them" }] } }),
      run,
    );
    const lyon = (db.prepare("SELECT id FROM contacts WHERE email_norm = 'lyon@example.com'").get() as { id: number }).id;
    addScore(db, run, lyon, { segment: 'Other' });
    const empty = await exportJsonl(db, { segments: ['champions'] }, { columns: ['email'] });
    expect(empty.rows).toEqual([]);
    expect(empty.result.emptySegments).toEqual(['Champions']);
    // With a segment that has people, the empty one adds nobody and takes nobody away.
    const mixed = await exportJsonl(db, { segments: ['cant lose them', 'other'] }, { columns: ['email'] });
    expect(mixed.rows).toEqual([{ email: 'lyon@example.com' }]);
    expect(mixed.result.emptySegments).toEqual(["Can't Lose Them"]);
    // A name the map does not define is still a typo, and the error lists what the map defines.
    await expect(exportJsonl(db, { segments: ['champs'] })).rejects.toThrow(/no such segment \(it has: Can't Lose Them, Champions, Other, prospect\)/);
  });
});
