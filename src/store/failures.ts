/**
 * What an operating-system or storage failure means to the user: what happened, that nothing changed
 * (every write is one transaction, rolled back on failure), what to do, and which file system. SQLite's
 * own words ("database or disk is full") say none of that.
 */
import fs from 'node:fs';
import path from 'node:path';

export type FailureKind = 'disk full' | 'read-only' | 'permission' | 'vanished' | 'corrupt' | 'io';

export interface Failure {
  kind: FailureKind;
  message: string;
}

interface Mount {
  point: string;
  type: string;
  device: string;
}

function mounts(): Mount[] {
  try {
    return fs.readFileSync('/proc/mounts', 'utf8').split('\n').filter(Boolean).map((line) => {
      const [device, point, type] = line.split(' ').map((f) => f.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
      return { device: device!, point: point!, type: type! };
    });
  } catch {
    return [];
  }
}

/** The nearest folder of `file` that exists (a vanished folder has none below some ancestor). */
function existingAncestor(file: string): string {
  let dir = path.dirname(path.resolve(file));
  while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  try {
    return fs.realpathSync(dir);
  } catch {
    return dir;
  }
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** "the file system mounted on /data (ext4, 120.0 MiB free of 20.0 GiB)", as far as it can be found out. */
export function describeFileSystem(file: string): string {
  const dir = existingAncestor(file);
  const mount = mounts()
    .filter((m) => dir === m.point || dir.startsWith(m.point.endsWith('/') ? m.point : `${m.point}/`))
    .sort((a, b) => b.point.length - a.point.length)[0];
  let space = '';
  try {
    const stats = fs.statfsSync(dir);
    space = `, ${formatBytes(stats.bavail * stats.bsize)} free of ${formatBytes(stats.blocks * stats.bsize)}`;
  } catch {
    // statfs is missing on some platforms: the mount point alone still helps.
  }
  return mount ? `the file system mounted on ${mount.point} (${mount.type}${space})` : `the file system holding ${dir}${space ? ` (${space.slice(2)})` : ''}`;
}

function codeOf(error: unknown): string {
  return String((error as { code?: unknown }).code ?? '');
}

const NOTHING = 'nothing was changed (the command\'s transaction was rolled back)';

/**
 * The user's message for a failure met while using the store `store`, or null when the error is not an
 * operating-system or storage failure (then it is reported as it is).
 */
export function explainFailure(error: unknown, store: string): Failure | null {
  const code = codeOf(error);
  if (!code.startsWith('SQLITE_') && !/^E[A-Z]+$/.test(code)) return null;
  const message = error instanceof Error ? error.message : String(error);
  // A file the command itself wrote (an export) is on the file system that failed, not the store.
  const target = (error as { path?: unknown }).path;
  const where = (): string => describeFileSystem(typeof target === 'string' ? target : store);
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT' || /database or disk is full|no space left/i.test(message)) {
    return { kind: 'disk full', message: `${store}: the disk is full (${where()}); ${NOTHING}. Free some space there, or move the store (--db, CUSTKIT_DB) to a disk with room, and run the command again` };
  }
  if (code === 'SQLITE_READONLY_DBMOVED' || (store !== ':memory:' && !fs.existsSync(path.dirname(path.resolve(store))))) {
    return { kind: 'vanished', message: vanishedMessage(store) };
  }
  if (code === 'EROFS' || code === 'SQLITE_READONLY' || code === 'SQLITE_READONLY_DIRECTORY' || code === 'SQLITE_READONLY_RECOVERY' || /read-only file system|readonly database/i.test(message)) {
    const roMount = /read-only file system/i.test(message) || code === 'EROFS' || isReadOnlyMount(store);
    return roMount
      ? { kind: 'read-only', message: `${store}: the store is on a read-only file system (${where()}); ${NOTHING}. Remount it read-write, or copy the store to a writable disk and point --db at it` }
      : { kind: 'permission', message: `${store}: the store (or its folder, where SQLite keeps its -wal and -shm files) cannot be written by this user; ${NOTHING}. Give the user write access to both (ls -l ${path.dirname(path.resolve(store))}), or run as the store's owner` };
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') {
    return { kind: 'permission', message: `${store}: permission denied (${message.replace(/^[A-Z_]+: /, '')}); ${NOTHING}. Give this user read and write access to the store and its folder, or run as the store's owner` };
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB' || /malformed|file is not a database/i.test(message)) {
    return { kind: 'corrupt', message: `${store}: the store is damaged (${message}); ${NOTHING}. Run "custkit db check" to see what is wrong, and restore the latest backup of the store` };
  }
  if (code === 'SQLITE_CANTOPEN' && isReadOnlyMount(store)) {
    return { kind: 'read-only', message: `${store}: the store is on a read-only file system (${where()}); ${NOTHING}. Remount it read-write, or copy the store to a writable disk and point --db at it` };
  }
  if (code === 'SQLITE_CANTOPEN') {
    return { kind: 'permission', message: `${store}: the store cannot be opened (no access to the file or its folder, or the folder is gone; ${where()}); ${NOTHING}. Check the path and that this user can read and write it and its folder` };
  }
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') {
    return { kind: 'io', message: `${store}: the disk reported an input/output error (${code}; ${where()}); ${NOTHING}. Check the disk (dmesg, its health) and run "custkit db check" before going on` };
  }
  return null;
}

function isReadOnlyMount(store: string): boolean {
  try {
    fs.accessSync(existingAncestor(store), fs.constants.W_OK);
    return false;
  } catch (error) {
    return codeOf(error) === 'EROFS';
  }
}

/** The store's path is gone while the command has it open: writing on would write to a deleted file. */
export function vanishedMessage(store: string): string {
  return `${store}: the store's file or folder is no longer there (deleted, moved or unmounted while the command ran; ${describeFileSystem(store)}); ${NOTHING}. `
    + 'Check the disk is mounted and the path is right (--db, CUSTKIT_DB), then run the command again';
}

export class StoreVanishedError extends Error {
  readonly code = 'SQLITE_READONLY_DBMOVED';
}
