/**
 * A postal address as a returned letter (PND) is about: the address lines, postal code, city and
 * country, without the person's name, folded so that only a material change makes a new key. Case,
 * accents, ligatures, runs of spaces and punctuation say nothing about where a letter goes: "Saint  Etienne",
 * "SAINT-ÉTIENNE" and "Saint Etienne" are one city, "12, rue de l'Église" and "12 rue de l Eglise" one
 * street. A new street, number, postal code, city or country is a new key, so an old return no longer
 * applies. Punctuation becomes a space (not nothing): "Bât 1, 23 rue" and "Bât 12, 3 rue" stay apart.
 */

const LIGATURES: Record<string, string> = { œ: 'oe', æ: 'ae', ß: 'ss', ø: 'o', đ: 'd', ł: 'l' };

/** A line or city: accents and case folded, every run of spaces and punctuation one space, trimmed. */
export function foldAddressText(value: string | null | undefined): string {
  if (value === null || value === undefined) return '';
  return value
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[œæßøđł]/g, (c) => LIGATURES[c]!)
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** A postal code or country code: letters and digits only, upper-case ("69 001" is 69001, "sw1a 1aa" SW1A1AA). */
export function foldAddressCode(value: string | null | undefined): string {
  if (value === null || value === undefined) return '';
  return value.normalize('NFKD').replace(/\p{M}/gu, '').toUpperCase().replace(/[^\p{L}\p{N}]+/gu, '');
}

/** The key a post member's address hash and a postal return are computed from (SQL: ck_post_address). */
export function postAddressKey(line1: unknown, line2: unknown, postalCode: unknown, city: unknown, country: unknown): string {
  const text = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);
  return [foldAddressText(text(line1)), foldAddressText(text(line2)), foldAddressCode(text(postalCode)), foldAddressText(text(city)), foldAddressCode(text(country))].join('|');
}
