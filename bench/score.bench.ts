/**
 * `npm run bench:score`: generates a store with N customers and ~5N purchase lines directly in SQL,
 * then times RFM, RFMCCA and CLV scoring, each in its own process (so each peak RSS is its own), and,
 * when /usr/bin/python3 has pandas, the same RFM in pandas on the same store.
 * Options: --customers N (default 1,000,000), --lines-per-customer K (default 5), --keep DIR.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../src/store/db.js';
import { scoreRun } from '../src/score/run.js';
import { segmentTable } from '../src/score/report.js';
import { PRESETS } from '../src/score/presets.js';
import { mulberry32 as prng, gammaVariate as gamma } from './random.js';

const AS_OF = '2024-12-31';
const here = fileURLToPath(import.meta.url);

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}



/**
 * A buy-till-you-die population (the process BG/NBD assumes, so the CLV fit has something to find):
 * each customer buys at a Gamma-distributed rate and may drop out after each purchase with a
 * Beta-distributed probability. Orders have 1-2 lines in customer-biased categories; 1 order in 30
 * gets a partial return ten days later. Rows go in with prepared SQL inserts (no import, no parsing).
 */
function generate(file: string, customers: number, linesPerCustomer: number): void {
  const db = openStore(file);
  db.pragma('synchronous = OFF');
  const rand = prng(42);
  const horizonDays = 1095 + 60; // three years up to AS_OF, plus purchases after it (ignored by the score)
  const base = Date.UTC(2022, 0, 1);
  const iso = (day: number) => new Date(base + Math.floor(day) * 86_400_000).toISOString().slice(0, 10);
  const contact = db.prepare(
    `INSERT INTO contacts (id, uid, source, external_id, external_key, imported_at, updated_at, status)
     VALUES (?, ?, 'bench', ?, ?, '2025-01-01', '2025-01-01', ?)`,
  );
  const line = db.prepare(
    `INSERT INTO purchases (contact_id, source, order_ref, line_no, ordered_at, amount_minor, currency, category, channel)
     VALUES (?, 'bench', ?, ?, ?, ?, 'EUR', ?, ?)`,
  );
  // Mean lines per order is 1.5; the rate scale is tuned so lines per customer lands near the target.
  const alpha = (85 * 5) / linesPerCustomer;
  let order = 0;
  db.transaction(() => {
    for (let id = 1; id <= customers; id++) {
      contact.run(id, `u${id}`, `K${id}`, `K${id}`, id % 100 === 0 ? 'merged' : 'active');
      if (rand() < 0.05) continue; // prospects: contacts who never bought
      const rate = gamma(rand, 0.9) / alpha;
      const ga = gamma(rand, 1);
      const dropout = ga / (ga + gamma(rand, 3));
      const spend = 2000 + gamma(rand, 2) * 3000;
      const channel = rand() < 0.7 ? 'web' : rand() < 0.5 ? 'store' : 'app';
      let day = rand() * 1095;
      for (let n = 0; n < 200 && day < horizonDays; n++) {
        order++;
        const ref = `O${String(order).padStart(9, '0')}`;
        const lines = 1 + Math.floor(rand() * 2);
        const date = iso(day);
        for (let l = 1; l <= lines; l++) {
          const category = `cat${(id % 5 + Math.floor(rand() * 4) + (rand() < 0.1 ? 6 : 0)) % 12}`;
          line.run(id, ref, l, date, Math.round((spend / lines) * (0.5 + rand())), category, rand() < 0.9 ? channel : 'phone');
        }
        if (rand() < 1 / 30) line.run(id, ref, lines + 1, iso(day + 10), -Math.round(spend / (2 * lines)), 'cat0', channel);
        if (n > 0 && rand() < dropout) break; // BG/NBD: dropout after a repeat purchase, never at the first
        day += -Math.log(1 - rand()) / rate;
      }
    }
  })();
  db.exec('ANALYZE');
  db.close();
}

function countLines(file: string): number {
  const db = openStore(file);
  const n = db.prepare('SELECT count(*) FROM purchases').pluck().get() as number;
  db.close();
  return n;
}

