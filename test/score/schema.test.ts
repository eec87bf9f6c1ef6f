import Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/db.js';
import { migrations } from '../../src/store/migrations.js';
import { addContact } from './store-helpers.js';

describe('score schema migrations', () => {
  it('31 upgrades a store scored under 30 without losing a run, a score or a rule', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, migrations.filter((m) => m.id <= 30));
    const a = addContact(db, 'A');
    const b = addContact(db, 'B');
    db.prepare(`INSERT INTO score_runs (as_of, method, bins, binning, segment_map, created_at, updated_at) VALUES ('2025-06-30', 'rfm', 5, 'quantile', 'rfm10', 'x', 'x')`).run();
    db.prepare(`INSERT INTO scores (run_id, contact_id, frequency, monetary_minor, segment) VALUES (1, ?, 2, 500, 'Loyal'), (1, ?, 0, 0, 'prospect')`).run(a, b);
    db.prepare(`INSERT INTO affinity_rules (run_id, antecedent, consequent, customers, support, confidence, lift) VALUES (1, '["Books"]', 'Games', 3, 0.3, 0.5, 1.2)`).run();

    migrate(db);
    expect(db.prepare('SELECT contact_id, segment FROM scores ORDER BY contact_id').raw().all()).toEqual([[a, 'Loyal'], [b, 'prospect']]);
    expect(db.prepare('SELECT consequent FROM affinity_rules').pluck().all()).toEqual(['Games']);
    expect(db.pragma('foreign_key_check')).toEqual([]);

    // dedupe moves rows by rowid: scores has one now.
    const rowid = db.prepare('SELECT rowid FROM scores WHERE contact_id = ?').pluck().get(b) as number;
    db.prepare('DELETE FROM scores WHERE rowid = ?').run(rowid);
    expect(db.prepare('SELECT count(*) FROM scores').pluck().get()).toBe(1);

    // A run inserted with the contract's columns only is valid; deleting a run still removes its rows.
    db.prepare(`INSERT INTO score_runs (as_of, method) VALUES ('2025-07-31', 'rfm')`).run();
    expect(db.prepare('SELECT bins, binning, segment_map FROM score_runs WHERE id = 2').raw().get()).toEqual([5, 'quantile', 'rfm10']);
    db.prepare('DELETE FROM score_runs WHERE id = 1').run();
    expect(db.prepare('SELECT count(*) FROM scores').pluck().get()).toBe(0);
    expect(db.prepare('SELECT count(*) FROM affinity_rules').pluck().get()).toBe(0);
  });
});
