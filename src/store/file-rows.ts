/**
 * What one import has seen per contact, so rows of the same file that meet the same person can be
 * told apart from a re-import: the first row that wrote each contact, and which consent answers the
 * file gave it per channel. Typed arrays indexed by contact id (ids are dense rowids): 6 bytes a
 * contact, no per-row allocation and no SQL, where a Map of a million keys would cost ~80 MB.
 */
import type { Channel } from './types.js';

const CHANNEL_BIT: Record<Channel, number> = { email: 0, sms: 1, phone: 2, post: 3 };
const GRANTED = 0;
const WITHDRAWN = 4;
const CONFLICT = 8;

export type Answer = 'granted' | 'withdrawn';

export class FileRows {
  private firstRow: Int32Array;
  private answers: Uint16Array;

  constructor(capacity: number) {
    this.firstRow = new Int32Array(Math.max(1024, capacity));
    this.answers = new Uint16Array(this.firstRow.length);
  }

  private ensure(id: number): void {
    if (id < this.firstRow.length) return;
    const size = Math.max(id + 1, Math.ceil(this.firstRow.length * 1.5));
    const rows = new Int32Array(size);
    rows.set(this.firstRow);
    this.firstRow = rows;
    const answers = new Uint16Array(size);
    answers.set(this.answers);
    this.answers = answers;
  }

  /** Notes that `row` wrote contact `id`; returns the earlier row of this file that did, or 0. */
  visit(id: number, row: number): number {
    this.ensure(id);
    const first = this.firstRow[id]!;
    if (first === 0) this.firstRow[id] = row;
    return first;
  }

  rowOf(id: number): number {
    return id < this.firstRow.length ? this.firstRow[id]! : 0;
  }

  has(id: number, channel: Channel, answer: Answer): boolean {
    return id < this.answers.length && (this.answers[id]! & (1 << ((answer === 'granted' ? GRANTED : WITHDRAWN) + CHANNEL_BIT[channel]))) !== 0;
  }

  note(id: number, channel: Channel, answer: Answer): void {
    this.ensure(id);
    this.answers[id]! |= 1 << ((answer === 'granted' ? GRANTED : WITHDRAWN) + CHANNEL_BIT[channel]);
  }

  /** Marks a conflict on (id, channel); true the first time, so each person-channel counts once. */
  conflict(id: number, channel: Channel): boolean {
    this.ensure(id);
    const bit = 1 << (CONFLICT + CHANNEL_BIT[channel]);
    if (this.answers[id]! & bit) return false;
    this.answers[id]! |= bit;
    return true;
  }

  /** Folds what the file said about `from` into `into` (rows of a first load folded by key). */
  fold(from: number, into: number): void {
    this.ensure(Math.max(from, into));
    this.answers[into]! |= this.answers[from]!;
  }

  /** The channels for which the file both granted and withdrew consent for `id`. */
  conflicting(id: number): Channel[] {
    const bits = id < this.answers.length ? this.answers[id]! : 0;
    return (Object.keys(CHANNEL_BIT) as Channel[]).filter((c) => (bits >> (GRANTED + CHANNEL_BIT[c])) & 1 && (bits >> (WITHDRAWN + CHANNEL_BIT[c])) & 1);
  }
}
