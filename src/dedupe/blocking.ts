/**
 * Step 2, blocking: which pairs are worth comparing. Each rule names the keyed fields that must be
 * equal — the SQL equivalent is a self-join of `dedupe_keys` on those columns (`sqlCondition` prints
 * it) — and the candidates are the union of every rule, each pair once: a rule skips a pair that an
 * earlier rule already produced (Splink's way, so no set of millions of pairs is ever held).
 * The join runs in memory on the records' integer codes: as SQL over a million contacts it took
 * minutes (temp indexes plus INSERT OR IGNORE of every pair), in memory it takes seconds.
 * Blocks larger than the cap are skipped and reported: one "martin" block must not become millions of pairs.
 */
import { BLOCK_KEYS, keyCodes, type KeyName } from './block-keys.js';
import { PairIds } from './pair-ids.js';
import type { Records } from './records.js';

type Field = KeyName;

export interface BlockingRule {
  name: string;
  /** Fields that must all be equal (and present). `phones` matches when any number is shared. */
  fields: Field[];
  /** Pair this rule's fields of one contact with `swapWith` of the other (swapped names). */
  swapWith?: Field[];
  /** The key holds contact details (email, phone, SIRET): warnings never print it. */
  sensitive: boolean;
}

export const BLOCKING_RULES: readonly BlockingRule[] = [
  { name: 'same email', fields: ['email'], sensitive: true },
  { name: 'same phone', fields: ['phones'], sensitive: true },
  { name: 'surname sound + first initial + postcode', fields: ['lnPhon', 'fi', 'postal'], sensitive: false },
  { name: 'first + last name + birth date', fields: ['fn', 'ln', 'dob'], sensitive: false },
  { name: 'surname sound + birth date', fields: ['lnPhon', 'dob'], sensitive: false },
  // The next three find people whose surname changed (marriage) or was mistyped beyond its sound.
  { name: 'first name + birth date', fields: ['fn', 'dob'], sensitive: false },
  { name: 'birth date + postcode', fields: ['dob', 'postal'], sensitive: false },
  { name: 'first name + address + postcode', fields: ['fn', 'addr', 'postal'], sensitive: false },
  { name: 'same SIRET', fields: ['siret'], sensitive: true },
  { name: 'swapped first/last names + postcode', fields: ['fn', 'ln', 'postal'], swapWith: ['ln', 'fn', 'postal'], sensitive: false },
  { name: 'swapped first/last names + birth date', fields: ['fn', 'ln', 'dob'], swapWith: ['ln', 'fn', 'dob'], sensitive: false },
];

/** The rule as the SQL join condition it stands for (documentation, and a port to a database). */
export function sqlCondition(rule: BlockingRule): string {
  const right = rule.swapWith ?? rule.fields;
  return rule.fields.map((f, i) => (f === 'phones' ? 'a shared number in a.phones and b.phones' : `${BLOCK_KEYS[f].sql.replaceAll('{}', 'a')} = ${BLOCK_KEYS[right[i]].sql.replaceAll('{}', 'b')}`)).join(' AND ');
}

export interface SkippedBlock {
  rule: string;
  /** The key value, or a masked form for sensitive rules. */
  key: string;
  size: number;
}

export interface BlockingOptions {
  /** Largest block compared; bigger ones are skipped with a warning. */
  maxBlock: number;
  /** Only pairs where at least one contact id is above this (incremental `--new`). */
  newAbove?: number;
  rules?: readonly BlockingRule[];
}

export interface BlockingResult {
  pairs: number;
  /** Pairs each rule added (pairs an earlier rule found are not counted again). */
  perRule: Array<{ rule: string; pairs: number }>;
  skipped: SkippedBlock[];
}

/**
 * Typed arrays reused from rule to rule. Each new ArrayBuffer counts as external memory, and V8 runs
 * a full garbage collection every few tens of megabytes of it: allocating each rule's working arrays
 * afresh cost a dozen full collections of the whole heap at a million contacts.
 */