/** One measured stage, run in this process when called with --stage. */
function stage(name: string, file: string): void {
  const db = openStore(file);
  // Each stage scores a fresh store: replacing an earlier run would add its deletion to the timing.
  db.exec('DELETE FROM scores; DELETE FROM affinity_rules; DELETE FROM score_runs; VACUUM');
  const started = performance.now();
  const cpu = process.cpuUsage();
  const base = { asOf: AS_OF, bins: 5 as const, segmentMap: PRESETS['rfm10']!, segmentMapLabel: 'rfm10', minSupport: 0.01 };
  let detail: unknown;
  if (name === 'rfm') {
    const run = scoreRun(db, { ...base, method: 'rfm', binning: 'quantile' });
    segmentTable(db, run.runId);
    detail = { customers: run.customers, prospects: run.prospects };
  } else if (name === 'rfm-ntile') {
    scoreRun(db, { ...base, method: 'rfm', binning: 'ntile' });
  } else if (name === 'rfmcca') {
    const run = scoreRun(db, { ...base, method: 'rfmcca', binning: 'quantile' });
    detail = run.affinities;
  } else if (name === 'rfm+clv') {
    const run = scoreRun(db, { ...base, method: 'rfm', binning: 'quantile', clv: { horizonMonths: 12, discountMonthly: 0.01 } });
    const { bgnbd, gammaGamma } = run.clv!;
    detail = { r: bgnbd.r, alpha: bgnbd.alpha, a: bgnbd.a, b: bgnbd.b, p: gammaGamma.p, q: gammaGamma.q, gamma: gammaGamma.gamma, iterations: bgnbd.iterations };
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  db.close();
  process.stdout.write(JSON.stringify({ seconds, cpuSeconds: (used.user + used.system) / 1e6, maxRssMb: process.resourceUsage().maxRSS / 1024, detail }));
}

function runStage(name: string, file: string): { seconds: number; cpuSeconds: number; maxRssMb: number; detail?: unknown } {
  const child = spawnSync(process.execPath, ['--import', 'tsx', here, '--stage', name, '--db', file], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (child.status !== 0) throw new Error(`stage ${name} failed: ${child.stderr}`);
  return JSON.parse(child.stdout);
}

function main(): void {
  const stageName = arg('--stage');
  if (stageName) return stage(stageName, arg('--db')!);
  const customers = Number(arg('--customers', '1000000'));
  const perCustomer = Number(arg('--lines-per-customer', '5'));
  const dir = arg('--keep') ?? fs.mkdtempSync(path.join(os.tmpdir(), 'custkit-bench-score-'));
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'bench.db');
  fs.rmSync(file, { force: true });
  console.log(`custkit score benchmark: ${customers.toLocaleString('en')} customers, ~${(customers * perCustomer).toLocaleString('en')} purchase lines, as of ${AS_OF}`);
  console.log(`machine: ${os.cpus().length} cores, node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  let t = performance.now();
  generate(file, customers, perCustomer);
  console.log(`generate (SQL inserts): ${((performance.now() - t) / 1000).toFixed(1)} s, ${countLines(file).toLocaleString('en')} purchase lines, store ${(fs.statSync(file).size / 1e6).toFixed(0)} MB`);

  const results: Record<string, { seconds: number; cpuSeconds: number; maxRssMb: number; detail?: unknown }> = {};
  for (const name of ['rfm', 'rfm-ntile', 'rfmcca', 'rfm+clv']) {
    results[name] = runStage(name, file);
    console.log(`${name.padEnd(10)} ${results[name]!.seconds.toFixed(1).padStart(6)} s (CPU ${results[name]!.cpuSeconds.toFixed(1)} s)   peak RSS ${results[name]!.maxRssMb.toFixed(0)} MB   ${JSON.stringify(results[name]!.detail ?? '')}`);
  }
  const clvOnly = results['rfm+clv']!.seconds - results['rfm']!.seconds;
  console.log(`CLV fit + scoring (rfm+clv minus rfm): ${clvOnly.toFixed(1)} s; the whole rfm+clv run: ${results['rfm+clv']!.seconds.toFixed(1)} s (target <= 30 s)`);

  const python = '/usr/bin/python3';
  const probe = fs.existsSync(python) ? spawnSync(python, ['-c', 'import pandas'], { encoding: 'utf8' }) : undefined;
  if (!probe || probe.status !== 0) {
    console.log('pandas: /usr/bin/python3 with pandas not found (apt-get install -y python3-pandas); comparison skipped');
  } else {
    t = performance.now();
    const py = spawnSync(python, [path.join(path.dirname(here), 'score_pandas.py'), file, AS_OF], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (py.status !== 0) throw new Error(`pandas run failed: ${py.stderr}`);
    const r = JSON.parse(py.stdout) as { load_s: number; compute_s: number; load_cpu_s: number; compute_cpu_s: number; customers: number; pandas: string };
    const ours = results['rfm']!.seconds;
    console.log(
      `pandas ${r.pandas}: load ${r.load_s.toFixed(1)} s (CPU ${r.load_cpu_s.toFixed(1)} s) + groupby/qcut/segments ${r.compute_s.toFixed(1)} s (CPU ${r.compute_cpu_s.toFixed(1)} s) = ${(r.load_s + r.compute_s).toFixed(1)} s (${r.customers.toLocaleString('en')} customers)`,
    );
    console.log(
      `ratio pandas / custkit RFM + segments: ${((r.load_s + r.compute_s) / ours).toFixed(2)}x including pandas' load from SQLite, ` +
        `${(r.compute_s / ours).toFixed(2)}x compute only (custkit also writes ${customers.toLocaleString('en')} score rows)`,
    );
    const oursCpu = results['rfm']!.cpuSeconds;
    console.log(
      `same in CPU time (less sensitive to a shared machine): pandas ${(r.load_cpu_s + r.compute_cpu_s).toFixed(1)} s / custkit ${oursCpu.toFixed(1)} s = ` +
        `${((r.load_cpu_s + r.compute_cpu_s) / oursCpu).toFixed(2)}x with load, ${(r.compute_cpu_s / oursCpu).toFixed(2)}x compute only`,
    );
  }
  if (!arg('--keep')) fs.rmSync(dir, { recursive: true, force: true });
}

main();
