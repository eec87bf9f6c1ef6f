import type { Db } from './db.js';
import { dedupeMigrations } from '../dedupe/schema.js';
import { PURCHASE_TOTALS_TRIGGERS_SQL_V5, PURCHASE_TOTALS_UPDATE_TRIGGER_SQL } from './purchase-totals.js';

/**
 * Versioned schema migrations. Each stage owns a block of ids and lists its migrations in its own
 * `src/<stage>/schema.ts` (core 1-9, validate 10-19, dedupe 20-29, score 30-39, export 40-49, gdpr 50-59,
 * report 60-69); `allMigrations` below gathers them. `migrate` applies every id not yet in
 * `schema_migrations`, in id order, each in its own transaction. Never edit a shipped entry: add one.
 */
import { validateMigrations } from '../validate/schema.js';
import { scoreMigrations } from '../score/schema.js';
import { exportMigrations } from '../export/schema.js';
import { gdprMigrations } from '../gdpr/schema.js';
import { reportMigrations } from '../report/schema.js';
import { backupMigrations } from '../gdpr/backup-schema.js';
import { campaignsMigrations } from '../campaigns/schema.js';

export interface Migration {
  id: number;
  name: string;
  sql: string;
  /**
   * Work SQL alone cannot do (rows rewritten by a JavaScript function: a hash, a Unicode fold), run after
   * `sql` in the same transaction.
   */
  after?: (db: Db) => void;
}

