import os from 'node:os';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
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
 * A phone typed by a person or read from a mailing tool's export, to E.164. National numbers are read in
 * `country` (a French file writes 06 12 34 56 78); international ones (+33..., 0033...) need no country.
 */
export function normalisePhone(text: string, country: CountryCode = 'FR'): E164 | null {
  const trimmed = text.trim().replace(/^00(?=[1-9])/, '+');
  if (!/\d/.test(trimmed)) return null;
  const parsed = parsePhoneNumberFromString(trimmed, country);
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
