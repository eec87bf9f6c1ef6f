/**
 * A person's consent choice, recorded by hand (a letter, a phone call, a form): one new row in
 * `consents`, never an update, so the history of every choice and its proof stays. The export reads the
 * latest row by (recorded_at, id), so the new row is the person's current choice from now on.
 */
import type { Db } from '../store/db.js';
import { CHANNELS, type Channel, type ContactStatus } from '../store/types.js';

export class ConsentError extends Error {}

export interface ConsentInput {
  channel: Channel;
  status: 'granted' | 'withdrawn';
  /** Where the choice was made: "phone call", "paper form", "web preferences"… */
  source: string;
  /** What proves it: a ticket number, a scanned form's name… */
  proof?: string;
}

export interface ConsentResult {
  channel: Channel;
  status: 'granted' | 'withdrawn';
  /** The choice before this one, or null when none was recorded. */
  previous: 'granted' | 'withdrawn' | null;
  recorded_at: string;
}

export function isChannel(value: string): value is Channel {
  return (CHANNELS as readonly string[]).includes(value);
}

export function recordConsent(db: Db, contactId: number, input: ConsentInput): ConsentResult {
  if (!isChannel(input.channel)) throw new ConsentError(`--channel ${input.channel}: expected one of ${CHANNELS.join(', ')}`);
  if (input.source.trim() === '') throw new ConsentError('--source must say where the choice was made');
  const status = db.prepare('SELECT status FROM contacts WHERE id = ?').pluck().get(contactId) as ContactStatus | undefined;
  if (status === undefined) throw new ConsentError(`contact ${contactId} is not in the store`);
  if (status === 'erased') throw new ConsentError('this contact was erased: no consent can be recorded for them');
  if (status === 'merged') throw new ConsentError('this record was merged into another: record the choice on the surviving contact');
  const latest = db.prepare('SELECT status, recorded_at FROM consents WHERE contact_id = ? AND channel = ? ORDER BY recorded_at DESC, id DESC LIMIT 1');
  const previous = latest.get(contactId, input.channel) as { status: 'granted' | 'withdrawn'; recorded_at: string } | undefined;
  const now = new Date().toISOString();
  // A row dated later than now (a file's future date) would stay "current" over this one: refuse rather
  // than record a choice the export would not honour.
  if (previous && previous.recorded_at > now) {
    throw new ConsentError(`the latest ${input.channel} choice on record is dated ${previous.recorded_at}, after now: correct that row first`);
  }
  db.prepare('INSERT INTO consents (contact_id, channel, status, recorded_at, source, proof) VALUES (?, ?, ?, ?, ?, ?)')
    .run(contactId, input.channel, input.status, now, input.source.trim(), input.proof?.trim() || null);
  return { channel: input.channel, status: input.status, previous: previous?.status ?? null, recorded_at: now };
}
