/**
 * The store's key: a passphrase from `--key-file FILE` or, else, CUSTKIT_KEY. A key file is read as a
 * secret is: it must be the owner's alone (like ssh's keys), and its final newline is not part of the key
 * (editors add one). A store with no key given is opened as a plain store.
 */
import fs from 'node:fs';
import { StoreError } from './errors.js';

/** A passphrase longer than this is not a passphrase (a wrong file given as --key-file). */
const MAX_KEY_BYTES = 4096;

export function readKeyFile(file: string, flag = '--key-file'): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new StoreError(`${flag} ${file}: no such file; nothing was changed`);
  }
  if (!stat.isFile()) throw new StoreError(`${flag} ${file}: not a file; nothing was changed`);
  if ((stat.mode & 0o077) !== 0) {
    throw new StoreError(`${flag} ${file}: the key file can be read by other users (mode ${(stat.mode & 0o777).toString(8)}): run "chmod 600 ${file}"; nothing was changed`);
  }
  if (stat.size > MAX_KEY_BYTES) throw new StoreError(`${flag} ${file}: ${stat.size} bytes is not a key (at most ${MAX_KEY_BYTES}); nothing was changed`);
  const key = fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  if (key === '') throw new StoreError(`${flag} ${file}: the key file is empty; nothing was changed`);
  return key;
}

/** The key the options name: the file, else the environment variable, else none. */
export function resolveKey(file: string | undefined, env: NodeJS.ProcessEnv, variable = 'CUSTKIT_KEY', flag = '--key-file'): string | null {
  if (file !== undefined) return readKeyFile(file, flag);
  const key = env[variable];
  return key === undefined || key === '' ? null : key;
}
