/**
 * Start-up time of the CLI: `custkit --help` and `custkit db info` (on a small store), N runs each,
 * median and minimum, beside a bare `node -e 0` (the floor no CLI can go under).
 *
 *   npm run bench:startup                       # 20 runs each
 *   npm run bench:startup -- --runs 50
 *   npm run bench:startup -- --before /tmp/before/bin/custkit.js   # and another build, runs interleaved
 *
 * With --before, the two builds run turn about, so a change of load on a shared machine falls on both.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { argValue, BIN, ROOT } from './common.js';

const runs = Number(argValue('runs', '20'));
const builds = [BIN, ...(argValue('before') ? [path.resolve(argValue('before')!)] : [])];

function time(args: string[]): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

function stats(times: number[]): string {
  times.sort((a, b) => a - b);
  const n = times.length;
  const median = n % 2 ? times[(n - 1) / 2]! : (times[n / 2 - 1]! + times[n / 2]!) / 2;
  return `median ${(median / 1000).toFixed(3)} s   min ${(times[0]! / 1000).toFixed(3)} s`;
}

/** Runs each build's command `runs` times, turn about, after one warm-up each (it reads from disk). */
function compare(label: string, argsFor: (bin: string) => string[], each = builds): void {
  const times = each.map((bin) => (time(argsFor(bin)), [] as number[]));
  for (let i = 0; i < runs; i += 1) each.forEach((bin, b) => times[b]!.push(time(argsFor(bin))));
  each.forEach((_bin, b) => console.log(`${label.padEnd(18)} ${stats(times[b]!)}   (${runs} runs${each.length > 1 ? `, ${b === 0 ? 'this build' : 'before'}` : ''})`));
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custkit-startup-'));
try {
  const stores = builds.map((bin, b) => {
    const store = path.join(dir, `store-${b}.db`);
    const imported = spawnSync(process.execPath, [bin, '--db', store, 'import', path.join(ROOT, 'fixtures/clients-fr-cp1252.csv'), '-q']);
    if (imported.status !== 0) throw new Error(`could not build the store: ${imported.stderr}`);
    return store;
  });
  console.log(`custkit bench:startup on ${os.platform()}, node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(2)}`);
  builds.forEach((bin, b) => console.log(`${b === 0 ? 'this build' : 'before'}: ${bin}`));
  compare('node -e 0', () => ['-e', '0'], [BIN]);
  compare('custkit --help', (bin) => [bin, '--help']);
  compare('custkit db info', (bin) => [bin, '--db', stores[builds.indexOf(bin)]!, 'db', 'info']);
  console.log(`load average after: ${os.loadavg()[0]!.toFixed(2)}`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
