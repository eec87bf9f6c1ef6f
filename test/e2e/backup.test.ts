/**
 * db backup / db restore and the automatic backups, run as a user would: a backup while another process
 * reads, a restore that waits for that reader, refusals that leave the store as it was, and a backup
 * before every command that changes many rows at once.
 */
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, custkit, fixture, queryStore, tempDir } from '../helpers/cli.js';

function importedStore(): { dir: string; db: string } {
  const dir = tempDir();
  const db = path.join(dir, 'shop.db');
  expect(custkit(['import', fixture('clients-fr-cp1252.csv'), '-q'], { db }).code).toBe(0);
  return { dir, db };
}

const sha = (file: string): string => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const count = (db: string, sql: string): number => Object.values(queryStore(db, sql)[0]!)[0] as number;

/** A process that keeps reading the store in one read transaction until `stop` exists (60 s at most). */
function reader(db: string, stop: string): Promise<{ done: Promise<number> }> {
  const script = `
    const Database = require('better-sqlite3-multiple-ciphers');
    const db = new Database(process.argv[1], { readonly: true });
    db.exec('BEGIN');
    const n = db.prepare('SELECT count(*) AS n FROM contacts').get().n;
    process.stdout.write('reading ' + n + '\\n');
    const fs = require('node:fs');
    const until = Date.now() + 60000;
    while (Date.now() < until && !fs.existsSync(process.argv[2])) db.prepare('SELECT count(*) FROM contacts').get();
    db.exec('COMMIT');
    db.close();`;
  const child = spawn(process.execPath, ['-e', script, db, stop], { cwd: ROOT });
  const done = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  return new Promise((resolve, reject) => {
    child.stdout.once('data', () => resolve({ done }));
    child.once('error', reject);
  });
}

