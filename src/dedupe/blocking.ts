/**
 * Step 2, blocking: which pairs are worth comparing. Each rule names the keyed fields that must be
 * equal — the SQL equivalent is a self-join of `dedupe_keys` on those columns (`sqlCondition` prints
 * it) — and the candidates are the union of every rule, each pair once: a rule skips a pair that an
 * earlier rule already produced (Splink's way, so no set of millions of pairs is ever held).
 * The join runs as a hash join in memory: as SQL over a million contacts it took minutes
 * (temp indexes plus INSERT OR IGNORE of every pair), in memory it takes seconds.
 * Blocks larger than the cap are skipped and reported: one "martin" block must not become millions of pairs.
 */
import { PairIds } from './pair-ids.js';
import type { Records } from './records.js';

type Field = 'fn' | 'fi' | 'ln' | 'lnPhon' | 'email' | 'postal' | 'dob' | 'siret' | 'addr' | 'phones';

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

const COLUMN: Record<Field, string> = { fn: 'fn', fi: 'fi', addr: 'addr', ln: 'ln', lnPhon: 'ln_phon', email: 'email', postal: 'postal', dob: 'dob', siret: 'siret', phones: 'nsn' };

/** The rule as the SQL join condition it stands for (documentation, and a port to a database). */
export function sqlCondition(rule: BlockingRule): string {
  const right = rule.swapWith ?? rule.fields;
  return rule.fields.map((f, i) => (f === 'phones' ? 'a shared number in a.phones and b.phones' : `a.${COLUMN[f]} = b.${COLUMN[right[i]]}`)).join(' AND ');
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

/** Each field's values as dense integer ids (-1 = empty), computed once per blocking run. */
interface IdCache {
  fields: Map<Field, Int32Array>;
  /** First and last names share one id space, so a swapped name finds its mirror. */
  names: Map<string, number>;
}

function fieldIds(records: Records, field: Field, cache: IdCache): Int32Array {
  const known = cache.fields.get(field);
  if (known) return known;
  const values = records[field] as Array<string | null>;
  const space = field === 'fn' || field === 'ln' ? cache.names : new Map<string, number>();
  const ids = new Int32Array(records.size);
  for (let i = 0; i < records.size; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      ids[i] = -1;
      continue;
    }
    let id = space.get(v);
    if (id === undefined) space.set(v, (id = space.size));
    ids[i] = id;
  }
  cache.fields.set(field, ids);
  return ids;
}

/**
 * Composite key ids for several fields, combined two at a time (no key string is ever built: at a
 * million contacts that was most of blocking's time and garbage). Two calls that pass the same `steps`
 * share one id space (the two sides of a swapped rule).
 */
