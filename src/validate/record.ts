/**
 * One contact through every field rule: the raw columns in, the validated columns out (the contract
 * in CONTRIBUTING.md) plus the list of issues as "field:code". Pure, so the main thread and the worker
 * threads run exactly the same code.
 */
import { checkBirthDate, checkPastDate } from './dates.js';
import { checkCivility, checkGender, reconcileGender } from './civility.js';
import { checkCountry } from './country.js';
import { checkEmail } from './email.js';
import { checkName } from './names.js';
import { checkMobile, checkPhone, smsNumber } from './phone.js';
import { checkPostalCode } from './postal-code.js';
import { checkSiret } from './siret.js';
import { text, type FieldCheck, type Issue } from './types.js';
import type { RawContact, ValidatedColumns } from './schemas.js';

export interface ValidationContext {
  /** Country for numbers and postal codes of contacts whose own country is empty or unknown. */
  defaultCountry: string;
  /** 'yyyy-mm-dd': dates after it are in the future. */
  today: string;
}

export interface ContactValidation {
  columns: ValidatedColumns;
  issues: Array<{ field: string; issue: Issue }>;
}

export { COMPLETENESS_PARTS } from './issues.js';

function refinedKey(normalised: string | null, raw: string | null): string | null {
  if (normalised === null) return null;
  const key = normalised.toLowerCase();
  return key === text(raw)?.toLowerCase() ? null : key;
}

export function validateContact(raw: RawContact, context: ValidationContext): ContactValidation {
  const issues: ContactValidation['issues'] = [];
  const note = <T extends FieldCheck<unknown>>(field: string, check: T): T => {
    if (check.issue) issues.push({ field, issue: check.issue });
    return check;
  };

  const countryCheck = note('country', checkCountry(raw.country));
  const country = countryCheck.normalised ?? context.defaultCountry;
  const email = note('email', checkEmail(raw.email));
  const phone = note('phone', checkPhone(raw.phone, country));
  const mobile = note('mobile', checkMobile(raw.mobile, country));
  const postal = note('postal_code', checkPostalCode(raw.postal_code, country));
  const firstName = note('first_name', checkName(raw.first_name));
  const lastName = note('last_name', checkName(raw.last_name));
  const civility = note('civility', checkCivility(raw.civility));
  const gender = note('gender', checkGender(raw.gender));
  const reconciled = reconcileGender(civility, gender);
  if (reconciled.issue) issues.push({ field: 'gender', issue: reconciled.issue });
  const birth = note('birth_date', checkBirthDate(raw.birth_date, context.today));
  note('created_at', checkPastDate(raw.created_at, context.today));
  note('last_activity_at', checkPastDate(raw.last_activity_at, context.today));
  const siret = note('siret', checkSiret(raw.siret));

  const line1 = text(raw.address_line1);
  const city = text(raw.city)?.replace(/\s+/g, ' ') ?? null;
  const addressComplete = line1 !== null && city !== null && postal.ok && postal.normalised !== null;
  const parts = [
    email.ok && !email.empty,
    phone.normalised !== null || mobile.normalised !== null,
    firstName.normalised !== null,
    lastName.normalised !== null,
    addressComplete,
    birth.ok && !birth.empty,
  ];

  const columns: ValidatedColumns = {
    email_clean: email.normalised,
    // null = the key import computed (trim + lower case) is already right: nothing to write.
    email_norm: refinedKey(email.normalised, raw.email),
    email_valid: email.empty ? null : email.ok ? 1 : 0,
    email_suggestion: email.suggestion,
    email_disposable: email.empty ? null : email.disposable ? 1 : 0,
    email_role: email.empty ? null : email.role ? 1 : 0,
    phone_e164: phone.normalised,
    phone_type: phone.type,
    mobile_e164: mobile.normalised,
    mobile_type: mobile.type,
    sms_e164: smsNumber(phone, mobile),
    postal_code_norm: postal.normalised,
    country_code: countryCheck.normalised ?? (text(raw.country) === null ? context.defaultCountry : null),
    city_norm: city,
    address_complete: addressComplete ? 1 : 0,
    first_name_norm: firstName.normalised,
    last_name_norm: lastName.normalised,
    civility_norm: civility.normalised,
    gender_norm: reconciled.gender,
    siret_norm: siret.normalised,
    completeness: Math.round((100 * parts.filter(Boolean).length) / parts.length),
    validation_issues: JSON.stringify(issues.map((i) => `${i.field}:${i.issue.code}`)),
  };
  return { columns, issues };
}
