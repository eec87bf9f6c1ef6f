/**
 * The channel rules for email, sms and phone, applied to each candidate the statement of select.ts
 * streams: not suppressed, the person's current consent granted, and one row per address (the most
 * recently updated candidate). In SQL each costs an index seek (or a SHA-256 through a JS function) per
 * row, and a large export pays that hundreds of thousands of times; here they are memory lookups:
 *
 * - suppressions: the hashes of the channel's key type, and of opposition / erased for the person's
 *   other identifiers, read once; an address is hashed only when a suppression of its type exists;
 * - consent: every contact's own current choice for the channel, read in bulk from the consents index
 *   into one byte per contact (consents.ts, bulk.ts);
 * - addresses shared by several records that can be exported (a minority, before or after dedupe), with
 *   their records' ids: read in bulk from the address index, with the person's choice there (the latest
 *   across those records); a record at such an address is checked for a more recently updated rival
 *   candidate by one indexed query. An address shared only with merged or erased records that hold no
 *   consent for the channel is its live record's alone (bulk.ts, contestedAddresses). Consents the bulk
 *   read cannot order go to the exact SQL rule.
 *
 * Small exports never pay for a bulk read: the first rows are decided by the exact rule, and the bulk
 * structures are read once an export has shown it is large compared with the store.
 */
import type { Statement } from '../store/db.js';
import type { Db } from '../store/db.js';
import { maxContactId, readBulk, type BulkRules } from './bulk.js';
import { ASK, GRANTED } from './consents.js';
import { emailHash, sha256Hex } from './digests.js';
import { ROW_ID, ROW_KEY, ROW_PERSON, type GateSpec } from './select.js';

/** What the channel rules make of a selected row (gate.decide): the funnel's steps, by index. */
export const KEPT = 0;
export const NO_ADDRESS = 1;
export const NO_CONSENT = 2;
export const SUPPRESSED = 3;
export const SAME_ADDRESS = 4;
/** Kept by every channel rule, but already sent the most campaigns the pressure cap allows in its period. */
export const PRESSURED = 5;
export type Reason = typeof KEPT | typeof NO_ADDRESS | typeof NO_CONSENT | typeof SUPPRESSED | typeof SAME_ADDRESS | typeof PRESSURED;
/** One count per reason. */
export type ReasonCounts = [number, number, number, number, number, number];

export function noReasons(): ReasonCounts {
  return [0, 0, 0, 0, 0, 0];
}

/** Suppression lists up to this size are held in memory (~100 bytes a hash); longer ones are probed by index. */
const IN_MEMORY_SUPPRESSIONS = 250_000;

/** Where the gate switches strategy; the defaults suit every store, tests move them to reach each path. */
export interface GateTuning {
  /** Rows decided by the exact rule before the bulk reads (default: from the store's size). */
  bulkFrom?: number;
  /** Longest suppression list held in memory. */
  inMemorySuppressions?: number;
}

/**
 * SHA-256 hex digests held in memory: an open-addressing table of their first 32 bits, each hit
 * confirmed on the whole digest. A Set of 64-character strings hashes every looked-up string in full,
 * which cost as much as computing the SHA-256 itself.
 */
export class DigestSet {
  private readonly slots: Int32Array;
  private readonly prefixes: Int32Array;
  private readonly mask: number;

  constructor(private readonly digests: string[]) {
    let size = 16;
    while (size < digests.length * 2) size *= 2;
    this.slots = new Int32Array(size);
    this.prefixes = new Int32Array(size);
    this.mask = size - 1;
    digests.forEach((digest, i) => {
      const prefix = DigestSet.prefix(digest);
      let slot = prefix & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = i + 1;
      this.prefixes[slot] = prefix;
    });
  }

  /** The first 8 characters read as hex (any other character still gives a number: hits are confirmed). */
  private static prefix(digest: string): number {
    let value = 0;
    for (let i = 0; i < 8; i++) {
      const c = digest.charCodeAt(i);
      value = (value << 4) | ((c <= 57 ? c - 48 : (c | 32) - 87) & 15);
    }
    return value;
  }

