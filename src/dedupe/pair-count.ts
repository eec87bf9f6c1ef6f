/**
 * Pair counts of many blocking rules from key frequencies, cheaply (rule choice counts ~66 candidates
 * before choosing). blocking.ts countPairs builds each rule's composite key through a hash table of
 * (code, code) pairs, a million hash look-ups per key per rule at a million contacts: 4-8 s of a dry
 * run at 200,000 contacts on a loaded machine. Here:
 * - the records are sorted once by the rule's first key (a counting sort: codes are dense integers),
 *   and that order is shared by every rule with the same first key (rules are counted grouped by it);
 * - within each block of the first key, the next key's values are tallied in a scratch array indexed
 *   by code and reset by walking the block again (no hashing, no allocation per rule);
 * - a rule of three keys or more refines the blocks key by key the same way.
 * The counts are exactly countPairs' (tested rule for rule); swapped-name rules, which pair one side's
 * key with the other's, are left to countPairs.
 */
import { keyCodes, type KeyName } from './block-keys.js';
import { countPairs, Scratch, type BlockingRule } from './blocking.js';
import type { Records } from './records.js';

/** Records grouped by one key: block b's records are order[start[b] .. start[b + 1]]. */
interface Sorted {
  start: Int32Array;
  order: Int32Array;
}

export class PairCounter {
  private readonly scratch = new Scratch();
  private sortedBy: { key: KeyName; sorted: Sorted } | null = null;

  constructor(private readonly records: Records, private readonly maxBlock: number) {}

  /** Each rule's pair count, in the order given. */
  countAll(rules: readonly BlockingRule[]): number[] {
    const out = new Array<number>(rules.length);
    const order = rules.map((_, i) => i).sort((x, y) => rules[x].fields[0].localeCompare(rules[y].fields[0]));
    for (const i of order) out[i] = this.count(rules[i]);
    this.sortedBy = null;
    return out;
  }

  count(rule: BlockingRule): number {
    if (rule.swapWith || rule.fields[0] === 'phones' || rule.fields.includes('phones')) return countPairs(this.records, rule, this.maxBlock, this.scratch);
    const first = keyCodes(this.records, rule.fields[0]);
    if (rule.fields.length === 1) return this.sizes(first.codes, first.values.length);
    let sorted = this.sort(rule.fields[0], first.codes, first.values.length);
    // Keys between the first and the last refine the blocks; the last is tallied within them.
    for (let f = 1; f < rule.fields.length - 1; f++) {
      const next = keyCodes(this.records, rule.fields[f]);
      sorted = this.refine(sorted, next.codes, next.values.length);
    }
    const last = keyCodes(this.records, rule.fields[rule.fields.length - 1]);
    return this.tally(sorted, last.codes, last.values.length);
  }

  /** Pairs of a single key: n(n-1)/2 per value held by 2 to maxBlock records. */
  private sizes(codes: Int32Array, values: number): number {
    const size = this.scratch.get('count.size', values);
    for (let i = 0; i < codes.length; i++) if (codes[i] >= 0) size[codes[i]]++;
    let pairs = 0;
    for (let v = 0; v < values; v++) if (size[v] >= 2 && size[v] <= this.maxBlock) pairs += (size[v] * (size[v] - 1)) / 2;
    return pairs;
  }

  /** Records holding the key, grouped by its value (counting sort), kept for the next rule with the same first key. */
  private sort(key: KeyName, codes: Int32Array, values: number): Sorted {
    if (this.sortedBy?.key === key) return this.sortedBy.sorted;
    const start = new Int32Array(values + 1);
    for (let i = 0; i < codes.length; i++) if (codes[i] >= 0) start[codes[i] + 1]++;
    for (let v = 0; v < values; v++) start[v + 1] += start[v];
    const fill = start.slice(0, values);
    const order = new Int32Array(start[values]);
    for (let i = 0; i < codes.length; i++) if (codes[i] >= 0) order[fill[codes[i]]++] = i;
    const sorted = { start, order };
    this.sortedBy = { key, sorted };
    return sorted;
  }

  /** Blocks split by a further key (records without it leave), in the same layout. */
  private refine(blocks: Sorted, codes: Int32Array, values: number): Sorted {
    const seen = this.scratch.get('count.seen', values).fill(-1);
    const start: number[] = [0];
    const order = new Int32Array(blocks.order.length);
    let placed = 0;
    const count = this.scratch.get('count.sub', blocks.order.length + 1);
    for (let b = 0; b + 1 < blocks.start.length; b++) {
      const from = blocks.start[b];
      const to = blocks.start[b + 1];
      if (to - from < 2) continue;
      // Sub-blocks of this block, numbered in order of first sight; then a counting sort into them.
      let subs = 0;
      for (let p = from; p < to; p++) {
        const v = codes[blocks.order[p]];
        if (v < 0) continue;
        if (seen[v] < 0) {
          seen[v] = subs;
          count[subs++] = 0;
        }
        count[seen[v]]++;
      }
      for (let s = 0; s < subs; s++) {
        const n = count[s];
        count[s] = placed;
        placed += n;
        start.push(placed);
      }
      for (let p = from; p < to; p++) {
        const v = codes[blocks.order[p]];
        if (v >= 0) order[count[seen[v]]++] = blocks.order[p];
      }
      for (let p = from; p < to; p++) {
        const v = codes[blocks.order[p]];
        if (v >= 0) seen[v] = -1;
      }
    }
    return { start: Int32Array.from(start), order: order.subarray(0, placed) };
  }

  /** Pairs of the blocks split by the last key: per block, its values tallied in a scratch array. */
  private tally(blocks: Sorted, codes: Int32Array, values: number): number {
    const tally = this.scratch.get('count.tally', values);
    let pairs = 0;
    for (let b = 0; b + 1 < blocks.start.length; b++) {
      const from = blocks.start[b];
      const to = blocks.start[b + 1];
      if (to - from < 2) continue;
      for (let p = from; p < to; p++) {
        const v = codes[blocks.order[p]];
        if (v >= 0) tally[v]++;
      }
      for (let p = from; p < to; p++) {
        const v = codes[blocks.order[p]];
        if (v < 0 || tally[v] === 0) continue;
        const n = tally[v];
        if (n >= 2 && n <= this.maxBlock) pairs += (n * (n - 1)) / 2;
        tally[v] = 0;
      }
    }
    return pairs;
  }
}
