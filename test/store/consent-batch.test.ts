import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BULK_ROWS, ConsentBatch } from '../../src/store/consent-batch.js';
import { openStore } from '../../src/store/db.js';
import { tempDir } from '../helpers/cli.js';

describe('ConsentBatch (consents of a first load)', () => {
  it('writes every row, in the order added, whatever the mix of kinds and batch boundaries', () => {
    const db = openStore(path.join(tempDir(), 'consents.db'));
    db.pragma('foreign_keys = OFF'); // as during a first load: the contacts are not the point here
    const importId = Number(db.prepare("INSERT INTO imports (file_name, sha256, kind, source, columns, mapping, started_at, status) VALUES ('f.csv', 'x', 'contacts', 'default', '[]', '{}', 'now', 'running')").run().lastInsertRowid);
    const batch = new ConsentBatch(db, importId, '2026-11-23T10:00:00.000Z', BULK_ROWS);
    const expected: Array<{ contact_id: number; proof: string; channel: string; status: string }> = [];
    const kinds = [
      { channel: 'email', status: 'granted', column: 'Opt-in email' },
      { channel: 'sms', status: 'withdrawn', column: "SMS d'accord" },
      { channel: 'email', status: 'withdrawn', column: 'Opt-in email' },
    ];
    // 250 rows: two full statements of 100 and 50 left for flush(); a new kind appears mid-way.
    for (let i = 1; i <= 250; i++) {
      const kind = kinds[i < 120 ? i % 2 : i % 3]!;
      batch.add(i, i + 1, kind);
      expected.push({ contact_id: i, proof: `import ${importId}, row ${i + 1}, column '${kind.column}'`, channel: kind.channel, status: kind.status });
    }
    expect(db.prepare('SELECT count(*) FROM consents').pluck().get()).toBeLessThan(250); // the tail waits for flush()
    batch.flush();
    const rows = db.prepare('SELECT contact_id, proof, channel, status FROM consents ORDER BY id').all();
    expect(rows).toEqual(expected);
    expect(db.prepare('SELECT DISTINCT recorded_at || source || import_id FROM consents').pluck().all()).toEqual([`2026-11-23T10:00:00.000Zimport${importId}`]);
    db.close();
  });

  it('writes each row at once when told one row a statement (a later import reads them back)', () => {
    const db = openStore(path.join(tempDir(), 'consents-one.db'));
    db.pragma('foreign_keys = OFF');
    const batch = new ConsentBatch(db, 7, '2026-11-23T10:00:00.000Z', 1);
    batch.add(1, 2, { channel: 'email', status: 'granted', column: 'Newsletter' });
    batch.add(1, 3, { channel: 'email', status: 'withdrawn', column: 'Newsletter' });
    expect(db.prepare('SELECT contact_id, proof, status FROM consents ORDER BY id').all()).toEqual([
      { contact_id: 1, proof: "import 7, row 2, column 'Newsletter'", status: 'granted' },
      { contact_id: 1, proof: "import 7, row 3, column 'Newsletter'", status: 'withdrawn' },
    ]);
    db.close();
  });
});
