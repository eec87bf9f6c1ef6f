/**
 * TEMPORARY TEST DOUBLE, export branch only: the validate stage (branch `validate`) owns this file and
 * migration 10. It exists here so the export stage compiles and its tests run before validate lands on
 * main; the lead replaces it with the real one when merging. Columns follow CONTRIBUTING.md's contract.
 */
import type { Migration } from '../store/migrations.js';

export const validateMigrations: Migration[] = [
  {
    id: 10,
    name: 'validate (export test double): validated columns on contacts',
    sql: `
      ALTER TABLE contacts ADD COLUMN email_valid INTEGER;
      ALTER TABLE contacts ADD COLUMN phone_e164 TEXT;
      ALTER TABLE contacts ADD COLUMN phone_type TEXT;
      ALTER TABLE contacts ADD COLUMN mobile_e164 TEXT;
      ALTER TABLE contacts ADD COLUMN mobile_type TEXT;
      ALTER TABLE contacts ADD COLUMN sms_e164 TEXT;
      ALTER TABLE contacts ADD COLUMN postal_code_norm TEXT;
      ALTER TABLE contacts ADD COLUMN country_code TEXT;
      ALTER TABLE contacts ADD COLUMN address_complete INTEGER;
      ALTER TABLE contacts ADD COLUMN validated_at TEXT;
    `,
  },
];
