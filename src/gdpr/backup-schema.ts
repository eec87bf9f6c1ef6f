import type { Migration } from '../store/migrations.js';

/**
 * Backups (ids 55-59 of the gdpr block): the backups custkit took, so `gdpr erase` can name those that still
 * hold a person and a restore can carry the list forward; and the backup settings.
 */
export const backupMigrations: Migration[] = [
  {
    id: 55,
    name: 'gdpr: backups taken and backup settings',
    sql: `
      CREATE TABLE backups (
        id          INTEGER PRIMARY KEY,
        file        TEXT NOT NULL UNIQUE,          -- absolute path when taken
        taken_at    TEXT NOT NULL,                 -- ISO timestamp (UTC)
        reason      TEXT NOT NULL,                 -- 'db backup', or the command it was taken before ('dedupe --apply'…)
        automatic   INTEGER NOT NULL DEFAULT 0,    -- 1: taken before a destructive command, pruned to the last N
        bytes       INTEGER NOT NULL,
        encrypted   INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE backup_settings (
        key    TEXT PRIMARY KEY,                   -- 'keep' | 'dir'
        value  TEXT NOT NULL
      );
    `,
  },
];
