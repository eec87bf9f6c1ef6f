import Database from 'better-sqlite3-multiple-ciphers';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/custkit.js');
export const FIXTURES = path.join(ROOT, 'fixtures');
export const SHARED_DATA = path.resolve(ROOT, '../shared/data');

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would (npm test builds first), never on a TTY. */
export function custkit(args: string[], options: { db?: string; input?: string | Buffer; cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const fullArgs = options.db ? ['--db', options.db, ...args] : args;
  const result = spawnSync(process.execPath, [BIN, ...fullArgs], {
    cwd: options.cwd ?? ROOT,
    input: options.input,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', CUSTKIT_DB: undefined, ...options.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** A fresh temporary folder per test, inside the run's folder that test/global-setup.ts removes at the end. */
export function tempDir(prefix = 'custkit-test-'): string {
  return fs.mkdtempSync(path.join(process.env.CUSTKIT_TEST_TMP ?? os.tmpdir(), prefix));
}

export function tempDb(): string {
  return path.join(tempDir(), 'test.db');
}

export function hasSharedData(sub: string): boolean {
  return fs.existsSync(path.join(SHARED_DATA, sub));
}

/** Rows of a query on a store, opened read-only and closed again (what a user would see with sqlite3). */
export function queryStore<T = Record<string, unknown>>(db: string, sql: string, ...params: unknown[]): T[] {
  const handle = new Database(db, { readonly: true });
  try {
    return handle.prepare(sql).all(...params) as T[];
  } finally {
    handle.close();
  }
}
