import { describe, expect, it } from 'vitest';
import { COMPARISONS, MISSING, dayMonthSwapped, levelOf } from '../../src/dedupe/comparison.js';
import { deriveKeys, type KeySource } from '../../src/dedupe/keys.js';
import type { RecordView } from '../../src/dedupe/records.js';

const blank: KeySource = {
  first_name: null, last_name: null, email_norm: null, phone: null, mobile: null, postal_code: null, country: null,
  birth_date: null, siret: null, address_line1: null, city: null,
};

function rec(values: Partial<KeySource>): RecordView {
  const k = deriveKeys({ ...blank, ...values });
  return { fn: k.fn, fi: k.fi, ln: k.ln, lnPhon: k.ln_phon, email: k.email, postal: k.postal, dob: k.dob,
    siret: k.siret, addr: k.addr, city: k.city, sex: k.sex, phones: k.phones.length > 0 ? k.phones : null };
}

function level(field: string, a: Partial<KeySource>, b: Partial<KeySource>): string {
  const c = COMPARISONS.find((x) => x.name === field)!;
  const l = levelOf(c, rec(a), rec(b));
  return l === MISSING ? 'missing' : c.levels[l].label;
}

describe('first_name', () => {
  it('ignores accents, case and hyphens', () => expect(level('first_name', { first_name: 'Jean-Éric' }, { first_name: 'JEAN ERIC' })).toBe('exact'));
  it('sees swapped first and last names', () => {
    expect(level('first_name', { first_name: 'Martin', last_name: 'Camille' }, { first_name: 'Camille', last_name: 'Martin' })).toBe('swapped with last name');
  });
  it('grades typos by Jaro-Winkler', () => {
    expect(level('first_name', { first_name: 'Christophe' }, { first_name: 'Christohpe' })).toBe('Jaro-Winkler >= 0.92');
    expect(level('first_name', { first_name: 'J' }, { first_name: 'Jean' })).toBe('Jaro-Winkler >= 0.8 or initial');
    expect(level('first_name', { first_name: 'Marie' }, { first_name: 'Paul' })).toBe('different');
  });
  it('gives no evidence when a side is empty', () => expect(level('first_name', { first_name: '' }, { first_name: 'Paul' })).toBe('missing'));
});

describe('last_name', () => {
  it('counts a swap only once (under first_name)', () => {
    expect(level('last_name', { first_name: 'Martin', last_name: 'Camille' }, { first_name: 'Camille', last_name: 'Martin' })).toMatch(/counted under first_name/);
  });
  it('matches French spellings that sound alike', () => {
    expect(level('last_name', { last_name: 'Gauthier' }, { last_name: 'Gautier' })).toBe('Jaro-Winkler >= 0.92');
    expect(level('last_name', { last_name: 'Lefebvre' }, { last_name: 'Lefèvre' })).toBe('Jaro-Winkler >= 0.92');
    expect(level('last_name', { last_name: 'Tessier' }, { last_name: 'Texier' })).toBe('same sound or Jaro-Winkler >= 0.8');
    expect(level('last_name', { last_name: 'Dupont' }, { last_name: 'Rousseau' })).toBe('different');
  });
});

describe('birth_date', () => {
  it('tolerates a day/month swap and a one-digit typo', () => {
    expect(dayMonthSwapped('19850307', '19850703')).toBe(true);
    expect(level('birth_date', { birth_date: '1985-03-07' }, { birth_date: '1985-07-03' })).toBe('day/month swapped or one digit off');
    expect(level('birth_date', { birth_date: '1985-03-07' }, { birth_date: '1986-03-07' })).toBe('day/month swapped or one digit off');
    expect(level('birth_date', { birth_date: '1985-03-07' }, { birth_date: '1985-03-07' })).toBe('exact');
    expect(level('birth_date', { birth_date: '1985-03-07' }, { birth_date: '1958-12-30' })).toBe('different');
  });
  it('reads yyyymmdd exports and ignores unparsed text', () => {
    expect(level('birth_date', { birth_date: '19850307' }, { birth_date: '1985-03-07' })).toBe('exact');
    expect(level('birth_date', { birth_date: 'unknown' }, { birth_date: '1985-03-07' })).toBe('missing');
  });
});

