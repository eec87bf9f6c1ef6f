/**
 * Dedupe benchmark: pairwise precision, recall and F1 against ground truth, and speed at scale.
 *   npm run bench:dedupe                  FEBRL 1 and 2, generated 15 % duplicates, 1M contacts
 *   npm run bench:dedupe -- --quick       the same without the 1M run
 *   npm run bench:dedupe -- --million-only
 * FEBRL is read from ../shared/data (skipped when absent); soc_sec_id is left out. Speed is measured on
 * the built CLI in a child process (`custkit dedupe --json`), which reports its own stage timings and
 * peak RSS. Figures are noisy on a shared machine: run it on purpose, not in CI.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CHAIN_THRESHOLD, DEFAULT_MAX_BLOCK, DEFAULT_THRESHOLD, findDuplicates } from '../src/dedupe/find.js';
import { openStore } from '../src/store/db.js';
import { loadFebrl, pairwiseQuality } from './dedupe-quality.js';
import { syntheticContacts } from './dedupe-synthetic.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = path.resolve(ROOT, '../shared/data/febrl');
const args = new Set(process.argv.slice(2));
const THRESHOLDS = [0.5, 0.8, 0.9, DEFAULT_THRESHOLD, 0.99, 0.999].filter((t, i, a) => a.indexOf(t) === i).sort();

function quality(label: string, load: (db: ReturnType<typeof openStore>) => Map<number, string>): void {
  for (const train of [false, true]) {
    const db = openStore(':memory:');
    const truth = load(db);
    const started = performance.now();
    const first = findDuplicates(db, { threshold: DEFAULT_THRESHOLD, chainThreshold: DEFAULT_CHAIN_THRESHOLD, maxBlock: DEFAULT_MAX_BLOCK, train });
    const seconds = (performance.now() - started) / 1000;
    console.log(`\n${label} — ${first.contacts.toLocaleString('en')} contacts, model ${train ? 'trained (--train)' : 'default'}, ` +
      `${first.blocking.pairs.toLocaleString('en')} candidate pairs, ${seconds.toFixed(1)} s`);
    console.log('  threshold  precision  recall   F1      predicted pairs / true pairs');
    for (const threshold of THRESHOLDS) {
      const r = threshold === DEFAULT_THRESHOLD ? first : findDuplicates(db, { threshold, chainThreshold: Math.min(DEFAULT_CHAIN_THRESHOLD, threshold), maxBlock: DEFAULT_MAX_BLOCK });
      const q = pairwiseQuality(r.clusters, truth);
      const mark = threshold === DEFAULT_THRESHOLD ? ' (default)' : '';
      console.log(`  ${threshold.toFixed(3).padEnd(9)}  ${q.precision.toFixed(4)}     ${q.recall.toFixed(4)}   ${q.f1.toFixed(4)}  ${q.predictedPairs} / ${q.truePairs}${mark}`);
    }
    db.close();
  }
}

function generated(people: number, seed: number) {
  return (db: ReturnType<typeof openStore>) => {
    const { truth } = syntheticContacts(db, { people, duplicateShare: 0.15, seed });
    return new Map([...truth].map(([id, person]) => [id, String(person)]));
  };
}

if (!args.has('--million-only')) {
  for (const name of ['febrl1', 'febrl2']) {
    const file = path.join(SHARED, `${name}.csv`);
    if (!fs.existsSync(file)) console.log(`\n${name}: skipped (${file} is absent)`);
    else quality(`FEBRL ${name}`, (db) => loadFebrl(db, file));
  }
  quality('generated, 15 % duplicated people (50,000 people)', generated(50_000, 11));
}

if (!args.has('--quick')) {
  const people = 870_000; // with 15 % duplicated people (1-2 extra records each) this is ~1,000,000 contacts
  const file = path.join(os.tmpdir(), `custkit-dedupe-bench-${people}.db`);
  if (!fs.existsSync(file)) {
    console.log(`\ngenerating ${file} ...`);
    const db = openStore(file);
    syntheticContacts(db, { people, duplicateShare: 0.15, seed: 1 });
    db.close();
  }
  // A fresh run each time: the keys table is derived data, dropped so keying is measured too.
  const db = openStore(file);
  db.exec('DELETE FROM dedupe_keys;');
  const contacts = db.prepare('SELECT count(*) FROM contacts').pluck().get() as number;
  db.close();
  const started = performance.now();
  const child = spawnSync(process.execPath, [path.join(ROOT, 'bin/custkit.js'), '--db', file, 'dedupe', '--json', '--examples', '0'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = (performance.now() - started) / 1000;
  if (child.status !== 0 && child.status !== 3) {
    console.error(child.stderr);
    process.exit(1);
  }
  const out = JSON.parse(child.stdout);
  console.log(`\n1M run: ${contacts.toLocaleString('en')} contacts, "custkit dedupe" (dry run, default model)`);
  console.log(`  wall time         ${wall.toFixed(1)} s (target <= 60 s)`);
  console.log(`  peak RSS          ${out.peak_rss_mb} MB (target <= 1536 MB)`);
  console.log(`  candidate pairs   ${out.candidate_pairs.toLocaleString('en')}`);
  console.log(`  pairs/s           ${out.pairs_per_second?.toLocaleString('en')} (blocking + comparison + scoring)`);
  console.log(`  matches/clusters  ${out.matches.toLocaleString('en')} / ${out.clusters.toLocaleString('en')}`);
  console.log(`  skipped blocks    ${out.skipped_blocks}`);
  for (const [stage, ms] of Object.entries(out.timings_ms as Record<string, number>)) console.log(`  ${stage.padEnd(32)} ${(ms / 1000).toFixed(1)} s`);
  for (const [rule, pairs] of Object.entries(out.pairs_per_rule as Record<string, number>)) console.log(`    rule ${rule.padEnd(36)} ${pairs.toLocaleString('en')} pairs`);
}
console.log(`\nmeasured on ${os.cpus().length} cores, ${new Date().toISOString()}; figures are noisy on a shared machine`);
