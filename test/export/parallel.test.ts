/**
 * The export on worker threads (parallel.ts, worker.ts), with CSV lines put together by SQLite where
 * the columns allow (csv-lines.ts), writes the same bytes as the export on one thread: for every
 * format and CSV option, column set and channel, on a store full of values that need care (quotes,
 * delimiters, line breaks, formula characters, NUL, non-ASCII, numbers SQLite and JavaScript write
 * differently), shared addresses, consents the bulk read cannot order, and suppressions.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { mulberry32 as rng } from '../../bench/random.js';
import type { ExportRequest } from '../../src/export/run.js';
import { ExportWorkers, tasksOf, type ParallelTuning, type WorkerSetup } from '../../src/export/parallel.js';
import { buildQuery, planSelection, type Selection } from '../../src/export/select.js';
import { addSuppression } from '../../src/export/suppressions.js';
import type { Db } from '../../src/store/db.js';
import { addConsent, addContact, addScore, addScoreRun, makeStore } from './store.js';
import { exportFile, selection } from './run.js';
import { runExport } from '../../src/export/run.js';

const TEXTS = ['Jeanne', 'Zoé', 'Łukasz', '€uro', '🎉 party', '=HYPERLINK("x")', '+SUM(1)', '-2+3', '@me', '\tTab', '\rCR', '\0nul', 'a\0b', 'say "hi"', 'a,b', 'a;b', 'a|b', 'a\tb', 'line\nbreak', 'cr\rin', '', "'quoted", ' =spaced', 'x'];
const PHONES = ['+33612345678', '+33 =1', '+0612345678', '0612345678', '+4915112345678', '+33612345678;x'];

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

/** A store of `n` contacts with hostile values, shared addresses, a score run, consents and suppressions. */
function hostileStore(n: number): { db: Db; file: string } {
  const store = makeStore();
  const { db } = store;
  const random = rng(5);
  const run = addScoreRun(db);
  for (let i = 1; i <= n; i++) {
    const shared = i % 7 === 0 ? i - 1 : i; // some addresses held by two records
    const sms = random() < 0.5 ? pick(random, PHONES) : null;
    const id = addContact(db, {
      email: `p${shared}@example.com`,
      firstName: random() < 0.1 ? null : pick(random, TEXTS),
      lastName: pick(random, TEXTS),
      sms,
      phone: random() < 0.3 ? pick(random, PHONES) : null,
      city: pick(random, TEXTS),
      postalCode: random() < 0.5 ? '69001' : pick(random, TEXTS),
      company: pick(random, TEXTS),
      birthDate: random() < 0.5 ? '1990-02-03' : pick(random, TEXTS),
      tags: random() < 0.3 ? ['vip', 'a,b'] : [],
      updatedAt: `2026-01-${String(1 + (i % 28)).padStart(2, '0')} 10:00:00`,
    });
    addScore(db, run, id, { segment: pick(random, ['Champions', 'Loyal', '-Lapsed', 'At "Risk"']), r: 1 + (i % 5), monetaryMinor: i * 137 - 5000 });
    const roll = random();
    if (roll < 0.8) addConsent(db, id, 'email', 'granted', '2025-01-01 00:00:00');
    if (roll > 0.7) addConsent(db, id, 'email', 'withdrawn', pick(random, ['2025-02-01 00:00:00', '2025-01-01 00:00:00', '2025-02-01 é']));
    if (random() < 0.5) addConsent(db, id, 'sms', 'granted');
  }
  // Numbers SQLite and JavaScript write differently: reals, an integer past 2^53, text in a number column.
  db.prepare('UPDATE scores SET r_score = 4.5 WHERE contact_id % 11 = 0').run();
  db.prepare('UPDATE scores SET f_score = 12345678901234567 WHERE contact_id % 13 = 0').run();
  db.prepare("UPDATE scores SET m_score = '-abc' WHERE contact_id % 17 = 0").run();
  db.prepare('UPDATE scores SET m_score = 1e20 WHERE contact_id % 19 = 0').run();
  for (let i = 3; i <= n; i += 23) addSuppression(db, `p${i}@example.com`, 'unsubscribed');
  addSuppression(db, 'p40@example.com', 'opposition');
  addSuppression(db, PHONES[0]!, 'opposition');
  return store;
}

