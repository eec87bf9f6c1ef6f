/**
 * Campaigns migration 71 on a store that recorded members before it: the address hash becomes the
 * 32-byte digest, and each member gets the segment and RFM cell of the run its export read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, openRaw } from '../../src/store/db.js';
import { migrations } from '../../src/store/migrations.js';
import { emailHash } from '../../src/export/keys.js';
import { tempDir } from '../helpers/cli.js';
import { addContact, addScore, addScoreRun } from '../export/store.js';

describe('campaigns migration 71', () => {
  it('converts members recorded before it, their segment and cell taken from the export\'s run', () => {
    const file = path.join(tempDir(), 'old.db');
    fs.writeFileSync(file, '');
    const db = openRaw(file, null);
    db.pragma('foreign_keys = ON');
    migrate(db, migrations.filter((m) => m.id < 71));
    const scored = addContact(db, { email: 'a@example.com' });
    const unscored = addContact(db, { email: 'b@example.com' });
    const run = addScoreRun(db);
    addScore(db, run, scored, { segment: 'Champions', r: 5, f: 4, m: 3 });
    const exportRow = db.prepare(
      `INSERT INTO exports (created_at, channel, selection, format, options, destination, row_count, sha256, files)
       VALUES ('2026-12-01 10:00:00', 'email', ?, 'csv', '{}', 'x.csv', 2, 'x', '[]')`,
    );
    const withRun = Number(exportRow.run(JSON.stringify({ segments: [], run })).lastInsertRowid);
    const withoutRun = Number(exportRow.run(JSON.stringify({ segments: [], run: null })).lastInsertRowid);
    const member = db.prepare('INSERT INTO export_members (export_id, contact_id, address_hash) VALUES (?, ?, ?)');
    member.run(withRun, scored, emailHash('a@example.com'));
    member.run(withRun, unscored, null); // erased since: its hash was emptied
    member.run(withoutRun, scored, emailHash('a@example.com'));

    expect(migrate(db, migrations.filter((m) => m.id <= 71))).toEqual([71]);
    const rows = db.prepare('SELECT export_id, contact_id, address_hash, segment, rfm_cell FROM export_members ORDER BY export_id, contact_id').all();
    expect(rows).toEqual([
      { export_id: withRun, contact_id: scored, address_hash: Buffer.from(emailHash('a@example.com'), 'hex'), segment: 'Champions', rfm_cell: 'R5 F4 M3' },
      { export_id: withRun, contact_id: unscored, address_hash: null, segment: null, rfm_cell: null },
      { export_id: withoutRun, contact_id: scored, address_hash: Buffer.from(emailHash('a@example.com'), 'hex'), segment: null, rfm_cell: null },
    ]);
    // No foreign key to contacts any more; the one to exports stays.
    expect((db.prepare("SELECT \"table\" FROM pragma_foreign_key_list('export_members')").pluck().all() as string[])).toEqual(['exports']);
    db.close();
  });
});
