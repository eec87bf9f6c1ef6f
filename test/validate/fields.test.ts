import { describe, expect, it } from 'vitest';
import { checkCivility, checkGender, reconcileGender } from '../../src/validate/civility.js';
import { checkCountry, countryCode } from '../../src/validate/country.js';
import { checkBirthDate, checkPastDate } from '../../src/validate/dates.js';
import { cutoffDate } from '../../src/validate/duration.js';
import { requirementSql } from '../../src/validate/issues.js';
import { checkSiret } from '../../src/validate/siret.js';

describe('checkSiret', () => {
  it.each([
    ['73282932000074', '73282932000074'],
    ['732 829 320 00074', '73282932000074'],
    ['732.829.320.00074', '73282932000074'],
    ['732829320', '732829320'],
    ['35600000010014', '35600000010014'], // La Poste: fails Luhn, digit sum divisible by 5
  ])('accepts %j', (input, normalised) => {
    expect(checkSiret(input)).toMatchObject({ ok: true, normalised });
  });
  it.each([
    ['73282932000075', 'bad_checksum'],
    ['732829321', 'bad_checksum'],
    ['35600000010015', 'bad_checksum'],
    ['7328293200007', 'wrong_length'],
    ['7328293200007A', 'not_digits'],
  ])('refuses %j (%s)', (input, code) => {
    expect(checkSiret(input)).toMatchObject({ ok: false, issue: { code } });
  });
});

describe('dates', () => {
  const today = '2026-06-15';
  it('accepts plausible birth dates in the formats exports use', () => {
    expect(checkBirthDate('1985-07-14', today)).toMatchObject({ ok: true, normalised: '1985-07-14' });
    expect(checkBirthDate('14/07/1985', today)).toMatchObject({ ok: true, normalised: '1985-07-14' });
    expect(checkBirthDate('1906-06-15', today).ok).toBe(true); // exactly 120
  });
  it('refuses future, impossible and implausible birth dates', () => {
    expect(checkBirthDate('2026-06-16', today).issue?.code).toBe('in_future');
    expect(checkBirthDate('1906-06-14', today).ok).toBe(true); // 120 years and a day: still 120
    expect(checkBirthDate('1906-06-13', today).ok).toBe(true);
    expect(checkBirthDate('1905-06-14', today).issue?.code).toBe('too_old');
    expect(checkBirthDate('31/02/1980', today).issue?.code).toBe('unparseable');
    expect(checkBirthDate('bientôt', today).issue?.code).toBe('unparseable');
  });
  it('reads plain yyyy-mm-dd days as the general path reads the same day written yyyy/mm/dd', () => {
    for (const day of ['2026-06-15', '2028-02-29', '2025-03-01']) {
      const start = Date.UTC(1880, 0, 1);
      for (let t = start; t <= Date.UTC(2031, 0, 1); t += 86_400_000) {
        const plain = new Date(t).toISOString().slice(0, 10);
        const slashed = plain.replace(/-/g, '/');
        expect(checkBirthDate(plain, day), plain).toEqual(checkBirthDate(slashed, day));
        const past = checkPastDate(plain, day);
        expect({ ...past, normalised: past.normalised && slashed }, plain).toEqual(checkPastDate(slashed, day));
      }
      for (const odd of ['2023-02-29', '1900-02-29', '2000-02-30', '2024-13-01', '2024-00-10', '0999-01-01', '2024-1-01', '2024-01-0x']) {
        expect(checkBirthDate(odd, day), odd).toEqual(checkBirthDate(odd.replace(/-/g, '/'), day));
      }
    }
  });

  it('warns about placeholder birth dates', () => {
    expect(checkBirthDate('1970-01-01', today)).toMatchObject({ ok: true, issue: { code: 'placeholder_date' } });
  });
  it('refuses activity dates in the future, with or without a time', () => {
    expect(checkPastDate('2026-06-15 10:00:00', today).ok).toBe(true);
    expect(checkPastDate('2026-07-01 10:00:00', today).issue?.code).toBe('in_future');
  });
  it('turns --inactive-since durations into a cutoff day', () => {
    expect(cutoffDate('3y', '2026-06-15')).toBe('2023-06-15');
    expect(cutoffDate('18m', '2026-06-15')).toBe('2024-12-15');
    expect(cutoffDate('90d', '2026-06-15')).toBe('2026-03-17');
    expect(cutoffDate('2w', '2026-06-15')).toBe('2026-06-01');
    expect(cutoffDate('2024-01-01', '2026-06-15')).toBe('2024-01-01');
    expect(() => cutoffDate('three years', '2026-06-15')).toThrow(/not a duration/);
  });
});

