import { describe, expect, it } from 'vitest';
import { cluster } from '../../src/dedupe/clustering.js';

describe('clustering', () => {
  it('joins pairs into connected components', () => {
    const clusters = cluster([{ a: 1, b: 2, probability: 0.99 }, { a: 2, b: 3, probability: 0.98 }, { a: 7, b: 8, probability: 0.97 }], 0.5, () => 0.9);
    expect(clusters.map((c) => c.members)).toEqual([[1, 2, 3], [7, 8]]);
  });

  it('splits a chain whose ends are different people', () => {
    // 1~2, 2~3, 3~4, 4~5: the centre is 3 and only 2 and 4 reach the chain threshold against it.
    const pairs = [1, 2, 3, 4].map((a) => ({ a, b: a + 1, probability: a === 2 || a === 3 ? 0.999 : 0.99 }));
    const direct = new Map([['1-3', 0.01], ['3-5', 0.02], ['1-5', 0.0]]);
    const clusters = cluster(pairs, 0.5, (a, b) => direct.get(`${Math.min(a, b)}-${Math.max(a, b)}`) ?? 0);
    expect(clusters.map((c) => c.members)).toEqual([[2, 3, 4]]);
    expect(clusters[0].centre).toBe(3);
  });

  it('clusters the members that left among themselves', () => {
    const pairs = [{ a: 1, b: 2, probability: 0.99 }, { a: 2, b: 3, probability: 0.99 }, { a: 3, b: 4, probability: 0.99 }, { a: 4, b: 5, probability: 0.99 }, { a: 5, b: 6, probability: 0.99 }, { a: 6, b: 1, probability: 0.99 }];
    // A ring of six: the centre keeps its two neighbours; the other three form their own cluster.
    const clusters = cluster(pairs, 0.5, () => 0);
    expect(clusters.flatMap((c) => c.members).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(clusters).toHaveLength(2);
  });
});
