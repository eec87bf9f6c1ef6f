/**
 * `npm run bench:score`: generates a store with N customers and ~5N purchase lines directly in SQL,
 * refreshes the purchase rollup as import does at its end (timed apart: import's cost) and fills the
 * purchase mix as the first RFMCCA run after a load does (timed apart: once per load), writes the same
 * purchase lines to a CSV, then times RFM, RFMCCA and CLV scoring, each in its own
 * process (so each peak RSS is its own), and, side by side in the same run, pandas reading the CSV and
 * computing the same RFM (bench/score_pandas.py), with the issue's targets: custkit RFM <= 0.5x pandas,
 * RFMCCA <= 2x RFM, --clv adds <= 5 s. Python: $CUSTKIT_PYTHON, else the first of python3,
 * /usr/bin/python3, python that imports pandas (Debian: apt-get install -y python3-pandas).
 * Options: --customers N (default 1,000,000), --lines-per-customer K (default 5), --keep DIR,
 * --from STORE (reuse a store an earlier run generated and kept, instead of generating one), --as-of DATE
 * (default 2024-12-31, before the history's last weeks; 2025-03-11 scores as a nightly run does).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../src/store/db.js';
import { refreshPurchaseTotals } from '../src/store/purchase-totals.js';
import { refreshPurchaseMix } from '../src/store/purchase-mix.js';
import { scoreRun } from '../src/score/run.js';
import { segmentTable } from '../src/score/report.js';
import { PRESETS } from '../src/score/presets.js';
import { mulberry32 as prng, gammaVariate as gamma } from './random.js';

// The generated history runs to 2025-03-10: at the default as-of, 144,724 customers have lines after it
// and are regrouped from their lines. `--as-of 2025-03-11` is a nightly run's case (every line before it).
const AS_OF = arg('--as-of', '2024-12-31')!;
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

/**
 * What `import` does at the end of its transaction: the purchase rollup of every contact whose lines
 * changed (here all of them, a first load, so one walk of every line). Timed apart: it is import's cost.
 */
function refreshRollup(file: string): { seconds: number; cpuSeconds: number; contacts: number } {
  const db = openStore(file);
  const started = performance.now();
  const cpu = process.cpuUsage();
  const contacts = db.transaction(() => refreshPurchaseTotals(db))();
  const used = process.cpuUsage(cpu);
  db.close();
  return { seconds: (performance.now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6, contacts };
}

/**
 * What the first RFMCCA run after a load does before it scores (import does not): the purchase mix of
 * every contact (categories and channels). Timed apart: paid once per load, then per changed contact.
 */
function fillMix(file: string): { seconds: number; cpuSeconds: number; contacts: number } {
  const db = openStore(file);
  const started = performance.now();
  const cpu = process.cpuUsage();
  const contacts = db.transaction(() => refreshPurchaseMix(db))();
  const used = process.cpuUsage(cpu);
  db.close();
  return { seconds: (performance.now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6, contacts };
}

function countLines(file: string): number {
  const db = openStore(file);
  const n = db.prepare('SELECT count(*) FROM purchases').pluck().get() as number;
  db.close();
  return n;
}

/**
 * One measured stage, run in this process when called with --stage: the score run alone (what `score`
 * does once the store is open; process start-up and opening are left out, as pandas' interpreter start
 * and import are), and for RFM the `segments` table after it, timed apart (a command of its own).
 */
function stage(name: string, file: string): void {
  const db = openStore(file);
  // Each stage scores a fresh store: replacing an earlier run would add its deletion to the timing.
  db.exec('DELETE FROM scores; DELETE FROM affinity_rules; DELETE FROM score_runs; VACUUM');
  const started = performance.now();
  const cpu = process.cpuUsage();
  const base = { asOf: AS_OF, bins: 5 as const, segmentMap: PRESETS['rfm10']!, segmentMapLabel: 'rfm10', minSupport: 0.01 };
  const options = {
    rfm: { ...base, method: 'rfm' as const, binning: 'quantile' as const },
    'rfm-ntile': { ...base, method: 'rfm' as const, binning: 'ntile' as const },
    rfmcca: { ...base, method: 'rfmcca' as const, binning: 'quantile' as const },
    'rfm+clv': { ...base, method: 'rfm' as const, binning: 'quantile' as const, clv: { horizonMonths: 12, discountMonthly: 0.01, penalizer: 0 } },
  }[name];
  if (!options) throw new Error(`unknown stage ${name}`);
  const run = scoreRun(db, options);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  let detail: unknown;
  if (name === 'rfm') {
    const tableStarted = performance.now();
    const tableCpu = process.cpuUsage();
    segmentTable(db, run.runId);
    const table = process.cpuUsage(tableCpu);
    detail = {
      segmentTableSeconds: (performance.now() - tableStarted) / 1000,
      segmentTableCpuSeconds: (table.user + table.system) / 1e6,
      customers: run.customers, prospects: run.prospects, segments: Object.fromEntries(run.segments.map((x) => [x.segment, x.customers])),
    };
  } else if (name === 'rfmcca') {
    detail = run.affinities;
  } else if (name === 'rfm+clv') {
    const { purchaseModel: bg, spendModel: gg, warnings } = run.clv!;
    const round = (o: object) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Number((v as number).toPrecision(4))]));
    detail = { bgnbd: round(bg.params), iterations: bg.iterations, gradientNorm: bg.gradientNorm, gammaGamma: round(gg.params), warnings };
  }
  db.close();
  process.stdout.write(JSON.stringify({ seconds, cpuSeconds: (used.user + used.system) / 1e6, maxRssMb: process.resourceUsage().maxRSS / 1024, detail }));
}

