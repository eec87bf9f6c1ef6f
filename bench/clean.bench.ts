/**
 * npm run bench:clean — generates French-style contacts (bench/generate.ts), imports them with the built
 * CLI, then times `custkit validate` followed by `custkit clean --fix` (the stage's work: every contact
 * validated on worker threads, then normalised), and a second `clean --fix` (nothing left to change).
 * Prints rows/s and the peak RSS of each command. Target: validate + clean --fix <= 15 s for 1M contacts
 * on a 2-core machine, memory flat as the file grows.
 *
 *   npm run bench:clean [-- --sizes 100000,1000000]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { argValue, BIN, OUT } from './common.js';
import { cachedContactsFile } from './generate.js';



interface Timed {
  seconds: number;
  /** user + system CPU seconds, all threads: what the command costs whatever else runs on the machine. */
  cpu: number | null;
  peakMb: number | null;
  stdout: string;
}

/** Runs the CLI in a child process; peak RSS (all threads) from GNU time when it is installed. */
function run(db: string, args: string[]): Timed {
  const hasGnuTime = fs.existsSync('/usr/bin/time');
  const argv = [BIN, '--db', db, '--quiet', ...args];
  const started = process.hrtime.bigint();
  const result = hasGnuTime
    ? spawnSync('/usr/bin/time', ['-f', 'MAXRSS_KB=%M CPU=%U+%S', process.execPath, ...argv], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
    : spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0 && result.status !== 3) throw new Error(`custkit ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  const rss = /MAXRSS_KB=(\d+)/.exec(result.stderr ?? '');
  const cpu = /CPU=([\d.]+)\+([\d.]+)/.exec(result.stderr ?? '');
  return { seconds, cpu: cpu ? Number(cpu[1]) + Number(cpu[2]) : null, peakMb: rss ? Number(rss[1]) / 1024 : null, stdout: result.stdout };
}

function line(label: string, rows: number, timed: Timed): void {
  const rate = Math.round(rows / timed.seconds).toLocaleString('en');
  const rss = timed.peakMb === null ? 'n/a (no /usr/bin/time)' : `${timed.peakMb.toFixed(0)} MB`;
  const cpu = timed.cpu === null ? '' : `  cpu ${timed.cpu.toFixed(1).padStart(5)} s`;
  console.log(`  ${label.padEnd(26)} ${timed.seconds.toFixed(2).padStart(7)} s  ${rate.padStart(10)} rows/s${cpu}  peak RSS ${rss}`);
}

function main(): void {
  fs.mkdirSync(OUT, { recursive: true });
  const sizes = (argValue('sizes') ?? '100000,1000000').split(',').map(Number);
  console.log(`custkit bench:clean on ${process.platform}, node ${process.version}, ${os.availableParallelism()} cores, load average ${os.loadavg()[0]!.toFixed(2)}`);
  console.log('wall time depends on what else runs on the machine; cpu (user + system, all threads) does not');
  for (const size of sizes) {
    const file = cachedContactsFile(size, OUT);
    const db = path.join(OUT, 'bench-clean.db');
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(db + suffix, { force: true });
    console.log(`\n${size.toLocaleString('en')} contact rows (${path.basename(file)})`);
    const imported = run(db, ['import', file]);
    line('import (setup, not counted)', size, imported);
    const validate = run(db, ['--json', 'validate']);
    const contacts = (JSON.parse(validate.stdout) as { contacts: number }).contacts;
    line('validate', contacts, validate);
    const fix = run(db, ['--json', 'clean', '--fix']);
    const changed = (JSON.parse(fix.stdout) as { contactsChanged: number }).contactsChanged;
    line('clean --fix', contacts, fix);
    const cpuTotal = validate.cpu !== null && fix.cpu !== null ? validate.cpu + fix.cpu : null;
    const total: Timed = { seconds: validate.seconds + fix.seconds, cpu: cpuTotal, peakMb: Math.max(validate.peakMb ?? 0, fix.peakMb ?? 0) || null, stdout: '' };
    line('validate + clean --fix', contacts, total);
    const again = run(db, ['--json', 'clean', '--fix']);
    const changedAgain = (JSON.parse(again.stdout) as { contactsChanged: number }).contactsChanged;
    line('second clean --fix', contacts, again);
    console.log(`  ${contacts.toLocaleString('en')} contacts; first fix changed ${changed.toLocaleString('en')}, second fix changed ${changedAgain}`);
  }
}

main();
