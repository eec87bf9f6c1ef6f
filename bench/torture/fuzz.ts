/**
 * Torture, part 1: malformed CSV and XLSX files through `import` and `import --dry-run`.
 * Files are mutations of the fixtures and of generated files (byte flips, truncations, inserted and
 * removed runs, quotes and delimiters, re-encodings, zip damage) plus the hostile generators (bombs,
 * entities, wide sheets, giant fields). The CLI runs in-process (`run()` from dist/, a fresh copy of one
 * pristine store per file) in a pool of child processes (`nice -n 19` by default: the machine is shared),
 * so ten thousand files take minutes, not hours; the bombs also run one process each, to record their
 * peak RSS. The files and work stores go to a RAM file system when there is one (/dev/shm): a work store
 * is thrown away after each file, so its fsyncs would measure the disk, not the importer. Files are a
 * pure function of the seed, and each worker saves its counts every 100 files, so `resume` carries on a
 * stopped run with the same files.
 * Counted: exit codes, stack traces / unexpected failures (must be 0), refused files that changed the
 * store (must be 0), peak RSS.
 */
import { spawn as spawnAsync, spawnSync } from 'node:child_process';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import { mulberry32 } from '../random.js';
import {
  writeCellBomb, writeEntityBomb, writeGiantFieldCsv, writeSharedStringBomb, writeWideSheet, writeWorkbook, inlineRow, SHEET_HEAD, SHEET_TAIL,
} from '../../test/helpers/hostile-files.js';
import { ROOT, BIN } from '../common.js';

export interface FuzzFigures {
  files: number;
  runs: number;
  exitCodes: Record<string, number>;
  /** "dry/real" exit codes of each file: docs/cli.md says a dry run exits as the real run would. */
  codePairs: Record<string, number>;
  pairExamples: string[];
  /** User + system CPU of the workers, wall time of the pool, load average (1 min) seen while it ran. */
  cpuSeconds: number;
  wallSeconds: number;
  /** Files whose dry run and import took over 10 s of CPU together (must be 0), and the slowest three. */
  slowFiles: number;
  slowest: Array<{ file: string; cpuSeconds: number }>;
  load: { min: number; max: number };
  stackTraces: number;
  unexpected: number;
  refusedThatChangedStore: number;
  dryRunsThatChangedStore: number;
  peakRssMb: number;
  bombs: Array<{ file: string; code: number | null; peakRssMb: number; seconds: number; cpuSeconds: number }>;
  examples: string[];
}

type Rng = () => number;

