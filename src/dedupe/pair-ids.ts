/**
 * Dense ids for pairs of small non-negative integers: (a, b) -> 0, 1, 2... in order of first sight.
 * Blocking combines per-field value ids two at a time with it. A `Map` keyed by `a * 2^26 + b` did
 * the same, but those keys are heap numbers (above 2^31): at a million contacts the maps took most of
 * blocking's time and garbage. This is an open-addressing table over typed arrays: no allocation per
 * entry, 12 bytes a slot.
 */
/** Both halves mixed into every bit (murmur3's finaliser), so the low bits can index the table. */
function hash(a: number, b: number): number {
  let h = (Math.imul(a, 0x9e3779b1) + b) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export class PairIds {
  private keysA: Int32Array;
  private keysB: Int32Array;
  private values: Int32Array;
  private mask: number;
  size = 0;

  /** `expected`: about how many distinct pairs will be seen (the table grows past it if needed). */
  constructor(expected = 1024) {
    let capacity = 1024;
    while (capacity < expected * 2) capacity *= 2;
    this.mask = capacity - 1;
    this.keysA = new Int32Array(capacity).fill(-1);
    this.keysB = new Int32Array(capacity);
    this.values = new Int32Array(capacity);
  }

  /** The id of (a, b), assigning the next one when the pair is new. a and b must be >= 0. */
  id(a: number, b: number): number {
    const mask = this.mask;
    let slot = hash(a, b) & mask;
    for (;;) {
      const k = this.keysA[slot];
      if (k === -1) break;
      if (k === a && this.keysB[slot] === b) return this.values[slot];
      slot = (slot + 1) & mask;
    }
    this.keysA[slot] = a;
    this.keysB[slot] = b;
    const id = this.size++;
    this.values[slot] = id;
    // Linear probing slows down past half full: double and re-place every entry.
    if (this.size * 2 > this.mask) this.grow();
    return id;
  }

  /** Forgets every pair, keeping the table's size (blocking reuses one table from rule to rule). */
  clear(): void {
    this.keysA.fill(-1);
    this.size = 0;
  }

  private grow(): void {
    const { keysA, keysB, values } = this;
    const capacity = (this.mask + 1) * 2;
    this.mask = capacity - 1;
    this.keysA = new Int32Array(capacity).fill(-1);
    this.keysB = new Int32Array(capacity);
    this.values = new Int32Array(capacity);
    for (let s = 0; s < keysA.length; s++) {
      const a = keysA[s];
      if (a === -1) continue;
      let slot = hash(a, keysB[s]) & this.mask;
      while (this.keysA[slot] !== -1) slot = (slot + 1) & this.mask;
      this.keysA[slot] = a;
      this.keysB[slot] = keysB[s];
      this.values[slot] = values[s];
    }
  }
}
