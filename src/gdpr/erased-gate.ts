/**
 * An erased person never comes back: import asks this gate about every row and skips the ones about
 * someone erased (counted as `suppressed`). A row is theirs when its re-import key is the one their
 * tombstone keeps (hashed), or when its email or a phone is an `erased` suppression hash. The gate is
 * null, and costs nothing, in a store where nobody was erased.
 */
import { getCountryCallingCode, type CountryCode } from 'libphonenumber-js';
import type { Db } from '../store/db.js';
import type { ErasedGate } from '../store/import-writer.js';
import type { ContactColumn } from '../io/record-mapper.js';
import { emailHash, phoneHash } from '../export/digests.js';
import { normaliseEmail, normalisePhone } from '../export/keys.js';
import { defaultCountryOf } from '../validate/ensure.js';
import { erasedKey } from './erase.js';

const PHONE_FIELDS: readonly ContactColumn[] = ['phone', 'mobile'];

export function erasedGate(db: Db, source: string): ErasedGate | null {
  const hashes = db.prepare("SELECT hash, key_type FROM suppressions WHERE kind = 'erased'").raw().all() as Array<[string, string]>;
  const tombstones = db.prepare("SELECT 1 FROM contacts WHERE source = ? AND external_key LIKE 'erased:%' LIMIT 1").get(source) !== undefined;
  if (hashes.length === 0 && !tombstones) return null;
  const emails = new Set(hashes.filter(([, type]) => type === 'email').map(([hash]) => hash));
  const phones = new Set(hashes.filter(([, type]) => type === 'phone').map(([hash]) => hash));
  const country = defaultCountryOf(db) as CountryCode;
  const tombstone = db.prepare('SELECT 1 FROM contacts WHERE source = ? AND external_key = ?');

  const emailErased = (value: string | null | undefined): boolean => {
    if (!emails.size || !value || !value.includes('@')) return false;
    const email = normaliseEmail(value) ?? value.trim().toLowerCase();
    return emails.has(emailHash(email));
  };
  let callingCode = '';
  try {
    callingCode = getCountryCallingCode(country);
  } catch {
    callingCode = '';
  }
  // The E.164 spellings a number can have, without parsing it (a parse per row would double a big
  // import's time): international as written, or national with the store's country code.
  const phoneErased = (value: string | null | undefined): boolean => {
    if (!phones.size || !value) return false;
    const trimmed = value.trim();
    const digits = trimmed.replace(/\D/g, '');
    if (digits.length < 6) return false;
    const candidates = trimmed.startsWith('+') ? [`+${digits}`]
      : digits.startsWith('00') ? [`+${digits.slice(2)}`]
      : [`+${callingCode}${digits.startsWith('0') ? digits.slice(1) : digits}`, `+${digits}`];
    return candidates.some((c) => phones.has(phoneHash(c)));
  };
  const keyErased = (key: string | null): boolean => tombstones && key !== null && tombstone.get(source, erasedKey(key)) !== undefined;
  const valuesErased = (values: Partial<Record<ContactColumn, string | null>>): boolean =>
    emailErased(values.email_norm ?? values.email) || PHONE_FIELDS.some((f) => phoneErased(values[f]));

  return {
    contact: (externalKey, values) => keyErased(externalKey) || valuesErased(values),
    customer: (customer) =>
      keyErased(customer.externalId) || (customer.externalId === null && keyErased(customer.emailNorm ? `email:${customer.emailNorm}` : null))
      || emailErased(customer.emailNorm) || valuesErased(customer.values),
    cells: (raw) => raw.some((cell) => {
      if (emailErased(cell)) return true;
      // A rejected row is rare: its cells can afford a real parse.
      const e164 = phones.size && /\d{6}/.test(cell.replace(/\D/g, '')) ? normalisePhone(cell, country) : null;
      return e164 !== null && phones.has(phoneHash(e164));
    }),
  };
}
