import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';
import { OrderLineCounter } from '../../src/store/order-lines.js';

describe('OrderLineCounter (line numbers of a line-level export without a line column)', () => {
  it('numbers each order 1, 2, 3… in file order, also when its lines come back after many other orders', () => {
    const db = openStore(':memory:');
    db.exec('BEGIN');
    const counter = new OrderLineCounter(db);
    const expected = new Map<string, number>();
    const check = (orderRef: string): void => {
      const line = (expected.get(orderRef) ?? 0) + 1;
      expected.set(orderRef, line);
      expect(counter.next(orderRef)).toBe(line);
    };
    // Contiguous orders (the common export), then 30,000 orders visited round-robin three times: far more
    // than are kept in memory, so lines of orders written out are read back.
    for (let order = 0; order < 5000; order++) for (let line = 0; line < 3; line++) check(`A${order}`);
    for (let pass = 0; pass < 3; pass++) for (let order = 0; order < 30_000; order++) check(`B${order}`);
    check('A17');
    expect(counter.next('B29999')).toBe(4);
    counter.close();
    expect(db.prepare("SELECT count(*) FROM temp.sqlite_master WHERE name = 'import_order_lines'").pluck().get()).toBe(0);
    // A new file starts from line 1 again.
    expect(new OrderLineCounter(db).next('A17')).toBe(1);
    db.exec('COMMIT');
    db.close();
  });
});