export const coreMigrations: Migration[] = [
  {
    id: 1,
    name: 'core: contacts, consents, purchases, imports, rejects',
    sql: `
      CREATE TABLE imports (
        id            INTEGER PRIMARY KEY,
        file_name     TEXT NOT NULL,
        sha256        TEXT NOT NULL,
        sheet         TEXT,
        kind          TEXT NOT NULL CHECK (kind IN ('contacts', 'purchases')),
        source        TEXT NOT NULL,
        encoding      TEXT,
        delimiter     TEXT,
        columns       TEXT NOT NULL,            -- JSON array: the file's headers, in order
        mapping       TEXT NOT NULL,            -- JSON object: header -> field (or null = kept in attributes)
        started_at    TEXT NOT NULL,
        finished_at   TEXT,
        rows_read     INTEGER NOT NULL DEFAULT 0,
        inserted      INTEGER NOT NULL DEFAULT 0,
        updated       INTEGER NOT NULL DEFAULT 0,
        unchanged     INTEGER NOT NULL DEFAULT 0,
        rejected      INTEGER NOT NULL DEFAULT 0,
        empty_rows    INTEGER NOT NULL DEFAULT 0,
        contacts_created INTEGER NOT NULL DEFAULT 0, -- minimal contacts created by a purchases import
        status        TEXT NOT NULL DEFAULT 'completed',
        os_user       TEXT
      );
      CREATE INDEX imports_sha ON imports(sha256, sheet);

      CREATE TABLE contacts (
        id               INTEGER PRIMARY KEY,
        uid              TEXT NOT NULL,              -- stable public id (time-ordered UUID)
        source           TEXT NOT NULL,
        external_id      TEXT,                       -- customer code in the source system
        external_key     TEXT NOT NULL,              -- re-import key: external_id, else 'email:'||email_norm, else 'row:'||hash
        civility         TEXT,
        first_name       TEXT,
        last_name        TEXT,
        email            TEXT,
        email_norm       TEXT,                       -- cheap key at import (trim + lower); validate refines
        phone            TEXT,
        phone_digits     TEXT,                       -- cheap key at import (digits, leading + kept)
        mobile           TEXT,
        mobile_digits    TEXT,
        address_line1    TEXT,
        address_line2    TEXT,
        postal_code      TEXT,
        city             TEXT,
        country          TEXT,
        birth_date       TEXT,                       -- ISO yyyy-mm-dd when it parsed, else the raw text
        gender           TEXT,
        company          TEXT,
        siret            TEXT,
        origin           TEXT,                       -- where the contact came from (the file's Source column)
        tags             TEXT NOT NULL DEFAULT '[]', -- JSON array
        attributes       TEXT NOT NULL DEFAULT '{}', -- JSON object: every column the mapper did not recognise
        created_at       TEXT,                       -- from the file when it has one
        imported_at      TEXT NOT NULL,
        updated_at       TEXT NOT NULL,
        last_activity_at TEXT,
        status           TEXT NOT NULL DEFAULT 'active'
                         CHECK (status IN ('active', 'inactive', 'merged', 'erased')),
        merged_into      INTEGER REFERENCES contacts(id),
        first_import_id  INTEGER REFERENCES imports(id),
        last_import_id   INTEGER REFERENCES imports(id)
      );
      -- Named indexes, not inline UNIQUE constraints: a first bulk import drops and rebuilds them (sorting
      -- once is several times faster than a million random B-tree inserts).
      CREATE UNIQUE INDEX contacts_uid ON contacts(uid);
      CREATE UNIQUE INDEX contacts_key ON contacts(source, external_key);
      CREATE INDEX contacts_email_norm ON contacts(email_norm) WHERE email_norm IS NOT NULL;

      CREATE TABLE consents (
        id          INTEGER PRIMARY KEY,
        contact_id  INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
        channel     TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'phone', 'post')),
        status      TEXT NOT NULL CHECK (status IN ('granted', 'withdrawn')),
        recorded_at TEXT NOT NULL,
        source      TEXT,
        proof       TEXT,                            -- where the choice was read, e.g. "import 3, row 17, column 'Opt-in email'"
        import_id   INTEGER REFERENCES imports(id)
      );
      CREATE INDEX consents_contact ON consents(contact_id, channel, recorded_at);

      CREATE TABLE purchases (
        id               INTEGER PRIMARY KEY,
        contact_id       INTEGER NOT NULL REFERENCES contacts(id),
        source           TEXT NOT NULL,
        order_ref        TEXT NOT NULL,
        line_no          INTEGER NOT NULL,
        ordered_at       TEXT NOT NULL,              -- ISO 'yyyy-mm-dd' or 'yyyy-mm-dd hh:mm:ss'
        amount_minor     INTEGER NOT NULL,           -- signed, minor units: returns and cancellations are negative
        currency         TEXT NOT NULL,
        quantity         REAL,
        unit_price_minor INTEGER,
        product_ref      TEXT,
        product          TEXT,
        category         TEXT,
        channel          TEXT,
        status           TEXT,
        attributes       TEXT NOT NULL DEFAULT '{}',
        import_id        INTEGER REFERENCES imports(id),
        UNIQUE (source, order_ref, line_no)
      );
      CREATE INDEX purchases_contact ON purchases(contact_id, ordered_at);

      CREATE TABLE rejects (
        id          INTEGER PRIMARY KEY,
        import_id   INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
        row_number  INTEGER NOT NULL,               -- spreadsheet numbering: the header is row 1
        raw         TEXT NOT NULL,                  -- JSON array of the row's cells as read
        reasons     TEXT NOT NULL                   -- JSON array of {column, message}
      );
      CREATE INDEX rejects_import ON rejects(import_id, row_number);
    `,
  },
  {
    id: 2,
    name: 'core: drop consents_contact (a prefix of export\'s covering index consents_current)',
    // Every consent insert paid for both indexes; consents_current (migration 42) serves the same lookups.
    sql: `DROP INDEX IF EXISTS consents_contact;`,
  },
  {
    id: 3,
    name: 'core: source_mappings (the --map given for a source, reused by its next imports)',
    sql: `
      CREATE TABLE source_mappings (
        source      TEXT NOT NULL,
        kind        TEXT NOT NULL CHECK (kind IN ('contacts', 'purchases')),
        column_key  TEXT NOT NULL,              -- the header folded (case, accents, separators), as --map compares it
        column_name TEXT NOT NULL,              -- the header as the file wrote it
        field       TEXT,                       -- null: kept in attributes ("Col=-")
        saved_at    TEXT NOT NULL,
        import_id   INTEGER REFERENCES imports(id) ON DELETE SET NULL,
        PRIMARY KEY (source, kind, column_key)
      );
    `,
  },
  {
    id: 4,
    name: 'core: rows imported with unreadable cells are listed beside the rejects; counts of them and of repeated rows',
    // A consent answer or a date that cannot be read is not guessed: the row is imported without it and
    // kept in rejects (row_imported = 1) with its row, column and value, so "custkit rejects --out" lists
    // it for fixing like a rejected row. repeated_rows: rows that met a contact an earlier row of the same
    // file wrote (the same customer code or email twice).
    sql: `
      ALTER TABLE rejects ADD COLUMN row_imported INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE imports ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE imports ADD COLUMN repeated_rows INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE imports ADD COLUMN consent_conflicts INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE imports ADD COLUMN kept_as_cleaned INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    id: 5,
    name: 'core: purchase rollup per contact (RFM totals, purchase-day summary), kept by triggers on purchases',
    // Why: score grouped every purchase line into orders on every run (40 % of its time at 5.6 M lines).
    // The rollup is a cache (src/store/purchase-totals.ts): triggers mark the contacts whose lines change,
    // whoever changes them, and import / score recompute those. Every contact with lines starts stale.
    sql: `
      CREATE TABLE purchase_totals (
        contact_id      INTEGER PRIMARY KEY,        -- no foreign key: a cache, emptied by refresh when the lines go
        frequency       INTEGER NOT NULL,           -- orders (refs netting to a positive amount)
        monetary        INTEGER NOT NULL,           -- net of every line, returns included
        first_day       TEXT,                       -- first and last order day (yyyy-mm-dd), null without an order
        last_day        TEXT,
        last_line_day   TEXT NOT NULL,              -- the latest line: the row holds for any as-of date on or after it
        purchase_days   INTEGER NOT NULL,           -- days with an order or a free order (the CLV transactions)
        first_purchase_day TEXT,                    -- first and last of those days, null without one
        last_purchase_day  TEXT,
        days_spend      INTEGER NOT NULL,           -- spend over those days, and on the first of them
        first_day_spend INTEGER NOT NULL
      );
      CREATE TABLE purchase_totals_stale (contact_id INTEGER PRIMARY KEY);
      ${PURCHASE_TOTALS_TRIGGERS_SQL_V5}
      INSERT INTO purchase_totals_stale (contact_id) SELECT DISTINCT contact_id FROM purchases WHERE contact_id IS NOT NULL;
    `,
  },
  {
    id: 6,
    name: 'core: purchase mix per contact (categories, channels, basket) beside the rollup; a category or channel change marks the contact',
    // Why: RFMCCA regrouped every purchase line per category and channel on every run (two thirds of its
    // time at 5.6 M lines). A missing row is the mark (src/store/purchase-mix.ts): the table starts empty
    // and the first RFMCCA run (or `affinities`) fills it, rather than this migration: every command
    // migrates the store it opens, the fill walks every line (seconds per million), and only RFMCCA reads it.
    sql: `
      CREATE TABLE purchase_mix (
        contact_id    INTEGER PRIMARY KEY,          -- no foreign key: a cache, like purchase_totals
        categories    INTEGER NOT NULL,             -- categories with a positive net spend
        main_category TEXT,                         -- the largest net spend (ties: code-point order), null without one
        channels      INTEGER NOT NULL,             -- channels with a positive net spend
        main_channel  TEXT,
        basket        TEXT NOT NULL                 -- JSON array of those categories, byte order
      );
      DROP TRIGGER IF EXISTS purchases_totals_update;
      ${PURCHASE_TOTALS_UPDATE_TRIGGER_SQL}
    `,
  },
  {
    id: 7,
    name: 'core: the purchase rollup and mix also hold each contact\'s totals and mix as of the day before their latest line',
    // Why: a score as of a date before a contact's latest line regrouped all that contact's lines (a
    // sort of 1.2 M lines for the 145k recent buyers of a 1M store, a quarter of the run). Most of them
    // bought on one day since: the totals (and RFMCCA's mix) as of the day before it serve them. Every row
    // is marked stale so the next import or score fills the new columns (one rebuild, as after a first
    // load; recomputing a contact's totals drops its mix row, refilled by the next RFMCCA run).
    sql: `
      ALTER TABLE purchase_totals ADD COLUMN prev_valid INTEGER NOT NULL DEFAULT 0; -- 1: no order has lines both before and on last_line_day
      ALTER TABLE purchase_totals ADD COLUMN prev_line_day TEXT;                     -- the latest line day before last_line_day, null without one
      ALTER TABLE purchase_totals ADD COLUMN prev_frequency INTEGER NOT NULL DEFAULT 0; -- the totals as of that day (orders entirely before last_line_day)
      ALTER TABLE purchase_totals ADD COLUMN prev_monetary INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE purchase_totals ADD COLUMN prev_first_day TEXT;
      ALTER TABLE purchase_totals ADD COLUMN prev_last_day TEXT;
      ALTER TABLE purchase_totals ADD COLUMN prev_purchase_days INTEGER NOT NULL DEFAULT 0; -- the CLV summary over those orders' days
      ALTER TABLE purchase_totals ADD COLUMN prev_first_purchase_day TEXT;
      ALTER TABLE purchase_totals ADD COLUMN prev_last_purchase_day TEXT;
      ALTER TABLE purchase_totals ADD COLUMN prev_days_spend INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE purchase_totals ADD COLUMN prev_first_day_spend INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE purchase_mix ADD COLUMN prev_categories INTEGER NOT NULL DEFAULT 0;  -- the mix of the lines before last_line_day
      ALTER TABLE purchase_mix ADD COLUMN prev_main_category TEXT;
      ALTER TABLE purchase_mix ADD COLUMN prev_channels INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE purchase_mix ADD COLUMN prev_main_channel TEXT;
      ALTER TABLE purchase_mix ADD COLUMN prev_basket TEXT NOT NULL DEFAULT '[]';
      INSERT OR IGNORE INTO purchase_totals_stale (contact_id) SELECT contact_id FROM purchase_totals;
    `,
  },
];

/** Every stage's migrations; a stage adds its list here (one line). */
export const migrations: Migration[] = [...coreMigrations, ...validateMigrations, ...scoreMigrations, ...dedupeMigrations, ...exportMigrations, ...gdprMigrations, ...backupMigrations, ...reportMigrations, ...campaignsMigrations];
