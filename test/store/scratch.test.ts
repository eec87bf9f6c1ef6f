import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { custkit, fixture, tempDir } from '../helpers/cli.js';
import { dryRunPrefix, hostTag, removeStaleScratch, tempOutputName } from '../../src/store/scratch.js';
import { createTempBeside } from '../../src/store/replace.js';

/** The pid of a process that has exited (pids are not reused within a test's few milliseconds). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

function touch(file: string): void {
  fs.writeFileSync(file, 'x');
}

describe('removeStaleScratch', () => {
  it('removes the temporary files and dry-run folders of dead processes of this machine, and nothing else', () => {
    const dir = tempDir();
    const dead = deadPid();
    const host = hostTag();
    const stale = [
      `.shop.db.restore-${host}-${dead}-1765080000000.tmp`,
      `.shop.db.restore-${host}-${dead}-1765080000000.tmp-wal`,
      `.shop.db.restore-${host}-${dead}-1765080000000.tmp-writer`,
      `.shop-2026.db.backup-${dead}-1765080000000.tmp`, // an earlier version's name, without the host
    ];
    const kept = [
      `.shop.db.restore-${host}-${process.pid}-1765080000000.tmp`, // a live process (this one)
      `.shop.db.restore-other_machine-${dead}-1765080000000.tmp`, // another machine's: its pids mean nothing here
      `.shop.db.holiday-${dead}-1765080000000.tmp`, // not a label custkit uses
      `shop.db.restore-${host}-${dead}-1765080000000.tmp`, // not hidden: not ours
      'shop.db',
    ];
    for (const name of [...stale, ...kept]) touch(path.join(dir, name));
    const staleFolder = path.join(dir, `.custkit-dry-run-${host}-${dead}-aB3xY9`);
    const liveFolder = `${dryRunPrefix(dir)}Qw12Er`;
    const otherHost = path.join(dir, `.custkit-dry-run-other_machine-${dead}-aB3xY9`);
    for (const folder of [staleFolder, liveFolder, otherHost]) {
      fs.mkdirSync(folder);
      touch(path.join(folder, 'store.db'));
    }
    const removed = removeStaleScratch(dir);
    expect(removed.files.map((f) => path.basename(f)).sort()).toEqual([...stale].sort());
    expect(removed.folders).toEqual([staleFolder]);
    expect(fs.readdirSync(dir).sort()).toEqual([...kept, path.basename(liveFolder), path.basename(otherHost)].sort());
  });

  it('removes a dry-run folder of an earlier version (no pid in its name) once it is a day old, not before', () => {
    const dir = tempDir();
    const old = path.join(dir, '.custkit-dry-run-Ab12Cd');
    const recent = path.join(dir, '.custkit-dry-run-Ef34Gh');
    fs.mkdirSync(old);
    fs.mkdirSync(recent);
    const dayAgo = new Date(Date.now() - 25 * 3_600_000);
    fs.utimesSync(old, dayAgo, dayAgo);
    expect(removeStaleScratch(dir).folders).toEqual([old]);
    expect(fs.existsSync(recent)).toBe(true);
  });

  it('a folder it cannot read is no failure', () => {
    expect(removeStaleScratch('/no/such/folder')).toEqual({ files: [], folders: [] });
  });

  it('createTempBeside names the file after this process and clears a dead one first', () => {
    const dir = tempDir();
    const leftover = path.join(dir, `.shop.db.backup-${hostTag()}-${deadPid()}-1.tmp`);
    touch(leftover);
    const temp = createTempBeside(path.join(dir, 'shop.db'), 'backup');
    expect(path.basename(temp)).toMatch(new RegExp(`^\\.shop\\.db\\.backup-${hostTag()}-${process.pid}-\\d+\\.tmp$`));
    expect(fs.existsSync(leftover)).toBe(false);
  });

  it('tempOutputName names an output part after this process, beside its file, and clears a dead one first', () => {
    const dir = tempDir();
    const leftover = path.join(dir, `.list.csv.export-${hostTag()}-${deadPid()}-2.tmp`);
    touch(leftover);
    expect(tempOutputName(path.join(dir, 'list.csv'), 'export', 2)).toBe(path.join(dir, `.list.csv.export-${hostTag()}-${process.pid}-2.tmp`));
    expect(fs.existsSync(leftover)).toBe(false);
  });
});

describe('what a killed command left beside the store', () => {
  it('the next command that writes the store removes a killed dry run\'s folder and a killed restore\'s copy', () => {
    const dir = tempDir();
    const db = path.join(dir, 'shop.db');
    expect(custkit(['import', fixture('contacts-en-bom.csv')], { db }).code).toBe(0);
    const dead = deadPid();
    const folder = path.join(dir, `.custkit-dry-run-${hostTag()}-${dead}-Zz9Yy8`);
    fs.mkdirSync(folder);
    fs.copyFileSync(db, path.join(folder, 'store.db'));
    const copy = path.join(dir, `.shop.db.restore-${hostTag()}-${dead}-1765080000000.tmp`);
    fs.copyFileSync(db, copy);
    touch(`${copy}-wal`);
    expect(fs.existsSync(folder)).toBe(true);
    expect(custkit(['contact', 'tag', '--where', "city = 'Paris'", 'vip'], { db }).code).toBe(0);
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it("the next export, access file or report written into a folder removes what a killed one left there (a list of people), not a live one's", () => {
    const dir = tempDir();
    const db = path.join(dir, 'shop.db');
    expect(custkit(['import', fixture('contacts-en-bom.csv')], { db }).code).toBe(0);
    const out = path.join(tempDir(), 'lists');
    fs.mkdirSync(out);
    const dead = deadPid();
    const killed = [`.newsletter.csv.export-${hostTag()}-${dead}-1.tmp`, `.access.json.access-${hostTag()}-${dead}-0.tmp`, `.kpi.html.report-${hostTag()}-${dead}-0.tmp`];
    const live = `.newsletter.csv.export-${hostTag()}-${process.pid}-1.tmp`;
    for (const name of [...killed, live]) touch(path.join(out, name));
    const exported = custkit(['export', '--channel', 'email', '--include-unconsented', '--out', path.join(out, 'other.csv')], { db });
    expect(exported.code, exported.stderr).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual([live, 'other.csv'].sort());
  });

  it('a dry run removes the folder a killed dry run left, and leaves none of its own', () => {
    const dir = tempDir();
    const db = path.join(dir, 'shop.db');
    expect(custkit(['import', fixture('contacts-en-bom.csv')], { db }).code).toBe(0);
    const pipeline = path.join(dir, 'nightly.yaml');
    fs.writeFileSync(pipeline, 'steps:\n  - clean:\n      fix: true\n');
    const stale = path.join(dir, `.custkit-dry-run-${hostTag()}-${deadPid()}-Zz9Yy8`);
    fs.mkdirSync(stale);
    const run = custkit(['run', '--dry-run', pipeline], { db });
    expect(run.code, run.stderr).toBe(0);
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('.custkit-dry-run-'))).toEqual([]);
  });
});