describe('db backup and db restore', () => {
  it('back up while another process reads; restore waits for it, then brings the backup back', async () => {
    const { dir, db } = importedStore();
    const contacts = count(db, 'SELECT count(*) FROM contacts');
    const backup = path.join(dir, 'copy.db');
    const stop = path.join(dir, 'stop');
    const busy = await reader(db, stop);
    const taken = custkit(['db', 'backup', backup], { db });
    expect(taken.stderr).toContain('backed up');
    expect(taken.code).toBe(0);
    expect(fs.statSync(backup).mode & 0o777).toBe(0o600);
    expect(count(backup, 'SELECT count(*) FROM contacts')).toBe(contacts);

    // A change after the backup, that the restore must undo.
    expect(custkit(['contact', 'tag', '--where', "city <> ''", 'after-backup', '-q'], { db }).code).toBe(0);
    // The reader still holds the store: without waiting the restore refuses and changes nothing.
    const refused = custkit(['db', 'restore', backup, '--wait', '0'], { db });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('in use by another process');
    expect(count(db, "SELECT count(*) FROM contacts WHERE tags LIKE '%after-backup%'")).toBeGreaterThan(0);

    fs.writeFileSync(stop, '');
    const restored = custkit(['db', 'restore', backup, '--wait', '30s'], { db });
    expect(await busy.done).toBe(0);
    expect(restored.stderr).toContain('restored from');
    expect(restored.code).toBe(0);
    expect(count(db, "SELECT count(*) FROM contacts WHERE tags LIKE '%after-backup%'")).toBe(0);
    expect(count(db, 'SELECT count(*) FROM contacts')).toBe(contacts);
    expect(fs.statSync(db).mode & 0o777).toBe(0o600);
    expect(custkit(['db', 'check'], { db }).code).toBe(0);
    expect(count(db, "SELECT count(*) FROM audit_log WHERE action = 'db.restore'")).toBe(1);
    // No temporary file is left beside the store.
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 60_000);

  it('refuses a file that is not a custkit store, or a damaged one, and leaves the store as it was', () => {
    const { dir, db } = importedStore();
    const csv = custkit(['db', 'restore', fixture('clients-fr-cp1252.csv')], { db });
    expect(csv.code).toBe(1);
    expect(csv.stderr).toContain('not a custkit store');
    const other = path.join(dir, 'other.db');
    expect(custkit(['db', 'backup', other, '-q'], { db }).code).toBe(0);
    const otherStore = spawnSyncNode(`const D = require('better-sqlite3-multiple-ciphers'); const d = new D(${JSON.stringify(path.join(dir, 'plain.db'))}); d.exec('CREATE TABLE t(x)'); d.close();`);
    expect(otherStore).toBe(0);
    const before = sha(db);
    const plain = custkit(['db', 'restore', path.join(dir, 'plain.db')], { db });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('not a custkit store');
    // A backup cut short (a copy interrupted) fails its check.
    const cut = path.join(dir, 'cut.db');
    fs.writeFileSync(cut, fs.readFileSync(other).subarray(0, Math.floor(fs.statSync(other).size / 2)));
    const damaged = custkit(['db', 'restore', cut], { db });
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toMatch(/integrity|cannot be read/);
    expect(sha(db)).toBe(before);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('creates the store from a backup when there is none', () => {
    const { dir, db } = importedStore();
    const backup = path.join(dir, 'copy.db');
    expect(custkit(['db', 'backup', backup, '-q'], { db }).code).toBe(0);
    const fresh = path.join(dir, 'new.db');
    expect(custkit(['db', 'restore', backup], { db: fresh }).code).toBe(0);
    expect(count(fresh, 'SELECT count(*) FROM contacts')).toBe(count(db, 'SELECT count(*) FROM contacts'));
    expect(fs.statSync(fresh).mode & 0o777).toBe(0o600);
  });

  it('will not overwrite a file unless --force, nor back up onto the store itself', () => {
    const { dir, db } = importedStore();
    const backup = path.join(dir, 'copy.db');
    expect(custkit(['db', 'backup', backup, '-q'], { db }).code).toBe(0);
    const again = custkit(['db', 'backup', backup], { db });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
    expect(custkit(['db', 'backup', backup, '--force', '-q'], { db }).code).toBe(0);
    expect(custkit(['db', 'backup', db], { db }).code).toBe(1);
  });
});

function spawnSyncNode(code: string): number {
  return spawnSync(process.execPath, ['-e', code], { cwd: ROOT }).status ?? -1;
}

describe('automatic backups', () => {
  it('are taken before dedupe --apply and clean --fix, kept to the last N, skipped with --no-backup', () => {
    const { dir, db } = importedStore();
    const folder = `${db}.backups`;
    const files = (): string[] => (fs.existsSync(folder) ? fs.readdirSync(folder).sort() : []);

    // Dry runs change nothing: no backup.
    expect(custkit(['clean', '-q'], { db }).code).toBe(0);
    expect(custkit(['dedupe', '-q'], { db }).code).toBe(0);
    expect(files()).toEqual([]);
    const runsBefore = count(db, 'SELECT count(*) FROM clean_runs');

    const fix = custkit(['clean', '--fix'], { db });
    expect(fix.code).toBe(0);
    expect(fix.stderr).toContain('backup before clean --fix');
    expect(files()).toEqual([expect.stringMatching(/^shop-\d{8}T\d{9}Z-clean-fix\.db$/)]);
    expect(fs.statSync(folder).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(folder, files()[0]!)).mode & 0o777).toBe(0o600);
    // The backup is the store as it was before the fix.
    expect(count(path.join(folder, files()[0]!), 'SELECT count(*) FROM clean_runs')).toBe(runsBefore);

    const apply = custkit(['dedupe', '--apply'], { db });
    expect(apply.code).toBe(0);
    expect(apply.stderr).toContain('backup before dedupe --apply');
    expect(files().filter((f) => f.endsWith('-dedupe-apply.db'))).toHaveLength(1);

    expect(custkit(['clean', '--fix', '--no-backup', '-q'], { db }).code).toBe(0);
    expect(custkit(['dedupe', '--apply', '--no-backup', '-q'], { db }).code).toBe(0);
    expect(files()).toHaveLength(2);

    // Keep 3: the fourth and fifth push the oldest out; the store lists what is left.
    for (let i = 0; i < 3; i++) expect(custkit(['clean', '--fix', '-q'], { db }).code).toBe(0);
    expect(files()).toHaveLength(3);
    expect(files().some((f) => f.endsWith('-dedupe-apply.db'))).toBe(false);
    const listed = JSON.parse(custkit(['db', 'backups', '--json'], { db }).stdout) as { keep: number; backups: Array<{ file: string }> };
    expect(listed.keep).toBe(3);
    expect(listed.backups.map((b) => path.basename(b.file)).sort()).toEqual(files());

    // keep 0 turns them off; --dir moves them.
    expect(custkit(['db', 'backups', '--keep', '0', '-q'], { db }).code).toBe(0);
    expect(custkit(['clean', '--fix', '-q'], { db }).code).toBe(0);
    expect(files()).toHaveLength(3);
    const elsewhere = path.join(dir, 'nightly');
    expect(custkit(['db', 'backups', '--keep', '2', '--dir', elsewhere, '-q'], { db }).code).toBe(0);
    expect(custkit(['clean', '--fix', '-q'], { db }).code).toBe(0);
    expect(fs.readdirSync(elsewhere)).toHaveLength(1);
    expect(custkit(['db', 'backups', '--keep', 'many'], { db }).code).toBe(2);
  }, 120_000);

  it('is taken before gdpr purge when it purges anyone, not for a dry run, not with --no-backup', () => {
    const { db } = importedStore();
    const folder = `${db}.backups`;
    const files = (): string[] => (fs.existsSync(folder) ? fs.readdirSync(folder) : []);
    expect(custkit(['gdpr', 'purge', '--as-of', '2099-12-31', '--dry-run', '-q'], { db }).code).toBe(3);
    expect(files()).toEqual([]);
    const purged = custkit(['gdpr', 'purge', '--as-of', '2099-12-31'], { db });
    expect(purged.code).toBe(3);
    expect(purged.stderr).toContain('backup before gdpr purge');
    expect(files()).toEqual([expect.stringMatching(/-gdpr-purge\.db$/)]);
    // The backup holds what the purge erased: it can be restored (and the erasures stay applied).
    expect(count(path.join(folder, files()[0]!), "SELECT count(*) FROM contacts WHERE status <> 'erased'")).toBeGreaterThan(0);
    expect(custkit(['import', fixture('contacts-en-bom.csv'), '--source', 'crm-uk', '-q'], { db }).code).toBe(0);
    expect(custkit(['gdpr', 'purge', '--as-of', '2099-12-31', '--no-backup', '-q'], { db }).code).toBe(3);
    expect(files()).toHaveLength(1);
  }, 60_000);

  it('a backup that cannot be written stops the command before it changes anything', () => {
    const { dir, db } = importedStore();
    const blocked = path.join(dir, 'not-a-folder');
    fs.writeFileSync(blocked, 'x');
    expect(custkit(['db', 'backups', '--dir', blocked, '-q'], { db }).code).toBe(0);
    const runsBefore = count(db, 'SELECT count(*) FROM clean_runs');
    const fix = custkit(['clean', '--fix'], { db });
    expect(fix.code).toBe(1);
    expect(fix.stderr).toContain('automatic backup before clean --fix failed');
    expect(count(db, 'SELECT count(*) FROM clean_runs')).toBe(runsBefore);
  });
});