function runStage(name: string, file: string): { seconds: number; cpuSeconds: number; maxRssMb: number; detail?: unknown } {
  const child = spawnSync(process.execPath, ['--import', 'tsx', here, '--stage', name, '--db', file, '--as-of', AS_OF], { encoding: 'utf8', maxBuffer: 1 << 24 });
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
  const from = arg('--from');
  if (from) {
    // A store this bench generated before (same seed and sizes): copied, then migrated on open.
    fs.copyFileSync(from, file);
    console.log(`store copied from ${from}: ${countLines(file).toLocaleString('en')} purchase lines, store ${(fs.statSync(file).size / 1e6).toFixed(0)} MB`);
  } else {
    generate(file, customers, perCustomer);
    console.log(`generate (SQL inserts): ${((performance.now() - t) / 1000).toFixed(1)} s, ${countLines(file).toLocaleString('en')} purchase lines, store ${(fs.statSync(file).size / 1e6).toFixed(0)} MB`);
  }
  const rollup = refreshRollup(file);
  console.log(
    `purchase rollup (import's last step; all contacts on a first load): ${rollup.seconds.toFixed(1)} s (CPU ${rollup.cpuSeconds.toFixed(1)} s), ${rollup.contacts.toLocaleString('en')} contacts`,
  );

  const mix = fillMix(file);
  console.log(
    `purchase mix (the first RFMCCA run's first step after a load; import leaves it): ${mix.seconds.toFixed(1)} s (CPU ${mix.cpuSeconds.toFixed(1)} s), ${mix.contacts.toLocaleString('en')} contacts`,
  );

  const results: Record<string, { seconds: number; cpuSeconds: number; maxRssMb: number; detail?: unknown }> = {};
  for (const name of ['rfm', 'rfm-ntile', 'rfmcca', 'rfm+clv']) {
    results[name] = runStage(name, file);
    console.log(`${name.padEnd(10)} ${results[name]!.seconds.toFixed(1).padStart(6)} s (CPU ${results[name]!.cpuSeconds.toFixed(1)} s)   peak RSS ${results[name]!.maxRssMb.toFixed(0)} MB   ${JSON.stringify(results[name]!.detail ?? '')}`);
  }
  // Wall-clock differences between two processes are noise on a loaded machine (they can come out
  // negative); CPU time, which load barely changes for single-threaded work, is printed beside them.
  const ours = results['rfm']!;
  const clv = results['rfm+clv']!;
  const cca = results['rfmcca']!;
  console.log(
    `--clv adds ${(clv.seconds - ours.seconds).toFixed(1)} s wall, ${(clv.cpuSeconds - ours.cpuSeconds).toFixed(1)} s CPU to RFM (target <= 5 s); the whole rfm+clv run: ${clv.seconds.toFixed(1)} s`,
  );
  console.log(`RFMCCA / RFM: ${(cca.seconds / ours.seconds).toFixed(2)}x wall, ${(cca.cpuSeconds / ours.cpuSeconds).toFixed(2)}x CPU (target <= 2x)`);
  const python = findPython();
  if (!python) {
    console.log('pandas: no python with pandas found (tried $CUSTKIT_PYTHON, python3, /usr/bin/python3, python); on Debian: apt-get install -y python3-pandas. Comparison skipped.');
  } else {
    const csv = path.join(dir, 'purchases.csv');
    t = performance.now();
    const lines = writeCsv(file, csv);
    console.log(`CSV for pandas: ${lines.toLocaleString('en')} lines of the scorable contacts, ${(fs.statSync(csv).size / 1e6).toFixed(0)} MB (written in ${((performance.now() - t) / 1000).toFixed(1)} s, not timed)`);
    const py = spawnSync(python, [path.join(path.dirname(here), 'score_pandas.py'), csv, AS_OF], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (py.status !== 0) throw new Error(`pandas run failed: ${py.stderr}`);
    const r = JSON.parse(py.stdout) as { load_s: number; compute_s: number; load_cpu_s: number; compute_cpu_s: number; customers: number; pandas: string; segments: Record<string, number> };
    const pandasTotal = r.load_s + r.compute_s;
    console.log(
      `pandas ${r.pandas} (${python}): read CSV ${r.load_s.toFixed(1)} s (CPU ${r.load_cpu_s.toFixed(1)} s) + RFM ${r.compute_s.toFixed(1)} s (CPU ${r.compute_cpu_s.toFixed(1)} s) = ${pandasTotal.toFixed(1)} s, ${r.customers.toLocaleString('en')} customers`,
    );
    const same = JSON.stringify(sortKeys(r.segments)) === JSON.stringify(sortKeys(customerSegments(ours.detail)));
    console.log(`segment counts: ${same ? 'identical in custkit and pandas' : `DIFFER: pandas ${JSON.stringify(r.segments)}`}`);
    const pandasCpu = r.load_cpu_s + r.compute_cpu_s;
    const table = ours.detail as { segmentTableSeconds: number; segmentTableCpuSeconds: number };
    console.log(
      `custkit RFM / pandas: ${(ours.seconds / pandasTotal).toFixed(2)}x wall clock, ${(ours.cpuSeconds / pandasCpu).toFixed(2)}x CPU time (target <= 0.5x; score ${ours.seconds.toFixed(2)} s, CPU ${ours.cpuSeconds.toFixed(2)} s); ` +
        `with the segments table after it (${table.segmentTableSeconds.toFixed(2)} s): ${((ours.seconds + table.segmentTableSeconds) / pandasTotal).toFixed(2)}x wall, ` +
        `${((ours.cpuSeconds + table.segmentTableCpuSeconds) / pandasCpu).toFixed(2)}x CPU; load average now ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    );
  }
  if (!arg('--keep')) fs.rmSync(dir, { recursive: true, force: true });
}

/** The first python that imports pandas, or undefined. */
function findPython(): string | undefined {
  const candidates = [process.env.CUSTKIT_PYTHON, 'python3', '/usr/bin/python3', 'python'].filter((c): c is string => Boolean(c));
  return candidates.find((c) => spawnSync(c, ['-c', 'import pandas'], { encoding: 'utf8' }).status === 0);
}

/** The purchase lines of the contacts a run scores (merged ones excluded), as pandas will read them. */
function writeCsv(file: string, csv: string): number {
  const db = openStore(file);
  const fd = fs.openSync(csv, 'w', 0o600);
  let count = 0;
  let chunk = 'contact_id,source,order_ref,ordered_at,amount_minor\n';
  const rows = db
    .prepare(`SELECT p.contact_id, p.source, p.order_ref, p.ordered_at, p.amount_minor FROM purchases p JOIN contacts c ON c.id = p.contact_id WHERE c.status NOT IN ('merged', 'erased')`)
    .raw()
    .iterate() as Iterable<[number, string, string, string, number]>;
  for (const [id, source, ref, at, amount] of rows) {
    chunk += `${id},${source},${ref},${at},${amount}\n`;
    if (++count % 50_000 === 0) {
      fs.writeSync(fd, chunk);
      chunk = '';
    }
  }
  fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  db.close();
  return count;
}

function customerSegments(detail: unknown): Record<string, number> {
  const segments = (detail as { segments: Record<string, number> }).segments;
  return Object.fromEntries(Object.entries(segments).filter(([k]) => k !== 'prospect' && k !== 'no net purchase'));
}

function sortKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}

main();
