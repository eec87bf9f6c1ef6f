/**
 * npm run bench:import — generates 100k and 1M French-style contacts, imports each with the built CLI
 * into a fresh store, and prints rows/s and peak RSS next to sqlite3's own `.import` of the same file
 * (the baseline; target <= 2x its time at 1M rows, peak RSS <= 250 MB). Also times the two CSV parsers
 * alone (csv-parse and PapaParse) on the 1M-row file, which is how the import path's parser was chosen.
 *
 *   npm run bench:import [-- --sizes 100000,1000000] [--orders 100000]
 *
 * Then an orders export (line level, ~800k lines for 100k contacts) into a store holding its contacts,
 * imported once and again with --force (`--orders 0` to skip).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse as csvParse } from 'csv-parse';
import Papa from 'papaparse';
import { argValue, BIN, OUT } from './common.js';
import { cachedContactsFile, cachedOrdersDataset } from './generate.js';
import { freshDb, settle, timeStoreFloor, timeWriterFloor } from './import-floors.js';

/**
 * Runs the CLI's import in a child process and reads its peak RSS from GNU time when there is one:
 * into a fresh store, or with `into` into the store as it is (and `force` to read a seen file again).
 */
function timeImport(file: string, options: { store?: string; into?: boolean; force?: boolean } = {}): { seconds: number; peakMb: number | null; output: string } {
  const store = options.store ?? 'bench-import.db';
  const db = options.into ? path.join(OUT, store) : freshDb(store);
  const args = [BIN, '--db', db, 'import', file, '--json', ...(options.force ? ['--force'] : [])];
  const hasGnuTime = fs.existsSync('/usr/bin/time');
  settle();
  const started = process.hrtime.bigint();
  const result = hasGnuTime
    ? spawnSync('/usr/bin/time', ['-f', 'MAXRSS_KB=%M', process.execPath, ...args], { encoding: 'utf8' })
    : spawnSync(process.execPath, args, { encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0 && result.status !== 3) throw new Error(`import failed: ${result.stderr}`);
  const maxRss = /MAXRSS_KB=(\d+)/.exec(result.stderr ?? '');
  return { seconds, peakMb: maxRss ? Number(maxRss[1]) / 1024 : null, output: result.stdout };
}

function timeSqlite(file: string): number | null {
  try {
    execFileSync('sqlite3', ['-version'], { stdio: 'ignore' });
  } catch {
    console.log('  sqlite3 is not installed: no baseline (apt-get install -y sqlite3 to add it)');
    return null;
  }
  const db = freshDb('bench-sqlite3.db');
  settle();
  const started = process.hrtime.bigint();
  execFileSync('sqlite3', [db, '-cmd', '.mode csv', '-cmd', '.separator ;', `.import ${file} t`]);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function timeParsers(file: string): Promise<void> {
  let started = process.hrtime.bigint();
  let rows = 0;
  const parser = fs.createReadStream(file).pipe(csvParse({ delimiter: ';', bom: true, relax_column_count: true }));
  for await (const record of parser) if (record) rows++;
  const csvParseSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  started = process.hrtime.bigint();
  let papaRows = 0;
  await new Promise<void>((resolve, reject) => {
    Papa.parse(fs.createReadStream(file, { encoding: 'utf8' }) as unknown as File, {
      delimiter: ';',
      chunk: (results) => {
        papaRows += results.data.length;
      },
      complete: () => resolve(),
      error: (error: Error) => reject(error),
    });
  });
  const papaSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`  parse only: csv-parse ${csvParseSeconds.toFixed(2)} s (${rows} rows), PapaParse ${papaSeconds.toFixed(2)} s (${papaRows} rows)`);
}

const rss = (run: { peakMb: number | null }): string => (run.peakMb === null ? 'n/a' : `${run.peakMb.toFixed(0)} MB`);

/** An orders export into a store that has its contacts: the first import, then the same file again. */
function timeOrders(contacts: number): void {
  const { contactsFile, purchasesFile } = cachedOrdersDataset(contacts, OUT);
  timeImport(contactsFile, { store: 'bench-orders.db' });
  const first = timeImport(purchasesFile, { store: 'bench-orders.db', into: true });
  const lines = (JSON.parse(first.output) as { imported: number }).imported;
  console.log(`
${lines.toLocaleString('en')} order lines of ${contacts.toLocaleString('en')} contacts (${path.basename(purchasesFile)})`);
  console.log(`  custkit import: ${first.seconds.toFixed(2)} s, ${Math.round(lines / first.seconds).toLocaleString('en')} lines/s, peak RSS ${rss(first)}`);
  const again = timeImport(purchasesFile, { store: 'bench-orders.db', into: true, force: true });
  const counts = JSON.parse(again.output) as { unchanged: number; updated: number };
  console.log(`  the same file again (--force): ${again.seconds.toFixed(2)} s, peak RSS ${rss(again)} (unchanged ${counts.unchanged}, updated ${counts.updated})`);
  freshDb('bench-orders.db');
}

async function main(): Promise<void> {
  fs.mkdirSync(OUT, { recursive: true });
  const sizes = (argValue('sizes') ?? '100000,1000000').split(',').map(Number);
  console.log(`custkit import benchmark (node ${process.version}, ${new Date().toISOString()})`);
  for (const rows of sizes) {
    const file = cachedContactsFile(rows, OUT);
    const mb = fs.statSync(file).size / 1024 / 1024;
    console.log(`\n${rows.toLocaleString('en')} contacts, ${mb.toFixed(0)} MB (${path.basename(file)})`);
    const run = timeImport(file);
    const summary = JSON.parse(run.output) as { imported: number; rejected: number };
    console.log(`  custkit import: ${run.seconds.toFixed(2)} s, ${Math.round(rows / run.seconds).toLocaleString('en')} rows/s, peak RSS ${rss(run)} (imported ${summary.imported}, rejected ${summary.rejected})`);
    const baseline = timeSqlite(file);
    if (baseline !== null) {
      console.log(`  sqlite3 .import: ${baseline.toFixed(2)} s -> custkit / sqlite3 = ${(run.seconds / baseline).toFixed(2)}x (target <= 2x)`);
      const floor = timeStoreFloor(path.join(OUT, 'bench-import.db'));
      console.log(`  store floor (sqlite3 copying custkit's finished contacts and consents, building their indexes, committing): ${floor.toFixed(2)} s = ${(floor / baseline).toFixed(2)}x the bare .import`);
      const writer = await timeWriterFloor(path.join(OUT, 'bench-import.db'), freshDb('bench-writer.db'));
      console.log(`  writer floor (custkit's own writer given the finished rows from memory: binding, inserting, consents, indexes, commit; no reading, parsing or mapping): ${writer.seconds.toFixed(2)} s = ${(writer.seconds / baseline).toFixed(2)}x the bare .import (rows ${writer.rowsSeconds.toFixed(2)} s, indexes and commit ${writer.finishSeconds.toFixed(2)} s)`);
    }
    const rerun = timeImport(file, { into: true, force: true });
    const counts = JSON.parse(rerun.output) as { unchanged: number; updated: number };
    console.log(`  the same file again (--force, the update path): ${rerun.seconds.toFixed(2)} s, peak RSS ${rss(rerun)} (unchanged ${counts.unchanged}, updated ${counts.updated})`);
    if (rows >= 1_000_000) await timeParsers(file);
  }
  const orders = Number(argValue('orders') ?? '100000');
  if (orders > 0) timeOrders(orders);
}

await main();
