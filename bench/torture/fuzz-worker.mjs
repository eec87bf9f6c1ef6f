// One fuzz worker: imports each file of a list in-process (run() from dist/), a fresh copy of a template
// store per file, and prints one JSON line of counts at the end (progress lines before it).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [list, dir, seedFile] = process.argv.slice(2);
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
const result = { runs: 0, exitCodes: {}, stackTraces: 0, unexpected: 0, refusedThatChangedStore: 0, dryRunsThatChangedStore: 0, peakRssMb: 0, examples: [] };
const count = (code) => (result.exitCodes[code] = (result.exitCodes[code] ?? 0) + 1);
const note = (file, what, r) => {
  if (result.examples.length < 20) result.examples.push(`${path.basename(file)}: ${what}: ${r.stderr.split('\n').slice(0, 3).join(' | ').slice(0, 300)}`);
};
let done = 0;
for (const file of files) {
  for (const suffix of ['', '-wal', '-shm', '-writer']) fs.rmSync(work + suffix, { force: true });
  fs.copyFileSync(template, work);
  const dry = await custkit(['--db', work, 'import', file, '--dry-run']);
  result.runs++;
  count(`dry-run ${dry.code}`);
  if (hash(work) !== templateHash) {
    result.dryRunsThatChangedStore++;
    note(file, 'dry run changed the store', dry);
  }
  const real = await custkit(['--db', work, 'import', file]);
  result.runs++;
  count(`import ${real.code}`);
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
  result.peakRssMb = Math.max(result.peakRssMb, Math.round(process.resourceUsage().maxRSS / 1024));
  if (++done % 500 === 0) console.log(`  worker ${path.basename(dir)}: ${done}/${files.length}`);
}
console.log(JSON.stringify(result));
