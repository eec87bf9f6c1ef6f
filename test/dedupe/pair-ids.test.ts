import { describe, expect, it } from 'vitest';
import { PairIds } from '../../src/dedupe/pair-ids.js';
import { rng } from '../../src/dedupe/scoring.js';

describe('PairIds', () => {
  it('numbers pairs densely in order of first sight, the same pair always getting the same id', () => {
    const ids = new PairIds();
    expect([ids.id(0, 0), ids.id(3, 7), ids.id(7, 3), ids.id(0, 0), ids.id(3, 7)]).toEqual([0, 1, 2, 0, 1]);
    expect(ids.size).toBe(3);
  });

  it('agrees with a Map through many growths, on large and colliding values', () => {
    const ids = new PairIds(4);
    const reference = new Map<string, number>();
    const random = rng(5);
    for (let n = 0; n < 200_000; n++) {
      // Few distinct a, many b, and ids near 2^26: the shapes blocking feeds it.
      const a = n % 3 === 0 ? Math.floor(random() * 8) : Math.floor(random() * 67_108_863);
      const b = Math.floor(random() * (n % 2 ? 50 : 5_000_000));
      const key = `${a},${b}`;
      if (!reference.has(key)) reference.set(key, reference.size);
      expect(ids.id(a, b)).toBe(reference.get(key));
    }
    expect(ids.size).toBe(reference.size);
  });
});
