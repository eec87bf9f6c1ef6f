/**
 * SIRET (14 digits: SIREN + establishment number) and SIREN (9 digits), both protected by the Luhn
 * check. La Poste is the known exception: its establishments share SIREN 356 000 000 and their SIRETs
 * only satisfy "sum of digits divisible by 5".
 */
import { emptyCheck, error, text, type FieldCheck } from './types.js';

const LA_POSTE_SIREN = '356000000';

export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export interface SiretCheck extends FieldCheck {
  kind: 'siret' | 'siren' | null;
}

const EMPTY: SiretCheck = { ...emptyCheck(), kind: null };

export function checkSiret(value: string | null | undefined): SiretCheck {
  const raw = text(value);
  if (raw === null) return EMPTY;
  const digits = raw.replace(/[\s.\-_/]/g, '');
  const bad = (code: string, message: string): SiretCheck => ({ ok: false, empty: false, normalised: null, issue: error(code, message), kind: null });
  if (!/^\d+$/.test(digits)) return bad('not_digits', 'a SIRET/SIREN has digits only');
  if (digits.length !== 14 && digits.length !== 9) return bad('wrong_length', 'a SIRET has 14 digits, a SIREN 9');
  const kind = digits.length === 14 ? 'siret' : 'siren';
  let valid = luhn(digits);
  if (kind === 'siret' && digits.startsWith(LA_POSTE_SIREN) && !valid) {
    const sum = [...digits].reduce((total, d) => total + Number(d), 0);
    valid = sum % 5 === 0;
  }
  if (!valid) return { ...bad('bad_checksum', `the ${kind.toUpperCase()} check digit does not match (typo?)`), kind };
  return { ok: true, empty: false, normalised: digits, issue: null, kind };
}
