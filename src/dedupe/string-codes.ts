/**
 * Codes for strings: each distinct value gets the next integer, in order of first sight, and `values`
 * lists them. Records use it for every key field; for a million emails or phone numbers a Map from
 * string to code spent most of loading in its own growth and in the collector, where this keeps
 * one Int32Array of slots (open addressing) beside the list.
 */
export class StringCodes {
  readonly values: string[];
  private slots: Int32Array;
  private mask: number;

  /** `values` may be shared with another StringCodes' reader, but only this one adds to it. */
  constructor(values: string[] = [], expected = 1024) {
    this.values = values;
    let capacity = 1024;
    while (capacity < expected * 2) capacity *= 2;
    this.mask = capacity - 1;
    this.slots = new Int32Array(capacity).fill(-1);
  }

  code(value: string): number {
    const values = this.values;
    let slot = hash(value) & this.mask;
    for (;;) {
      const code = this.slots[slot];
      if (code === -1) break;
      if (values[code] === value) return code;
      slot = (slot + 1) & this.mask;
    }
    const code = values.length;
    values.push(value);
    this.slots[slot] = code;
    if (values.length * 2 > this.mask) this.grow();
    return code;
  }

  private grow(): void {
    this.mask = this.mask * 2 + 1;
    this.slots = new Int32Array(this.mask + 1).fill(-1);
    for (let code = 0; code < this.values.length; code++) {
      let slot = hash(this.values[code]) & this.mask;
      while (this.slots[slot] !== -1) slot = (slot + 1) & this.mask;
      this.slots[slot] = code;
    }
  }
}

/** FNV-1a over the UTF-16 code units, then mixed so the low bits index well. */
function hash(value: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) h = Math.imul(h ^ value.charCodeAt(i), 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 12);
}
