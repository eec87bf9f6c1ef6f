// One fuzz worker: imports each file of a list in-process (run() from dist/), a fresh copy of a template
// store per file, and prints one JSON line of counts at the end (progress lines before it). Every 100
// files it also writes its counts so far to progress.json (renamed into place, so never half-written):
// a run stopped half-way keeps its figures, and `--resume` carries on from there.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [list, dir, seedFile, resume] = process.argv.slice(2);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { run } = await import(path.join(root, 'dist/cli/main.js'));

function streams() {
  const out = { text: '', isTTY: false, write(t) { this.text += String(t); return true; } };
  const err = { text: '', isTTY: false, write(t) { this.text += String(t); return true; } };
  return { stdout: out, stderr: err, env: { ...process.env, NO_COLOR: '1', CUSTKIT_DB: undefined } };
}

function hash(file) {
  const h = crypto.createHash('sha256');
  for (const suffix of ['', '-wal']) if (fs.existsSync(file + suffix)) h.update(fs.readFileSync(file + suffix));
  return h.digest('hex');
}

async function custkit(args) {
  const s = streams();
  let code;
  try {
    code = await run(['node', 'custkit', ...args], s);
  } catch (error) {
    return { code: 'threw', stderr: `${s.stderr.text}\n${error?.stack ?? error}` };
  }
  return { code, stderr: s.stderr.text };
}

const template = path.join(dir, 'template.db');
fs.rmSync(template, { force: true });
const made = await custkit(['--db', template, 'import', seedFile]);
if (made.code !== 0) throw new Error(`template store: ${made.stderr}`);
const templateHash = hash(template);
const work = path.join(dir, 'work.db');
const files = JSON.parse(fs.readFileSync(list, 'utf8'));
const progressFile = path.join(dir, 'progress.json');
const fresh = { done: 0, runs: 0, exitCodes: {}, codePairs: {}, stackTraces: 0, unexpected: 0, refusedThatChangedStore: 0, dryRunsThatChangedStore: 0, peakRssMb: 0, cpuSeconds: 0, slowFiles: 0, slowest: [], examples: [], pairExamples: [] };
const result = resume === 'resume' && fs.existsSync(progressFile) ? JSON.parse(fs.readFileSync(progressFile, 'utf8')) : fresh;
const cpuBefore = result.cpuSeconds;
const count = (table, key) => (table[key] = (table[key] ?? 0) + 1);
const note = (file, what, r) => {
  if (result.examples.length < 20) result.examples.push(`${path.basename(file)}: ${what}: ${r.stderr.split('\n').slice(0, 3).join(' | ').slice(0, 300)}`);
};
const save = () => {
  const cpu = process.cpuUsage();
  result.cpuSeconds = cpuBefore + (cpu.user + cpu.system) / 1e6;
  result.peakRssMb = Math.max(result.peakRssMb, Math.round(process.resourceUsage().maxRSS / 1024));
  fs.writeFileSync(`${progressFile}.tmp`, JSON.stringify(result));
  fs.renameSync(`${progressFile}.tmp`, progressFile);
};
// A file whose two runs take more than SLOW_CPU seconds of CPU is a finding (a quadratic path, a hang):
// the slowest are kept, and current.txt names the file in hand, so a stuck worker says where it is.
const SLOW_CPU = 10;
const current = path.join(dir, 'current.txt');
for (const file of files.slice(result.done)) {
  fs.writeFileSync(current, file);
  const cpuAtStart = process.cpuUsage();
  for (const suffix of ['', '-wal', '-shm', '-writer']) fs.rmSync(work + suffix, { force: true });
  fs.copyFileSync(template, work);
  const dry = await custkit(['--db', work, 'import', file, '--dry-run']);
  result.runs++;
  count(result.exitCodes, `dry-run ${dry.code}`);
  if (hash(work) !== templateHash) {
    result.dryRunsThatChangedStore++;
    note(file, 'dry run changed the store', dry);
  }
  const real = await custkit(['--db', work, 'import', file]);
  result.runs++;
  count(result.exitCodes, `import ${real.code}`);
  // docs/cli.md: a dry run exits with the code the real run would. Counted, pair by pair.
  count(result.codePairs, `${dry.code}/${real.code}`);
  if (dry.code !== real.code && (result.pairExamples ??= []).length < 10) result.pairExamples.push(`${path.basename(file)}: dry run ${dry.code}, import ${real.code}: ${real.stderr.split('\n')[0].slice(0, 200)}`);
  for (const r of [dry, real]) {
    if (/\n\s+at /.test(r.stderr)) result.stackTraces++;
    if (r.code === 'threw' || /unexpected failure/.test(r.stderr)) {
      result.unexpected++;
      note(file, `unexpected (exit ${r.code})`, r);
    }
  }
  if (![0, 1, 2, 3].includes(real.code)) note(file, `exit ${real.code}`, real);
  if ((real.code === 1 || real.code === 2) && hash(work) !== templateHash) {
    result.refusedThatChangedStore++;
    note(file, 'refused but the store changed', real);
  }
  const used = process.cpuUsage(cpuAtStart);
  const seconds = (used.user + used.system) / 1e6;
  result.slowest = [...(result.slowest ?? []), { file: path.basename(file), cpuSeconds: Math.round(seconds * 100) / 100 }]
    .sort((a, b) => b.cpuSeconds - a.cpuSeconds).slice(0, 3);
  if (seconds > SLOW_CPU) result.slowFiles = (result.slowFiles ?? 0) + 1;
  if (++result.done % 100 === 0) save();
  if (result.done % 500 === 0) console.log(`  worker ${path.basename(dir)}: ${result.done}/${files.length}`);
}
save();
const { done, ...counts } = result;
console.log(JSON.stringify({ ...counts, files: done }));
