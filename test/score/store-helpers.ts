import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Db } from '../../src/store/db.js';
import { PRESETS } from '../../src/score/presets.js';
import type { ScoreOptions } from '../../src/score/run.js';

/**
 * Test-only loader: puts a simple purchases CSV (customer_id,order_id,line,date,amount[,category,channel],
 * no quoted cells) into a store with SQL, creating one contact per customer id. Unit tests use it so the
 * score stage can be tested without the import command.
 */
export function addContact(db: Db, externalId: string, status = 'active', source = 'test'): number {
  const now = '2025-01-01T00:00:00.000Z';
  const info = db
    .prepare(
      `INSERT INTO contacts (uid, source, external_id, external_key, imported_at, updated_at, status)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(crypto.randomUUID(), source, externalId, externalId, now, now, status);
  return Number(info.lastInsertRowid);
}

export interface Line {
  customer: string;
  order: string;
  line?: number;
  date: string;
  amount: number;
  category?: string | null;
  channel?: string | null;
}

export function addLines(db: Db, lines: Line[], source = 'test'): Map<string, number> {
  const ids = new Map<string, number>(
    (db.prepare('SELECT external_id, id FROM contacts WHERE source = ?').raw().all(source) as Array<[string, number]>),
  );
  const insert = db.prepare(
    `INSERT INTO purchases (contact_id, source, order_ref, line_no, ordered_at, amount_minor, currency, category, channel)
     VALUES (?, ?, ?, ?, ?, ?, 'EUR', ?, ?)`,
  );
  db.transaction(() => {
    for (const l of lines) {
      let id = ids.get(l.customer);
      if (id === undefined) {
        id = addContact(db, l.customer, 'active', source);
        ids.set(l.customer, id);
      }
      insert.run(id, source, l.order, l.line ?? 1, l.date, Math.round(l.amount * 100), l.category ?? null, l.channel ?? null);
    }
  })();
  return ids;
}

export function loadPurchasesCsv(db: Db, file: string, source = 'test'): Map<string, number> {
  const [, ...rows] = fs.readFileSync(file, 'utf8').trim().split(/\r?\n/);
  return addLines(
    db,
    rows.map((row) => {
      const [customer, order, line, date, amount, category, channel] = row.split(',');
      return { customer: customer!, order: order!, line: Number(line), date: date!, amount: Number(amount), category, channel };
    }),
    source,
  );
}

/** The score options the unit tests start from: RFM in quintiles with the rfm10 map, as of 2025-06-30. */
export const baseScoreOptions: ScoreOptions = {
  asOf: '2025-06-30',
  method: 'rfm',
  bins: 5,
  binning: 'quantile',
  segmentMap: PRESETS['rfm10']!,
  segmentMapLabel: 'rfm10',
  minSupport: 0.01,
};

/**
 * As-of dates where the rollup's day-before figures decide (the day before contacts' latest line day,
 * and their line day before it), every `every`-th of them in order.
 */
export function dayBeforeEdges(db: Db, every: number): string[] {
  const edges = db.prepare(
    `SELECT date(last_line_day, '-1 day') FROM purchase_totals UNION SELECT prev_line_day FROM purchase_totals WHERE prev_line_day IS NOT NULL ORDER BY 1`,
  ).pluck().all() as string[];
  return edges.filter((_, i) => i % every === 0);
}