export class Scratch {
  private readonly buffers = new Map<string, Int32Array>();
  readonly pairIds: PairIds[] = [];

  /** A zeroed Int32Array of `length`, a view on a buffer kept under `name`. */
  get(name: string, length: number): Int32Array {
    let buffer = this.buffers.get(name);
    if (!buffer || buffer.length < length) this.buffers.set(name, (buffer = new Int32Array(Math.max(length, 1024))));
    const out = buffer.subarray(0, length);
    out.fill(0);
    return out;
  }

  /** The table for step p of a composite key, emptied. */
  steps(count: number, expected: number): PairIds[] {
    for (let p = 0; p < count; p++) {
      if (this.pairIds[p]) this.pairIds[p].clear();
      else this.pairIds[p] = new PairIds(expected);
    }
    return this.pairIds.slice(0, count);
  }
}

/**
 * Composite key ids for several fields, combined two at a time (no key string is ever built: at a
 * million contacts that was most of blocking's time and garbage). Two calls that pass the same `steps`
 * share one id space (the two sides of a swapped rule). The result is a new array: later rules keep it.
 */
function compositeIds(records: Records, fields: Field[], steps: PairIds[]): Int32Array {
  const n = records.size;
  let ids = keyCodes(records, fields[0]).codes;
  for (let p = 1; p < fields.length; p++) {
    const part = keyCodes(records, fields[p]).codes;
    const seen = steps[p - 1];
    const next = p === 1 ? new Int32Array(n) : ids; // from the second step on, update in place
    for (let i = 0; i < n; i++) {
      const a = ids[i];
      const b = part[i];
      next[i] = a < 0 || b < 0 ? -1 : seen.id(a, b);
    }
    ids = next;
  }
  return ids;
}

function mask(key: string): string {
  return `${key.slice(0, 2)}… (${key.length} characters)`;
}

/** Per-record block ids of one rule: -1 when the record has no key or its block was skipped. */
interface RuleIndex {
  rule: BlockingRule;
  left: Int32Array;
  right: Int32Array | null;
  /** For `phones`: record i's blocks are multi.blocks[multi.start[i] .. multi.start[i + 1]] (-1 = skipped). */
  multi: { start: Int32Array; blocks: Int32Array } | null;
}

/** Members of each block, flattened (block b's members are members[start[b] .. start[b + 1]]). */
interface Members {
  start: Int32Array;
  members: Int32Array;
}

function membersOf(scratch: Scratch, side: string, blocks: number, count: number, each: (visit: (record: number, block: number) => void) => void): Members {
  const start = scratch.get(`${side}.start`, blocks + 1);
  each((_, b) => start[b + 1]++);
  for (let b = 0; b < blocks; b++) start[b + 1] += start[b];
  const fill = scratch.get(`${side}.fill`, blocks);
  fill.set(start.subarray(0, blocks));
  const members = scratch.get(`${side}.members`, count);
  each((i, b) => (members[fill[b]++] = i));
  return { start, members: members.subarray(0, start[blocks]) };
}

/**
 * One rule's blocks. What is kept for the later rules' "already produced" check is one Int32Array
 * per side (a million contacts: 4 MB a rule); the members lists live in scratch buffers.
 */
