import type { Migration } from '../store/migrations.js';

/**
 * Score stage tables (ids 30-39). Every run is kept so segment movement between runs is a query;
 * a run is identified by (as_of, method): scoring the same date with the same method again replaces
 * that run's rows in place (same id), which keeps nightly cron runs idempotent.
 */
export const scoreMigrations: Migration[] = [
  {
    id: 30,
    name: 'score: score_runs, scores, affinity_rules',
    sql: `
      CREATE TABLE score_runs (
        id          INTEGER PRIMARY KEY,
        as_of       TEXT NOT NULL,                  -- yyyy-mm-dd, purchases dated on it count
        method      TEXT NOT NULL CHECK (method IN ('rfm', 'rfmcca')),
        bins        INTEGER NOT NULL,
        binning     TEXT NOT NULL CHECK (binning IN ('quantile', 'ntile', 'thresholds')),
        segment_map TEXT NOT NULL,                  -- preset name or file name
        parameters  TEXT NOT NULL DEFAULT '{}',     -- JSON: cut points, segment map, CLV model and options
        customers   INTEGER NOT NULL DEFAULT 0,     -- contacts with at least one order
        prospects   INTEGER NOT NULL DEFAULT 0,     -- contacts scored without an order
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        UNIQUE (as_of, method)
      );

      CREATE TABLE scores (
        run_id              INTEGER NOT NULL REFERENCES score_runs(id) ON DELETE CASCADE,
        contact_id          INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
        recency_days        INTEGER,                -- days from the last order to as_of; null for prospects
        frequency           INTEGER NOT NULL,       -- distinct orders (order refs with a positive net amount)
        monetary_minor      INTEGER NOT NULL,       -- net total, returns and cancellations subtracted
        aov_minor           INTEGER,                -- monetary / frequency, rounded
        first_purchase_at   TEXT,
        last_purchase_at    TEXT,
        r_score             INTEGER,
        f_score             INTEGER,
        m_score             INTEGER,
        segment             TEXT NOT NULL,
        categories          INTEGER,                -- RFMCCA: distinct categories with positive net spend
        c_score             INTEGER,
        main_category       TEXT,
        channels            INTEGER,                -- RFMCCA: distinct channels with positive net spend
        ca_score            INTEGER,
        main_channel        TEXT,
        multichannel        INTEGER,
        next_best_category  TEXT,                   -- affinities: highest-lift category not yet bought
        next_best_lift      REAL,
        p_alive             REAL,                   -- CLV (BG/NBD + Gamma-Gamma) when --clv
        expected_purchases  REAL,
        expected_aov_minor  INTEGER,
        clv_minor           INTEGER,
        PRIMARY KEY (run_id, contact_id)
      ) WITHOUT ROWID;
      CREATE INDEX scores_contact ON scores(contact_id, run_id);

      CREATE TABLE affinity_rules (
        id          INTEGER PRIMARY KEY,
        run_id      INTEGER REFERENCES score_runs(id) ON DELETE CASCADE,
        antecedent  TEXT NOT NULL,                  -- JSON array of categories
        consequent  TEXT NOT NULL,
        customers   INTEGER NOT NULL,               -- customers who bought antecedent and consequent
        support     REAL NOT NULL,
        confidence  REAL NOT NULL,
        lift        REAL NOT NULL
      );
      CREATE INDEX affinity_rules_run ON affinity_rules(run_id, lift);
    `,
  },
  {
    id: 31,
    name: 'score: scores as a rowid table, defaults for score_runs columns beyond the contract',
    // Why: dedupe moves a merged contact's rows to the survivor (and back on unmerge) by rowid, which a
    // WITHOUT ROWID table lacks; and a run inserted with only the contract's as_of and method must be
    // valid. score_runs is rebuilt only after its child tables are set aside, so no ON DELETE CASCADE fires.
    sql: `
      CREATE TEMP TABLE m31_scores AS SELECT * FROM main.scores;
      CREATE TEMP TABLE m31_rules AS SELECT * FROM main.affinity_rules;
      DROP TABLE main.scores;
      DROP TABLE main.affinity_rules;

      CREATE TABLE score_runs_new (
        id          INTEGER PRIMARY KEY,
        as_of       TEXT NOT NULL,
        method      TEXT NOT NULL CHECK (method IN ('rfm', 'rfmcca')),
        bins        INTEGER NOT NULL DEFAULT 5,
        binning     TEXT NOT NULL DEFAULT 'quantile' CHECK (binning IN ('quantile', 'ntile', 'thresholds')),
        segment_map TEXT NOT NULL DEFAULT 'rfm10',
        parameters  TEXT NOT NULL DEFAULT '{}',
        customers   INTEGER NOT NULL DEFAULT 0,
        prospects   INTEGER NOT NULL DEFAULT 0,
        created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        UNIQUE (as_of, method)
      );
      INSERT INTO score_runs_new SELECT * FROM main.score_runs;
      DROP TABLE main.score_runs;
      ALTER TABLE score_runs_new RENAME TO score_runs;

      CREATE TABLE scores (
        run_id              INTEGER NOT NULL REFERENCES score_runs(id) ON DELETE CASCADE,
        contact_id          INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
        recency_days        INTEGER,
        frequency           INTEGER NOT NULL DEFAULT 0,
        monetary_minor      INTEGER NOT NULL DEFAULT 0,
        aov_minor           INTEGER,
        first_purchase_at   TEXT,
        last_purchase_at    TEXT,
        r_score             INTEGER,
        f_score             INTEGER,
        m_score             INTEGER,
        segment             TEXT NOT NULL,
        categories          INTEGER,
        c_score             INTEGER,
        main_category       TEXT,
        channels            INTEGER,
        ca_score            INTEGER,
        main_channel        TEXT,
        multichannel        INTEGER,
        next_best_category  TEXT,
        next_best_lift      REAL,
        p_alive             REAL,
        expected_purchases  REAL,
        expected_aov_minor  INTEGER,
        clv_minor           INTEGER,
        PRIMARY KEY (run_id, contact_id)
      );
      INSERT INTO scores SELECT * FROM temp.m31_scores ORDER BY run_id, contact_id;
      CREATE INDEX scores_contact ON scores(contact_id, run_id);

      CREATE TABLE affinity_rules (
        id          INTEGER PRIMARY KEY,
        run_id      INTEGER REFERENCES score_runs(id) ON DELETE CASCADE,
        antecedent  TEXT NOT NULL,
        consequent  TEXT NOT NULL,
        customers   INTEGER NOT NULL,
        support     REAL NOT NULL,
        confidence  REAL NOT NULL,
        lift        REAL NOT NULL
      );
      INSERT INTO affinity_rules SELECT * FROM temp.m31_rules ORDER BY id;
      CREATE INDEX affinity_rules_run ON affinity_rules(run_id, lift);

      DROP TABLE temp.m31_scores;
      DROP TABLE temp.m31_rules;
    `,
  },
];
