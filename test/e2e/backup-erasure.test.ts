/**
 * An erased person never comes back through a backup: a restore re-applies the replaced store's erasures,
 * and `gdpr erase` names the backups still holding the person and, with --prune-backups, erases them there.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { custkit, fixture, queryStore, tempDir } from '../helpers/cli.js';

const EMAIL = 'chloe.lefevre@free.fr';

function holds(file: string, text: string): boolean {
  for (const f of [file, `${file}-wal`]) if (fs.existsSync(f) && fs.readFileSync(f).includes(Buffer.from(text))) return true;
  return false;
}

function storeWithBackup(): { dir: string; db: string; backup: string } {
  const dir = tempDir();
  const db = path.join(dir, 'shop.db');
  expect(custkit(['import', fixture('clients-fr-cp1252.csv'), '-q'], { db }).code).toBe(0);
  const backup = path.join(dir, 'before-erase.db');
  expect(custkit(['db', 'backup', backup, '-q'], { db }).code).toBe(0);
  return { dir, db, backup };
}

describe('erasures and backups', () => {
  it('erase, then restore a backup taken before: the person stays gone', () => {
    const { db, backup } = storeWithBackup();
    expect(holds(backup, EMAIL)).toBe(true);
    const erased = custkit(['gdpr', 'erase', EMAIL, '--reason', 'ticket 1'], { db });
    expect(erased.code).toBe(0);
    // The backup is named, and left alone without --prune-backups.
    expect(erased.stdout).toContain(`${backup}: 1 record`);
    expect(erased.stdout).toContain('--prune-backups');
    expect(holds(backup, EMAIL)).toBe(true);

    const restored = custkit(['db', 'restore', backup, '--json'], { db });
    expect(restored.code).toBe(0);
    expect(JSON.parse(restored.stdout)).toMatchObject({ re_erased: 1 });
    expect(queryStore(db, 'SELECT count(*) AS n FROM contacts WHERE email_norm = ?', EMAIL)[0]).toEqual({ n: 0 });
    expect(queryStore(db, "SELECT count(*) AS n FROM contacts WHERE status = 'erased'")[0]).toEqual({ n: 1 });
    expect(holds(db, EMAIL)).toBe(false);
    expect(holds(db, 'Lefèvre')).toBe(false);
    // Everyone else is back as the backup had them.
    expect(queryStore(db, "SELECT count(*) AS n FROM contacts WHERE status <> 'erased'")[0]).toEqual(queryStore(backup, "SELECT count(*) - 1 AS n FROM contacts")[0]);
    // And a re-import still skips them.
    const again = custkit(['import', fixture('clients-fr-cp1252.csv'), '--force', '--json'], { db });
    expect(JSON.parse(again.stdout)).toMatchObject({ suppressed: 1 });
  });

  it('--prune-backups erases the person from the backups that hold them', () => {
    const { dir, db, backup } = storeWithBackup();
    expect(custkit(['clean', '--fix', '-q'], { db }).code).toBe(0); // an automatic backup too
    const automatic = fs.readdirSync(`${db}.backups`).map((f) => path.join(`${db}.backups`, f));
    expect(automatic).toHaveLength(1);
    const erased = custkit(['gdpr', 'erase', EMAIL, '--reason', 'ticket 2', '--prune-backups', '--json'], { db });
    expect(erased.code).toBe(0);
    const outcome = JSON.parse(erased.stdout) as { backups: Array<{ file: string; pruned: boolean }> };
    expect(outcome.backups.map((b) => [b.file, b.pruned]).sort()).toEqual([[backup, true], [automatic[0], true]].sort());
    for (const file of [backup, automatic[0]!]) {
      expect(holds(file, EMAIL)).toBe(false);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(custkit(['db', 'check', '-q'], { db: file }).code).toBe(0);
    }
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // Nothing left to name: a second erasure lists no backup.
    const again = custkit(['gdpr', 'erase', EMAIL, '--reason', 'ticket 2', '--json'], { db });
    expect(JSON.parse(again.stdout).backups).toEqual([]);
  });
});