function indexRule(records: Records, rule: BlockingRule, maxBlock: number, skipped: SkippedBlock[], scratch: Scratch): { ix: RuleIndex; left: Members; right: Members | null } {
  const n = records.size;
  let left: Int32Array = new Int32Array(0);
  let right: Int32Array | null = null;
  let multi: RuleIndex['multi'] = null;
  let blocks = 0;
  let describe: (id: number) => string;
  if (rule.fields[0] === 'phones') {
    // Each distinct number is a block: its code is the block id.
    multi = { start: records.phoneStart, blocks: records.phoneCodes };
    blocks = records.phoneValues.length;
    describe = (id) => records.phoneValues[id];
  } else if (rule.fields.length === 1) {
    const single = keyCodes(records, rule.fields[0]);
    left = single.codes;
    blocks = single.values.length;
  } else {
    const steps = scratch.steps(rule.fields.length - 1, n);
    left = compositeIds(records, rule.fields, steps);
    if (rule.swapWith) right = compositeIds(records, rule.swapWith, steps);
    blocks = steps[steps.length - 1].size;
  }
  describe ??= (id) => {
    // Only for warnings: a block id back to its key, read from one record that holds it.
    let i = left.indexOf(id);
    let fields = rule.fields;
    if (i < 0 && right) {
      i = right.indexOf(id);
      fields = rule.swapWith!;
    }
    return fields.map((f) => {
      const { codes, values } = keyCodes(records, f);
      return codes[i] < 0 ? '' : values[codes[i]];
    }).join('|');
  };
  const size = scratch.get('size', blocks);
  if (multi) for (let p = 0; p < multi.blocks.length; p++) size[multi.blocks[p]]++;
  else {
    for (let i = 0; i < n; i++) {
      if (left[i] >= 0) size[left[i]]++;
      if (right && right[i] >= 0) size[right[i]]++;
    }
  }
  const big = new Set<number>();
  for (let b = 0; b < blocks; b++) {
    if (size[b] <= maxBlock) continue;
    big.add(b);
    const key = describe(b);
    skipped.push({ rule: rule.name, key: rule.sensitive ? mask(key) : key, size: size[b] });
  }
  if (big.size > 0) {
    // The records' own codes must stay as they are: mark skipped blocks on a copy.
    if (multi) multi = { start: multi.start, blocks: multi.blocks.slice() };
    else if (rule.fields.length === 1) left = left.slice();
    const marked = multi ? [multi.blocks] : right ? [left, right] : [left];
    for (const side of marked) for (let i = 0; i < side.length; i++) if (side[i] >= 0 && big.has(side[i])) side[i] = -1;
  }
  const m = multi;
  const leftMembers = membersOf(scratch, 'left', blocks, m ? m.blocks.length : n, (visit) => {
    if (m) {
      for (let i = 0; i < n; i++) for (let p = m.start[i]; p < m.start[i + 1]; p++) if (m.blocks[p] >= 0) visit(i, m.blocks[p]);
    } else for (let i = 0; i < n; i++) if (left[i] >= 0) visit(i, left[i]);
  });
  const r = right;
  const rightMembers = r ? membersOf(scratch, 'right', blocks, n, (visit) => {
    for (let i = 0; i < n; i++) if (r[i] >= 0) visit(i, r[i]);
  }) : null;
  return { ix: { rule, left, right, multi }, left: leftMembers, right: rightMembers };
}

/** For a multi-valued rule: the first block (in i's order) that i and j share, or -1. */
function firstShared(multi: NonNullable<RuleIndex['multi']>, i: number, j: number): number {
  const { start, blocks } = multi;
  for (let p = start[i]; p < start[i + 1]; p++) {
    const b = blocks[p];
    if (b < 0) continue;
    for (let q = start[j]; q < start[j + 1]; q++) if (blocks[q] === b) return b;
  }
  return -1;
}

/** True when this rule (already run) produced the pair. */
function produced(ix: RuleIndex, i: number, j: number): boolean {
  if (ix.multi) return firstShared(ix.multi, i, j) >= 0;
  if (ix.right) return (ix.left[i] >= 0 && ix.left[i] === ix.right[j]) || (ix.right[i] >= 0 && ix.right[i] === ix.left[j]);
  return ix.left[i] >= 0 && ix.left[i] === ix.left[j];
}

