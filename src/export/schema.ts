import type { Migration } from '../store/migrations.js';

/** Export's tables (ids 40-49): suppressions, the export log and trap (seed) addresses. */
export const exportMigrations: Migration[] = [
  {
    id: 40,
    name: 'export: suppressions, exports, seeds',
    sql: `
      -- Only a SHA-256 of the normalised address is kept: the list of people who said no must not itself
      -- become a list of their addresses.
      CREATE TABLE suppressions (
        id          INTEGER PRIMARY KEY,
        hash        TEXT NOT NULL,                 -- sha256 hex of the trimmed lower-case email, or of the E.164 phone
        key_type    TEXT NOT NULL CHECK (key_type IN ('email', 'phone')),
        kind        TEXT NOT NULL CHECK (kind IN ('unsubscribed', 'bounced', 'opposition', 'erased')),
        source      TEXT NOT NULL,                 -- 'manual' or the imported file's name
        created_at  TEXT NOT NULL,
        os_user     TEXT,
        UNIQUE (hash, kind)
      );

      CREATE TABLE exports (
        id                  INTEGER PRIMARY KEY,
        created_at          TEXT NOT NULL,
        os_user             TEXT,
        channel             TEXT NOT NULL,
        include_unconsented INTEGER NOT NULL DEFAULT 0,
        selection           TEXT NOT NULL,         -- JSON: segments, run, tags, where, status, limit
        format              TEXT NOT NULL,
        options             TEXT NOT NULL,         -- JSON: preset, columns, delimiter, encoding, bom...
        destination         TEXT NOT NULL,         -- the file written, or '-' for stdout
        row_count           INTEGER NOT NULL,      -- people exported (seeds not counted)
        seed_count          INTEGER NOT NULL DEFAULT 0,
        sha256              TEXT NOT NULL,         -- of the (first) file's bytes as written
        files               TEXT NOT NULL          -- JSON array of {path, rows, sha256}: several when split
      );

      CREATE TABLE seeds (
        id          INTEGER PRIMARY KEY,
        uid         TEXT NOT NULL UNIQUE,          -- looks like a contact uid in the output
        email       TEXT NOT NULL UNIQUE,          -- normalised (trim + lower case)
        first_name  TEXT,
        last_name   TEXT,
        created_at  TEXT NOT NULL
      );

      CREATE TABLE export_seeds (
        export_id   INTEGER NOT NULL REFERENCES exports(id) ON DELETE CASCADE,
        seed_id     INTEGER NOT NULL REFERENCES seeds(id),
        position    INTEGER NOT NULL,              -- 1-based data row in the whole output (header not counted)
        PRIMARY KEY (export_id, seed_id)
      );
      CREATE INDEX export_seeds_seed ON export_seeds(seed_id);
    `,
  },
  {
    id: 41,
    name: 'export: phone lookups for one-row-per-address and consent by address',
    sql: `
      CREATE INDEX IF NOT EXISTS contacts_sms_e164 ON contacts(sms_e164) WHERE sms_e164 IS NOT NULL;
      CREATE INDEX IF NOT EXISTS contacts_phone_e164 ON contacts(phone_e164) WHERE phone_e164 IS NOT NULL;
    `,
  },
  {
    id: 42,
    name: 'export: covering index for the current consent of a contact and channel',
    // The export reads "latest row by (recorded_at, id)" for every candidate: with the status in the index
    // that is one index seek and no table read (a third of the export's SQL time on 1M contacts).
    sql: `CREATE INDEX IF NOT EXISTS consents_current ON consents(contact_id, channel, recorded_at, id, status);`,
  },
];