function pick<T>(rand: Rng, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

const CSV_NOISE = ['"', '""', ',', ';', '\t', '\n', '\r', '\r\n', '\u0000', '\ufeff', 'é', '\u00a0', '=cmd|', '"""', '\\', '\u2028'];

/** One mutation of `data`, chosen at random. */
function mutate(data: Buffer, rand: Rng, workbook: boolean): Buffer {
  const at = (): number => Math.floor(rand() * Math.max(1, data.length));
  const kind = Math.floor(rand() * (workbook ? 8 : 10));
  switch (kind) {
    case 0: { // flip a few bytes
      const copy = Buffer.from(data);
      for (let i = 0, n = 1 + Math.floor(rand() * 8); i < n; i++) copy[at()] = Math.floor(rand() * 256);
      return copy;
    }
    case 1: return data.subarray(0, at()); // truncated
    case 2: { // a run removed
      const a = at();
      return Buffer.concat([data.subarray(0, a), data.subarray(Math.min(data.length, a + 1 + Math.floor(rand() * 200)))]);
    }
    case 3: { // a run duplicated
      const a = at();
      const b = Math.min(data.length, a + 1 + Math.floor(rand() * 500));
      return Buffer.concat([data.subarray(0, b), data.subarray(a, b), data.subarray(b)]);
    }
    case 4: { // random bytes inserted
      const a = at();
      const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
      return Buffer.concat([data.subarray(0, a), bytes, data.subarray(a)]);
    }
    case 5: return Buffer.concat([data, data.subarray(0, at())]); // trailing garbage
    case 6: { // a zip's central directory or local header damaged, or any file's tail zeroed
      const copy = Buffer.from(data);
      const from = workbook ? Math.max(0, copy.length - 22 - Math.floor(rand() * 400)) : at();
      copy.fill(0, from, Math.min(copy.length, from + 1 + Math.floor(rand() * 30)));
      return copy;
    }
    case 7: return Buffer.concat([data.subarray(0, at()), data.subarray(0, at())]); // spliced with itself
    case 8: { // CSV: structural characters inserted
      const text = data.toString('utf8');
      let out = text;
      for (let i = 0, n = 1 + Math.floor(rand() * 12); i < n; i++) {
        const a = Math.floor(rand() * out.length);
        out = out.slice(0, a) + pick(rand, CSV_NOISE) + out.slice(a);
      }
      return Buffer.from(out, 'utf8');
    }
    default: { // CSV: re-encoded (wrong declared/undeclared encodings)
      const text = data.toString('utf8');
      const encoding = pick(rand, ['utf16le', 'utf16be', 'win1252', 'latin1', 'macintosh', 'shift_jis']);
      const bytes = iconv.encode(text, encoding);
      return rand() < 0.5 ? bytes : Buffer.concat([Buffer.from([0xff, 0xfe]), bytes]);
    }
  }
}

/** Seed files: the fixtures, a generated CSV, and small workbooks (inline strings and exceljs-written). */
async function seeds(dir: string): Promise<Array<{ name: string; data: Buffer; workbook: boolean }>> {
  const list: Array<{ name: string; data: Buffer; workbook: boolean }> = [];
  const fixtures = path.join(ROOT, 'fixtures');
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(csv|xlsx)$/.test(entry.name) && fs.statSync(full).size < 2_000_000) {
        list.push({ name: entry.name, data: fs.readFileSync(full), workbook: entry.name.endsWith('.xlsx') });
      }
    }
  };
  walk(fixtures);
  const rows = ['id;email;prénom;nom;téléphone;ville;date de naissance'];
  const rand = mulberry32(7);
  for (let i = 0; i < 300; i++) rows.push(`C${i};user${i}@exemple.fr;Zoé${i};"Le Goff; ${i}";06 12 34 ${String(i % 100).padStart(2, '0')} 00;Brest;${1 + (i % 28)}/0${1 + (i % 9)}/19${50 + (i % 49)}`);
  list.push({ name: 'generated.csv', data: Buffer.from(rows.join('\r\n')), workbook: false });
  const book = path.join(dir, 'seed.xlsx');
  const sheetRows = [inlineRow(1, ['email', 'first_name', 'last_name', 'city'])];
  for (let i = 2; i < 60; i++) sheetRows.push(inlineRow(i, [`p${i}@example.com`, `Ann${Math.floor(rand() * 100)}`, 'Smith &amp; Co', 'Leeds']));
  await writeWorkbook(book, { sheet: SHEET_HEAD + sheetRows.join('') + SHEET_TAIL });
  list.push({ name: 'seed.xlsx', data: fs.readFileSync(book), workbook: true });
  return list;
}

