/**
 * The writing commands the kill -9 torture runs (kill.ts), each with the store it starts from and what
 * "half-applied" means for it beyond the row counts every step is checked on.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { applyKey } from '../../src/store/db.js';

type Handle = InstanceType<typeof Database>;

export interface Step {
  name: string;
  /** The command's words, checked with --help: a step whose command has not landed is listed, not run. */
  command: string;
  /** The arguments; `store` is the prepared start store (read only), to pick a contact or a run. */
  args: (dir: string, store: string) => string[];
  /** The store state the command starts from (a copy of the prepared store, plus these commands). */
  setup: string[][];
  /** The file the command writes, when it writes one: present after a kill only if complete. */
  output?: (args: string[]) => string;
  /**
   * How that file is judged: 'bytes' (default), the bytes of a full run's file; 'store', a sound store
   * holding what the start store held (a backup: its bytes carry the moment it was taken).
   */
  outputKind?: 'bytes' | 'store';
  /**
   * Commands whose results (each run on a copy of the start store) a kill may also leave: a pipeline
   * commits step by step, so a run killed in step 3 leaves the store as steps 1 and 2 left it.
   */
  between?: string[][];
  /**
   * A refusal that is a finished re-run: the command refuses to do twice what a kill let it finish
   * (seeds add: "already a seed", exit 1). Accepted only when the kill left the store as a full run does.
   */
  alreadyDone?: RegExp;
  /** What the command changes that row counts and contact values do not show (a setting's value...). */
  extra?: (handle: Handle) => string;
  /**
   * The store's key before the command and after a full run (null: a plain store), for the commands that
   * change it (db encrypt, decrypt, rekey). The checks open the store with either, old first; the state
   * names which one opened it, so a store readable with neither, or a new key over old rows, is neither side.
   * Without it both are null: every other step reads a plain store, as before.
   */
  keys?: { before: string | null; after: string | null };
  /** Environment for the step's setup, its runs and the re-run (CUSTKIT_KEY, CUSTKIT_NEW_KEY). */
  env?: Record<string, string>;
}

/** The keys a step's store may be read with, old first (a plain store: just null). */
export function keysOf(step: Pick<Step, 'keys'>): (string | null)[] {
  const { before, after } = step.keys ?? { before: null, after: null };
  return before === after ? [before] : [before, after];
}

/**
 * A handle on the store opened with the first of `keys` that reads it, and which one it was; throws when
 * none does (the last failure's message).
 */
export function openKeyed(store: string, keys: (string | null)[], readonly: boolean): { handle: Handle; key: string | null } {
  let failure: unknown = null;
  for (const key of keys) {
    const handle = new Database(store, { readonly, fileMustExist: true });
    try {
      applyKey(handle, key);
      handle.prepare('SELECT count(*) FROM sqlite_master').get();
      return { handle, key };
    } catch (error) {
      handle.close();
      failure = error;
    }
  }
  throw failure instanceof Error ? failure : new Error(`${store}: no key reads it`);
}

/** CUSTKIT_KEY as the store's current key asks (unset for a plain store), for `db check` after a re-run. */
export function keyEnv(key: string | null): Record<string, string | undefined> {
  return { CUSTKIT_KEY: key ?? undefined, CUSTKIT_NEW_KEY: undefined };
}

export interface StepContext {
  dir: string;
  contactsFile: string;
  /** A backup of the prepared store (before any step's setup), for db restore. */
  backupFile: string;
  /** An active contact's uid. */
  someone: string;
  /** 500 addresses of the store, under an "Email Address" header. */
  unsubscribed: string;
}

export function readOnly<T>(store: string, read: (handle: Handle) => T, keys: (string | null)[] = [null]): T {
  const { handle } = openKeyed(store, keys, true);
  try {
    return read(handle);
  } finally {
    handle.close();
  }
}

/** The day the clicks of the results file happened: after any activity the generated data holds. */
const CLICK_DAY = '2026-12-01';

/**
 * A Brevo-style events file for the members of the start store's latest campaign: deliveries, opens,
 * clicks, hard and soft bounces, unsubscribes and complaints, and two addresses the campaign never
 * listed (kept as unmatched rows, exit 3). Written once per start store.
 */
