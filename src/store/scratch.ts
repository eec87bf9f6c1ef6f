/**
 * Temporary files and folders custkit keeps beside a store (or a backup) while it works, named after
 * the process that owns them, and the removal of those a killed process left behind.
 *
 * - `.<file>.<label>-<host>-<pid>-<ms>.tmp` (and its -wal, -shm, -journal): the new store a restore,
 *   encrypt, decrypt or rekey builds, a backup being written, a backup being pruned (replace.ts).
 * - `.<file>.<export|access|report>-<host>-<pid>-<part>.tmp`: an export's file, an access request's
 *   file or the HTML report being written, beside where it goes (`tempOutputName`).
 * - `.custkit-dry-run-<host>-<pid>-<random>/`: the snapshot a pipeline's dry run works on (cli/run.ts).
 *
 * A `kill -9`, a power cut or an out-of-memory kill leaves them there: a restore's is a whole copy of the
 * store, with personal data. The next command that writes the store (or creates a temporary file in the
 * same folder) removes those whose process no longer runs on this machine; one of another machine (a
 * store on a shared folder) or of a live process is left alone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { alive } from './busy.js';

const DRY_RUN_PREFIX = '.custkit-dry-run-';
/** Dry-run folders of earlier versions carry no pid: they are removed once this old (no dry run lasts a day). */
const UNNAMED_STALE_MS = 24 * 3_600_000;

/** This machine's name as it appears in a temporary file's name: no '-', which separates the parts. */
export function hostTag(host: string = os.hostname()): string {
  return host.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 64) || 'host';
}

/** `-<host>-<pid>`: the owner part of a temporary name. */
export function ownerTag(): string {
  return `-${hostTag()}-${process.pid}`;
}

/**
 * The temporary name of an output file (an export's part `part`, an access file, the HTML report) beside
 * `file`, `.<file>.<label>-<host>-<pid>-<part>.tmp`, once the leftovers of dead processes in that folder
 * are gone: a killed export leaves a list of people there, which the next one writing there removes.
 */
export function tempOutputName(file: string, label: OutputLabel, part = 0): string {
  const dir = path.dirname(path.resolve(file));
  removeStaleScratch(dir);
  return path.join(dir, `.${path.basename(file)}.${label}${ownerTag()}-${part}.tmp`);
}

/** The dry-run folder's prefix for this process (mkdtemp adds six characters). */
export function dryRunPrefix(folder: string): string {
  return path.join(folder, `${DRY_RUN_PREFIX}${hostTag()}-${process.pid}-`);
}

export type TempLabel = 'restore' | 'encrypt' | 'decrypt' | 'rekey' | 'backup' | 'prune';
/** What writes a file for people under a temporary name beside it, renamed when complete (`tempOutputName`). */
export type OutputLabel = 'export' | 'access' | 'report';

/** The labels of createTempBeside's and tempOutputName's callers: a file of another name is never touched. */
const TEMP_FILE = /^\..+\.(?:restore|encrypt|decrypt|rekey|backup|prune|export|access|report)(?:-([A-Za-z0-9_]+))?-(\d+)-\d+\.tmp(?:-wal|-shm|-journal|-writer)?$/;
const DRY_RUN = /^\.custkit-dry-run-(?:([A-Za-z0-9_]+)-(\d+)-)?[A-Za-z0-9]{6}$/;

/** Whether an entry names a process of this machine that is gone (null: it names no process). */
function ownerGone(host: string | undefined, pid: string | undefined): boolean | null {
  if (pid === undefined) return null;
  // A name without a host is one of an earlier version, always written on the machine it ran on.
  if (host !== undefined && host !== hostTag()) return false;
  const id = Number(pid);
  return id !== process.pid && !alive(id);
}

export interface Removed {
  files: string[];
  folders: string[];
}

/**
 * Removes, in `folder`, the temporary files and dry-run folders of custkit processes that are gone.
 * Never fails: a folder it cannot read or an entry it cannot remove is left as it is.
 */
export function removeStaleScratch(folder: string, now: number = Date.now()): Removed {
  const removed: Removed = { files: [], folders: [] };
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(folder, { withFileTypes: true });
  } catch {
    return removed;
  }
  for (const entry of entries) {
    if (!entry.name.startsWith('.')) continue;
    const full = path.join(folder, entry.name);
    try {
      if (entry.isFile()) {
        const match = TEMP_FILE.exec(entry.name);
        if (match && ownerGone(match[1], match[2])) {
          fs.rmSync(full, { force: true });
          removed.files.push(full);
        }
      } else if (entry.isDirectory() && entry.name.startsWith(DRY_RUN_PREFIX)) {
        const match = DRY_RUN.exec(entry.name);
        if (!match) continue;
        const gone = ownerGone(match[1], match[2]);
        const stale = gone ?? now - fs.statSync(full).mtimeMs > UNNAMED_STALE_MS;
        if (stale) {
          fs.rmSync(full, { recursive: true, force: true });
          removed.folders.push(full);
        }
      }
    } catch {
      // Another process removed it first, or it is not ours to remove: leave it.
    }
  }
  return removed;
}