/** The hostile files, one process each: their peak RSS is the figure that matters. */
async function bombs(dir: string, full: boolean): Promise<string[]> {
  const scale = full ? 1 : 1 / 16;
  const files: Array<[string, (file: string) => Promise<void> | void]> = [
    ['shared-string-bomb.xlsx', (f) => writeSharedStringBomb(f, Math.round(400 * 2 ** 20 * scale))],
    ['cell-bomb.xlsx', (f) => writeCellBomb(f, Math.round(512 * 2 ** 20 * scale))],
    ['entity-bomb.xlsx', (f) => writeEntityBomb(f)],
    ['wide-16384.xlsx', (f) => writeWideSheet(f, 16384)],
    ['giant-field.csv', (f) => writeGiantFieldCsv(f, Math.round(100 * 2 ** 20 * scale))],
    ['unclosed-quote.csv', (f) => writeGiantFieldCsv(f, Math.round(100 * 2 ** 20 * scale), true)],
    ['lying-size.xlsx', (f) => writeWorkbook(f, { edit: (parts) => parts.map((p) => (p.name.includes('sheet1') ? { ...p, declaredSize: 10 } : p)) })],
    ['hidden-part.xlsx', (f) => writeWorkbook(f, { edit: (parts) => [{ name: 'xl/sharedStrings.xml', data: 'x', hidden: true }, ...parts] })],
  ];
  const paths: string[] = [];
  for (const [name, write] of files) {
    const file = path.join(dir, name);
    await write(file);
    paths.push(file);
  }
  return paths;
}

const WORKER = path.join(ROOT, 'bench/torture/fuzz-worker.mjs');

