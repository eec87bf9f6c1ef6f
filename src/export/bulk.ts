/**
 * What the channel rules of a large export read in bulk (gate.ts): the addresses several records share,
 * the person's current consent at each of them, and every contact's own current consent. All typed
 * arrays, so that export workers can build them in parts and share them (SharedArrayBuffer) instead of
 * each reading them again.
 */
import type { Db, Statement } from '../store/db.js';
import { ASK, GRANTED, laterConsent, NO_CONSENT, readConsentStates, readLatestConsents, WITHDRAWN } from './consents.js';
import type { GateSpec } from './select.js';

/**
 * Addresses held by more than one record (any status), as groups of those records' ids, from the
 * address index: read as one text value ("3,4;17,18,90;..."), so no row object nor address string is
 * made per group, and a row finds its group by its contact id.
 */
export interface SharedAddresses {
  /** 1 + the group of each contact id at a shared address (0: the only record at its address). */
  groupOf: Int32Array;
  /** The ids of group g (groupOf = g + 1) are ids[starts[g]] up to, not including, ids[starts[g + 1]]. */
  starts: Int32Array;
  ids: Int32Array;
}

export interface BulkRules extends SharedAddresses {
  /** Per group: the person's current choice across its records (GRANTED, WITHDRAWN for anything else, or ASK). Null when consent is not checked. */
  groupConsent: Uint8Array | null;
  /** Per contact id: its own current choice (consents.ts states). Null when consent is not checked. */
  states: Uint8Array | null;
}

/** Typed arrays on memory other threads can be given (`shared`), or the thread's own. */
function int32s(length: number, shared: boolean): Int32Array {
  return shared ? new Int32Array(new SharedArrayBuffer(length * 4)) : new Int32Array(length);
}

export function bytes(length: number, shared: boolean): Uint8Array {
  return shared ? new Uint8Array(new SharedArrayBuffer(length)) : new Uint8Array(length);
}

export function maxContactId(db: Db): number {
  return (db.prepare('SELECT max(id) AS n FROM contacts').get() as { n: number | null }).n ?? 0;
}

/** The shared addresses on the `lookup` column; null when the text is not as expected. */
export function readSharedAddresses(db: Db, lookup: string, maxId: number, shared = false): SharedAddresses | null {
  const text = db
    .prepare(`SELECT group_concat(ids, ';') FROM (SELECT group_concat(id) AS ids FROM contacts WHERE ${lookup} IS NOT NULL GROUP BY ${lookup} HAVING count(*) > 1)`)
    .pluck()
    .get() as string | null;
  const groupOf = int32s(maxId + 1, shared);
  const starts: number[] = [0];
  const ids: number[] = [];
  if (text !== null) {
    let id = 0;
    let digits = 0;
    for (let i = 0; i <= text.length; i++) {
      const c = i < text.length ? text.charCodeAt(i) : 59; // a last ';' closes the last group
      if (c >= 48 && c <= 57) {
        id = id * 10 + (c - 48);
        digits++;
        continue;
      }
      if ((c !== 44 && c !== 59) || digits === 0 || id > maxId) return null;
      ids.push(id);
      groupOf[id] = starts.length;
      if (c === 59) starts.push(ids.length);
      id = 0;
      digits = 0;
    }
  }
  const startsOut = int32s(starts.length, shared);
  startsOut.set(starts);
  const idsOut = int32s(ids.length, shared);
  idsOut.set(ids);
  return { groupOf, starts: startsOut, ids: idsOut };
}

/** Ids from a group_concat of ids ("3,4,17"), marked in `marks`; false when the text is not as expected. */
function markIds(text: string | null, marks: Uint8Array): boolean {
  if (text === null) return true;
  let id = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 44;
    if (c >= 48 && c <= 57) {
      id = id * 10 + (c - 48);
      digits++;
      continue;
    }
    if (c !== 44 || digits === 0 || id >= marks.length) return false;
    marks[id] = 1;
    id = 0;
    digits = 0;
  }
  return true;
}

/** Marks `ids` in `marks`; false when one is out of its bounds. */
export function markAll(ids: ArrayLike<number>, marks: Uint8Array): boolean {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id < 0 || id >= marks.length) return false;
    marks[id] = 1;
  }
  return true;
}

/** Ids per query when probing the consents of records by id. */
const PROBE = 1 << 15;

/** A merged or erased record: never a candidate, so never a rival (gate.ts). */
const DEAD = "status IN ('merged', 'erased')";

/** Of `ids`, those with a consent row for `channel`, marked in `marks`; false when the text is not as expected. */
function markConsenting(db: Db, channel: string, ids: number[], marks: Uint8Array): boolean {
  const probe = db.prepare('SELECT group_concat(DISTINCT contact_id) FROM consents WHERE channel = ? AND contact_id IN (SELECT value FROM json_each(?))').pluck();
  for (let i = 0; i < ids.length; i += PROBE) {
    if (!markIds(probe.get(channel, JSON.stringify(ids.slice(i, i + PROBE))) as string | null, marks)) return false;
  }
  return true;
}

