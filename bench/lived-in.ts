/**
 * A "lived-in" store: what a store looks like after the whole river ran on it, as a user's does — not a
 * store written directly with SQL. bench/generate.ts writes N contact rows (19 % of them another person
 * again, so dedupe merges about 0.19 N) and their orders; the built CLI then runs, each step once:
 * import (contacts, then purchases), validate, clean --fix, dedupe --apply, and three score runs.
 *
 * Building it takes a while (about 20 minutes for 1M contacts on two free cores), so it is cached under
 * bench/out/cache/lived-in-N/ with a record of each step (wall, CPU, peak RSS, load average) and reused
 * until `--rebuild`. A stopped build carries on from its last finished step.
 *
 *   npx tsx bench/lived-in.ts --contacts 1000000           # build (or reuse) and print how it was built
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN, OUT, argValue } from './common.js';
import { generateDataset } from './generate.js';

export interface StepFigures {
  step: string;
  code: number | null;
  wallSeconds: number;
  cpuSeconds: number;
  peakRssMb: number;
  load: string;
}

export interface LivedInStore {
  file: string;
  contacts: number;
  steps: StepFigures[];
  storeMb: number;
}

/** The steps, in order: a name and the CLI arguments (the data files are filled in). */
function steps(contactsFile: string, purchasesFile: string): Array<[string, string[]]> {
  return [
    ['import contacts', ['import', contactsFile]],
    ['import purchases', ['import', purchasesFile, '--kind', 'purchases']],
    ['validate', ['validate']],
    ['clean --fix', ['clean', '--fix']],
    ['dedupe --apply', ['dedupe', '--apply']],
    ['score 2026-06-30', ['score', '--as-of', '2026-06-30']],
    ['score 2026-09-30', ['score', '--as-of', '2026-09-30']],
    ['score 2026-12-31', ['score', '--as-of', '2026-12-31']],
  ];
}

/** One CLI run under GNU time: its exit code, wall and CPU time and peak RSS, and the load around it. */
export function timedCli(args: string[], env: NodeJS.ProcessEnv = {}): StepFigures & { stdout: string; stderr: string } {
  const loadBefore = os.loadavg()[0]!;
  const run = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S %M', process.execPath, BIN, ...args], {
    encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, NO_COLOR: '1', ...env },
  });
  const [, wall, user, sys, kb] = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(run.stderr) ?? [];
  return {
    step: args.join(' '),
    code: run.status,
    wallSeconds: Number(wall),
    cpuSeconds: Math.round((Number(user) + Number(sys)) * 100) / 100,
    peakRssMb: Math.round(Number(kb) / 1024),
    load: `${loadBefore.toFixed(1)}-${os.loadavg()[0]!.toFixed(1)}`,
    stdout: run.stdout,
    stderr: run.stderr.replace(/TIME [\d. ]+\s*$/, ''),
  };
}

