/**
 * Step 1, keys: the normalised values blocking and comparison work on, computed once per contact
 * version and kept in `dedupe_keys` (a re-run only re-keys contacts whose
 * `updated_at` moved). validate's columns (`phone_e164`, `postal_code_norm`, `country_code`...) are
 * preferred when the store has them; otherwise the raw columns are normalised here.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import type { Db } from '../store/db.js';
import type { RecordsBuilder } from './records.js';
import { foldName, foldText, phoneticFr } from './text.js';
import { checkCivility, checkGender, reconcileGender } from '../validate/civility.js';

export interface ContactKeys {
  fn: string | null;
  ln: string | null;
  ln_phon: string | null;
  fi: string | null;
  email: string | null;
  email_local: string | null;
  email_domain: string | null;
  postal: string | null;
  dob: string | null;
  siret: string | null;
  addr: string | null;
  city: string | null;
  sex: string | null;
  phones: string[];
}

/** The contact columns keys are read from; the optional ones come from validate when it has run. */
export interface KeySource {
  first_name: string | null;
  last_name: string | null;
  email_norm: string | null;
  phone: string | null;
  mobile: string | null;
  postal_code: string | null;
  country: string | null;
  birth_date: string | null;
  siret: string | null;
  address_line1: string | null;
  city: string | null;
  civility?: string | null;
  gender?: string | null;
  phone_e164?: string | null;
  mobile_e164?: string | null;
  postal_code_norm?: string | null;
  country_code?: string | null;
}

const COUNTRY_NAMES: Record<string, CountryCode> = {
  france: 'FR', belgique: 'BE', belgium: 'BE', suisse: 'CH', switzerland: 'CH', luxembourg: 'LU',
  espagne: 'ES', spain: 'ES', allemagne: 'DE', germany: 'DE', italie: 'IT', italy: 'IT',
  'royaume uni': 'GB', 'united kingdom': 'GB', uk: 'GB', canada: 'CA', monaco: 'MC',
};

export function countryHint(source: Pick<KeySource, 'country' | 'country_code'>, fallback: CountryCode = 'FR'): CountryCode {
  if (source.country_code && /^[A-Z]{2}$/.test(source.country_code)) return source.country_code as CountryCode;
  const folded = foldText(source.country);
  if (!folded) return fallback;
  if (/^[a-z]{2}$/.test(folded)) return folded.toUpperCase() as CountryCode;
  return COUNTRY_NAMES[folded] ?? fallback;
}

/**
 * A phone as country calling code + national significant number, digits only ("33612345678").
 * French numbers written the usual ways take a fast path (a million contacts must key in seconds);
 * anything else goes through libphonenumber-js with the contact's country as the default region.
 */
export function phoneKey(raw: string | null | undefined, region: CountryCode = 'FR'): string | null {
  if (!raw) return null;
  const compact = raw.replace(/[\s.\-()/]/g, '');
  if (/^\+\d{8,15}$/.test(compact)) return compact.startsWith('+330') ? `33${compact.slice(4)}` : compact.slice(1);
  if (/^00\d{8,15}$/.test(compact)) return compact.startsWith('00330') ? `33${compact.slice(5)}` : compact.slice(2);
  if (region === 'FR') {
    if (/^0[1-9]\d{8}$/.test(compact)) return `33${compact.slice(1)}`;
    if (/^[1-9]\d{8}$/.test(compact)) return `33${compact}`; // a spreadsheet ate the leading zero
  }
  const parsed = parsePhoneNumberFromString(raw, region);
  if (!parsed || parsed.nationalNumber.length < 6) return null;
  return `${parsed.countryCallingCode}${parsed.nationalNumber}`;
}

function e164Key(value: string | null | undefined): string | null {
  return value && /^\+\d{6,15}$/.test(value) ? value.slice(1) : null;
}

export function postalKey(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const compact = raw.toUpperCase().replace(/[^0-9A-Z]/g, '');
  return compact === '' ? null : compact;
}

