import type { Db } from '../store/db.js';
import type { Migration } from '../store/migrations.js';
import { sha256Hex } from '../export/digests.js';
import { postAddressKey } from '../export/post-address.js';

/** The post address key up to migration 71 (lines and city trimmed and lower-cased, as text), kept to recognise its hashes. */
const POST_ADDRESS_KEY_71 =
  "lower(trim(coalesce(c.address_line1, ''))) || '|' || lower(trim(coalesce(c.address_line2, ''))) || '|' || coalesce(c.postal_code_norm, c.postal_code, '') || '|' || lower(trim(coalesce(c.city, ''))) || '|' || coalesce(c.country_code, '')";
const POST_ADDRESS_KEY_72 = 'ck72_post_address(c.address_line1, c.address_line2, coalesce(c.postal_code_norm, c.postal_code), c.city, c.country_code)';

/**
 * Post addresses are compared folded from migration 72 on (a cosmetic fix no longer lifts a postal
 * return). A return or post member recorded for the contact's current address (its old key's hash
 * equals the current address's) gets the new key's hash, so that the returns in force stay in force.
 * A hash of an address the contact no longer has stays as it is: that address is unknown (only its
 * hash was kept), and its return was already lifted.
 */
function rehashPostAddresses(db: Db): void {
  db.function('ck72_sha256', { deterministic: true }, (value: unknown) => (typeof value === 'string' && value !== '' ? sha256Hex(value) : null));
  db.function('ck72_post_address', { deterministic: true }, postAddressKey);
  // OR IGNORE: an earlier return of the contact may already hold the new hash (an address that differed
  // from today's only in spaces or punctuation); that one keeps the return in force.
  db.exec(`
    UPDATE OR IGNORE postal_returns SET address_hash = ck72_sha256(${POST_ADDRESS_KEY_72})
      FROM contacts c WHERE c.id = postal_returns.contact_id AND postal_returns.address_hash = ck72_sha256(${POST_ADDRESS_KEY_71});
    UPDATE export_members SET address_hash = unhex(ck72_sha256(${POST_ADDRESS_KEY_72}))
      FROM contacts c WHERE c.id = export_members.contact_id AND export_members.export_id IN (SELECT id FROM exports WHERE channel = 'post')
        AND export_members.address_hash = unhex(ck72_sha256(${POST_ADDRESS_KEY_71}));
  `);
}

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
  {
    id: 72,
    name: 'campaigns: a campaign marked not sent (a list exported to look at); post addresses compared folded',
    sql: `
      -- An export made to look at a list, never sent: it stays in the export log (a file of personal
      -- data left the store) but is no campaign: it leaves the pressure cap, and no results or returns
      -- attach to it. Null: sent. Set by "campaigns not-sent" or "export --preview", cleared by --undo.
      ALTER TABLE campaigns ADD COLUMN not_sent_at TEXT;
      ALTER TABLE campaigns ADD COLUMN not_sent_reason TEXT;
    `,
    after: rehashPostAddresses,
  },
];