  has(digest: string): boolean {
    const prefix = DigestSet.prefix(digest);
    for (let slot = prefix & this.mask; this.slots[slot] !== 0; slot = (slot + 1) & this.mask) {
      if (this.prefixes[slot] === prefix && this.digests[this.slots[slot]! - 1] === digest) return true;
    }
    return false;
  }
}

/** Hashes of one key type, in memory or probed through the unique (hash, kind) index. */
class HashList {
  private readonly set: DigestSet | null;
  private readonly probe: Statement | null;

  private constructor(db: Db, where: string, inMemory: number) {
    const n = (db.prepare(`SELECT count(*) AS n FROM suppressions WHERE ${where}`).get() as { n: number }).n;
    this.set = n > 0 && n <= inMemory ? new DigestSet(db.prepare(`SELECT hash FROM suppressions WHERE ${where}`).pluck().all() as string[]) : null;
    this.probe = n > inMemory ? db.prepare(`SELECT 1 FROM suppressions WHERE hash = ? AND ${where}`).pluck() : null;
  }

  /** Null when no suppression matches `where`: nothing to hash. */
  static read(db: Db, where: string, inMemory: number): HashList | null {
    const list = new HashList(db, where, inMemory);
    return list.set || list.probe ? list : null;
  }

  has(hash: string): boolean {
    return this.set ? this.set.has(hash) : this.probe!.get(hash) !== undefined;
  }
}

/** Whether a record is suppressed on the channel, from the row's address and identifiers. */
class Suppressions {
  private readonly key: HashList | null;
  private readonly personEmail: HashList | null;
  private readonly personPhone: HashList | null;

  constructor(
    db: Db,
    private readonly spec: GateSpec,
    inMemory: number,
  ) {
    // key_type and kind are CHECK-constrained literals: no user text in these conditions.
    this.key = HashList.read(db, `key_type = '${spec.keyType}'`, inMemory);
    this.personEmail = spec.personKeys ? HashList.read(db, "key_type = 'email' AND kind IN ('erased', 'opposition')", inMemory) : null;
    this.personPhone = spec.personKeys ? HashList.read(db, "key_type = 'phone' AND kind IN ('erased', 'opposition')", inMemory) : null;
  }

  /** The hash of the row's address when suppressed() computed it (reused for the export's members). */
  lastKeyHash: string | null = null;

  suppressed(row: unknown[]): boolean {
    const key = row[ROW_KEY];
    this.lastKeyHash = null;
    if (this.key && typeof key === 'string' && key !== '') {
      this.lastKeyHash = this.spec.keyType === 'email' ? emailHash(key) : sha256Hex(key);
      if (this.key.has(this.lastKeyHash)) return true;
    }
    if (this.personEmail) {
      const email = row[ROW_PERSON];
      if (typeof email === 'string' && email !== '' && this.personEmail.has(emailHash(email))) return true;
    }
    if (this.personPhone) {
      // sms is usually the mobile: hash each distinct number once.
      let previous: unknown = null;
      for (let i = ROW_PERSON + 1; i <= ROW_PERSON + 3; i++) {
        const phone = row[i];
        if (typeof phone !== 'string' || phone === '' || phone === previous) continue;
        if (this.personPhone.has(sha256Hex(phone))) return true;
        previous = phone;
      }
    }
    return false;
  }
}

export class ChannelGate {
  private readonly suppressions: Suppressions;
  private readonly consent: Statement | null;
  private readonly rival: Statement;
  private readonly bulkFrom: number;
  private decided = 0;
  private bulk: BulkRules | 'exact' | null;