/** Runs the fuzz: `count` mutated files (half CSV, half XLSX seeds), `workers` child processes. */
export async function fuzz(options: {
  count: number; workers: number; seed: number; dir: string; full: boolean; log: (line: string) => void; bombs?: boolean;
  /** Niceness of the worker processes (default 19; 0 runs them as is). */
  nice?: number;
  /** Carry on a stopped run of the same seed, count and workers from the workers' saved counts. */
  resume?: boolean;
}): Promise<FuzzFigures> {
  fs.mkdirSync(options.dir, { recursive: true });
  const rand = mulberry32(options.seed);
  const corpus = await seeds(options.dir);
  const filesDir = path.join(options.dir, 'files');
  fs.rmSync(filesDir, { recursive: true, force: true });
  fs.mkdirSync(filesDir);
  const files: string[] = [];
  for (let i = 0; i < options.count; i++) {
    const seed = pick(rand, corpus);
    let data = seed.data;
    for (let m = 0, n = 1 + Math.floor(rand() * 3); m < n; m++) data = mutate(data, rand, seed.workbook && rand() < 0.8);
    const ext = seed.workbook ? (rand() < 0.9 ? '.xlsx' : '.csv') : (rand() < 0.95 ? '.csv' : '.xlsx');
    const file = path.join(filesDir, `${String(i).padStart(5, '0')}-${seed.name.replace(/\.\w+$/, '')}${ext}`);
    fs.writeFileSync(file, data);
    files.push(file);
  }
  options.log(`fuzz: ${files.length} files written to ${filesDir}`);
  const lists: string[][] = Array.from({ length: options.workers }, () => []);
  files.forEach((f, i) => lists[i % options.workers]!.push(f));
  const load = { min: os.loadavg()[0]!, max: os.loadavg()[0]! };
  let ticks = 0;
  const sampler = setInterval(() => {
    load.min = Math.min(load.min, os.loadavg()[0]!);
    load.max = Math.max(load.max, os.loadavg()[0]!);
    // Every minute: a worker on the same file for over two minutes is named (it is not stopped).
    if (++ticks % 12 === 0) {
      for (let w = 0; w < options.workers; w++) {
        const current = path.join(options.dir, `worker-${w}`, 'current.txt');
        const age = fs.existsSync(current) ? (Date.now() - fs.statSync(current).mtimeMs) / 1000 : 0;
        if (age > 120) options.log(`  worker-${w} has been on ${fs.readFileSync(current, 'utf8')} for ${Math.round(age)} s`);
      }
    }
  }, 5000);
  const started = Date.now();
  const results = await Promise.all(lists.map((list, w) => runWorker(list, path.join(options.dir, `worker-${w}`), options.log, options.nice ?? 19, options.resume ?? false)))
    .finally(() => clearInterval(sampler));
  const figures: FuzzFigures = {
    files: 0, runs: 0, exitCodes: {}, codePairs: {}, pairExamples: [], cpuSeconds: 0, slowFiles: 0, slowest: [], wallSeconds: Math.round((Date.now() - started) / 1000), load,
    stackTraces: 0, unexpected: 0, refusedThatChangedStore: 0, dryRunsThatChangedStore: 0, peakRssMb: 0, bombs: [], examples: [],
  };
  for (const r of results) {
    figures.files += r.files;
    figures.runs += r.runs;
    figures.cpuSeconds += r.cpuSeconds;
    figures.slowFiles += r.slowFiles;
    figures.slowest = [...figures.slowest, ...r.slowest].sort((a, b) => b.cpuSeconds - a.cpuSeconds).slice(0, 3);
    figures.pairExamples.push(...r.pairExamples);
    for (const [code, n] of Object.entries(r.exitCodes)) figures.exitCodes[code] = (figures.exitCodes[code] ?? 0) + n;
    for (const [pair, n] of Object.entries(r.codePairs)) figures.codePairs[pair] = (figures.codePairs[pair] ?? 0) + n;
    figures.stackTraces += r.stackTraces;
    figures.unexpected += r.unexpected;
    figures.refusedThatChangedStore += r.refusedThatChangedStore;
    figures.dryRunsThatChangedStore += r.dryRunsThatChangedStore;
    figures.peakRssMb = Math.max(figures.peakRssMb, r.peakRssMb);
    figures.examples.push(...r.examples);
  }
  for (const file of options.bombs === false ? [] : await bombs(options.dir, options.full)) {
    const db = path.join(options.dir, 'bomb.db');
    fs.rmSync(db, { force: true });
    const started = Date.now();
    const timed = ['/usr/bin/time', '-f', '%M %U %S', process.execPath, BIN, '--db', db, 'import', file];
    const run = (options.nice ?? 19) > 0 ? spawnSync('nice', ['-n', String(options.nice ?? 19), ...timed], { encoding: 'utf8' }) : spawnSync(timed[0]!, timed.slice(1), { encoding: 'utf8' });
    const [, kb, user, sys] = /(\d+) ([\d.]+) ([\d.]+)\s*$/.exec(run.stderr) ?? [];
    const rss = Number(kb ?? 0) / 1024;
    const code = run.status;
    if (/\n\s+at |unexpected failure/.test(run.stderr)) figures.unexpected++;
    figures.bombs.push({ file: path.basename(file), code, peakRssMb: Math.round(rss), seconds: Math.round((Date.now() - started) / 100) / 10, cpuSeconds: Math.round((Number(user ?? 0) + Number(sys ?? 0)) * 10) / 10 });
    options.log(`bomb ${path.basename(file)}: exit ${code}, peak RSS ${Math.round(rss)} MB: ${run.stderr.split('\n')[0]}`);
    fs.rmSync(file, { force: true });
  }
  return figures;
}

/** What one fuzz worker reports: the run's figures but for the pool's wall time, load and bomb runs. */
type WorkerResult = Omit<FuzzFigures, 'bombs' | 'wallSeconds' | 'load'>;

function runWorker(files: string[], dir: string, log: (line: string) => void, nice: number, resume: boolean): Promise<WorkerResult> {
  fs.mkdirSync(dir, { recursive: true });
  const list = path.join(dir, 'files.json');
  fs.writeFileSync(list, JSON.stringify(files));
  if (!resume) fs.rmSync(path.join(dir, 'progress.json'), { force: true });
  const args = [WORKER, list, dir, path.join(ROOT, 'fixtures/contacts-en-bom.csv'), resume ? 'resume' : 'new'];
  return new Promise((resolve, reject) => {
    const child = nice > 0 ? spawnAsync('nice', ['-n', String(nice), process.execPath, ...args]) : spawnAsync(process.execPath, args);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        if (line.startsWith('{')) resolve(JSON.parse(line) as WorkerResult);
        else log(line);
      }
    });
    child.on('exit', (code) => (code === 0 ? undefined : reject(new Error(`fuzz worker exited ${code}`))));
  });
}
