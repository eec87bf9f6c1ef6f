/**
 * What identifies a person outside the rows linked to them: their email addresses and phone numbers,
 * in every spelling the store ever held (the raw cell, the cleaned value, the value `clean` replaced).
 * Erasure uses them to find rows that are not linked by id (rejected rows, free text, the audit trail),
 * to write the `erased` suppression hashes, and to check the store file's bytes afterwards.
 */
import type { CountryCode } from 'libphonenumber-js';
import type { Db } from '../store/db.js';
import type { E164 } from '../store/types.js';
import { normaliseEmail, normalisePhone } from '../export/keys.js';
import { inList } from './profile.js';

export interface Identifiers {
  /** Normalised (trimmed, lower-case) email addresses. */
  emails: Set<string>;
  /** Phone numbers in E.164 form. */
  phones: Set<E164>;
  /** Phones as the files spelled them ("06 12 34 56 78"): looked for, as text, in free text. */
  rawPhones: Set<string>;
}

export function emptyIdentifiers(): Identifiers {
  return { emails: new Set(), phones: new Set(), rawPhones: new Set() };
}

/** Adds one value of any kind: an email, a phone number in any spelling; anything else is ignored. */
export function addIdentifier(ids: Identifiers, value: unknown, country: string): void {
  if (typeof value !== 'string' || value.trim() === '') return;
  if (value.includes('@')) {
    const email = normaliseEmail(value) ?? value.trim().toLowerCase();
    ids.emails.add(email);
    return;
  }
  const digits = value.replace(/\D/g, '');
  if (digits.length < 6) return;
  const e164 = normalisePhone(value, country as CountryCode);
  if (e164) ids.phones.add(e164);
  if (value.trim().length >= 6) ids.rawPhones.add(value.trim());
}

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

function columnsOf(db: Db, table: string): Set<string> {
  return new Set((db.pragma(`table_info(${quote(table)})`) as Array<{ name: string }>).map((c) => c.name));
}

/** Contact columns holding an email or a phone (the validated ones when validate ran). */
const CONTACT_KEYS = ['email', 'email_norm', 'email_clean', 'phone', 'phone_digits', 'phone_e164', 'mobile', 'mobile_digits', 'mobile_e164', 'sms_e164'];
/** Values `clean` replaced or wrote, per field holding an address. */
const FIX_KEYS = ['email_old', 'email_new', 'phone_old', 'phone_new', 'mobile_old', 'mobile_new'];

/** Every email and phone the store holds for these contact records, current and past. */
export function identifiersOf(db: Db, contactIds: readonly number[], country: string): Identifiers {
  const ids = emptyIdentifiers();
  if (contactIds.length === 0) return ids;
  const within = inList(contactIds);
  const contactColumns = columnsOf(db, 'contacts');
  const keys = CONTACT_KEYS.filter((c) => contactColumns.has(c));
  for (const row of db.prepare(`SELECT ${keys.join(', ')} FROM contacts WHERE id IN (${within})`).raw().all() as unknown[][]) {
    for (const value of row) addIdentifier(ids, value, country);
  }
  if (columnsOf(db, 'clean_fixes').size) {
    for (const row of db.prepare(`SELECT ${FIX_KEYS.join(', ')} FROM clean_fixes WHERE contact_id IN (${within})`).raw().all() as unknown[][]) {
      for (const value of row) addIdentifier(ids, value, country);
    }
  }
  if (columnsOf(db, 'clean_changes').size) {
    const changes = db.prepare(`SELECT old_value, new_value FROM clean_changes WHERE contact_id IN (${within}) AND field IN ('email', 'phone', 'mobile')`).raw().all() as unknown[][];
    for (const row of changes) for (const value of row) addIdentifier(ids, value, country);
  }
  return ids;
}

/** The last nine digits of a number: the national significant number of most countries, whatever the prefix. */
function phoneTail(digits: string): string {
  return digits.slice(-9);
}

const EMAIL_TOKEN = /[^\s<>"'`,;:()[\]{}]+@[^\s<>"'`,;:()[\]{}]+\.[^\s<>"'`,;:()[\]{}]+/g;
const PHONE_TOKEN = /\+?\d[\d\s().\/-]{5,}\d/g;

/**
 * The spans of a text that are one of the person's addresses: an email (case ignored), or a run of
 * digits that is one of their numbers spelled nationally or internationally ("06 12 34 56 78",
 * "+33612345678"). Linear in the text, whatever the number of people: a purge looks for thousands.
 */
export function addressFinder(ids: Identifiers): (text: string) => string[] {
  const emails = ids.emails;
  const tails = new Set([...ids.phones].map((p) => phoneTail(p.replace(/\D/g, ''))));
  return (text: string): string[] => {
    const found: string[] = [];
    if (emails.size && text.includes('@')) {
      for (const token of text.match(EMAIL_TOKEN) ?? []) if (emails.has(token.toLowerCase().replace(/\.+$/, ''))) found.push(token);
    }
    if (tails.size) {
      for (const token of text.match(PHONE_TOKEN) ?? []) {
        const digits = token.replace(/\D/g, '');
        if (digits.length >= 9 && digits.length <= 15 && tails.has(phoneTail(digits))) found.push(token);
      }
    }
    return found;
  };
}

/** True for a cell of a file (a rejected row) holding one of the person's addresses. */
export function cellMatcher(ids: Identifiers): (cell: unknown) => boolean {
  const find = addressFinder(ids);
  return (cell: unknown): boolean => typeof cell === 'string' && cell !== '' && find(cell).length > 0;
}

/** The text with every one of the person's addresses replaced by ***. */
export function masker(ids: Identifiers): (text: string) => string {
  const find = addressFinder(ids);
  return (text: string): string => {
    let out = text;
    for (const token of find(text)) out = out.split(token).join('***');
    return out;
  };
}

/** The strings erasure masks in free text and looks for in the store file: emails, raw phones, E.164 phones. */
export function needlesOf(ids: Identifiers): string[] {
  return [...new Set([...ids.emails, ...ids.rawPhones, ...ids.phones])].filter((n) => n.length >= 6);
}
