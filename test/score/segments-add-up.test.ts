import { describe, expect, it } from 'vitest';
import { openStore, type Db } from '../../src/store/db.js';
import { scoreRun, type ScoreOptions } from '../../src/score/run.js';
import { segmentTable } from '../../src/score/report.js';
import { addContact, addLines, loadPurchasesCsv, baseScoreOptions } from './store-helpers.js';
import { fixture } from '../helpers/cli.js';

const base = baseScoreOptions;

/** The store's net revenue up to a date, from the purchase lines of the contacts a run scores. */
function netRevenue(db: Db, asOf: string): number {
  return db
    .prepare(
      `SELECT coalesce(sum(p.amount_minor), 0) FROM purchases p JOIN contacts c ON c.id = p.contact_id
       WHERE substr(p.ordered_at, 1, 10) <= ? AND c.status NOT IN ('merged', 'erased')`,
    )
    .pluck()
    .get(asOf) as number;
}

describe('the segment table adds up', () => {
  it.each(['2024-12-31', '2025-03-31', '2025-06-30'])('as of %s: segment revenues sum to the net revenue; prospects have none', (asOf) => {
    const db = openStore(':memory:');
    loadPurchasesCsv(db, fixture('score-purchases.csv'));
    // Contacts with only returns, a fully refunded order, a merged and an erased contact with purchases.
    addLines(db, [
      { customer: 'R1', order: 'R1-ret', date: '2024-06-01', amount: -239.35 },
      { customer: 'R2', order: 'R2-1', line: 1, date: '2024-07-01', amount: 80 },
      { customer: 'R2', order: 'R2-1', line: 2, date: '2024-07-09', amount: -80 },
      { customer: 'R3', order: 'R3-1', date: '2024-08-01', amount: 50 },
      { customer: 'R3', order: 'R3-ret', date: '2024-08-20', amount: -70 },
    ]);
    const merged = addContact(db, 'M1', 'merged');
    const erased = addContact(db, 'E1', 'erased');
    db.prepare("INSERT INTO purchases (contact_id, source, order_ref, line_no, ordered_at, amount_minor, currency) VALUES (?, 'test', 'M-1', 1, '2024-05-01', 999, 'EUR'), (?, 'test', 'E-1', 1, '2024-05-01', 777, 'EUR')").run(merged, erased);
    addContact(db, 'P1');

    const run = scoreRun(db, { ...base, asOf });
    const rows = segmentTable(db, run.runId);
    expect(rows.reduce((s, r) => s + r.revenueMinor, 0)).toBe(netRevenue(db, asOf));
    const prospect = rows.find((r) => r.segment === 'prospect');
    expect(prospect?.revenueMinor ?? 0).toBe(0);
    // Returns only and the fully refunded order: "no net purchase" with their own (non-positive) revenue.
    const none = rows.find((r) => r.segment === 'no net purchase')!;
    expect(none.revenueMinor).toBeLessThanOrEqual(0);
    expect(none.customers).toBe(run.noNetPurchase);
    expect(run.customers + run.prospects + run.noNetPurchase).toBe(rows.reduce((s, r) => s + r.customers, 0));
    // R3 has an order (50.00) and a larger return: a customer with negative revenue, not a prospect.
    const r3 = db.prepare("SELECT s.segment, s.monetary_minor FROM scores s JOIN contacts c ON c.id = s.contact_id WHERE c.external_id = 'R3' AND run_id = ?").get(run.runId) as { segment: string; monetary_minor: number };
    expect(r3.monetary_minor).toBe(-2000);
    expect(r3.segment).not.toBe('prospect');
  });
});