  /** `bulk`: read already (by export workers), or 'exact' when that read failed; else read here once the export is large. */
  constructor(
    private readonly db: Db,
    private readonly spec: GateSpec,
    tuning: GateTuning = {},
    bulk: BulkRules | 'exact' | null = null,
  ) {
    this.suppressions = new Suppressions(db, spec, tuning.inMemorySuppressions ?? IN_MEMORY_SUPPRESSIONS);
    this.consent = spec.consentSql === null ? null : db.prepare(spec.consentSql).pluck();
    this.rival = db.prepare(spec.rivalSql).pluck();
    this.bulk = bulk;
    // Reading in bulk costs about as much as the exact rule for 1 row in 20 of the store: switch once
    // the export has shown it is not small (a few percent extra at most for a mid-size one).
    this.bulkFrom = bulk ? 0 : (tuning.bulkFrom ?? Math.max(2_000, Math.floor(maxContactId(db) / 200)));
  }

  private consentGranted(id: number): boolean {
    return this.consent === null || this.consent.get(id) !== undefined;
  }

  private outranked(id: number): boolean {
    return this.rival.get(id, ...this.spec.rivalParams) !== undefined;
  }

  /**
   * What becomes of a selected row: KEPT, or the first rule it fails, in the funnel's order (no
   * address, no consent, suppressed, another record holds the address, the pressure cap). Each rule is
   * read only when the ones before it passed, so a row is counted once, at the step that removed it.
   */
  decide(row: unknown[]): Reason {
    this.suppressions.lastKeyHash = null;
    const reason = this.channelRules(row);
    const pressured = this.spec.pressured;
    if (reason !== KEPT || pressured === null) return reason;
    const id = row[ROW_ID] as number;
    return id < pressured.length && pressured[id] === 1 ? PRESSURED : KEPT;
  }

  private channelRules(row: unknown[]): Reason {
    const key = row[ROW_KEY];
    if (key === null || key === '') return NO_ADDRESS;
    const id = row[ROW_ID] as number;
    if (this.decided < this.bulkFrom) this.decided++;
    // Read while the statement streams: the same snapshot of the store as its rows. An unexpected
    // value leaves every row to the exact rule, as for a small export.
    else if (!this.bulk) this.bulk = readBulk(this.db, this.spec) ?? 'exact';
    const bulk = this.bulk;
    // A contact added after the bulk read (not in it) is decided exactly.
    if (!bulk || bulk === 'exact' || id >= bulk.groupOf.length) {
      if (!this.consentGranted(id)) return NO_CONSENT;
      if (this.suppressions.suppressed(row)) return SUPPRESSED;
      return this.outranked(id) ? SAME_ADDRESS : KEPT;
    }
    const group = bulk.groupOf[id]!;
    if (group !== 0) {
      if (bulk.groupConsent) {
        const choice = bulk.groupConsent[group - 1]!;
        if (choice === ASK ? !this.consentGranted(id) : choice !== GRANTED) return NO_CONSENT;
      }
      if (this.suppressions.suppressed(row)) return SUPPRESSED;
      return this.outranked(id) ? SAME_ADDRESS : KEPT;
    }
    // One record holds the address: no rival, and the person's consent is the record's own (checked
    // first: a withdrawn address needs no hashing).
    if (bulk.states) {
      const state = bulk.states[id]!;
      if (state === ASK ? !this.consentGranted(id) : state !== GRANTED) return NO_CONSENT;
    }
    return this.suppressions.suppressed(row) ? SUPPRESSED : KEPT;
  }

  /**
   * The SHA-256 of a kept row's address, as export_members keeps it: the one the suppression check
   * computed for the row just decided, when it did (no second hash), else computed here.
   */
  keyHash(row: unknown[]): string {
    const cached = this.suppressions.lastKeyHash;
    if (cached !== null) return cached;
    const key = row[ROW_KEY] as string;
    return this.spec.keyType === 'email' ? emailHash(key) : sha256Hex(key);
  }

  /** Whether a selected row leaves. */
  keep(row: unknown[]): boolean {
    return this.decide(row) === KEPT;
  }
}
