import type { Migration } from '../store/migrations.js';

/**
 * Dedupe's tables (ids 20-29). Keys are derived data kept beside contacts so blocking runs as SQL joins
 * and a re-run only re-keys the contacts that changed. `merges` + `merge_members` hold everything an
 * unmerge needs: the survivor before and after, each merged record's snapshot, and the rows that moved.
 */
export const dedupeMigrations: Migration[] = [
  {
    id: 20,
    name: 'dedupe: keys, models, runs, merges, decisions',
    sql: `
      CREATE TABLE dedupe_keys (
        contact_id  INTEGER PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
        keyed_at    TEXT NOT NULL,     -- the contact's updated_at when its keys were computed
        fn          TEXT,              -- accent-free lower-case first name, letters only
        ln          TEXT,              -- same for the last name
        ln_phon     TEXT,              -- French Soundex of the last name
        fi          TEXT,              -- first-name initial
        email       TEXT,              -- email_norm
        email_local TEXT,
        email_domain TEXT,
        postal      TEXT,
        dob         TEXT,              -- yyyymmdd
        siret       TEXT,
        addr        TEXT,              -- normalised address line 1
        city        TEXT,
        phones      TEXT               -- space-separated: country calling code + national significant number
      );

      CREATE TABLE dedupe_models (
        id          INTEGER PRIMARY KEY,
        trained_at  TEXT NOT NULL,
        contacts    INTEGER NOT NULL,
        pairs       INTEGER NOT NULL,
        params      TEXT NOT NULL      -- JSON: m and u per comparison level, match rate
      );

      CREATE TABLE dedupe_runs (
        id              INTEGER PRIMARY KEY,
        started_at      TEXT NOT NULL,
        mode            TEXT NOT NULL,          -- apply | decisions
        threshold       REAL,
        max_contact_id  INTEGER NOT NULL,       -- contacts above this id are "new" for --new
        clusters        INTEGER NOT NULL,
        merged          INTEGER NOT NULL
      );

      CREATE TABLE merges (
        id              INTEGER PRIMARY KEY,
        run_id          INTEGER NOT NULL REFERENCES dedupe_runs(id),
        survivor_id     INTEGER NOT NULL REFERENCES contacts(id),
        created_at      TEXT NOT NULL,
        survivor_before TEXT NOT NULL,          -- JSON: the survivor's row before the merge
        survivor_after  TEXT NOT NULL,          -- JSON: its row right after
        added_consents  TEXT NOT NULL DEFAULT '[]', -- consent ids the merge inserted (restrictive choice at equal time)
        undone_at       TEXT
      );
      CREATE INDEX merges_survivor ON merges(survivor_id);

      CREATE TABLE merge_members (
        merge_id    INTEGER NOT NULL REFERENCES merges(id),
        contact_id  INTEGER NOT NULL REFERENCES contacts(id),
        probability REAL,
        evidence    TEXT NOT NULL,              -- JSON: per-field level and weight
        snapshot    TEXT NOT NULL,              -- JSON: the merged record as it was
        moved       TEXT NOT NULL,              -- JSON: {table: [row ids]} moved to the survivor
        removed     TEXT NOT NULL DEFAULT '{}', -- JSON: {table: [rows]} deleted because the survivor had one
        PRIMARY KEY (merge_id, contact_id)
      );
      CREATE INDEX merge_members_contact ON merge_members(contact_id);

      CREATE TABLE dedupe_decisions (
        a_id        INTEGER NOT NULL REFERENCES contacts(id),
        b_id        INTEGER NOT NULL REFERENCES contacts(id),
        decision    TEXT NOT NULL CHECK (decision IN ('keep apart')),
        decided_at  TEXT NOT NULL,
        PRIMARY KEY (a_id, b_id)
      ) WITHOUT ROWID;
    `,
  },
  {
    id: 21,
    name: 'dedupe: sex key (civility / gender) for the household rule',
    // Every contact is keyed again on the next run (it builds the records as it keys).
    sql: `
      ALTER TABLE dedupe_keys ADD COLUMN sex TEXT;   -- "f" / "m" from civility or gender
      DELETE FROM dedupe_keys;
    `,
  },
  {
    id: 22,
    name: 'dedupe: the blocking rules the last run chose',
    // explain says which rule brought a pair; rules are chosen from the data at each run.
    sql: `
      CREATE TABLE dedupe_blocking (
        id          INTEGER PRIMARY KEY,
        chosen_at   TEXT NOT NULL,
        contacts    INTEGER NOT NULL,
        budget      INTEGER NOT NULL,
        rules       TEXT NOT NULL       -- JSON: [{name, fields, swapWith, sensitive, pairs}] in the order run
      );
    `,
  },
  {
    id: 23,
    name: 'dedupe: the set of fields a model was fitted for, and how',
    // A store whose fields change (a sparse file imported into it) gets a model fitted again.
    sql: `
      ALTER TABLE dedupe_models ADD COLUMN fields TEXT;      -- comma-separated attributes present when fitted
      ALTER TABLE dedupe_models ADD COLUMN fitted_by TEXT;   -- train (dedupe --train) | auto (no model for these fields)
    `,
  },
];
