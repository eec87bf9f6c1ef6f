/**
 * Phone: libphonenumber-js with its `max` metadata, because the `min` set only checks lengths and
 * accepts numbers France never issues (07 00 00 00 00). The default country is the contact's own,
 * else the file's; French overseas numbers written nationally (0590…, 0692…) are tried against
 * their own regions, since libphonenumber files them under GP, RE… rather than FR.
 */
import { parsePhoneNumberFromString, type CountryCode, type NumberType } from 'libphonenumber-js/max';
import { FRENCH_OVERSEAS, TYPES, frenchVerdict, type PhoneType } from './phone-prefixes.js';
import type { E164 } from '../store/types.js';
import { emptyCheck, error, text, warning, type FieldCheck } from './types.js';

export { frenchVerdict, type FrenchVerdict, type PhoneType } from './phone-prefixes.js';

export interface PhoneCheck extends FieldCheck<E164> {
  type: PhoneType | null;
  /** The country the number belongs to (ISO alpha-2), which may differ from the default. */
  country: string | null;
}

const FRENCH_FAMILY = new Set<string>(['FR', ...FRENCH_OVERSEAS, 'MC']);

const NONE = { type: null, country: null };
const EMPTY: PhoneCheck = { ...emptyCheck<E164>(), ...NONE };

function parse(value: string, country: CountryCode) {
  const parsed = parsePhoneNumberFromString(value, country);
  return parsed && parsed.isValid() ? parsed : null;
}

/** What the patterns of tidy() need: a letter (words, extensions, a float's e), a quote or a bracket. */
const TIDY_NEEDED = /[a-z'(]/i;

/** Clears what exports add around a number: "Tel: ", "+33 (0)6", a spreadsheet's leading quote. */
function tidy(raw: string): string {
  // Digits and separators only (most cells): none of the patterns below can match.
  if (!TIDY_NEEDED.test(raw) && !raw.startsWith('00')) return raw.trim();
  let value = raw.replace(/^(?:t[ée]l(?:[ée]phone)?|tel|phone|mob(?:ile)?|port(?:able)?|gsm)\s*[.:]?\s*/i, '');
  value = value.replace(/^'/, '');
  // A spreadsheet that took the number for a float: "6.12345678E8" (its leading 0 is gone too).
  if (/^\d(?:[.,]\d+)?e\+?\d{1,2}$/i.test(value)) {
    const n = Number(value.replace(',', '.'));
    if (Number.isSafeInteger(n)) value = String(n);
  }
  // An extension says which desk to ask for; E.164 has no room for it.
  value = value.replace(/\s*(?:poste|ext\.?|extension|x)\s*\d{1,5}$/i, '');
  // "+33 (0)6 12…": the (0) is the national trunk prefix, never dialled after the country code.
  value = value.replace(/^(\+\d{1,3})\s*\(0\)\s*/, '$1 ');
  // "0033 6 12…": the international prefix written out.
  value = value.replace(/^00\s*(?=[1-9])/, '+');
  return value.trim();
}

/**
 * Fast path for French numbers, which are most of a French file: every FR and French-overseas pattern
 * in the `max` metadata fixes at most the first five of the nine national digits and leaves the last
 * four free (test/validate/phone.test.ts checks this against the library for every prefix), so the
 * library's verdict for one number of a five-digit prefix holds for all of them (phone-prefixes.ts
 * keeps the verdicts). Parsing costs ~10µs (~90µs for an invalid number tried against every overseas
 * region); a remembered verdict is a byte read.
 */
const FRENCH_COMPACT = /^(?:\+33|0033|0|33)?([1-9]\d{8})$/;

export function checkPhone(value: string | null | undefined, defaultCountry = 'FR'): PhoneCheck {
  const raw = text(value);
  if (raw === null) return EMPTY;
  const cleaned = tidy(raw);
  const bad = (code: string, message: string): PhoneCheck => ({ ok: false, empty: false, normalised: null, issue: error(code, message), ...NONE });
  if (/[a-z]{3,}/i.test(cleaned)) return bad('not_a_number', 'contains words, not a phone number');
  const digits = cleaned.replace(/\D/g, '');
  if (digits.length < 6) return bad('too_short', 'too few digits for a phone number');
  if (/^0*(\d)\1+$/.test(digits) || /^(?:0|33)?[1-9](\d)\1{7}$/.test(digits)) return bad('placeholder', 'placeholder number (repeated digits)');
  const region = (/^[A-Z]{2}$/.test(defaultCountry) ? defaultCountry : 'FR') as CountryCode;
  const compact = region === 'FR' || cleaned.startsWith('+33') ? FRENCH_COMPACT.exec(cleaned.replace(/[\s.\-()/]/g, '')) : null;
  if (compact && (region === 'FR' || compact[0].startsWith('+33'))) {
    const national = compact[1]!;
    const verdict = frenchVerdict(national, region === 'FR' && compact[0].length === 10 && compact[0].startsWith('0'));
    if (!verdict.valid) return bad('invalid_number', 'not a valid number for FR');
    return { ok: true, empty: false, normalised: `+${verdict.callingCode}${national}` as E164, issue: null, type: verdict.type, country: verdict.country };
  }
  let parsed = parse(cleaned, region);
  if (!parsed && FRENCH_FAMILY.has(region) && !cleaned.startsWith('+')) {
    for (const overseas of FRENCH_OVERSEAS) {
      parsed = parse(cleaned, overseas);
      if (parsed) break;
    }
  }
  if (!parsed) {
    const loose = parsePhoneNumberFromString(cleaned, region);
    if (!loose) return bad('not_a_number', 'not a phone number');
    return bad('invalid_number', `not a valid number for ${loose.country ?? region}`);
  }
  const type = TYPES[parsed.getType() ?? ('' as NonNullable<NumberType>)] ?? 'other';
  return { ok: true, empty: false, normalised: parsed.number as E164, issue: null, type, country: parsed.country ?? null };
}

/** The same check for the column that should hold a mobile: a landline there is worth a warning. */
export function checkMobile(value: string | null | undefined, defaultCountry = 'FR'): PhoneCheck {
  const result = checkPhone(value, defaultCountry);
  if (result.ok && !result.empty && result.type !== 'mobile' && result.type !== 'fixed_or_mobile') {
    return { ...result, issue: warning('not_a_mobile', `a ${result.type?.replace('_', ' ')} number, cannot receive SMS`) };
  }
  return result;
}

/** The number SMS can reach: the mobile column first, else a phone column that holds a mobile. */
export function smsNumber(phone: PhoneCheck, mobile: PhoneCheck): E164 | null {
  if (mobile.normalised && (mobile.type === 'mobile' || mobile.type === 'fixed_or_mobile')) return mobile.normalised;
  if (phone.normalised && phone.type === 'mobile') return phone.normalised;
  return null;
}
