import type { Migration } from '../store/migrations.js';

/**
 * The campaigns stage's tables (ids 70-79): what each export became. An export is a campaign; its
 * members are the people it listed, with the address written (as a hash) and their segment and RFM
 * cell then; results and postal returns attach to members.
 */
export const campaignsMigrations: Migration[] = [
  {
    id: 70,
    name: 'campaigns: export members, campaign names, results (events, imports, unmatched rows), postal returns, settings',
    sql: `
      -- One row per person an export listed (seeds are in export_seeds). Keyed by export then contact, so
      -- a new export's rows are appended at the end of the table. No index by contact: keeping one
      -- costs every export a pass over the whole history of members (the largest part of recording
      -- them, measured on 1M contacts); a person's campaigns are found by probing the key per campaign,
      -- and access and erasure, rare, scan. The address is kept as a SHA-256 only, like suppressions. The segment and
      -- RFM cell at the time are the member's scores row in the run the export read
      -- (exports.selection.run; score runs are kept): copying them cost a third of a large export's time.
      CREATE TABLE export_members (
        export_id     INTEGER NOT NULL REFERENCES exports(id) ON DELETE CASCADE,
        contact_id    INTEGER NOT NULL REFERENCES contacts(id),
        address_hash  TEXT,                      -- sha256 hex of the address written (email, E.164 phone, postal address key)
        PRIMARY KEY (export_id, contact_id)
      ) WITHOUT ROWID;

      -- A campaign's name (export --name) and the mailing tool's own campaign id and name, learnt from a
      -- results file matched to it, so that the next file of that tool campaign finds it by itself.
      CREATE TABLE campaigns (
        export_id          INTEGER PRIMARY KEY REFERENCES exports(id) ON DELETE CASCADE,
        name               TEXT,
        tool               TEXT,
        tool_campaign_id   TEXT,
        tool_campaign_name TEXT
      );

      -- Each results file read: counts, and whether it was the same bytes as one read before.
      CREATE TABLE campaign_imports (
        id          INTEGER PRIMARY KEY,
        file_name   TEXT NOT NULL,
        sha256      TEXT NOT NULL,
        kind        TEXT NOT NULL CHECK (kind IN ('results', 'returns')),
        tool        TEXT,
        campaign_option INTEGER,                 -- the --campaign given (the same bytes with another --campaign are read again)
        columns     TEXT NOT NULL DEFAULT '[]',  -- JSON array: the file's headers (to write unmatched rows back)
        imported_at TEXT NOT NULL,
        os_user     TEXT,
        rows_read   INTEGER NOT NULL DEFAULT 0,
        matched     INTEGER NOT NULL DEFAULT 0,
        unmatched   INTEGER NOT NULL DEFAULT 0,
        events_added INTEGER NOT NULL DEFAULT 0,
        counts      TEXT NOT NULL DEFAULT '{}'   -- JSON: suppressions added, activity dates moved...
      );
      CREATE INDEX campaign_imports_sha ON campaign_imports(sha256, kind);

      -- What happened to a member: one row per event and time, so that a report read twice, or two
      -- reports that overlap, add each event once. 'at' is '' when the file gives no time.
      CREATE TABLE campaign_events (
        export_id   INTEGER NOT NULL REFERENCES exports(id) ON DELETE CASCADE,
        contact_id  INTEGER NOT NULL REFERENCES contacts(id),
        event       TEXT NOT NULL CHECK (event IN ('delivered', 'opened', 'clicked', 'hard_bounce', 'soft_bounce', 'unsubscribed', 'complained')),
        at          TEXT NOT NULL,
        import_id   INTEGER REFERENCES campaign_imports(id),
        PRIMARY KEY (export_id, contact_id, event, at)
      ) WITHOUT ROWID;
      CREATE INDEX campaign_events_contact ON campaign_events(contact_id, export_id);

      -- The rows of a results or returns file that matched no member: kept (like import rejects) to be
      -- listed and written out. raw: the row's cells as read.
      CREATE TABLE campaign_unmatched (
        import_id   INTEGER NOT NULL REFERENCES campaign_imports(id) ON DELETE CASCADE,
        row_number  INTEGER NOT NULL,
        raw         TEXT NOT NULL,
        reason      TEXT NOT NULL,
        PRIMARY KEY (import_id, row_number)
      );

      -- Postal returns (PND, "n'habite pas à l'adresse indiquée"): the address the letter went to, as a
      -- hash. The post channel leaves a contact out while its current address hashes the same; an
      -- address changed by import, contact set or clean no longer does, so the return stops applying.
      CREATE TABLE postal_returns (
        id            INTEGER PRIMARY KEY,
        contact_id    INTEGER NOT NULL REFERENCES contacts(id),
        address_hash  TEXT NOT NULL,
        export_id     INTEGER REFERENCES exports(id) ON DELETE SET NULL,
        returned_at   TEXT,
        reason        TEXT,
        import_id     INTEGER REFERENCES campaign_imports(id),
        UNIQUE (contact_id, address_hash)
      );

      CREATE TABLE campaign_settings (
        key    TEXT PRIMARY KEY,
        value  TEXT NOT NULL
      );
    `,
  },
  {
    id: 71,
    name: 'campaigns: export members keep their segment and RFM cell, the address hash as 32 bytes, no foreign key to contacts',
    sql: `
      -- The segment and RFM cell then are copied (from the export's score run, as the rows leave): a
      -- score run of the same as-of date run again replaces its scores, so reading them later would not
      -- say what the member was when the list left. The hash is the SHA-256 itself (32 bytes, not 64 hex
      -- characters). No foreign key to contacts: checking it costs a seek into contacts per member (2.5-3.4 s
      -- of CPU for 485,000 members on a lived-in 1M store, more than the rest of recording them); members
      -- are written only from the export's own rows, contacts are never deleted once exported (erasure
      -- keeps a tombstone), and "db check" lists members of a missing contact.
      CREATE TABLE export_members_v2 (
        export_id     INTEGER NOT NULL REFERENCES exports(id) ON DELETE CASCADE,
        contact_id    INTEGER NOT NULL,
        address_hash  BLOB,                      -- SHA-256 (32 bytes) of the address written (email, E.164 phone, postal address key)
        segment       TEXT,                      -- the member's segment in the export's score run (null: not scored, or no run)
        rfm_cell      TEXT,                      -- 'R5 F4 M3' in that run
        PRIMARY KEY (export_id, contact_id)
      ) WITHOUT ROWID;
      INSERT INTO export_members_v2 (export_id, contact_id, address_hash, segment, rfm_cell)
        SELECT m.export_id, m.contact_id, unhex(m.address_hash), s.segment,
               CASE WHEN s.r_score IS NOT NULL THEN 'R' || s.r_score || ' F' || s.f_score || ' M' || s.m_score END
        FROM export_members m JOIN exports e ON e.id = m.export_id
        LEFT JOIN scores s ON s.run_id = json_extract(e.selection, '$.run') AND s.contact_id = m.contact_id;
      DROP TABLE export_members;
      ALTER TABLE export_members_v2 RENAME TO export_members;
    `,
  },
];

