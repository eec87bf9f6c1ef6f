/**
 * TEMPORARY TEST DOUBLE, export branch only: the real `ensureValidated` comes from the validate stage
 * (branch `validate`) and replaces this file when the lead merges. It fills the contract's columns with
 * deliberately crude SQL rules so export runs end to end meanwhile; export's tests set those columns
 * themselves (validated_at = updated_at), so they never depend on these rules.
 */
import type { Db } from '../store/db.js';

export function ensureValidated(db: Db): number {
  // Same format as contacts.updated_at (ISO with T and Z), so the staleness comparison holds.
  const now = new Date().toISOString();
  const result = db
    .prepare(
      `UPDATE contacts SET
         email_valid = CASE WHEN email_norm IS NULL OR email_norm = '' THEN NULL
                            WHEN email_norm GLOB '?*@?*.?*' AND email_norm NOT GLOB '* *' THEN 1 ELSE 0 END,
         phone_e164 = CASE WHEN phone_digits GLOB '+[1-9][0-9][0-9][0-9][0-9][0-9][0-9]*' THEN phone_digits END,
         mobile_e164 = CASE WHEN mobile_digits GLOB '+[1-9][0-9][0-9][0-9][0-9][0-9][0-9]*' THEN mobile_digits END,
         sms_e164 = CASE WHEN mobile_digits GLOB '+[1-9][0-9][0-9][0-9][0-9][0-9][0-9]*' THEN mobile_digits END,
         postal_code_norm = nullif(trim(postal_code), ''),
         country_code = CASE WHEN length(trim(country)) = 2 THEN upper(trim(country)) END,
         address_complete = CASE WHEN nullif(trim(address_line1), '') IS NOT NULL AND nullif(trim(postal_code), '') IS NOT NULL
                                  AND nullif(trim(city), '') IS NOT NULL THEN 1 ELSE 0 END,
         validated_at = @now
       WHERE validated_at IS NULL OR validated_at < updated_at`,
    )
    .run({ now });
  return result.changes;
}