const ALL_VALUES = ['uid', 'email', 'first_name', 'last_name', 'sms', 'phone', 'mobile', 'company', 'postal_code', 'city', 'country', 'status', 'consent', 'segment', 'r', 'f', 'm', 'rfm', 'recency', 'frequency'];
const VALUES_PATH = ['uid', 'email', 'first_name', 'birth_date', 'tags', 'monetary', 'last_purchase', 'created_at'];

interface Case {
  name: string;
  selection?: Partial<Selection>;
  request: Partial<ExportRequest> & { format: ExportRequest['format'] };
}

const CASES: Case[] = [
  { name: 'csv, default columns, two segments', selection: { segments: ['champions', 'at risk'] }, request: { format: 'csv' } },
  { name: 'csv, every plain column', request: { format: 'csv', columns: ALL_VALUES } },
  { name: 'csv ; with BOM', request: { format: 'csv', columns: ALL_VALUES, delimiter: ';', bom: true } },
  { name: 'csv tab', request: { format: 'csv', columns: ALL_VALUES, delimiter: '\t' } },
  { name: 'csv |, Windows-1252', request: { format: 'csv', columns: ALL_VALUES, delimiter: '|', encoding: 'cp1252' } },
  { name: 'csv, columns the line cannot hold', request: { format: 'csv', columns: VALUES_PATH } },
  { name: 'json', request: { format: 'json', columns: ALL_VALUES } },
  { name: 'jsonl', selection: { includeUnconsented: true }, request: { format: 'jsonl' } },
  { name: 'mailchimp', request: { format: 'csv', preset: 'mailchimp' } },
  { name: 'klaviyo on sms', selection: { channel: 'sms' }, request: { format: 'csv', preset: 'klaviyo' } },
  { name: 'phone, --where', selection: { channel: 'phone', where: 'r >= 2 and city != "x"', includeUnconsented: true }, request: { format: 'csv', columns: ALL_VALUES } },
  { name: 'tags', selection: { tags: ['VIP'] }, request: { format: 'csv', columns: ALL_VALUES } },
];

const SETTINGS: ParallelTuning[] = [
  { workers: 1, rangeKeys: 7 },
  { workers: 2, rangeKeys: 3, scanKeys: 5 },
  { workers: 3, rangeKeys: 64, scanKeys: 16 },
];

