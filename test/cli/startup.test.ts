/**
 * Start-up stays light: a run loads the module of its own command only, and exceljs (0.3 s) only when a
 * workbook is read or written. Checked on the modules loaded, not on a time (bench/startup.bench.ts
 * prints the times).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, fixture, tempDir } from '../helpers/cli.js';

let hook: string;
let store: string;

/** The modules a run of the built CLI resolves, as paths relative to the project (or package names). */
function loaded(args: string[]): { modules: string[]; code: number } {
  const register = `data:text/javascript,import{register}from"node:module";register(${JSON.stringify(pathToFileURL(hook).href)});`;
  const result = spawnSync(process.execPath, ['--import', register, BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', CUSTKIT_DB: undefined } });
  const modules = [...result.stderr.matchAll(/^LOADED (.+)$/gm)].map((m) => m[1]!);
  return { modules, code: result.status ?? -1 };
}

const commandModules = (modules: string[]) =>
  [...new Set(modules.filter((m) => /\/dist\/cli\/[^/]+\.js$/.test(m)).map((m) => path.basename(m, '.js')))].filter((m) => !['main', 'context', 'commands'].includes(m)).sort();
const usesExcel = (modules: string[]) => modules.some((m) => m.includes('/node_modules/exceljs/'));

beforeAll(() => {
  const dir = tempDir();
  hook = path.join(dir, 'hook.mjs');
  fs.writeFileSync(hook, 'export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write(`LOADED ${r.url}\\n`); return r; }\n');
  store = path.join(dir, 'store.db');
  const imported = spawnSync(process.execPath, [BIN, '--db', store, 'import', fixture('clients-fr-cp1252.csv'), '-q']);
  expect(imported.status).toBe(0);
});

describe('start-up', () => {
  it('--help loads no command module and not exceljs', () => {
    const run = loaded(['--help']);
    expect(run.code).toBe(0);
    expect(run.modules.some((m) => m.endsWith('/dist/cli/main.js'))).toBe(true);
    expect(commandModules(run.modules)).toEqual([]);
    expect(usesExcel(run.modules)).toBe(false);
  });

  it('db info loads its own modules only (db and its backup sub-commands), and not exceljs', () => {
    const run = loaded(['--db', store, 'db', 'info']);
    expect(run.code).toBe(0);
    expect(commandModules(run.modules)).toEqual(['db', 'db-backup']);
    expect(usesExcel(run.modules)).toBe(false);
  });

  it('exceljs is loaded for a workbook, not for a CSV', () => {
    const csv = loaded(['--db', store, 'import', fixture('contacts-en-bom.csv'), '-q']);
    expect(csv.code).toBe(0);
    expect(commandModules(csv.modules)).toEqual(['import']);
    expect(usesExcel(csv.modules)).toBe(false);
    const xlsx = loaded(['--db', store, 'import', fixture('workbook.xlsx'), '-q']);
    expect(xlsx.code).toBe(0);
    expect(usesExcel(xlsx.modules)).toBe(true);
  });
});
