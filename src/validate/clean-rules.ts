/**
 * What `clean` can change, as data: each rule writes one raw column from a validated column when the
 * two differ. Normalising rules write values that validate to themselves (a fixed point, checked by the
 * tests), so a second `clean --fix` finds nothing to do and the validated columns stay true.
 */

export interface CleanRule {
  name: string;
  /** The raw contacts column written. */
  field: 'email' | 'phone' | 'mobile' | 'postal_code' | 'country' | 'first_name' | 'last_name' | 'city' | 'civility' | 'gender' | 'siret';
  /** SQL (over contacts c) for the value to write. */
  value: string;
  /** SQL condition, besides "the value differs", under which the rule applies. */
  when: string;
  /** Keys derived from the field that must follow it (column → SQL). */
  also?: Record<string, string>;
  /** Only with --fix-typos: a guess, so it is opt-in. */
  typo?: boolean;
  /** The change makes the value valid: the contact is validated again afterwards. */
  revalidate?: boolean;
  describe: string;
}

/**
 * The cell holds something besides spaces: the same test as `nullif(trim(x), '') IS NOT NULL`, written
 * without a function call (RTRIM compares as if trailing spaces were gone, so blanks equal ''). A
 * statement that calls no function and cannot fail a constraint needs no statement journal: clean's
 * big UPDATE would otherwise copy every page it rewrites to a temporary file first.
 */
const filled = (column: string) => `(c.${column} IS NOT NULL AND c.${column} <> '' COLLATE RTRIM)`;

export const CLEAN_RULES: CleanRule[] = [
  { name: 'email-format', field: 'email', value: 'c.email_clean', when: 'c.email_valid = 1', also: { email_norm: 'lower(c.email_clean)' }, describe: 'trim, drop mailto:/<>/quotes, lower-case the domain' },
  { name: 'email-typo', field: 'email', value: 'c.email_suggestion', when: 'c.email_suggestion IS NOT NULL', also: { email_norm: 'lower(c.email_suggestion)' }, typo: true, revalidate: true, describe: 'replace a misspelt provider domain (gmial.com → gmail.com)' },
  { name: 'phone-e164', field: 'phone', value: 'c.phone_e164', when: '1', also: { phone_digits: 'c.phone_e164' }, describe: 'phone in international E.164 form (+33612345678)' },
  { name: 'mobile-e164', field: 'mobile', value: 'c.mobile_e164', when: '1', also: { mobile_digits: 'c.mobile_e164' }, describe: 'mobile in international E.164 form' },
  { name: 'postal-code', field: 'postal_code', value: 'c.postal_code_norm', when: '1', describe: 'postal code in its country format (leading zero restored: 1000 → 01000)' },
  { name: 'country-code', field: 'country', value: 'c.country_code', when: filled('country'), describe: 'country as its ISO 3166 alpha-2 code (France → FR)' },
  { name: 'first-name', field: 'first_name', value: 'c.first_name_norm', when: '1', describe: 'first name trimmed, spaces collapsed, proper case when typed in one case' },
  { name: 'last-name', field: 'last_name', value: 'c.last_name_norm', when: '1', describe: 'last name trimmed, spaces collapsed, proper case when typed in one case' },
  { name: 'city-spaces', field: 'city', value: 'c.city_norm', when: '1', describe: 'city trimmed, spaces collapsed' },
  { name: 'civility', field: 'civility', value: 'c.civility_norm', when: '1', describe: 'civility as M. or Mme' },
  { name: 'gender-format', field: 'gender', value: 'c.gender_norm', when: filled('gender'), describe: 'gender as male / female / other' },
  { name: 'gender-from-civility', field: 'gender', value: 'c.gender_norm', when: `NOT ${filled('gender')}`, describe: 'empty gender filled from the civility' },
  { name: 'siret-digits', field: 'siret', value: 'c.siret_norm', when: '1', describe: 'SIRET/SIREN as digits only' },
];

/** SQL: the rule applies to contact c (its value exists and differs from the raw one). */
export function ruleApplies(rule: CleanRule): string {
  return `(${rule.value} IS NOT NULL AND c.${rule.field} IS NOT ${rule.value} AND ${rule.when})`;
}

/** The fields rules write: clean_fixes has a `<field>_old` and a `<field>_new` column for each. */
export const FIX_FIELDS: ReadonlyArray<CleanRule['field']> = ['email', 'phone', 'mobile', 'postal_code', 'country', 'first_name', 'last_name', 'city', 'civility', 'gender', 'siret'];

export function activeRules(fixTypos: boolean): CleanRule[] {
  return CLEAN_RULES.filter((r) => !r.typo || fixTypos);
}
