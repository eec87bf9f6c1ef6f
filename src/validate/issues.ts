/**
 * The catalogue of issue kinds: every code a field rule can raise, its severity and the reason a
 * report prints for it. Rules are data here too: adding a rule's code is adding a line.
 */
import type { Severity } from './types.js';

export const ISSUE_KINDS: Record<string, { severity: Severity; reason: string }> = {
  multiple_addresses: { severity: 'error', reason: 'more than one address in the cell' },
  missing_at: { severity: 'error', reason: 'no @ in the address' },
  accented_local_part: { severity: 'error', reason: 'accents or non-ASCII characters before the @ (mailing tools refuse them)' },
  invalid_syntax: { severity: 'error', reason: 'not a valid address' },
  missing_tld: { severity: 'error', reason: 'provider domain without its TLD (suggestion available)' },
  domain_typo: { severity: 'error', reason: 'misspelt provider domain (suggestion available; clean --fix-typos applies it)' },
  disposable: { severity: 'warning', reason: 'disposable (throw-away) mailbox provider' },
  role_address: { severity: 'warning', reason: 'shared role mailbox (contact@, info@...), not a person' },
  not_a_number: { severity: 'error', reason: 'not a phone number' },
  too_short: { severity: 'error', reason: 'too few digits for a phone number' },
  placeholder: { severity: 'error', reason: 'a placeholder value, not real data' },
  invalid_number: { severity: 'error', reason: 'not a number in service in its country (libphonenumber max metadata)' },
  not_a_mobile: { severity: 'warning', reason: 'a landline or service number in the mobile column: no SMS' },
  wrong_format: { severity: 'error', reason: "not a postal code of the contact's country" },
  unknown_department: { severity: 'error', reason: 'no French department has this number' },
  corsica_department: { severity: 'error', reason: 'Corsica postal codes start with 20, not 2A/2B' },
  unknown_country: { severity: 'error', reason: 'not a country name or ISO code' },
  contains_digits: { severity: 'error', reason: 'a name with digits in it' },
  no_letters: { severity: 'error', reason: 'no letters in the name' },
  odd_characters: { severity: 'error', reason: 'characters names do not have' },
  initial_only: { severity: 'warning', reason: 'only an initial' },
  unknown_civility: { severity: 'error', reason: 'not a civility (M., Mme...)' },
  couple: { severity: 'warning', reason: 'addressed to a couple (M. et Mme)' },
  unknown_gender: { severity: 'error', reason: 'not a gender (F, M, H, X...)' },
  civility_conflict: { severity: 'warning', reason: 'gender and civility disagree' },
  unparseable: { severity: 'error', reason: 'not a calendar date' },
  in_future: { severity: 'error', reason: 'date in the future' },
  too_old: { severity: 'error', reason: 'would make the person older than 120' },
  placeholder_date: { severity: 'warning', reason: 'a date systems write when the real one is unknown (1900-01-01...)' },
  not_digits: { severity: 'error', reason: 'a SIRET/SIREN has digits only' },
  wrong_length: { severity: 'error', reason: 'a SIRET has 14 digits, a SIREN 9' },
  bad_checksum: { severity: 'error', reason: 'the SIRET/SIREN check digit does not match (typo?)' },
  missing_contact: { severity: 'error', reason: 'fails the required-fields rule' },
};

export function severityOf(code: string): Severity {
  return ISSUE_KINDS[code]?.severity ?? 'error';
}

/** Share of these a contact has, valid, is its completeness score (0-100; record.ts computes it). */
export const COMPLETENESS_PARTS = ['email', 'phone', 'first_name', 'last_name', 'postal_address', 'birth_date'] as const;

/** The fields a report lists, with the raw column each is read from. */
export const REPORT_FIELDS = [
  'email', 'phone', 'mobile', 'address_line1', 'postal_code', 'city', 'country', 'civility', 'first_name',
  'last_name', 'gender', 'birth_date', 'siret', 'created_at', 'last_activity_at',
] as const;
export type ReportField = (typeof REPORT_FIELDS)[number];

/**
 * Required fields: "a|b|c" means at least one of them, commas join groups that must all hold
 * ("email,last_name"). Each name is a condition over the validated columns.
 */
export const REQUIREMENT_SQL: Record<string, string> = {
  email: 'c.email_valid = 1',
  phone: '(c.phone_e164 IS NOT NULL OR c.mobile_e164 IS NOT NULL)',
  sms: 'c.sms_e164 IS NOT NULL',
  mobile: 'c.sms_e164 IS NOT NULL',
  address: 'c.address_complete = 1',
  postal_code: 'c.postal_code_norm IS NOT NULL',
  first_name: 'c.first_name_norm IS NOT NULL',
  last_name: 'c.last_name_norm IS NOT NULL',
  name: '(c.first_name_norm IS NOT NULL OR c.last_name_norm IS NOT NULL)',
  country: 'c.country_code IS NOT NULL',
  siret: 'c.siret_norm IS NOT NULL',
  company: "nullif(trim(c.company), '') IS NOT NULL",
};

export const DEFAULT_REQUIREMENT = 'email|phone|address';

export class RequirementError extends Error {}

/** The SQL condition a contact must meet; throws RequirementError naming an unknown field. */
export function requirementSql(spec: string): string {
  const groups = spec.split(',').map((g) => g.trim()).filter(Boolean);
  if (groups.length === 0) throw new RequirementError('--require needs at least one field');
  // coalesce: a NULL comparison (no email at all) counts as "not met", never as unknown.
  const parts = groups
    .map((group) => {
      const names = group.split('|').map((n) => n.trim().toLowerCase()).filter(Boolean);
      for (const name of names) {
        if (!(name in REQUIREMENT_SQL)) {
          throw new RequirementError(`--require: unknown field "${name}" (one of ${Object.keys(REQUIREMENT_SQL).join(', ')})`);
        }
      }
      return `coalesce(${names.map((n) => REQUIREMENT_SQL[n]).join(' OR ')}, 0)`;
    });
  return `(${parts.join(' AND ')})`;
}