function resultsFile(dir: string, store: string): string {
  const file = path.join(dir, `results-${path.basename(store, '.db')}.csv`);
  if (fs.existsSync(file)) return file;
  const emails = readOnly(store, (h) => h.prepare(`SELECT c.email FROM export_members m JOIN contacts c ON c.id = m.contact_id
    WHERE m.export_id = (SELECT max(id) FROM exports) AND c.email LIKE '%@%' ORDER BY c.id`).pluck().all() as string[]);
  const lines = ['email;event;date_event'];
  emails.forEach((email, i) => {
    const at = (hour: number): string => `${CLICK_DAY} ${String(hour).padStart(2, '0')}:00:00`;
    if (i % 40 === 1) lines.push(`${email};hard_bounce;${at(9)}`);
    else if (i % 40 === 2) lines.push(`${email};soft_bounce;${at(9)}`);
    else {
      lines.push(`${email};delivered;${at(9)}`);
      if (i % 3 === 0) lines.push(`${email};opened;${at(10)}`);
      if (i % 7 === 0) lines.push(`${email};click;${at(11)}`);
      if (i % 50 === 3) lines.push(`${email};unsubscribe;${at(12)}`);
      if (i % 90 === 4) lines.push(`${email};spam;${at(12)}`);
    }
  });
  lines.push(`nobody@torture.invalid;opened;${CLICK_DAY} 10:00:00`, `;click;${CLICK_DAY} 11:00:00`);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** A printer's returned-letters file naming 300 contacts with a postal address by uid, and one nobody. */
function returnsFile(dir: string, store: string): string {
  const file = path.join(dir, `returns-${path.basename(store, '.db')}.csv`);
  if (fs.existsSync(file)) return file;
  const uids = readOnly(store, (h) => h.prepare(`SELECT uid FROM contacts WHERE status = 'active' AND postal_code IS NOT NULL AND city IS NOT NULL
    ORDER BY id DESC LIMIT 300`).pluck().all() as string[]);
  const rows = uids.map((uid, i) => `${uid};2026-11-${String(1 + (i % 28)).padStart(2, '0')};NPAI`);
  fs.writeFileSync(file, `uid;Date retour;Motif\n${rows.join('\n')}\nno-such-uid;2026-11-02;NPAI\n`);
  return file;
}

const OLD_KEY = 'torture old passphrase';
const NEW_KEY = 'torture new passphrase';

const settings = (h: Handle): string => JSON.stringify(h.prepare('SELECT key, value FROM campaign_settings ORDER BY key').raw().all());

export function laterSteps(ctx: StepContext, next: () => number): Step[] {
  return [
    {
      // The start store is the prepared one after clean --fix; the backup is from before it.
      name: 'db restore', command: 'db restore', args: () => ['db', 'restore', ctx.backupFile], setup: [['clean', '--fix']],
    },
    {
      name: 'db backup', command: 'db backup', args: (dir) => ['db', 'backup', path.join(dir, `backup-${next()}.db`)], setup: [],
      output: (args) => args[args.length - 1]!, outputKind: 'store',
    },
    {
      name: 'campaigns results', command: 'campaigns results', args: (dir, store) => ['campaigns', 'results', resultsFile(dir, store)],
      setup: [['export', '--channel', 'email', '--name', 'Torture mailing', '--out', path.join(ctx.dir, 'campaign-email.csv')]],
      extra: (h) => `clicked=${h.prepare('SELECT count(*) FROM contacts WHERE last_activity_at LIKE ?').pluck().get(`${CLICK_DAY}%`) as number}`,
    },
    {
      name: 'campaigns returns', command: 'campaigns returns', args: (dir, store) => ['campaigns', 'returns', returnsFile(dir, store)],
      setup: [['export', '--channel', 'post', '--name', 'Torture letter', '--out', path.join(ctx.dir, 'campaign-post.csv')]],
    },
    {
      name: 'campaigns settings', command: 'campaigns settings',
      args: () => ['campaigns', 'settings', '--soft-bounces', '2', '--channel', 'email', '--max-sends', '4', '--per', '30d'], setup: [], extra: settings,
    },
    { name: 'contact set', command: 'contact set', args: () => ['contact', 'set', ctx.someone, 'city=Lyon', 'postal_code=69003', 'first_name=Camille'], setup: [] },
    { name: 'contact untag --where', command: 'contact untag', args: () => ['contact', 'untag', '--where', "city = 'Paris'", 'vip'], setup: [['contact', 'tag', '--where', "city = 'Paris'", 'vip']] },
    { name: 'suppress ADDRESS', command: 'suppress', args: () => ['suppress', '+33612345678', '--reason', 'opposition'], setup: [] },
    // The store changes key as a whole (src/store/cipher.ts: a converted copy renamed over it): after a kill
    // it must open with the old key or the new one, hold the same rows, and pass db check with that key.
    {
      name: 'db encrypt', command: 'db encrypt', args: () => ['db', 'encrypt'], setup: [],
      keys: { before: null, after: NEW_KEY }, env: { CUSTKIT_KEY: NEW_KEY }, alreadyDone: /already encrypted/,
    },
    {
      name: 'db decrypt', command: 'db decrypt', args: () => ['db', 'decrypt'], setup: [['db', 'encrypt']],
      keys: { before: OLD_KEY, after: null }, env: { CUSTKIT_KEY: OLD_KEY }, alreadyDone: /not encrypted/,
    },
    {
      name: 'db rekey', command: 'db rekey', args: () => ['db', 'rekey'], setup: [['db', 'encrypt']],
      keys: { before: OLD_KEY, after: NEW_KEY }, env: { CUSTKIT_KEY: OLD_KEY, CUSTKIT_NEW_KEY: NEW_KEY }, alreadyDone: /wrong key/,
    },
    { name: 'seeds add', command: 'seeds add', args: () => ['seeds', 'add', 'trap-torture@example.org', '--name', 'Claire Trap'], setup: [], alreadyDone: /is already a seed/ },
  ];
}
