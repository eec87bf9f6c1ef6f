/**
 * Finding a person: by what they give you (an email, a phone number, their uid) or by what you know of
 * them (name, postal code, part of an email). A record merged into another is the same person: it
 * resolves to its survivor, so one person is listed once.
 */
import type { Db } from '../store/db.js';
import type { ContactStatus, Uid } from '../store/types.js';
import { checkPhone } from '../validate/phone.js';

/** A person the command names could not be found (a run-time failure) or was not named usably (a usage error). */
export class LookupError extends Error {
  constructor(message: string, readonly notFound = false) {
    super(message);
  }
}

export interface ContactRef {
  id: number;
  uid: Uid;
  status: ContactStatus;
  source: string;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  postal_code: string | null;
  city: string | null;
}

const REF_COLUMNS = 'c.id, c.uid, c.status, c.source, c.first_name, c.last_name, c.email, c.postal_code, c.city';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type IdentifierKind = 'uid' | 'email' | 'phone';

/** What the text the user typed is: a uid, an email, a phone number, or none of them (null). */
export function identifierKind(text: string): IdentifierKind | null {
  const value = text.trim();
  if (UUID.test(value)) return 'uid';
  if (value.includes('@')) return 'email';
  if (/^\+?[\d\s().-]{6,}$/.test(value) && (value.match(/\d/g)?.length ?? 0) >= 6) return 'phone';
  return null;
}

/** Accents and case folded: "Hélène" and "HELENE" are the same search. */
export function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

function registerFold(db: Db): void {
  db.function('custkit_fold', { deterministic: true }, (value: unknown) => (typeof value === 'string' ? fold(value) : null));
}

/** Survivors for merged records, each person once, in id order. */
function survivors(db: Db, ids: number[]): ContactRef[] {
  const byId = db.prepare(`SELECT ${REF_COLUMNS}, c.merged_into FROM contacts c WHERE c.id = ?`);
  const seen = new Map<number, ContactRef>();
  for (let id of ids) {
    // A chain of merges ends at a record that is not merged (bounded: a cycle would be corrupt data).
    for (let hops = 0; hops < 50; hops += 1) {
      const row = byId.get(id) as (ContactRef & { merged_into: number | null }) | undefined;
      if (!row) break;
      if (row.status === 'merged' && row.merged_into !== null) {
        id = row.merged_into;
        continue;
      }
      const { merged_into: _ignored, ...ref } = row;
      seen.set(ref.id, ref);
      break;
    }
  }
  return [...seen.values()].sort((a, b) => a.id - b.id);
}

/** Every person an email, a phone number or a uid designates (several when records share an address). */
export function lookup(db: Db, text: string, defaultCountry = 'FR'): ContactRef[] {
  const value = text.trim();
  const kind = identifierKind(value);
  let ids: number[];
  if (kind === 'uid') {
    ids = db.prepare('SELECT id FROM contacts WHERE uid = ?').pluck().all(value.toLowerCase()) as number[];
  } else if (kind === 'email') {
    const norm = value.toLowerCase();
    // email_norm is import's key, refined by validate: one index seek finds the address however written.
    ids = db.prepare('SELECT id FROM contacts WHERE email_norm = ? ORDER BY id').pluck().all(norm) as number[];
  } else if (kind === 'phone') {
    const e164 = checkPhone(value, defaultCountry).normalised;
    const digits = value.replace(/[^\d]/g, '');
    const key = value.trimStart().startsWith('+') ? `+${digits}` : digits;
    ids = db
      .prepare(`SELECT id FROM contacts WHERE phone_e164 = ? OR mobile_e164 = ? OR phone_digits IN (?, ?) OR mobile_digits IN (?, ?) ORDER BY id`)
      .pluck()
      .all(e164 ?? key, e164 ?? key, key, e164 ?? key, key, e164 ?? key) as number[];
  } else {
    throw new LookupError(`"${value}" is not an email, a phone number or a contact uid (use "contact find --name" to search by name)`);
  }
  return survivors(db, ids);
}

/** Exactly one person, or an error that lists the candidates by uid. */
export function lookupOne(db: Db, text: string, defaultCountry = 'FR'): ContactRef {
  const found = lookup(db, text, defaultCountry);
  if (found.length === 0) throw new LookupError(`no contact matches "${text.trim()}"`, true);
  if (found.length > 1) {
    throw new LookupError(`"${text.trim()}" matches ${found.length} contacts (${found.map((c) => c.uid).join(', ')}): give one uid`);
  }
  return found[0]!;
}

export interface FindQuery {
  /** Words that must all appear in the first or last name (case and accents ignored). */
  name?: string;
  postalCode?: string;
  /** Part of the email address (case ignored). */
  email?: string;
  phone?: string;
  city?: string;
  limit?: number;
}

export function findContacts(db: Db, query: FindQuery, defaultCountry = 'FR'): ContactRef[] {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.name !== undefined) {
    registerFold(db);
    for (const word of fold(query.name).split(/\s+/).filter(Boolean)) {
      where.push(`custkit_fold(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '') || ' ' || coalesce(c.company, '')) LIKE ? ESCAPE '\\'`);
      params.push(`%${word.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`);
    }
  }
  if (query.postalCode !== undefined) {
    where.push(`replace(coalesce(c.postal_code_norm, c.postal_code), ' ', '') = ?`);
    params.push(query.postalCode.replace(/\s+/g, '').toUpperCase());
  }
  if (query.city !== undefined) {
    registerFold(db);
    where.push('custkit_fold(c.city) = ?');
    params.push(fold(query.city.trim()));
  }
  if (query.email !== undefined) {
    where.push(`instr(c.email_norm, ?) > 0`);
    params.push(query.email.trim().toLowerCase());
  }
  let ids: number[];
  if (where.length === 0 && query.phone === undefined) throw new LookupError('give at least one of --name, --postal-code, --city, --email, --phone');
  if (where.length === 0) ids = [];
  else ids = db.prepare(`SELECT c.id FROM contacts c WHERE ${where.join(' AND ')} ORDER BY c.id`).pluck().all(...params) as number[];
  let found = survivors(db, ids);
  if (query.phone !== undefined) {
    const byPhone = new Set(lookup(db, query.phone, defaultCountry).map((c) => c.id));
    found = where.length === 0 ? lookup(db, query.phone, defaultCountry) : found.filter((c) => byPhone.has(c.id));
  }
  return query.limit !== undefined ? found.slice(0, query.limit) : found;
}