describe('country', () => {
  it.each([
    ['France', 'FR'], ['FR', 'FR'], ['FRA', 'FR'], ['fr', 'FR'], ['  france ', 'FR'], ['République française', 'FR'],
    ['Belgique', 'BE'], ['Suisse', 'CH'], ['Allemagne', 'DE'], ['Germany', 'DE'], ['Royaume-Uni', 'GB'],
    ['United Kingdom', 'GB'], ['UK', 'GB'], ['Angleterre', 'GB'], ['USA', 'US'], ['États-Unis', 'US'],
    ['Guadeloupe', 'GP'], ['La Réunion', 'RE'], ["Côte d'Ivoire", 'CI'], ['Pays-Bas', 'NL'],
  ])('reads %j as %s', (input, code) => {
    expect(countryCode(input)).toBe(code);
  });
  it('refuses what is not a country', () => {
    expect(checkCountry('Narnia')).toMatchObject({ ok: false, issue: { code: 'unknown_country' } });
    expect(checkCountry('XX').ok).toBe(false);
  });
});

describe('civility and gender', () => {
  it.each([
    ['M', 'M.'], ['M.', 'M.'], ['Mr', 'M.'], ['Monsieur', 'M.'], ['MONSIEUR', 'M.'],
    ['Mme', 'Mme'], ['Madame', 'Mme'], ['Mlle', 'Mme'], ['Mademoiselle', 'Mme'], ['Mrs', 'Mme'], ['Ms', 'Mme'],
  ])('civility %j → %s', (input, civility) => {
    expect(checkCivility(input).normalised).toBe(civility);
  });
  it('knows couples and refuses the unknown', () => {
    expect(checkCivility('M. et Mme')).toMatchObject({ ok: true, couple: true, normalised: null });
    expect(checkCivility('Sa Majesté').issue?.code).toBe('unknown_civility');
  });
  it.each([
    ['H', 'male'], ['Homme', 'male'], ['M', 'male'], ['Masculin', 'male'], ['F', 'female'], ['Femme', 'female'],
    ['féminin', 'female'], ['X', 'other'], ['Non-binaire', 'other'],
  ])('gender %j → %s', (input, gender) => {
    expect(checkGender(input).normalised).toBe(gender);
  });
  it('fills gender from civility and flags disagreement', () => {
    expect(reconcileGender(checkCivility('Mme'), checkGender(null))).toEqual({ gender: 'female', issue: null });
    expect(reconcileGender(checkCivility('Mme'), checkGender('H')).issue?.code).toBe('civility_conflict');
    expect(reconcileGender(checkCivility('M.'), checkGender('X'))).toEqual({ gender: 'other', issue: null });
  });
});

describe('required fields', () => {
  it('builds any-of and all-of conditions and refuses unknown names', () => {
    expect(requirementSql('email|phone')).toContain(' OR ');
    expect(requirementSql('email,last_name')).toContain(' AND ');
    expect(() => requirementSql('email|fax')).toThrow(/unknown field "fax"/);
    expect(() => requirementSql(' , ')).toThrow(/at least one/);
  });
});