/**
 * One pass over a chunk of contacts (status is not indexed) for two things export workers need before
 * the rows: the contacts that need validating (`staleSql`, validate/staleness.ts, its parameter first,
 * then the chunk's first id and the next chunk's) and the merged or erased records, for
 * contestedAddresses. Read apart, each was a pass over the whole table.
 */
export function contactsScanSql(staleSql: string): string {
  return `SELECT count(*) FILTER (WHERE ${staleSql}), group_concat(id) FILTER (WHERE ${DEAD}) FROM contacts WHERE id >= ? AND id < ?`;
}

/** What a worker's part of the scan found: records needing validation, merged or erased records, and those of them with a consent row for the channel. */
export interface ContactsScan {
  stale: number;
  /** Null when some text was not as expected (every row then takes the exact rule). */
  dead: Int32Array | null;
  /** Null when consent is not checked. */
  deadConsenting: Int32Array | null;
}

/**
 * Scans the chunks [chunk * size, (chunk + 1) * size) of contact ids that `mine` picks, with a
 * contactsScanSql statement (raw). `channel`: null when consent is not checked. The contacts needing
 * validation are always counted whole; the merged records are not read further once one is found.
 */
export function scanContacts(db: Db, scan: Statement, staleKey: string, maxId: number, size: number, mine: (chunk: number) => boolean, channel: string | null): ContactsScan {
  let stale = 0;
  let readable = true;
  const dead = new Uint8Array(maxId + 1);
  for (let chunk = 0; chunk * size <= maxId; chunk++) {
    if (!mine(chunk)) continue;
    const [count, text] = scan.get(staleKey, chunk * size, (chunk + 1) * size) as [number, string | null];
    stale += count;
    if (stale === 0 && readable) readable = markIds(text, dead);
  }
  if (stale > 0 || !readable) return { stale, dead: null, deadConsenting: null };
  const ids: number[] = [];
  for (let id = 0; id <= maxId; id++) if (dead[id] === 1) ids.push(id);
  let deadConsenting: Int32Array | null = null;
  if (channel !== null) {
    const consenting = new Uint8Array(maxId + 1);
    if (!markConsenting(db, channel, ids, consenting)) return { stale, dead: null, deadConsenting: null };
    deadConsenting = Int32Array.from(ids.filter((id) => consenting[id] === 1));
  }
  return { stale, dead: Int32Array.from(ids), deadConsenting };
}

/**
 * The shared addresses where the channel rules still need the address's other records: those with two
 * records or more that can be exported. After dedupe, most shared addresses are a survivor and the
 * records merged into it: a merged (or erased) record is never a candidate, so it is never a rival
 * (gate.ts), and when it holds no consent row for the channel (dedupe moves them to the survivor) the
 * person's choice at the address is the survivor's own. Such an address is then treated as the
 * survivor's alone, exactly as the SQL rule decides it, without a rival query per row or a read of its
 * records' consents (measured on a lived-in 1M store: 109,899 shared addresses, 336 of them held by two
 * live records). `channel`: null when consent is not checked. Null when some text was not as expected.
 */
export function contestedAddresses(db: Db, shared: SharedAddresses, channel: string | null, share = false): SharedAddresses | null {
  const groups = shared.starts.length - 1;
  // One pass over contacts (status is not indexed): cheaper than reading the status of each record at
  // a shared address by id, which are spread over the whole table. A status that is not merged or
  // erased (even an unexpected one) counts as live: its address keeps the exact rules.
  const dead = new Uint8Array(shared.groupOf.length);
  if (groups > 0 && !markIds(db.prepare(`SELECT group_concat(id) FROM contacts WHERE ${DEAD}`).pluck().get() as string | null, dead)) return null;
  const { lone, deadAtLone } = loneGroups(shared, dead);
  if (channel !== null && deadAtLone.length > 0) {
    // A dead record with a consent row for the channel: its row may be the person's latest choice there.
    deadAtLone.sort((a, b) => a - b);
    const consenting = new Uint8Array(shared.groupOf.length);
    if (!markConsenting(db, channel, deadAtLone, consenting)) return null;
    for (const id of deadAtLone) if (consenting[id] === 1) lone[shared.groupOf[id]! - 1] = 0;
  }
  return withoutLone(shared, lone, share);
}

/**
 * contestedAddresses from what export workers scanned (scanContacts): `dead` marks the merged and
 * erased records, `deadConsenting` those of them with a consent row for the channel (null when consent
 * is not checked).
 */
export function contestedFromScan(shared: SharedAddresses, dead: Uint8Array, deadConsenting: Uint8Array | null, share = false): SharedAddresses {
  const { lone, deadAtLone } = loneGroups(shared, dead);
  if (deadConsenting !== null) for (const id of deadAtLone) if (deadConsenting[id] === 1) lone[shared.groupOf[id]! - 1] = 0;
  return withoutLone(shared, lone, share);
}

