/**
 * Export benchmark: a store of N contacts (default 1,000,000) made directly with SQL (validated columns
 * set, one email consent each (80% granted), ~5% sharing an address, a score run, 1% of addresses suppressed), then an
 * export as CSV with a segment filter on the email channel, run in a child process so its peak RSS is
 * the export's own, with its CPU time and private memory. A second, ten times smaller export shows memory does
 * not grow with the row count.
 *
 *   npm run bench:export                      # 1M contacts (the store is kept in bench/out/ and reused)
 *   npm run bench:export -- --contacts 200000 --fresh
 *   npm run bench:export -- --lived-in        # the same export, by the built CLI, on the fresh store and on a
 *                                             # lived-in one (bench/lived-in.ts), at each memory-map bound
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassThrough } from 'node:stream';
import { openStore, type Db } from '../src/store/db.js';
import { emailHash } from '../src/export/keys.js';
import { runExport } from '../src/export/run.js';
import { defaultCountryOf, validationKey } from '../src/validate/ensure.js';
import { argValue, OUT } from './common.js';
import { livedInStore, measuredCli } from './lived-in.js';

const SEGMENTS = ['Champions', 'Loyal Customers', 'Potential Loyalists', 'At Risk', 'Hibernating'];


function generate(db: Db, n: number): void {
  const insert = db.prepare(
    `INSERT INTO contacts (uid, source, external_key, first_name, last_name, email, email_norm, city, postal_code,
       tags, imported_at, updated_at, status, email_valid, sms_e164, mobile_e164, postal_code_norm, country_code, address_complete, validated_at)
     VALUES (?, 'bench', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', 1, ?, ?, ?, 'FR', 0, ?)`,
  );
  const cities = ['Lyon', 'Paris', 'Marseille', 'Lille', 'Nantes', 'Bordeaux', 'Toulouse', 'Nice'];
  const firsts = ['Jeanne', 'Louis', 'Camille', 'Hugo', 'Léa', 'Arthur', 'Chloé', 'Jules', '=Mallory'];
  db.transaction(() => {
    for (let i = 1; i <= n; i++) {
      // ~5% of the records share an address with another record (duplicates before dedupe).
      const person = i % 20 === 0 ? i - 1 : i;
      const email = `person${person}@example.com`;
      const updated = `2025-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')} 10:00:00`;
      const phone = i % 3 === 0 ? `+3361${String(i).padStart(7, '0')}` : null;
      const postal = String(69000 + (i % 900));
      insert.run(crypto.randomUUID(), `c${i}`, firsts[i % firsts.length], `Nom${i % 5000}`, email, email, cities[i % cities.length], postal, i % 7 === 0 ? '["vip"]' : '[]', updated, updated, phone, phone, postal, updated);
    }
  })();
  db.exec(`
    INSERT INTO consents (contact_id, channel, status, recorded_at, source)
      SELECT id, 'email', CASE WHEN id % 10 < 8 THEN 'granted' ELSE 'withdrawn' END, '2025-01-01 00:00:00', 'bench' FROM contacts;
    INSERT INTO score_runs (as_of, method) VALUES ('2026-06-30', 'rfm');`);
  // Rows count as validated with validate's current key: the benchmark measures the export, not validation.
  db.prepare('UPDATE contacts SET validated_key = ?').run(validationKey(defaultCountryOf(db)));
  const run = (db.prepare('SELECT max(id) AS id FROM score_runs').get() as { id: number }).id;
  const scores = db.prepare(
    `INSERT INTO scores (run_id, contact_id, recency_days, frequency, monetary_minor, r_score, f_score, m_score, segment, last_purchase_at)
     SELECT ?, id, id % 700, 1 + id % 9, 1000 * (id % 300), 1 + id % 5, 1 + (id / 5) % 5, 1 + (id / 25) % 5,
       CASE id % 5 ${SEGMENTS.map((s, i) => `WHEN ${i} THEN '${s}'`).join(' ')} END, '2026-01-15'
     FROM contacts`,
  );
  scores.run(run);
  const suppress = db.prepare("INSERT OR IGNORE INTO suppressions (hash, key_type, kind, source, created_at) VALUES (?, 'email', 'unsubscribed', 'bench', '2026-01-01')");
  db.transaction(() => {
    for (let i = 1; i <= n; i += 100) suppress.run(emailHash(`person${i}@example.com`));
  })();
}

/** This process's private (anonymous) resident memory in MB, or null off Linux. */
function privateMb(): number | null {
  try {
    const match = /^RssAnon:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** In the child: one export, then its figures as JSON on stdout. */
async function child(dbFile: string, out: string, limit?: number): Promise<void> {
  const db = openStore(dbFile);
  // Peak RSS counts the store's pages SQLite maps (the OS file cache, shared and reclaimable); the
  // private memory (heap, buffers) is sampled apart, whenever the export yields to write a chunk.
  let peakPrivate = privateMb() ?? 0;
  const sampler = setInterval(() => (peakPrivate = Math.max(peakPrivate, privateMb() ?? 0)), 20);
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const result = await runExport(db, {
    selection: { segments: ['champions', 'loyal customers'], tags: [], status: 'active', channel: 'email', includeUnconsented: false, limit },
    format: 'csv',
    out,
    stdout: new PassThrough(),
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  peakPrivate = Math.max(peakPrivate, privateMb() ?? 0);
  db.close();
  process.stdout.write(
    JSON.stringify({ rows: result.rows, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssMb: process.resourceUsage().maxRSS / 1024, privateMb: peakPrivate, bytes: result.files[0]!.bytes }),
  );
}

interface ChildResult {
  rows: number;
  seconds: number;
  /** User + system CPU time of the export: steadier than wall time on a shared machine. */
  cpuSeconds: number;
  maxRssMb: number;
  /** Peak private (anonymous) resident memory, sampled; 0 off Linux. */
  privateMb: number;
  bytes: number;
}

function runChild(dbFile: string, out: string, limit?: number): ChildResult {
  const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', '--db', dbFile, '--out', out];
  if (limit !== undefined) args.push('--limit', String(limit));
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (result.status !== 0) throw new Error(`export child failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as ChildResult;
}

/** The fresh store of N contacts written with SQL, made once and kept in bench/out/. */
function freshStore(n: number): string {
  const dbFile = path.join(OUT, `export-${n}.db`);
  if (process.argv.includes('--fresh')) for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) fs.rmSync(f, { force: true });
  if (!fs.existsSync(dbFile)) {
    const started = Date.now();
    const db = openStore(dbFile);
    generate(db, n);
    db.close();
    console.log(`store: ${n.toLocaleString('en')} contacts generated in ${((Date.now() - started) / 1000).toFixed(1)} s (${dbFile})`);
  } else {
    console.log(`store: reusing ${dbFile} (--fresh to rebuild)`);
  }
  return dbFile;
}

/**
 * `--lived-in`: `custkit export` itself (the built CLI, as users run it) on the fresh store and on the
 * lived-in one, with the memory map off, bounded at 256 MiB, and at SQLite's 2 GiB ceiling (the bound
 * before): wall and CPU time, peak RSS, private and file-backed memory, load average.
 */
async function livedIn(n: number): Promise<void> {
  const lived = livedInStore(n);
  const built = lived.steps.reduce((sum, s) => ({ wall: sum.wall + s.wallSeconds, cpu: sum.cpu + s.cpuSeconds }), { wall: 0, cpu: 0 });
  console.log(`lived-in store: ${lived.storeMb} MB, built once in ${Math.round(built.wall)} s wall, ${Math.round(built.cpu)} s CPU (${lived.file})`);
  for (const s of lived.steps) console.log(`  ${s.step}: exit ${s.code}, wall ${s.wallSeconds.toFixed(1)} s, CPU ${s.cpuSeconds.toFixed(1)} s, peak RSS ${s.peakRssMb} MB, load ${s.load}`);
  const stores: Array<[string, string]> = [['fresh', freshStore(n)], ['lived-in', lived.file]];
  const bounds: Array<[string, string]> = [['off', '0'], ['256 MiB', '256M'], ['2 GiB', '2G']];
  const only = argValue('mmap');
  const out = path.join(OUT, 'lived-in-export.csv');
  // The email export of the issue (every active contact who may be emailed): segment names differ
  // between the fresh store's made-up run and the lived-in store's real segment map.
  console.log('custkit export --channel email --out FILE.csv');
  for (const [label, store] of stores) {
    // The first export after the build validates what the last commands changed (a write): shown
    // apart, so the bounds below compare reads of the same store.
    const first = await measuredCli(['--db', store, 'export', '--channel', 'email', '--out', out]);
    console.log(`  ${label.padEnd(8)} first export after the build: ${first.wallSeconds.toFixed(2)} s, CPU ${first.cpuSeconds.toFixed(2)} s, peak RSS ${first.peakRssMb} MB; load ${first.load}`);
    for (const [bound, env] of bounds.filter(([, e]) => only === undefined || only.split(',').includes(e))) {
      const r = await measuredCli(['--db', store, 'export', '--channel', 'email', '--out', out], { CUSTKIT_EXPORT_MMAP: env });
      if (r.code !== 0) throw new Error(`export on the ${label} store failed (${r.code}): ${r.stderr}`);
      const rows = fs.readFileSync(out, 'utf8').split('\n').length - 2;
      console.log(`  ${label.padEnd(8)} mmap ${bound.padEnd(7)}: ${rows.toLocaleString('en')} rows in ${r.wallSeconds.toFixed(2)} s = ${Math.round(rows / r.wallSeconds).toLocaleString('en')} rows/s; CPU ${r.cpuSeconds.toFixed(2)} s; peak RSS ${r.peakRssMb} MB (private ${r.privateMb} MB, file-backed ${r.fileMb} MB); load ${r.load}`);
    }
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--child')) {
    const limit = argValue('limit');
    await child(argValue('db')!, argValue('out')!, limit === undefined ? undefined : Number(limit));
    return;
  }
  const n = Number(argValue('contacts', '1000000'));
  fs.mkdirSync(OUT, { recursive: true });
  if (process.argv.includes('--lived-in')) {
    await livedIn(n);
    return;
  }
  const dbFile = freshStore(n);
  const out = path.join(OUT, 'export.csv');
  const full = runChild(dbFile, out);
  const small = runChild(dbFile, out, Math.max(1, Math.floor(full.rows / 10)));
  const mb = (full.bytes / 1e6).toFixed(1);
  console.log(`export --segment champions --segment "loyal customers" --channel email --format csv`);
  console.log(`  ${full.rows.toLocaleString('en')} rows (${mb} MB) from ${n.toLocaleString('en')} contacts in ${full.seconds.toFixed(2)} s`);
  console.log(`  ${Math.round(full.rows / full.seconds).toLocaleString('en')} rows written/s; ${Math.round(n / full.seconds).toLocaleString('en')} contacts scanned/s`);
  console.log(`  CPU ${full.cpuSeconds.toFixed(2)} s (user + system, all threads); load average ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}`);
  console.log(`  peak RSS ${full.maxRssMb.toFixed(0)} MB, of which private ${full.privateMb.toFixed(0)} MB; the rest is the store mapped by SQLite`);
  console.log(`  the same export limited to ${small.rows.toLocaleString('en')} rows: peak RSS ${small.maxRssMb.toFixed(0)} MB, private ${small.privateMb.toFixed(0)} MB`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