export function livedInStore(contacts: number, rebuild = false, log: (line: string) => void = console.log): LivedInStore {
  const dir = path.join(OUT, 'cache', `lived-in-${contacts}`);
  const file = path.join(dir, 'store.db');
  const record = path.join(dir, 'steps.json');
  if (rebuild) fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const done: StepFigures[] = fs.existsSync(record) ? (JSON.parse(fs.readFileSync(record, 'utf8')) as StepFigures[]) : [];
  const dataDir = path.join(dir, 'data');
  let contactsFile = path.join(dataDir, `contacts-fr-${contacts}.csv`);
  let purchasesFile = path.join(dataDir, `purchases-fr-${contacts}.csv`);
  if (!done.some((s) => s.step === 'generate')) {
    const started = Date.now();
    const cpu = process.cpuUsage();
    const made = generateDataset({ contacts, style: 'fr', duplicateShare: 0.19, purchasesPerContact: 2, seed: 1207, outDir: dataDir });
    contactsFile = made.contactsFile;
    purchasesFile = made.purchasesFile!;
    const used = process.cpuUsage(cpu);
    done.push({ step: 'generate', code: 0, wallSeconds: (Date.now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6, peakRssMb: 0, load: os.loadavg()[0]!.toFixed(1) });
    fs.writeFileSync(record, JSON.stringify(done, null, 1));
    log(`lived-in: generated ${contacts.toLocaleString('en')} contact rows and ${made.purchaseRows.toLocaleString('en')} order lines`);
  }
  for (const [name, args] of steps(contactsFile, purchasesFile)) {
    if (done.some((s) => s.step === name)) continue;
    const run = timedCli(['--db', file, ...args]);
    // validate and dedupe exit 3 when they flag something: finished, as a nightly run would be.
    if (run.code !== 0 && run.code !== 3) throw new Error(`lived-in store, ${name}: exit ${run.code}: ${run.stderr.slice(0, 2000)}`);
    const { stdout: _o, stderr: _e, ...figures } = run;
    done.push({ ...figures, step: name });
    fs.writeFileSync(record, JSON.stringify(done, null, 1));
    log(`lived-in: ${name}: exit ${run.code}, wall ${run.wallSeconds} s, CPU ${run.cpuSeconds} s, peak RSS ${run.peakRssMb} MB, load ${run.load}`);
  }
  // The generated files are not needed once imported; the store is what is cached.
  fs.rmSync(dataDir, { recursive: true, force: true });
  return { file, contacts, steps: done, storeMb: Math.round(fs.statSync(file).size / 2 ** 20) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const store = livedInStore(Number(argValue('contacts', '1000000')), process.argv.includes('--rebuild'));
  const total = store.steps.reduce((sum, s) => ({ wall: sum.wall + s.wallSeconds, cpu: sum.cpu + s.cpuSeconds }), { wall: 0, cpu: 0 });
  console.log(`lived-in store ${store.file}: ${store.storeMb} MB, built in ${Math.round(total.wall)} s wall, ${Math.round(total.cpu)} s CPU`);
  for (const s of store.steps) console.log(`  ${s.step}: exit ${s.code}, wall ${s.wallSeconds} s, CPU ${s.cpuSeconds.toFixed(1)} s, peak RSS ${s.peakRssMb} MB, load ${s.load}`);
}

export interface CliMemoryFigures extends StepFigures {
  /** Peak private (anonymous) resident memory of the command, sampled every 50 ms from /proc. */
  privateMb: number;
  /** Peak of the file-backed part of RSS (the store's mapped pages among it), sampled the same way. */
  fileMb: number;
  stderr: string;
}

/**
 * One CLI run under GNU time (exact CPU and peak RSS), its private and file-backed memory sampled from
 * /proc while it runs: peak RSS alone does not say whether memory is the process's own or mapped pages
 * of the store.
 */
export async function measuredCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliMemoryFigures> {
  const { spawn } = await import('node:child_process');
  const loadBefore = os.loadavg()[0]!;
  const child = spawn('/usr/bin/time', ['-f', 'TIME %e %U %S %M', process.execPath, BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...env } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  let privateKb = 0;
  let fileKb = 0;
  const sampler = setInterval(() => {
    try {
      const node = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0];
      if (!node) return;
      const status = fs.readFileSync(`/proc/${node}/status`, 'utf8');
      privateKb = Math.max(privateKb, Number(/^RssAnon:\s+(\d+)/m.exec(status)?.[1] ?? 0));
      fileKb = Math.max(fileKb, Number(/^RssFile:\s+(\d+)/m.exec(status)?.[1] ?? 0));
    } catch {
      // the command has not started yet, or has just ended
    }
  }, 50);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(sampler);
  const [, wall, user, sys, kb] = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(stderr) ?? [];
  return {
    step: args.join(' '),
    code,
    wallSeconds: Number(wall),
    cpuSeconds: Math.round((Number(user) + Number(sys)) * 100) / 100,
    peakRssMb: Math.round(Number(kb) / 1024),
    privateMb: Math.round(privateKb / 1024),
    fileMb: Math.round(fileKb / 1024),
    load: `${loadBefore.toFixed(1)}-${os.loadavg()[0]!.toFixed(1)}`,
    stderr: stderr.replace(/TIME [\d. ]+\s*$/, ''),
  };
}
