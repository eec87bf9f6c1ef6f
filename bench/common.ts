/** Paths and flag reading shared by the benchmark scripts. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Generated files and stores, reused between runs (git-ignored). */
export const OUT = path.join(ROOT, 'bench/out');
export const BIN = path.join(ROOT, 'bin/custkit.js');

/** The value after `--name` on the command line, else the fallback. */
export function argValue(name: string, fallback?: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}
