import os from 'node:os';
import { createRequire } from 'node:module';
import type { CountryCode } from 'libphonenumber-js';
import type { E164 } from '../store/types.js';

export { emailHash, phoneHash, sha256Hex } from './digests.js';
export { isE164 } from '../store/types.js';

/** The suppression key of an email: trimmed and lower-cased, like contacts.email_norm. */
export function normaliseEmail(text: string): string | null {
  const email = text.trim().toLowerCase();
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) ? email : null;
}

export function looksLikeEmail(text: string): boolean {
  return text.includes('@');
}

/**
 * libphonenumber-js and its metadata, loaded on the first phone read: every export imports this module
 * (for the keys of emails and the export log) and most never read a phone here (~0.1 s of loading).
 */
let phones: typeof import('libphonenumber-js') | undefined;
function phoneLibrary(): typeof import('libphonenumber-js') {
  phones ??= createRequire(import.meta.url)('libphonenumber-js') as typeof import('libphonenumber-js');
  return phones;
}

/**
 * A phone typed by a person or read from a mailing tool's export, to E.164. National numbers are read in
 * `country` (a French file writes 06 12 34 56 78); international ones (+33..., 0033...) need no country.
 */
export function normalisePhone(text: string, country: CountryCode = 'FR'): E164 | null {
  const trimmed = text.trim().replace(/^00(?=[1-9])/, '+');
  if (!/\d/.test(trimmed)) return null;
  const parsed = phoneLibrary().parsePhoneNumberFromString(trimmed, country);
  if (!parsed || !parsed.isPossible()) return null;
  return parsed.number as E164;
}

/** Who ran the command, for the export log (never fails: cron may run without a passwd entry). */
export function osUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? process.env.LOGNAME ?? 'unknown';
  }
}

export function nowIso(): string {
  return new Date().toISOString().replace('T', ' ').slice(0, 19);
}