describe('email', () => {
  it('has exact, one typo, same local part and different levels', () => {
    expect(level('email', { email_norm: 'a.b@orange.fr' }, { email_norm: 'a.b@orange.fr' })).toBe('exact');
    expect(level('email', { email_norm: 'a.b@orange.fr' }, { email_norm: 'a.b@orangee.fr' })).toBe('one typo');
    expect(level('email', { email_norm: 'lea.martin@free.fr' }, { email_norm: 'lea.martin@gmail.com' })).toBe('same local part, other domain');
    expect(level('email', { email_norm: 'lea.martin@free.fr' }, { email_norm: 'paul@free.fr' })).toBe('different');
  });
  it('does not count twice an address made of the names, nor call another number a typo', () => {
    const lea = { first_name: 'Léa', last_name: 'Martin' };
    expect(level('email', { ...lea, email_norm: 'lea.martin@free.fr' }, { ...lea, email_norm: 'leamartin@gmail.com' })).toBe('made of the same names (counted under the names)');
    expect(level('email', { ...lea, email_norm: 'lea.martin12@free.fr' }, { ...lea, email_norm: 'lea.martin13@free.fr' })).toBe('different');
    expect(level('email', { ...lea, email_norm: 'lea.martin12@free.fr' }, { ...lea, email_norm: 'lea.marten12@free.fr' })).toBe('one typo');
  });
});

describe('phone', () => {
  it('compares national significant numbers whatever the format, across phone and mobile', () => {
    expect(level('phone', { mobile: '06 12 34 56 78' }, { phone: '+33 (0)6.12.34.56.78' })).toBe('a number in common');
    expect(level('phone', { mobile: '0612345678' }, { mobile: '0033612345678' })).toBe('a number in common');
    expect(level('phone', { mobile: '612345678' }, { mobile: '06 12 34 56 78' })).toBe('a number in common');
    expect(level('phone', { mobile: '0612345678' }, { mobile: '0612345679' })).toBe('one digit off');
    expect(level('phone', { mobile: '0612345678' }, { mobile: '0798765432' })).toBe('different');
  });
  it('reads other countries through libphonenumber-js', () => {
    expect(level('phone', { phone: '+32 2 555 12 34' }, { phone: '02 555 12 34', country: 'Belgique' })).toBe('a number in common');
  });
});

describe('postal_code, city, address, siret', () => {
  it('grades postcodes', () => {
    expect(level('postal_code', { postal_code: '75011' }, { postal_code: ' 75011' })).toBe('exact');
    expect(level('postal_code', { postal_code: '75011' }, { postal_code: '75012' })).toBe('one character off');
  });
  it('does not count the city twice when the postcode already agrees', () => {
    expect(level('city', { city: 'Paris', postal_code: '75011' }, { city: 'PARIS', postal_code: '75011' })).toMatch(/counted under postal_code/);
    expect(level('city', { city: 'Marseille', postal_code: '13001' }, { city: 'MARSEILLES', postal_code: '13002' })).toBe('Jaro-Winkler >= 0.88');
  });
  it('grades addresses by Jaro-Winkler', () => {
    expect(level('address', { address_line1: '12 rue Victor-Hugo' }, { address_line1: '12 Rue Victor Hugo' })).toBe('exact');
    expect(level('address', { address_line1: '12 rue Victor Hugo' }, { address_line1: '12 rue Victor Hugi' })).toBe('Jaro-Winkler >= 0.9');
  });
  it('needs 14 digits for a SIRET', () => {
    expect(level('siret', { siret: '732 829 320 00074' }, { siret: '73282932000074' })).toBe('exact');
    expect(level('siret', { siret: '7328' }, { siret: '73282932000074' })).toBe('missing');
  });
});