/** Calls `emit(i, j)` once for every candidate pair (record positions, i's contact id below j's). */
export function block(records: Records, options: BlockingOptions, emit: (i: number, j: number) => void): BlockingResult {
  const rules = options.rules ?? BLOCKING_RULES;
  const skipped: SkippedBlock[] = [];
  const done: RuleIndex[] = [];
  const scratch = new Scratch();
  const perRule: BlockingResult['perRule'] = [];
  const newAbove = options.newAbove ?? 0;
  const ids = records.ids;
  let total = 0;
  for (const rule of rules) {
    const { ix, left, right } = indexRule(records, rule, options.maxBlock, skipped, scratch);
    let count = 0;
    let currentBlock = -1;
    const consider = (x: number, y: number) => {
      if (x === y) return;
      const i = ids[x] < ids[y] ? x : y;
      const j = i === x ? y : x;
      if (ids[j] <= newAbove) return;
      for (const earlier of done) if (produced(earlier, i, j)) return;
      // Within a multi-valued rule two shared numbers would give the pair twice: only the first counts.
      if (ix.multi && firstShared(ix.multi, i, j) !== currentBlock) return;
      count++;
      emit(i, j);
    };
    const blocks = left.start.length - 1;
    for (let b = 0; b < blocks; b++) {
      currentBlock = b;
      const from = left.start[b];
      const to = left.start[b + 1];
      if (right) {
        // A swapped pair sits in two mirrored blocks (x's "fn|ln" = y's "ln|fn" and the reverse): keep one.
        for (let p = from; p < to; p++) {
          const x = left.members[p];
          for (let q = right.start[b]; q < right.start[b + 1]; q++) if (ids[x] < ids[right.members[q]]) consider(x, right.members[q]);
        }
      } else {
        for (let p = from; p < to; p++) for (let q = p + 1; q < to; q++) consider(left.members[p], left.members[q]);
      }
    }
    done.push(ix);
    perRule.push({ rule: rule.name, pairs: count });
    total += count;
  }
  return { pairs: total, perRule, skipped };
}

/**
 * How many pairs `rule` would produce by itself, counted from its blocks' sizes before any pair is
 * formed (Splink's count_comparisons_from_blocking_rule): a block of n contacts gives n(n-1)/2 pairs,
 * a swapped rule's mirrored blocks L x R, blocks over `maxBlock` none. Exact for every rule but
 * `phones`, where two contacts sharing two numbers are counted twice (blocking compares them once).
 */
export function countPairs(records: Records, rule: BlockingRule, maxBlock: number, scratch = new Scratch()): number {
  const n = records.size;
  if (rule.fields[0] === 'phones') {
    const size = scratch.get('size', records.phoneValues.length);
    for (let p = 0; p < records.phoneCodes.length; p++) size[records.phoneCodes[p]]++;
    return sumPairs(size, maxBlock);
  }
  const steps = rule.fields.length > 1 ? scratch.steps(rule.fields.length - 1, n) : [];
  const left = rule.fields.length > 1 ? compositeIds(records, rule.fields, steps) : keyCodes(records, rule.fields[0]).codes;
  const blocks = rule.fields.length > 1 ? steps[steps.length - 1].size : keyCodes(records, rule.fields[0]).values.length;
  if (!rule.swapWith) {
    const size = scratch.get('size', blocks);
    for (let i = 0; i < n; i++) if (left[i] >= 0) size[left[i]]++;
    return sumPairs(size, maxBlock);
  }
  const right = compositeIds(records, rule.swapWith, steps);
  const total = steps[steps.length - 1].size;
  const l = scratch.get('left.size', total);
  const r = scratch.get('right.size', total);
  let self = 0;
  for (let i = 0; i < n; i++) {
    if (left[i] >= 0) l[left[i]]++;
    if (right[i] >= 0) r[right[i]]++;
    if (left[i] >= 0 && left[i] === right[i]) self++;
  }
  let pairs = 0;
  for (let b = 0; b < total; b++) if (l[b] + r[b] <= maxBlock) pairs += l[b] * r[b];
  // Each unordered pair sits in two mirrored blocks (or twice in one); a contact never pairs with itself.
  for (let i = 0; i < n; i++) if (left[i] >= 0 && left[i] === right[i] && l[left[i]] + r[left[i]] > maxBlock) self--;
  return (pairs - self) / 2;
}

function sumPairs(size: Int32Array, maxBlock: number): number {
  let pairs = 0;
  for (let b = 0; b < size.length; b++) if (size[b] >= 2 && size[b] <= maxBlock) pairs += (size[b] * (size[b] - 1)) / 2;
  return pairs;
}
