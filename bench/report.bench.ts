/**
 * `npm run bench:report`: times `custkit report` on a store of N contacts (default 1,000,000) with about
 * 4.7 purchase lines each and a score history (two RFMCCA runs with CLV, three months apart), the
 * terminal summary with --json, and --html. The store is generated once (test/report/synthetic.ts),
 * validated and scored, and kept in bench/out/ for the next run; only the report commands are timed,
 * each in its own process: wall time, CPU time (user + system, which load on a shared machine inflates
 * much less than wall time) and peak RSS, from GNU time; under each, the wall time of every step of the
 * report and the thread it ran on (CUSTKIT_REPORT_TIMINGS).
 * Options: --contacts N, --runs K (default 2), --cases json,terminal,html (default all three).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { openStore } from '../src/store/db.js';
import { ensureValidated } from '../src/validate/ensure.js';
import { generateShop, scoreHistory } from '../test/report/synthetic.js';
import { argValue, BIN, OUT } from './common.js';

const AS_OF = '2025-06-30';
const contacts = Number(argValue('contacts', '1000000'));
const runs = Number(argValue('runs', '2'));
const only = (argValue('cases', 'json,terminal,html') ?? '').split(',');

function prepare(file: string): void {
  if (fs.existsSync(file)) {
    // A store kept from an earlier version gets its new migrations (the report's purchases_day index)
    // here, so the first timed report does not pay for them.
    const t = performance.now();
    openStore(file).close();
    console.log(`store: ${file} (kept from an earlier run; opened and migrated in ${((performance.now() - t) / 1000).toFixed(1)} s, not timed)`);
    return;
  }
  fs.mkdirSync(OUT, { recursive: true });
  const partial = `${file}.partial`;
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(partial + suffix, { force: true });
  const db = openStore(partial);
  let t = performance.now();
  generateShop(db, { contacts, until: AS_OF });
  const lines = db.prepare('SELECT count(*) FROM purchases').pluck().get() as number;
  console.log(`generated ${contacts.toLocaleString('en')} contacts, ${lines.toLocaleString('en')} purchase lines in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  t = performance.now();
  ensureValidated(db);
  console.log(`validated in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  t = performance.now();
  scoreHistory(db, AS_OF);
  console.log(`scored twice (RFMCCA + CLV) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  fs.renameSync(partial, file);
  for (const suffix of ['-wal', '-shm']) fs.rmSync(partial + suffix, { force: true });
}

/** One report command in its own process: wall and CPU seconds, peak RSS in MB. */
function time(args: string[]): { seconds: number; cpu: number; rssMb: number; steps: string[] } {
  const env = { ...process.env, CUSTKIT_REPORT_TIMINGS: '1' };
  const child = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', process.execPath, BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 26, env });
  if (child.status !== 0) throw new Error(`custkit ${args.join(' ')} failed:\n${child.stderr}`);
  const lines = child.stderr.trim().split('\n');
  const [seconds, user, system, kb] = lines.pop()!.split(' ').map(Number) as [number, number, number, number];
  return { seconds, cpu: user + system, rssMb: kb / 1024, steps: lines.filter((l) => l.startsWith('timing: ')) };
}

const file = path.join(OUT, `report-${contacts}.db`);
prepare(file);
const html = path.join(OUT, `report-${contacts}.html`);
const cases: Array<[string, string, string[]]> = [
  ['json', 'report --json', ['--db', file, '--json', 'report', '--as-of', AS_OF]],
  ['terminal', 'report (terminal)', ['--db', file, 'report', '--as-of', AS_OF, '--lang', 'en']],
  ['html', 'report --html', ['--db', file, 'report', '--as-of', AS_OF, '--html', html]],
];
console.log(`load average before: ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
console.log(`\n${'command'.padEnd(22)}${'wall s'.padStart(10)}${'CPU s'.padStart(10)}${'peak RSS MB'.padStart(14)}   (best of ${runs})`);
for (const [key, name, args] of cases.filter(([key]) => only.includes(key))) {
  const best = Array.from({ length: runs }, () => time(args)).sort((a, b) => a.seconds - b.seconds)[0]!;
  console.log(`${name.padEnd(22)}${best.seconds.toFixed(2).padStart(10)}${best.cpu.toFixed(2).padStart(10)}${best.rssMb.toFixed(0).padStart(14)}`);
  // Each step's wall time and thread (CUSTKIT_REPORT_TIMINGS): where the time goes, under this load.
  for (const step of best.steps) console.log(`    ${step.slice('timing: '.length)}`);
  if (key === 'html') console.log(`HTML file: ${html}, ${(fs.statSync(html).size / 1024).toFixed(0)} KiB`);
}