describe('export on worker threads', () => {
  const { db } = hostileStore(400);
  for (const c of CASES) {
    it(`writes the bytes of the one-thread export: ${c.name}`, async () => {
      const one = await exportFile(db, c.selection ?? {}, { ...c.request, parallel: { workers: 0 } });
      const expected = fs.readFileSync(one.file);
      expect(one.result.rows).toBeGreaterThan(0);
      for (const parallel of SETTINGS) {
        const many = await exportFile(db, c.selection ?? {}, { ...c.request, parallel });
        expect(fs.readFileSync(many.file).equals(expected), JSON.stringify(parallel)).toBe(true);
        expect(many.result.rows).toBe(one.result.rows);
        expect(many.result.unencodable).toBe(one.result.unencodable);
        expect(many.result.files[0]!.sha256).toBe(one.result.files[0]!.sha256);
        expect(many.result.workers).toBe(parallel.workers);
      }
    });
  }

  it("splits at the tool's file size as the one-thread export does, cutting ranges at row boundaries", async () => {
    for (const maxBytesPerFile of [2_000, 9_000]) {
      const request = { format: 'csv' as const, preset: 'brevo', maxBytesPerFile };
      const one = await exportFile(db, {}, { ...request, parallel: { workers: 0 } }, 'brevo');
      expect(one.result.files.length).toBeGreaterThan(1);
      for (const parallel of SETTINGS) {
        const many = await exportFile(db, {}, { ...request, parallel }, 'brevo');
        expect(many.result.workers).toBe(parallel.workers);
        expect(many.result.files.map((f) => [path.basename(f.path), f.rows, f.sha256])).toEqual(one.result.files.map((f) => [path.basename(f.path), f.rows, f.sha256]));
        for (const f of many.result.files) expect(fs.statSync(f.path).size).toBeLessThanOrEqual(maxBytesPerFile);
      }
    }
  });

  it('stops at --limit as the one-thread export does, within a range or at its end', async () => {
    for (const limit of [1, 5, 37, 100, 10_000]) {
      for (const format of ['csv', 'json'] as const) {
        const one = await exportFile(db, { segments: ['champions', 'loyal'], limit }, { format, parallel: { workers: 0 } });
        const many = await exportFile(db, { segments: ['champions', 'loyal'], limit }, { format, parallel: { workers: 2, rangeKeys: 9 } });
        expect(fs.readFileSync(many.file).equals(fs.readFileSync(one.file)), `${format} --limit ${limit}`).toBe(true);
        expect(many.result.rows).toBe(one.result.rows);
        expect(many.result.workers).toBe(2);
      }
    }
  });

  it('shares the scan of contacts among the workers: every chunk once, whatever their number', () => {
    for (let workers = 1; workers <= 4; workers++) {
      const tasks = Array.from({ length: workers }, (_, w) => tasksOf(w, workers));
      const of = tasks[0]!.scan.of;
      expect(tasks.every((t) => t.scan.of === of)).toBe(true);
      expect(tasks.flatMap((t) => t.scan.slots).sort((a, b) => a - b)).toEqual(Array.from({ length: of }, (_, i) => i));
      expect(tasks.filter((t) => t.addresses)).toHaveLength(1);
      expect(tasks.filter((t) => t.consents)).toHaveLength(1);
    }
  });

  it('reads a run by contact id when the store holds several runs', async () => {
    const { db: runs } = hostileStore(120);
    const ids = runs.prepare('SELECT id FROM contacts').pluck().all() as number[];
    for (let r = 0; r < 3; r++) {
      const run = addScoreRun(runs, `2026-07-0${r + 1}`);
      for (const id of ids) addScore(runs, run, id, { segment: id % 3 === r ? 'Champions' : 'Loyal', r: 1 + ((id + r) % 5) });
    }
    const one = await exportFile(runs, { segments: ['champions'] }, { format: 'csv', parallel: { workers: 0 } });
    const many = await exportFile(runs, { segments: ['champions'] }, { format: 'csv', parallel: { workers: 2, rangeKeys: 11 } });
    expect(one.result.rows).toBeGreaterThan(0);
    expect(fs.readFileSync(many.file).equals(fs.readFileSync(one.file))).toBe(true);
  });

  it('leaves the export to one thread when the store is being written, and fails cleanly when a worker does', async () => {
    const { db: store, file } = hostileStore(30);
    const query = buildQuery(planSelection(store, { segments: [], tags: [], status: 'active', channel: 'email', includeUnconsented: false }), ['email'], 'rows', { ranged: true });
    const setup: WorkerSetup = {
      store: { file, key: null },
      mmapBytes: 0,
      sql: query.sql,
      params: query.params,
      driveColumn: -1,
      tasks: tasksOf(0, 1),
      scanKeys: 4,
      staleSql: '0',
      staleKey: '',
      gate: query.gate!,
      memberColumn: query.memberColumn,
      consentMasks: 0,
      positions: query.positions,
      outputs: [{ header: 'email', from: [0], transform: 'value', kind: 'text', sourceKind: 'text' }],
      dateFormat: 'iso',
      format: 'csv',
      headers: ['email'],
      kinds: ['text'],
      delimiter: ',',
      encoding: 'utf8',
      limited: false,
    };
    const writer = makeStore(file).db;
    writer.exec('BEGIN IMMEDIATE');
    store.pragma('busy_timeout = 0');
    const busy = ExportWorkers.start([setup])!;
    await expect(busy.prepare(store)).resolves.toBe('busy');
    await busy.close();
    writer.exec('ROLLBACK');
    const broken = ExportWorkers.start([{ ...setup, sql: 'SELECT * FROM no_such_table' }])!;
    await expect(broken.prepare(store)).rejects.toThrow(/export worker failed: .*no such table/);
    await broken.close();
    writer.close();
  });

  it('records the export, its members and its audit entry as the one-thread export does, members recorded while the rows are read', async () => {
    const record = (id: number): unknown[] => [
      db.prepare('SELECT channel, selection, format, options, row_count, seed_count, sha256 FROM exports WHERE id = ?').get(id),
      db.prepare('SELECT contact_id, hex(address_hash), segment, rfm_cell FROM export_members WHERE export_id = ? ORDER BY contact_id').raw(true).all(id),
      db.prepare("SELECT counts FROM audit_log WHERE action = 'export' AND json_extract(details, '$.export_id') = ?").pluck().get(id),
    ];
    const request = { format: 'csv' as const, name: 'soldes' };
    const one = await exportFile(db, { segments: ['champions', 'loyal'] }, { ...request, parallel: { workers: 0 } });
    expect(one.result.members).toBeGreaterThan(20);
    const expected = record(one.result.exportId);
    for (const parallel of [...SETTINGS, { workers: 2, rangeKeys: 5, memberBatch: 7 }, { workers: 2, rangeKeys: 5, memberBatch: 1 }]) {
      const many = await exportFile(db, { segments: ['champions', 'loyal'] }, { ...request, parallel });
      expect(many.result.members, JSON.stringify(parallel)).toBe(one.result.members);
      expect(record(many.result.exportId), JSON.stringify(parallel)).toEqual(expected);
      expect(db.prepare('SELECT name FROM campaigns WHERE export_id = ?').pluck().get(many.result.exportId)).toBe('soldes');
    }
  });

  it('holds the write lock from the workers\' snapshot to the commit, and a failed export leaves no record nor member', async () => {
    const { db: store, file } = hostileStore(200);
    const other = makeStore(file).db;
    other.pragma('busy_timeout = 0');
    const counts = (): unknown => store.prepare('SELECT (SELECT count(*) FROM exports), (SELECT count(*) FROM export_members), (SELECT count(*) FROM audit_log)').raw(true).get();
    const before = counts();
    // Another writer tries its luck each time a range of rows is written; the file fails after a few.
    const tries: boolean[] = [];
    let chunks = 0;
    const failing = new Writable({
      write(_chunk, _encoding, done): void {
        try {
          other.exec('BEGIN IMMEDIATE');
          other.exec('ROLLBACK');
          tries.push(true);
        } catch {
          tries.push(false);
        }
        done(++chunks > 3 ? new Error('disk full') : null);
      },
      highWaterMark: 1,
    });
    const request = { selection: selection(), format: 'jsonl' as const, out: '-', stdout: failing, parallel: { workers: 2, rangeKeys: 3, memberBatch: 1 } };
    await expect(runExport(store, request)).rejects.toThrow(/disk full/);
    expect(tries.length).toBeGreaterThan(0);
    expect(tries.every((got) => !got)).toBe(true); // the export held the lock while it wrote
    expect(store.inTransaction).toBe(false);
    expect(counts()).toEqual(before);
    // Released: another writer writes, and the export, run again, is recorded whole.
    other.exec('BEGIN IMMEDIATE');
    other.exec('ROLLBACK');
    const done = await exportFile(store, {}, { format: 'jsonl', parallel: { workers: 2, rangeKeys: 3, memberBatch: 1 } });
    expect(done.result.members).toBe(done.result.rows);
    expect(store.prepare('SELECT count(*) FROM export_members WHERE export_id = ?').pluck().get(done.result.exportId)).toBe(done.result.rows);
    other.close();
  });

  it('writes an empty list as the one-thread export does', async () => {
    const one = await exportFile(db, { segments: ['champions'], where: 'city = "nowhere"' }, { format: 'json', parallel: { workers: 0 } });
    const many = await exportFile(db, { segments: ['champions'], where: 'city = "nowhere"' }, { format: 'json', parallel: { workers: 2 } });
    expect(fs.readFileSync(many.file, 'utf8')).toBe(fs.readFileSync(one.file, 'utf8'));
    expect(many.result.rows).toBe(0);
  });

  it('validates first when contacts need it, then exports what the one-thread export does', async () => {
    // The scan of contacts in one chunk, then in chunks of 7 ids shared by both workers (each finds some).
    for (const scanKeys of [undefined, 7]) {
      const { db: stale } = hostileStore(60);
      stale.prepare("UPDATE contacts SET validated_key = 'v0:XX' WHERE id % 5 = 0").run();
      const many = await exportFile(stale, {}, { format: 'csv', parallel: { workers: 2, rangeKeys: 5, scanKeys } });
      expect(many.result.validated).toBe(12);
      expect(many.result.workers).toBe(0); // the workers found contacts to validate: this thread validated and exported
      const one = await exportFile(stale, {}, { format: 'csv', parallel: { workers: 0 } });
      expect(one.result.validated).toBe(0);
      expect(fs.readFileSync(many.file).equals(fs.readFileSync(one.file))).toBe(true);
    }
  });
});