/** yyyymmdd from an ISO date (as import stores it) or from 8 digits (yyyymmdd exports). */
export function dobKey(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const iso = /^(\d{4})-(\d{2})-(\d{2})/.exec(raw);
  if (iso) return `${iso[1]}${iso[2]}${iso[3]}`;
  const digits = raw.trim();
  return /^(18|19|20)\d{6}$/.test(digits) ? digits : null;
}

export function siretKey(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const digits = raw.replace(/\D/g, '');
  return digits.length === 14 ? digits : null;
}

/**
 * "f" or "m" from the civility and the gender as validate reads them ("Mme", "Monsieur", "F", "H"...);
 * null when neither says, or for "other" and couples ("M. et Mme"): only a clear disagreement is evidence.
 */
export function sexKey(civility: string | null | undefined, gender: string | null | undefined): string | null {
  if (!civility && !gender) return null;
  const g = reconcileGender(checkCivility(civility), checkGender(gender)).gender;
  return g === 'male' ? 'm' : g === 'female' ? 'f' : null;
}

/** Names and cities repeat across a file: fold each distinct value once. */
class Memo<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly fn: (value: string) => V) {}
  get(value: string | null | undefined): V | null {
    if (!value) return null;
    let v = this.map.get(value);
    if (v === undefined) {
      if (this.map.size > 200_000) this.map.clear();
      v = this.fn(value);
      this.map.set(value, v);
    }
    return v;
  }
}

const names = new Memo((v) => foldName(v));
const surnames = new Memo((v) => {
  const folded = foldName(v);
  return { folded, phon: phoneticFr(folded) };
});

export function deriveKeys(source: KeySource): ContactKeys {
  const fn = names.get(source.first_name);
  const surname = surnames.get(source.last_name);
  const ln = surname?.folded ?? null;
  const email = source.email_norm ? source.email_norm.trim().toLowerCase() || null : null;
  const at = email ? email.lastIndexOf('@') : -1;
  const region = countryHint(source);
  const phones = new Set<string>();
  for (const [e164, raw] of [
    [source.phone_e164, source.phone],
    [source.mobile_e164, source.mobile],
  ] as const) {
    const key = e164Key(e164) ?? phoneKey(raw, region);
    if (key) phones.add(key);
  }
  return {
    fn,
    ln,
    ln_phon: surname?.phon ?? null,
    fi: fn ? fn[0] : null,
    email,
    email_local: email && at > 0 ? email.slice(0, at) : null,
    email_domain: email && at > 0 ? email.slice(at + 1) : null,
    postal: postalKey(source.postal_code_norm ?? source.postal_code),
    dob: dobKey(source.birth_date),
    siret: siretKey(source.siret),
    addr: foldText(source.address_line1),
    city: names.get(source.city),
    sex: sexKey(source.civility, source.gender),
    phones: [...phones],
  };
}

const OPTIONAL_COLUMNS = ['phone_e164', 'mobile_e164', 'postal_code_norm', 'country_code'] as const;

export function contactColumns(db: Db): Set<string> {
  return new Set((db.prepare('PRAGMA table_info(contacts)').all() as { name: string }[]).map((c) => c.name));
}

/**
 * Brings the keys up to date: keys for contacts that are new or changed, none for merged or erased ones.
 * Returns how many contacts were (re-)keyed. Runs in the caller's transaction when there is one.
 * `records`, when given, receives the keys of every contact keyed, in id order: on a store with no
 * keys yet that is every contact, and reading a million keys back right after writing them took seconds.
 */