function compositeIds(records: Records, fields: Field[], cache: IdCache, steps: PairIds[]): Int32Array {
  let ids = fieldIds(records, fields[0], cache);
  for (let p = 1; p < fields.length; p++) {
    const part = fieldIds(records, fields[p], cache);
    const seen = (steps[p - 1] ??= new PairIds(records.size));
    const next = new Int32Array(records.size);
    for (let i = 0; i < records.size; i++) {
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
  /** For `phones`: every block id a record belongs to. */
  multi: Array<number[] | null> | null;
}

/** Members of each block, flattened (block b's members are members[start[b] .. start[b + 1]]). */
interface Members {
  start: Int32Array;
  members: Int32Array;
}

function membersOf(blocks: number, each: (visit: (record: number, block: number) => void) => void): Members {
  const start = new Int32Array(blocks + 1);
  each((_, b) => start[b + 1]++);
  for (let b = 0; b < blocks; b++) start[b + 1] += start[b];
  const fill = start.slice(0, blocks);
  const members = new Int32Array(start[blocks]);
  each((i, b) => (members[fill[b]++] = i));
  return { start, members };
}

/**
 * One rule's blocks. The key strings live only while the rule is indexed; what is kept for the later
 * rules' "already produced" check is one Int32Array per side (a million contacts: 4 MB a rule).
 */
function indexRule(records: Records, rule: BlockingRule, maxBlock: number, skipped: SkippedBlock[], cache: IdCache): { ix: RuleIndex; left: Members; right: Members | null } {
  const n = records.size;
  let left: Int32Array = new Int32Array(0);
  let right: Int32Array | null = null;
  let multi: Array<number[] | null> | null = null;
  let blocks = 0;
  let describe: (id: number) => string;
  if (rule.fields[0] === 'phones') {
    const seen = new Map<string, number>();
    const keys: string[] = [];
    multi = new Array<number[] | null>(n).fill(null);
    for (let i = 0; i < n; i++) {
      const phones = records.phones[i];
      if (!phones) continue;
      multi[i] = phones.map((p) => {
        let id = seen.get(p);
        if (id === undefined) {
          seen.set(p, (id = keys.length));
          keys.push(p);
        }
        return id;
      });
    }
    blocks = keys.length;
    describe = (id) => keys[id];
  } else {
    const steps: PairIds[] = [];
    left = compositeIds(records, rule.fields, cache, steps);
    if (rule.swapWith) right = compositeIds(records, rule.swapWith, cache, steps);
    for (const side of [left, right]) if (side) for (const id of side) if (id >= blocks) blocks = id + 1;
    // Only for warnings: a block id back to its key, read from one record that holds it.
    describe = (id) => {
      let i = left.indexOf(id);
      let fields = rule.fields;
      if (i < 0 && right) {
        i = right.indexOf(id);
        fields = rule.swapWith!;
      }
      return fields.map((f) => (records[f] as Array<string | null>)[i]).join('|');
    };
  }
  const size = new Int32Array(blocks);
  for (let i = 0; i < n; i++) {
    if (multi) multi[i]?.forEach((b) => size[b]++);
    else {
      if (left[i] >= 0) size[left[i]]++;
      if (right && right[i] >= 0) size[right[i]]++;
    }
  }
  const big = new Uint8Array(blocks);
  for (let b = 0; b < blocks; b++) {
    if (size[b] <= maxBlock) continue;
    big[b] = 1;
    const key = describe(b);
    skipped.push({ rule: rule.name, key: rule.sensitive ? mask(key) : key, size: size[b] });
  }
  if (skipped.length > 0) {
    if (!multi && rule.fields.length === 1) left = left.slice(); // the cached field ids must stay as they are
    for (let i = 0; i < n; i++) {
      if (multi) {
        if (multi[i]) multi[i] = multi[i]!.filter((b) => !big[b]);
        continue;
      }
      if (left[i] >= 0 && big[left[i]]) left[i] = -1;
      if (right && right[i] >= 0 && big[right[i]]) right[i] = -1;
    }
  }
  const leftMembers = membersOf(blocks, (visit) => {
    for (let i = 0; i < n; i++) {
      if (multi) multi[i]?.forEach((b) => visit(i, b));
      else if (left[i] >= 0) visit(i, left[i]);
    }
  });
  const r = right;
  const rightMembers = r ? membersOf(blocks, (visit) => {
    for (let i = 0; i < n; i++) if (r[i] >= 0) visit(i, r[i]);
  }) : null;
  return { ix: { rule, left, right, multi }, left: leftMembers, right: rightMembers };
}

/** True when this rule (already run) produced the pair. */
function produced(ix: RuleIndex, i: number, j: number): boolean {
  if (ix.multi) {
    const a = ix.multi[i];
    const b = ix.multi[j];
    return a !== null && b !== null && a.some((x) => b.includes(x));
  }
  if (ix.right) return (ix.left[i] >= 0 && ix.left[i] === ix.right[j]) || (ix.right[i] >= 0 && ix.right[i] === ix.left[j]);
  return ix.left[i] >= 0 && ix.left[i] === ix.left[j];
}

/** Calls `emit(i, j)` once for every candidate pair (record positions, i's contact id below j's). */
export function block(records: Records, options: BlockingOptions, emit: (i: number, j: number) => void): BlockingResult {
  const rules = options.rules ?? BLOCKING_RULES;
  const skipped: SkippedBlock[] = [];
  const done: RuleIndex[] = [];
  const cache: IdCache = { fields: new Map(), names: new Map() };
  const perRule: BlockingResult['perRule'] = [];
  const newAbove = options.newAbove ?? 0;
  const ids = records.ids;
  let total = 0;
  for (const rule of rules) {
    const { ix, left, right } = indexRule(records, rule, options.maxBlock, skipped, cache);
    let count = 0;
    let currentBlock = -1;
    const consider = (x: number, y: number) => {
      if (x === y) return;
      const i = ids[x] < ids[y] ? x : y;
      const j = i === x ? y : x;
      if (ids[j] <= newAbove) return;
      for (const earlier of done) if (produced(earlier, i, j)) return;
      // Within a multi-valued rule two shared numbers would give the pair twice: only the first counts.
      if (ix.multi && ix.multi[i]!.find((b) => ix.multi![j]!.includes(b)) !== currentBlock) return;
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
