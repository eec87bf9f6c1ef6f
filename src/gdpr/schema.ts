import type { Migration } from '../store/migrations.js';

/** The gdpr stage's tables (ids 50-54; 55-59 are the backup block): the audit trail, erasure. */
export const gdprMigrations: Migration[] = [
  {
    id: 50,
    name: 'gdpr: audit_log and the contacts each entry is about',
    sql: `
      -- Who changed what, when: never a name, an email or a phone (the command line is masked before it
      -- is written, details hold field names and counts only).
      CREATE TABLE audit_log (
        id        INTEGER PRIMARY KEY,
        at        TEXT NOT NULL,                 -- ISO timestamp (UTC)
        os_user   TEXT,
        command   TEXT NOT NULL,                 -- the command line, personal values masked
        action    TEXT NOT NULL,                 -- e.g. 'contact.set', 'gdpr.consent', 'import'
        targets   INTEGER NOT NULL DEFAULT 0,    -- how many contacts the entry is about
        counts    TEXT NOT NULL DEFAULT '{}',    -- JSON: what the command counted (rows, merged...)
        details   TEXT NOT NULL DEFAULT '{}'     -- JSON: field names, channel...: never a personal value
      );
      CREATE INDEX audit_log_at ON audit_log(at);
      CREATE INDEX audit_log_action ON audit_log(action, at);

      -- One row per contact an entry names (by public uid, so the entry outlives an internal id):
      -- "audit --uid" is an index seek, and a bulk command records counts, not a million uids.
      CREATE TABLE audit_targets (
        audit_id  INTEGER NOT NULL REFERENCES audit_log(id) ON DELETE CASCADE,
        uid       TEXT NOT NULL,
        PRIMARY KEY (audit_id, uid)
      );
      CREATE INDEX audit_targets_uid ON audit_targets(uid, audit_id);
    `,
  },
  {
    id: 51,
    name: 'gdpr: when a contact or a merge was erased, rows an import skipped because the person was erased',
    sql: `
      -- An erased contact keeps its uid (the audit trail and the suppression record name it) and this date.
      ALTER TABLE contacts ADD COLUMN erased_at TEXT;
      -- A merge touching an erased person lost its snapshots: it can no longer be undone.
      ALTER TABLE merges ADD COLUMN erased_at TEXT;
      ALTER TABLE imports ADD COLUMN suppressed INTEGER NOT NULL DEFAULT 0;
    `,
  },
];