export function syncKeys(db: Db, records?: RecordsBuilder): number {
  const columns = contactColumns(db);
  const has = (c: string) => columns.has(c);
  // Validation does not bump updated_at, so a contact validated since it was keyed is keyed again
  // (keyed_at holds "updated_at|validated_at" when the store has validate's columns).
  const version = has('validated_at') ? "c.updated_at || '|' || coalesce(c.validated_at, '')" : 'c.updated_at';
  db.prepare(`DELETE FROM dedupe_keys WHERE contact_id IN (SELECT id FROM contacts WHERE status NOT IN ('active', 'inactive'))`).run();
  // A raw column validate has already normalised is not read (a million strings each): deriveKeys
  // would not look at it. The tests mirror deriveKeys's: `??` on postcode, e164Key, countryHint.
  const e164 = (c: string) => `c.${c} GLOB '+[0-9]*' AND length(c.${c}) BETWEEN 7 AND 16 AND substr(c.${c}, 2) NOT GLOB '*[^0-9]*'`;
  const raw = (column: string, unless: string | null) => (unless ? `CASE WHEN ${unless} THEN NULL ELSE c.${column} END` : `c.${column}`);
  const select = db.prepare(`
    SELECT c.id, ${version} AS version, c.first_name, c.last_name, c.email_norm,
           ${raw('phone', has('phone_e164') ? e164('phone_e164') : null)}, ${raw('mobile', has('mobile_e164') ? e164('mobile_e164') : null)},
           ${raw('postal_code', has('postal_code_norm') ? 'c.postal_code_norm IS NOT NULL' : null)},
           ${raw('country', has('country_code') ? "c.country_code GLOB '[A-Z][A-Z]'" : null)},
           c.birth_date, c.siret, c.address_line1, c.city, ${has('civility') ? 'c.civility' : 'NULL'}, ${has('gender') ? 'c.gender' : 'NULL'},
           ${OPTIONAL_COLUMNS.map((c) => (has(c) ? `c.${c}` : 'NULL')).join(', ')}
    FROM contacts c LEFT JOIN dedupe_keys k ON k.contact_id = c.id
    WHERE c.id > ? AND c.status IN ('active', 'inactive') AND (k.contact_id IS NULL OR k.keyed_at IS NOT ${version})
    ORDER BY c.id LIMIT 2000`).raw();
  const upsert = db.prepare(`INSERT OR REPLACE INTO dedupe_keys
    (contact_id, keyed_at, fn, ln, ln_phon, fi, email, email_local, email_domain, postal, dob, siret, addr, city, sex, phones)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const values: Array<string | null> = new Array(11);
  let keyed = 0;
  let after = 0;
  // Chunks: better-sqlite3 cannot write while a read cursor is open on the same connection. Small ones:
  // a chunk's rows live until it is keyed, and 20,000 rows outgrew V8's young generation, so the
  // collector copied them into the old one (a second of a million-contact run).
  for (;;) {
    const rows = select.all(after) as Array<Array<string | null>>;
    if (rows.length === 0) break;
    for (const r of rows) {
      // Rows as arrays and one object literal of a fixed shape: objects built key by key cost more than the keys.
      const k = deriveKeys({
        first_name: r[2], last_name: r[3], email_norm: r[4], phone: r[5], mobile: r[6], postal_code: r[7], country: r[8],
        birth_date: r[9], siret: r[10], address_line1: r[11], city: r[12], civility: r[13], gender: r[14],
        phone_e164: r[15], mobile_e164: r[16], postal_code_norm: r[17], country_code: r[18],
      });
      const phones = k.phones.length > 0 ? k.phones.join(' ') : null;
      upsert.run(r[0], r[1], k.fn, k.ln, k.ln_phon, k.fi, k.email, k.email_local, k.email_domain, k.postal, k.dob, k.siret, k.addr, k.city, k.sex, phones);
      if (records) {
        // KEY_FIELDS order.
        values[0] = k.fn; values[1] = k.ln; values[2] = k.ln_phon; values[3] = k.email; values[4] = k.postal;
        values[5] = k.dob; values[6] = k.siret; values[7] = k.addr; values[8] = k.city; values[9] = k.sex; values[10] = phones;
        records.add(r[0] as unknown as number, values, 0);
      }
    }
    keyed += rows.length;
    after = rows[rows.length - 1][0] as unknown as number;
  }
  return keyed;
}