/** The groups with one live record at most (1 in `lone`), and the dead records of those groups. */
function loneGroups(shared: SharedAddresses, dead: Uint8Array): { lone: Uint8Array; deadAtLone: number[] } {
  const groups = shared.starts.length - 1;
  const lone = new Uint8Array(groups);
  const deadAtLone: number[] = [];
  for (let g = 0; g < groups; g++) {
    let live = 0;
    for (let i = shared.starts[g]!; i < shared.starts[g + 1]!; i++) if (dead[shared.ids[i]!] === 0) live++;
    if (live > 1) continue;
    lone[g] = 1;
    for (let i = shared.starts[g]!; i < shared.starts[g + 1]!; i++) if (dead[shared.ids[i]!] === 1) deadAtLone.push(shared.ids[i]!);
  }
  return { lone, deadAtLone };
}

/** The shared addresses but the `lone` groups. */
function withoutLone(shared: SharedAddresses, lone: Uint8Array, share: boolean): SharedAddresses {
  const groups = shared.starts.length - 1;
  const groupOf = int32s(shared.groupOf.length, share);
  const starts: number[] = [0];
  const ids: number[] = [];
  for (let g = 0; g < groups; g++) {
    if (lone[g] === 1) continue;
    for (let i = shared.starts[g]!; i < shared.starts[g + 1]!; i++) {
      ids.push(shared.ids[i]!);
      groupOf[shared.ids[i]!] = starts.length;
    }
    starts.push(ids.length);
  }
  const startsOut = int32s(starts.length, share);
  startsOut.set(starts);
  const idsOut = int32s(ids.length, share);
  idsOut.set(ids);
  return { groupOf, starts: startsOut, ids: idsOut };
}

/**
 * The person's current choice at each shared address: the latest consent row (recorded_at, id) across
 * the address's records. ASK where the times cannot be compared here (the exact SQL rule decides);
 * null when the text was not as expected.
 */
export function readGroupConsents(db: Db, channel: string, shared: SharedAddresses, share = false): Uint8Array | null {
  const members = Array.from(shared.ids).sort((a, b) => a - b);
  // Members with no row for the channel stay NO_CONSENT; the others get their state and, every one
  // being asked for, when their current choice was recorded.
  const states = new Uint8Array(shared.groupOf.length);
  const latest = new Map<number, { at: string; id: number }>();
  if (!readLatestConsents(db, channel, members, states, shared.groupOf, latest)) return null;
  const groups = shared.starts.length - 1;
  const choice = bytes(groups, share);
  for (let g = 0; g < groups; g++) {
    let at: string | null = null;
    let atId = 0;
    let result = WITHDRAWN; // no consent at all is not granted
    for (let i = shared.starts[g]!; i < shared.starts[g + 1]!; i++) {
      const id = shared.ids[i]!;
      const state = states[id]!;
      if (state === NO_CONSENT) continue;
      const last = latest.get(id);
      if (state === ASK || !last) {
        result = ASK;
        break;
      }
      if (at === null || laterConsent(last.at, last.id, at, atId)) {
        at = last.at;
        atId = last.id;
        result = state === GRANTED ? GRANTED : WITHDRAWN;
      }
    }
    choice[g] = result;
  }
  return choice;
}

/** Every contact's own current choice (consents.ts), settled where it can be; null when the text was not as expected. */
export function readOwnConsents(db: Db, channel: string, maxId: number, share = false): Uint8Array | null {
  const states = bytes(maxId + 1, share);
  if (!readConsentStates(db, channel, states)) return null;
  const several: number[] = [];
  for (let id = 0; id <= maxId; id++) if (states[id] === ASK) several.push(id);
  return readLatestConsents(db, channel, several, states, [], new Map()) ? states : null;
}

/**
 * One byte per contact id: 0 when the channel rules will find the person has not consented (their own
 * choice, or the choice at their shared address, is withdrawn or missing), 1 otherwise (granted, or to
 * be decided by the exact rule). The statement of a CSV export then leaves those rows without a line
 * (select.ts). Empty (every row gets its line) when consent is not checked.
 */
export function consentMask(bulk: BulkRules | 'exact'): Buffer {
  if (bulk === 'exact' || bulk.states === null || bulk.groupConsent === null) return Buffer.alloc(0);
  const { states, groupOf, groupConsent } = bulk;
  const mask = Buffer.alloc(states.length);
  for (let id = 0; id < states.length; id++) {
    const group = groupOf[id]!;
    const state = group !== 0 ? groupConsent[group - 1]! : states[id]!;
    mask[id] = state === GRANTED || state === ASK ? 1 : 0;
  }
  return mask;
}

/** Everything, on this thread; null when some text was not as expected (every row then takes the exact rule). */
export function readBulk(db: Db, spec: GateSpec): BulkRules | null {
  const maxId = maxContactId(db);
  const all = readSharedAddresses(db, spec.lookup, maxId);
  const shared = all && contestedAddresses(db, all, spec.consentSql === null ? null : spec.channel);
  if (!shared) return null;
  if (spec.consentSql === null) return { ...shared, groupConsent: null, states: null };
  const groupConsent = readGroupConsents(db, spec.channel, shared);
  const states = groupConsent && readOwnConsents(db, spec.channel, maxId);
  return groupConsent && states ? { ...shared, groupConsent, states } : null;
}
