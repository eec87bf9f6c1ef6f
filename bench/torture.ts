/**
 * The torture suite: hostile and malformed input, kill -9 at random moments of every writing command,
 * and concurrent writers with a reader. Prints the figures bench/README.md ("Reliability") records.
 *
 *   npm run torture                              # full: 10,000 fuzzed files, 10 kills per command, 10 rounds
 *   npm run torture -- --files 500 --kills 2 --rounds 2 --workers 1     # a quick pass
 *   npm run torture -- --only fuzz|kill|concurrency
 *   npm run torture -- --only fuzz --workers 2 --resume   # carry on a stopped fuzz run (same seed and count)
 *   npm run torture -- --only kill --commands "gdpr erase,run"   # some writing commands only
 *   npm run torture -- --nice 0                  # workers at normal priority (default: nice -n 19)
 * The fuzz files and work stores go to /dev/shm when it exists (--fuzz-dir to choose).
 *
 * Exit code 0 when every figure that must be zero is zero, 1 otherwise. A small sample of each part runs
 * in npm test (test/torture.test.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { argValue, OUT } from './common.js';
import { fuzz } from './torture/fuzz.js';
import { killTorture } from './torture/kill.js';
import { concurrencyTorture } from './torture/concurrency.js';

const files = Number(argValue('files', '10000'));
const kills = Number(argValue('kills', '10'));
const rounds = Number(argValue('rounds', '10'));
const workers = Number(argValue('workers', '1'));
const contacts = Number(argValue('contacts', '5000'));
const only = argValue('only');
const dir = argValue('dir', path.join(OUT, 'torture'))!;
const ramDisk = fs.existsSync('/dev/shm') && fs.statSync('/dev/shm').isDirectory();
const fuzzDir = argValue('fuzz-dir', ramDisk ? path.join('/dev/shm', `custkit-torture-${os.userInfo().username}`) : path.join(dir, 'fuzz'))!;
const nice = Number(argValue('nice', '19'));
const resume = process.argv.includes('--resume');
const log = (line: string): void => console.log(line);

const started = Date.now();
const failures: string[] = [];
console.log(`torture: ${os.cpus().length} cores, node ${process.version}, out ${dir}`);
if (!only || only === 'fuzz') {
  const f = await fuzz({ count: files, workers, seed: 20261207, dir: fuzzDir, full: files >= 10000, log, nice, resume, bombs: !process.argv.includes('--no-bombs') });
  console.log(`\nfuzz: ${f.files} files, ${f.runs} runs (import and import --dry-run), ${workers} workers at nice ${nice} in ${fuzzDir}`);
  console.log(`  wall ${f.wallSeconds} s, CPU (user+sys, workers) ${Math.round(f.cpuSeconds)} s, load average ${f.load.min.toFixed(1)}-${f.load.max.toFixed(1)}`);
  console.log(`  exit codes: ${Object.entries(f.exitCodes).sort().map(([k, v]) => `${k}: ${v}`).join(', ')}`);
  console.log(`  dry run / import exit codes per file: ${Object.entries(f.codePairs).sort().map(([k, v]) => `${k}: ${v}`).join(', ')}`);
  console.log(`  stack traces: ${f.stackTraces}, unexpected failures: ${f.unexpected}, refused files that changed the store: ${f.refusedThatChangedStore}, dry runs that changed it: ${f.dryRunsThatChangedStore}`);
  console.log(`  files over 10 s of CPU: ${f.slowFiles}; slowest: ${f.slowest.map((x) => `${x.file} ${x.cpuSeconds} s`).join(', ')}`);
  console.log(`  peak RSS of a fuzz worker (all its files, in-process): ${f.peakRssMb} MB`);
  for (const b of f.bombs) console.log(`  ${b.file}: exit ${b.code}, peak RSS ${b.peakRssMb} MB, ${b.seconds} s (CPU ${b.cpuSeconds} s)`);
  for (const e of f.examples) console.log(`  ! ${e}`);
  for (const e of f.pairExamples) console.log(`  dry run and import differ: ${e}`);
  if (f.stackTraces || f.unexpected || f.refusedThatChangedStore || f.dryRunsThatChangedStore || f.slowFiles) failures.push('fuzz');
  if (f.bombs.some((b) => b.peakRssMb > 300 || b.code !== 1)) failures.push('bombs (exit 1 and <= 300 MB each)');
}
if (!only || only === 'kill') {
  const commands = argValue('commands')?.split(',').map((c) => c.trim());
  const k = await killTorture({ perCommand: kills, contacts, dir: path.join(dir, 'kill'), seed: 7, log, commands });
  console.log(`\nkill -9: ${k.kills} kills (${k.killedBeforeEnd} before the command ended, ${k.killedWhileWriting} while it held the write lock), corrupt stores: ${k.corruptStores}, half-applied: ${k.halfApplied}, failed re-runs: ${k.failedReruns}, temporary files left behind: ${k.leftovers}`);
  for (const p of k.problems) console.log(`  ! ${p}`);
  if (k.notLanded.length) console.log(`  writing commands not in this build yet (not run): ${k.notLanded.join(', ')}`);
  if (k.corruptStores || k.halfApplied || k.failedReruns || k.leftovers || k.problems.length) failures.push('kill');
}
if (!only || only === 'concurrency') {
  const c = await concurrencyTorture({ rounds, rows: 2000, dir: path.join(dir, 'concurrency'), log });
  console.log(`\nconcurrency: ${c.rounds} rounds of 2 writers + 1 reader: writer failures ${c.writerFailures}/${c.writerRuns}, reader failures ${c.readerFailures}/${c.readerRuns}, reads that saw part of an import ${c.inconsistentReads}, writes lost ${c.lostWrites}`);
  for (const p of c.problems) console.log(`  ! ${p}`);
  if (c.writerFailures || c.readerFailures || c.inconsistentReads || c.lostWrites || c.problems.length) failures.push('concurrency');
}
console.log(`\ntorture: ${Math.round((Date.now() - started) / 1000)} s; ${failures.length ? `FAILED: ${failures.join(', ')}` : 'all figures that must be zero are zero'}`);
fs.mkdirSync(dir, { recursive: true });
process.exitCode = failures.length ? 1 : 0;
