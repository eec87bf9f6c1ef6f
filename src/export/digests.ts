/**
 * SHA-256 keys of addresses, as suppressions store them. Apart from keys.ts, whose phone parsing loads
 * libphonenumber's metadata: export workers hash addresses but never parse a phone, and start faster
 * without it.
 */
import crypto from 'node:crypto';
import type { E164 } from '../store/types.js';

/** Node >= 20.12 has the one-shot hash (3x faster than createHash at a million rows); older 20.x falls back. */
const oneShot = (crypto as unknown as { hash?: (algorithm: string, data: string) => string }).hash;

export function sha256Hex(text: string): string {
  return oneShot ? oneShot('sha256', text) : crypto.createHash('sha256').update(text).digest('hex');
}

/** The suppression key of an email: trimmed and lower-cased, like contacts.email_norm. */
export function emailHash(email: string): string {
  return sha256Hex(email.trim().toLowerCase());
}

export function phoneHash(e164: E164): string {
  return sha256Hex(e164);
}
