import { describe, expect, it } from 'vitest';
import { deriveKeys, phoneKey } from '../../src/dedupe/keys.js';
import { chooseSurvivor, survivingValues, type ContactRow } from '../../src/dedupe/survivorship.js';

function row(id: number, values: Partial<ContactRow>): ContactRow {
  return {
    id, uid: `u${id}`, updated_at: '2025-01-01', status: 'active', first_name: null, last_name: null, email: null, email_norm: null,
    phone: null, mobile: null, address_line1: null, postal_code: null, city: null, birth_date: null, company: null, siret: null,
    tags: '[]', attributes: '{}', ...values,
  } as ContactRow;
}

const noHints = { previousSurvivors: new Set<number>(), knownUpTo: 0 };

describe('choosing the survivor', () => {
  it('prefers the most complete record, then the most recently updated', () => {
    const a = row(1, { first_name: 'A', email: 'a@x.fr', updated_at: '2024-01-01' });
    const b = row(2, { first_name: 'A', updated_at: '2025-01-01' });
    const c = row(3, { first_name: 'A', email: 'a@y.fr', updated_at: '2025-06-01' });
    expect(chooseSurvivor([a, b, c], noHints).id).toBe(3);
  });
  it('keeps an earlier survivor, so its uid stays stable', () => {
    const a = row(1, { first_name: 'A' });
    const b = row(2, { first_name: 'A', email: 'a@x.fr', phone: '01' });
    expect(chooseSurvivor([a, b], { previousSurvivors: new Set([1]), knownUpTo: 0 }).id).toBe(1);
    expect(chooseSurvivor([a, b], { previousSurvivors: new Set(), knownUpTo: 1 }).id).toBe(1);
  });
});

describe('surviving values', () => {
  it('takes the most recent valid non-empty value per field and keeps the other emails and phones', () => {
    const survivor = row(1, { email: 'old@x.fr', email_norm: 'old@x.fr', phone: '01 02 03 04 05', updated_at: '2024-01-01', tags: '["vip"]' });
    const newer = row(2, { email: 'new@x.fr', email_norm: 'new@x.fr', birth_date: '1980-01-02', updated_at: '2025-01-01', tags: '["newsletter"]', attributes: '{"loyalty":"gold"}' });
    const next = survivingValues(survivor, [survivor, newer], '2026-01-01T00:00:00Z');
    expect(next.email).toBe('new@x.fr');
    expect(next.birth_date).toBe('1980-01-02');
    expect(next.phone).toBeUndefined(); // unchanged
    expect(JSON.parse(String(next.attributes))).toEqual({ loyalty: 'gold', other_emails: ['old@x.fr'] });
    expect(JSON.parse(String(next.tags)).sort()).toEqual(['newsletter', 'vip']);
  });
  it('skips a value validate marked invalid', () => {
    const survivor = row(1, { email: 'ok@x.fr', email_norm: 'ok@x.fr', email_valid: 1, validated_at: '2025-01-01', updated_at: '2024-01-01' });
    const newer = row(2, { email: 'broken@', email_norm: 'broken@', email_valid: 0, validated_at: '2025-01-01', updated_at: '2025-01-01' });
    const next = survivingValues(survivor, [survivor, newer], '2026-01-01T00:00:00Z');
    expect(next.email).toBeUndefined();
    expect(next.validated_at).toBeNull();
  });
});

describe('keys', () => {
  it("prefers validate's normalised columns when the store has them", () => {
    const k = deriveKeys({ first_name: 'Zoé', last_name: "D'Arc", email_norm: 'Zoe@Example.fr', phone: 'garbage', mobile: null, postal_code: '7501',
      country: 'France', birth_date: '2001-02-03', siret: null, address_line1: null, city: 'Paris', phone_e164: '+33612345678', postal_code_norm: '75010' });
    expect(k).toMatchObject({ fn: 'zoe', ln: 'darc', email: 'zoe@example.fr', email_local: 'zoe', email_domain: 'example.fr', postal: '75010', dob: '20010203', phones: ['33612345678'] });
  });
  it('reads French numbers in every usual form', () => {
    for (const raw of ['06 12 34 56 78', '+33 6 12 34 56 78', '0033612345678', '+33 (0)6 12 34 56 78', '6.12.34.56.78']) {
      expect(phoneKey(raw)).toBe('33612345678');
    }
    expect(phoneKey('n/a')).toBeNull();
  });
});
