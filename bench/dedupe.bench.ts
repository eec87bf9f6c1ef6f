/**
 * Dedupe benchmark: pairwise precision, recall and F1 against ground truth with the defaults, and the
 * time of each stage, apply and unmerge included.
 *   npm run bench:dedupe                         FEBRL 1 and 2, sparse (50k), full (100k), then 1M full
 *   npm run bench:dedupe -- --quick              without the 1M run
 *   npm run bench:dedupe -- --million            only the 1M run
 *   npm run bench:dedupe -- --size 200000        the "million" run at another size (a shared machine)
 * Data goes in the way a user's would: `custkit import` (FEBRL with --map; soc_sec_id is mapped to no
 * field), `bench/generate.ts` for the generated files (French style, 15 % duplicated people; `--mode
 * sparse`: first name, surname, birth date, city, email only). Each file is then run through the built
 * CLI as a child process: `dedupe --json` (the dry run: rules chosen, model fitted, stage timings, peak
 * RSS), `dedupe --apply --json`, `unmerge --all-since`. Quality is measured on the clusters of the dry
 * run's settings (same store, same fitted model). Figures are noisy on a shared machine.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CHAIN_THRESHOLD, DEFAULT_MAX_BLOCK, DEFAULT_THRESHOLD, findDuplicates } from '../src/dedupe/find.js';
import { openStore, type Db } from '../src/store/db.js';
import { loadTruth, pairwiseQuality } from './dedupe-quality.js';
import { generateDataset } from './generate.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = path.resolve(ROOT, '../shared/data/febrl');
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'custkit-dedupe-bench-'));
const FEBRL_MAP = 'rec_id=external_id,given_name=first_name,surname=last_name,street_number=street_number,address_1=address_line1,' +
  'address_2=address_line2,suburb=city,postcode=postal_code,date_of_birth=birth_date';

interface Timed {
  stdout: string;
  wall: number;
  /** User + system seconds of the child (all threads): what a shared machine's load does not inflate. */
  cpu: number;
  rssMb: number;
  /** The 1-minute load average when the command started. */
  load: number;
}

/** The built CLI in a child process, timed, with its CPU time and peak RSS (from /usr/bin/time when present). */
function custkit(db: string, args: string[]): Timed {
  const load = os.loadavg()[0];
  const started = performance.now();
  const timeBin = fs.existsSync('/usr/bin/time');
  const rssFile = path.join(WORK, 'rss');
  const command = timeBin ? '/usr/bin/time' : process.execPath;
  const argv = [...(timeBin ? ['-f', '%M %U %S', '-o', rssFile, process.execPath] : []), path.join(ROOT, 'bin/custkit.js'), '--db', db, ...args];
  const child = spawnSync(command, argv, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (child.status !== 0 && child.status !== 3) throw new Error(`custkit ${args.join(' ')} failed (${child.status}): ${child.stderr}`);
  const [rss, user, sys] = timeBin ? fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number) : [NaN, NaN, NaN];
  return { stdout: child.stdout, wall: (performance.now() - started) / 1000, cpu: user + sys, rssMb: Math.round(rss / 1024), load };
}

/** "12.3 s wall, cpu 8.1 s, 512 MB peak RSS, load 3.2". */
const figures = (t: Timed) => `${t.wall.toFixed(1)} s wall, cpu ${t.cpu.toFixed(1)} s, ${t.rssMb} MB peak RSS, load ${t.load.toFixed(1)}`;

const seconds = (ms: number | undefined) => `${((ms ?? 0) / 1000).toFixed(1)} s`;

