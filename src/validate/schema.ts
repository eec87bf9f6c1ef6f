/**
 * Validate's migrations (ids 10-19): the validated columns beside the raw ones (CONTRIBUTING.md lists
 * the ones other stages read), the record of clean runs and of every value clean changed (so a run can
 * be undone), and the validation settings kept between commands.
 */
import type { Migration } from '../store/migrations.js';

const VALIDATED = [
  'email_clean TEXT', 'email_valid INTEGER', 'email_suggestion TEXT', 'email_disposable INTEGER', 'email_role INTEGER',
  'phone_e164 TEXT', 'phone_type TEXT', 'mobile_e164 TEXT', 'mobile_type TEXT', 'sms_e164 TEXT',
  'postal_code_norm TEXT', 'country_code TEXT', 'city_norm TEXT', 'address_complete INTEGER',
  'first_name_norm TEXT', 'last_name_norm TEXT', 'civility_norm TEXT', 'gender_norm TEXT', 'siret_norm TEXT',
  'completeness INTEGER', "validation_issues TEXT NOT NULL DEFAULT '[]'",
  'validated_at TEXT', 'validated_key TEXT',
];

export const validateMigrations: Migration[] = [
  {
    id: 10,
    name: 'validate: validated columns, clean runs and changes, validation settings',
    sql: `
      ${VALIDATED.map((column) => `ALTER TABLE contacts ADD COLUMN ${column};`).join('\n      ')}

      CREATE TABLE validate_settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );

      CREATE TABLE clean_runs (
        id          INTEGER PRIMARY KEY,
        started_at  TEXT NOT NULL,
        finished_at TEXT,
        mode        TEXT NOT NULL CHECK (mode IN ('dry-run', 'fix', 'undo')),
        options     TEXT NOT NULL,              -- JSON: the flags of the run
        counts      TEXT NOT NULL,              -- JSON: rule -> records changed (or that would change)
        contacts_changed INTEGER NOT NULL DEFAULT 0,
        undoes_run  INTEGER REFERENCES clean_runs(id),
        undone_at   TEXT,
        os_user     TEXT
      );

      -- Every value clean wrote, with the one it replaced: a run can be undone, nothing is lost.
      CREATE TABLE clean_changes (
        id         INTEGER PRIMARY KEY,
        run_id     INTEGER NOT NULL REFERENCES clean_runs(id) ON DELETE CASCADE,
        contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
        rule       TEXT NOT NULL,
        field      TEXT NOT NULL,
        old_value  TEXT,
        new_value  TEXT
      );
      CREATE INDEX clean_changes_run ON clean_changes(run_id, rule);
      CREATE INDEX clean_changes_contact ON clean_changes(contact_id);
    `,
  },
  {
    id: 11,
    name: 'validate: the rule changes of a fix run, one row per contact',
    // A first fix changes most contacts, several values each: a row per value (clean_changes) made a
    // million contacts three million rows and index entries. Here each contact the rules changed is a
    // row: which rules applied (bit i is the run's fix_rules[i]) and, per field written, the value
    // replaced and the value written (both NULL for a field no rule changed). clean_changes keeps the
    // inactive step's changes, undo runs, and fix runs from before this migration.
    sql: `
      ALTER TABLE clean_runs ADD COLUMN fix_rules TEXT; -- JSON array of rule names, in clean_fixes.rules' bit order

      CREATE TABLE clean_fixes (
        id          INTEGER PRIMARY KEY,
        run_id      INTEGER NOT NULL REFERENCES clean_runs(id) ON DELETE CASCADE,
        contact_id  INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
        rules       INTEGER NOT NULL,
        email_old TEXT, email_new TEXT, phone_old TEXT, phone_new TEXT, mobile_old TEXT, mobile_new TEXT,
        postal_code_old TEXT, postal_code_new TEXT, country_old TEXT, country_new TEXT,
        first_name_old TEXT, first_name_new TEXT, last_name_old TEXT, last_name_new TEXT,
        city_old TEXT, city_new TEXT, civility_old TEXT, civility_new TEXT, gender_old TEXT, gender_new TEXT,
        siret_old TEXT, siret_new TEXT
      );
      CREATE INDEX clean_fixes_run ON clean_fixes(run_id);
      CREATE INDEX clean_fixes_contact ON clean_fixes(contact_id);
    `,
  },
];
