/**
 * Dedupe benchmark: pairwise precision, recall and F1 against ground truth, and speed at scale.
 *   npm run bench:dedupe                  FEBRL 1 and 2, the generator at 100k, then 1M contacts
 *   npm run bench:dedupe -- --quick       without the 1M run
 *   npm run bench:dedupe -- --million     only the 1M run
 * Data goes in the way a user's would: `custkit import` (FEBRL with --map; soc_sec_id is not mapped to
 * any field, so it only lands in attributes, which dedupe never reads), `bench/generate.ts` for the
 * generated files (French style, 15 % duplicated people). Speed is measured on the built CLI in a child
 * process (`custkit dedupe --json`), which reports its stage timings and peak RSS. Figures are noisy on
 * a shared machine: run it on purpose, not in CI.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CHAIN_THRESHOLD, DEFAULT_MAX_BLOCK, DEFAULT_THRESHOLD, findDuplicates } from '../src/dedupe/find.js';
import { openStore } from '../src/store/db.js';
import { loadTruth, pairwiseQuality } from './dedupe-quality.js';
import { generateDataset } from './generate.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = path.resolve(ROOT, '../shared/data/febrl');
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'custkit-dedupe-bench-'));
const THRESHOLDS = [0.5, 0.9, DEFAULT_THRESHOLD, 0.99, 0.999].filter((t, i, a) => a.indexOf(t) === i).sort();
const FEBRL_MAP = 'rec_id=external_id,given_name=first_name,surname=last_name,street_number=street_number,address_1=address_line1,' +
  'address_2=address_line2,suburb=city,postcode=postal_code,date_of_birth=birth_date';

function custkit(db: string, args: string[]): { stdout: string; wall: number } {
  const started = performance.now();
  const child = spawnSync(process.execPath, [path.join(ROOT, 'bin/custkit.js'), '--db', db, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (child.status !== 0 && child.status !== 3) throw new Error(`custkit ${args.join(' ')} failed (${child.status}): ${child.stderr}`);
  return { stdout: child.stdout, wall: (performance.now() - started) / 1000 };
}

/** Default model, then a model trained on the same store: P/R/F1 at each threshold. */
function quality(label: string, db: string, truthOf: (store: ReturnType<typeof openStore>) => Map<number, string>): void {
  const store = openStore(db);
  const truth = truthOf(store);
  for (const train of [false, true]) {
    const started = performance.now();
    const first = findDuplicates(store, { threshold: DEFAULT_THRESHOLD, chainThreshold: DEFAULT_CHAIN_THRESHOLD, maxBlock: DEFAULT_MAX_BLOCK, train });
    const seconds = (performance.now() - started) / 1000;
    console.log(`\n${label}: ${first.contacts.toLocaleString('en')} contacts, ${train ? 'trained model (dedupe --train)' : 'default model'}, ` +
      `${first.blocking.pairs.toLocaleString('en')} candidate pairs, ${seconds.toFixed(1)} s`);
    console.log('  threshold  precision  recall   F1      predicted / true pairs');
    for (const threshold of THRESHOLDS) {
      const r = threshold === DEFAULT_THRESHOLD ? first : findDuplicates(store, { threshold, chainThreshold: Math.min(DEFAULT_CHAIN_THRESHOLD, threshold), maxBlock: DEFAULT_MAX_BLOCK });
      const q = pairwiseQuality(r.clusters, truth);
      console.log(`  ${threshold.toFixed(3).padEnd(9)}  ${q.precision.toFixed(4)}     ${q.recall.toFixed(4)}   ${q.f1.toFixed(4)}  ` +
        `${q.predictedPairs.toLocaleString('en')} / ${q.truePairs.toLocaleString('en')}${threshold === DEFAULT_THRESHOLD ? '  (default threshold)' : ''}`);
    }
  }
  store.prepare('DELETE FROM dedupe_models').run();
  store.close();
}

function generated(contacts: number, seed: number): { db: string; truthFile: string; importSeconds: number } {
  const dir = path.join(WORK, `gen-${contacts}`);
  const files = generateDataset({ contacts, style: 'fr', duplicateShare: 0.15, purchasesPerContact: 0, seed, outDir: dir });
  const db = path.join(dir, 'store.db');
  const { wall } = custkit(db, ['import', files.contactsFile, '--quiet']);
  return { db, truthFile: files.truthFile, importSeconds: wall };
}

const args = new Set(process.argv.slice(2));
for (const name of args.has('--million') ? [] : ['febrl1', 'febrl2']) {
  const file = path.join(SHARED, `${name}.csv`);
  if (!fs.existsSync(file)) {
    console.log(`\n${name}: skipped (${file} is absent)`);
    continue;
  }
  const db = path.join(WORK, `${name}.db`);
  custkit(db, ['import', file, '--map', FEBRL_MAP, '--dates', 'ymd', '--quiet']);
  quality(`FEBRL ${name}`, db, (store) => new Map((store.prepare('SELECT id, external_id FROM contacts').raw().all() as Array<[number, string]>)
    .map(([id, rec]) => [id, /^rec-(\d+)-/.exec(rec)![1]])));
}
if (!args.has('--million')) {
  const g = generated(100_000, 11);
  quality('generator (bench/generate.ts, fr, 15 % duplicates)', g.db, (store) => loadTruth(store, g.truthFile));
}

if (!args.has('--quick')) {
  const g = generated(1_000_000, 12);
  console.log(`\n1M generated contacts imported in ${g.importSeconds.toFixed(1)} s; timing "custkit dedupe" (dry run, default model) ...`);
  const { stdout, wall } = custkit(g.db, ['dedupe', '--json', '--examples', '0']);
  const out = JSON.parse(stdout);
  console.log(`  wall time          ${wall.toFixed(1)} s   (target <= 60 s)`);
  console.log(`  peak RSS           ${out.peak_rss_mb} MB   (target <= 1536 MB)`);
  console.log(`  candidate pairs    ${out.candidate_pairs.toLocaleString('en')}`);
  console.log(`  pairs/s            ${out.pairs_per_second?.toLocaleString('en')} (blocking + comparison, then scoring)`);
  console.log(`  matches, clusters  ${out.matches.toLocaleString('en')}, ${out.clusters.toLocaleString('en')}; skipped blocks ${out.skipped_blocks}`);
  for (const [stage, ms] of Object.entries(out.timings_ms as Record<string, number>)) console.log(`  ${stage.padEnd(33)} ${(ms / 1000).toFixed(1)} s`);
  for (const [rule, pairs] of Object.entries(out.pairs_per_rule as Record<string, number>)) console.log(`    rule ${rule.padEnd(40)} ${pairs.toLocaleString('en')} pairs`);
  const store = openStore(g.db);
  const truth = loadTruth(store, g.truthFile);
  const r = findDuplicates(store, { threshold: DEFAULT_THRESHOLD, chainThreshold: DEFAULT_CHAIN_THRESHOLD, maxBlock: DEFAULT_MAX_BLOCK });
  const q = pairwiseQuality(r.clusters, truth);
  console.log(`  quality at 1M      precision ${q.precision.toFixed(4)}, recall ${q.recall.toFixed(4)}, F1 ${q.f1.toFixed(4)} (default model and threshold)`);
  store.close();
}
fs.rmSync(WORK, { recursive: true, force: true });
console.log(`\n${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the end; ${new Date().toISOString()}`);