function run(label: string, db: string, truthOf: ((store: Db) => Map<number, string>) | null): void {
  const dry = custkit(db, ['dedupe', '--json', '--examples', '0']);
  const out = JSON.parse(dry.stdout);
  console.log(`\n${label}: ${out.contacts.toLocaleString('en')} contacts`);
  console.log(`  dry run            ${figures(dry)}; ${out.candidate_pairs.toLocaleString('en')} candidate pairs ` +
    `(budget ${out.blocking.pair_budget.toLocaleString('en')}), ${out.matches.toLocaleString('en')} matches, ${out.clusters.toLocaleString('en')} clusters`);
  console.log(`  model              ${out.training ? `fitted (${out.training.reason}; fields ${out.training.fields})` : out.model}`);
  console.log(`  stages             ${Object.entries(out.timings_ms as Record<string, number>).map(([s, ms]) => `${s} ${seconds(ms)}`).join(', ')}`);
  console.log(`  rules chosen       ${(out.blocking.chosen as Array<{ rule: string; pairs: number }>).map((c) => `${c.rule} (${c.pairs.toLocaleString('en')})`).join('; ')}`);
  if (truthOf) {
    const store = openStore(db);
    const truth = truthOf(store);
    const r = findDuplicates(store, { threshold: DEFAULT_THRESHOLD, chainThreshold: DEFAULT_CHAIN_THRESHOLD, maxBlock: DEFAULT_MAX_BLOCK });
    const q = pairwiseQuality(r.clusters, truth);
    store.close();
    console.log(`  quality (defaults) F1 ${q.f1.toFixed(4)}  precision ${q.precision.toFixed(4)}  recall ${q.recall.toFixed(4)}  ` +
      `(${q.predictedPairs.toLocaleString('en')} predicted / ${q.truePairs.toLocaleString('en')} true pairs)`);
  }
  const apply = custkit(db, ['dedupe', '--apply', '--json', '--examples', '0']);
  const applied = JSON.parse(apply.stdout);
  console.log(`  dedupe --apply     ${figures(apply)}; ${applied.merges.length.toLocaleString('en')} merges; ` +
    `stages ${Object.entries(applied.timings_ms as Record<string, number>).map(([st, ms]) => `${st} ${seconds(ms)}`).join(', ')}`);
  const undo = custkit(db, ['unmerge', '--all-since', '2000-01-01', '--json']);
  console.log(`  unmerge --all-since ${figures(undo)}; ${JSON.parse(undo.stdout).undone.length.toLocaleString('en')} merges undone`);
}

function generated(contacts: number, seed: number, mode: 'full' | 'sparse'): { db: string; truthFile: string } {
  const dir = path.join(WORK, `gen-${mode}-${contacts}`);
  const files = generateDataset({ contacts, style: 'fr', duplicateShare: 0.15, purchasesPerContact: 0, seed, outDir: dir, mode });
  const db = path.join(dir, 'store.db');
  const imported = custkit(db, ['import', files.contactsFile, '--quiet']);
  console.log(`\n(${mode} file of ${contacts.toLocaleString('en')} rows imported: ${figures(imported)})`);
  return { db, truthFile: files.truthFile };
}

const argv = process.argv.slice(2);
const args = new Set(argv);
const sizeAt = argv.indexOf('--size');
const bigSize = sizeAt >= 0 ? Number(argv[sizeAt + 1]) : 1_000_000;
if (!args.has('--million')) {
  for (const name of ['febrl1', 'febrl2']) {
    const file = path.join(SHARED, `${name}.csv`);
    if (!fs.existsSync(file)) {
      console.log(`\n${name}: skipped (${file} is absent)`);
      continue;
    }
    const db = path.join(WORK, `${name}.db`);
    custkit(db, ['import', file, '--map', FEBRL_MAP, '--dates', 'ymd', '--quiet']);
    run(`FEBRL ${name}`, db, (store) => new Map((store.prepare('SELECT id, external_id FROM contacts').raw().all() as Array<[number, string]>)
      .map(([id, rec]) => [id, /^rec-(\d+)-/.exec(rec)![1]])));
  }
  const sparse = generated(50_000, 13, 'sparse');
  run('sparse generated file (first name, surname, birth date, city, email)', sparse.db, (store) => loadTruth(store, sparse.truthFile));
  const full = generated(100_000, 11, 'full');
  run('full generated file (every field)', full.db, (store) => loadTruth(store, full.truthFile));
}
if (!args.has('--quick')) {
  const big = generated(bigSize, 12, 'full');
  run(`${bigSize.toLocaleString('en')} generated contacts (full, 15 % duplicates; targets: apply <= 60 s and <= 1 GB, unmerge <= 20 s)`, big.db,
    (store) => loadTruth(store, big.truthFile));
}
fs.rmSync(WORK, { recursive: true, force: true });
console.log(`\n${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the end; ${new Date().toISOString()}`);
