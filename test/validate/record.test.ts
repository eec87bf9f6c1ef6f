import { describe, expect, it } from 'vitest';
import { validateContact } from '../../src/validate/record.js';
import { ISSUE_KINDS } from '../../src/validate/issues.js';
import { RAW_CONTACT_COLUMNS, ValidatedColumnsSchema, type RawContact } from '../../src/validate/schemas.js';

const context = { defaultCountry: 'FR', today: '2026-06-15' };

function raw(values: Partial<RawContact>): RawContact {
  return { ...(Object.fromEntries(RAW_CONTACT_COLUMNS.map((c) => [c, null])) as RawContact), ...values };
}

describe('validateContact', () => {
  it('fills the validated columns of the contract', () => {
    const { columns } = validateContact(
      raw({ email: ' Jean@Orange.FR ', phone: '01 42 68 53 00', mobile: '06 12 34 56 78', postal_code: '1000', city: 'Bourg-en-Bresse', address_line1: '1 rue A', country: 'France', first_name: 'JEAN', last_name: 'DUPONT', civility: 'M', birth_date: '1980-01-02' }),
      context,
    );
    expect(ValidatedColumnsSchema.parse(columns)).toBeTruthy();
    expect(columns).toMatchObject({
      email_clean: 'Jean@orange.fr', email_norm: null, email_valid: 1, phone_e164: '+33142685300', phone_type: 'fixed',
      mobile_e164: '+33612345678', mobile_type: 'mobile', sms_e164: '+33612345678', postal_code_norm: '01000', country_code: 'FR',
      address_complete: 1, first_name_norm: 'Jean', last_name_norm: 'Dupont', civility_norm: 'M.', gender_norm: 'male', completeness: 100,
      validation_issues: '[]',
    });
  });

  it('refines the email key only where the import key (trim + lower case) is wrong', () => {
    expect(validateContact(raw({ email: 'mailto:Anne@Free.FR' }), context).columns.email_norm).toBe('anne@free.fr');
    expect(validateContact(raw({ email: 'anne@free.fr' }), context).columns.email_norm).toBeNull();
  });

  it("reads numbers and postal codes in the contact's own country", () => {
    const { columns } = validateContact(raw({ phone: '0470 12 34 56', postal_code: '1000', country: 'Belgique' }), context);
    expect(columns).toMatchObject({ phone_e164: '+32470123456', postal_code_norm: '1000', country_code: 'BE' });
  });

  it('records every issue with a code the catalogue knows', () => {
    const { columns, issues } = validateContact(
      raw({ email: 'x@gmial.com', phone: 'inconnu', postal_code: '2A000', first_name: 'JEAN2', birth_date: '2030-01-01', siret: '123', country: 'Narnia', civility: 'Mme', gender: 'H', created_at: '2031-01-01' }),
      context,
    );
    expect(JSON.parse(columns.validation_issues)).toEqual([
      'country:unknown_country', 'email:domain_typo', 'phone:not_a_number', 'postal_code:corsica_department', 'first_name:contains_digits',
      'gender:civility_conflict', 'birth_date:in_future', 'created_at:in_future', 'siret:wrong_length',
    ]);
    for (const { issue } of issues) expect(ISSUE_KINDS[issue.code], issue.code).toBeDefined();
    expect(columns.email_valid).toBe(0);
    expect(columns.email_suggestion).toBe('x@gmail.com');
    expect(columns.country_code).toBeNull();
  });

  it('is a fixed point: writing the normalised values back changes no validated column', () => {
    const samples = [
      raw({ email: 'mailto:Anne@Free.FR', phone: '+33 (0)6 12 34 56 78', mobile: '0590 12 34 56', postal_code: '6000', country: 'fra', first_name: 'marie-hélène', last_name: 'DE LA TOUR', civility: 'Mademoiselle', gender: 'F', siret: '732 829 320 00074', city: '  Nice  ' }),
      raw({ email: 'o@yahoo.de', phone: '0470 12 34 56', postal_code: 'b-1000', country: 'Belgique', first_name: "O'BRIEN", civility: 'Monsieur' }),
      raw({ phone: '020 7946 0958', postal_code: 'sw1a1aa', country: 'UK', last_name: 'mcdonald' }),
    ];
    for (const sample of samples) {
      const first = validateContact(sample, context).columns;
      const written = raw({
        ...sample,
        email: first.email_clean, phone: first.phone_e164, mobile: first.mobile_e164, postal_code: first.postal_code_norm,
        country: first.country_code, first_name: first.first_name_norm, last_name: first.last_name_norm, city: first.city_norm,
        civility: first.civility_norm, gender: first.gender_norm, siret: first.siret_norm,
      });
      // email_norm is only written where the import's key differs: once the address is clean it does not
      const { email_norm: _before, ...rest } = first;
      const { email_norm: after, ...again } = validateContact(written, context).columns;
      expect(again).toEqual(rest);
      expect(after).toBeNull();
    }
  });
});
