import { describe, expect, it } from 'vitest';
import { checkPostalCode } from '../../src/validate/postal-code.js';

describe('checkPostalCode', () => {
  const valid: Array<[string, string, string]> = [
    ['75002', 'FR', '75002'],
    ['1000', 'FR', '01000'], // Bourg-en-Bresse, leading zero dropped by a spreadsheet
    ['6000', 'FR', '06000'],
    ['75 008', 'FR', '75008'],
    ['F-75008', 'FR', '75008'],
    ['FR 75008', 'FR', '75008'],
    ['75008 CEDEX', 'FR', '75008'],
    ['92042 Cedex 3', 'FR', '92042'],
    ['75008.0', 'FR', '75008'],
    ['20000', 'FR', '20000'], // Ajaccio (Corsica)
    ['20200', 'FR', '20200'],
    ['97110', 'FR', '97110'], // Guadeloupe
    ['97400', 'FR', '97400'], // Réunion
    ['97600', 'FR', '97600'], // Mayotte
    ['98000', 'MC', '98000'], // Monaco
    ['98800', 'FR', '98800'], // Nouvelle-Calédonie
    ['97110', 'GP', '97110'],
    ['B-1000', 'BE', '1000'],
    ['L-1234', 'LU', '1234'],
    ['CH-1200', 'CH', '1200'],
    ['10115', 'DE', '10115'],
    ['sw1a 1aa', 'GB', 'SW1A 1AA'],
    ['NW16XE', 'GB', 'NW1 6XE'],
    ['k1a0b1', 'CA', 'K1A 0B1'],
    ['2108', 'US', '02108'],
    ['123456789', 'US', '12345-6789'],
    ['1234 ab', 'NL', '1234 AB'], // a country without a known format is only tidied
  ];
  it.each(valid)('accepts %j in %s as %j', (input, country, normalised) => {
    const result = checkPostalCode(input, country);
    expect(result.ok).toBe(true);
    expect(result.normalised).toBe(normalised);
  });

  const invalid: Array<[string, string, string]> = [
    ['2A000', 'FR', 'corsica_department'],
    ['2B200', 'FR', 'corsica_department'],
    ['00100', 'FR', 'unknown_department'],
    ['96000', 'FR', 'unknown_department'],
    ['97900', 'FR', 'unknown_department'],
    ['750080', 'FR', 'wrong_format'],
    ['123', 'FR', 'wrong_format'],
    ['PARIS', 'FR', 'wrong_format'],
    ['75OO8', 'FR', 'wrong_format'],
    ['75000', 'MC', 'unknown_department'],
    ['0999', 'BE', 'wrong_format'],
    ['12345', 'BE', 'wrong_format'],
    ['00123', 'DE', 'wrong_format'],
    ['W1', 'GB', 'wrong_format'],
    ['D1A 1A1', 'CA', 'wrong_format'],
  ];
  it.each(invalid)('refuses %j in %s (%s)', (input, country, code) => {
    const result = checkPostalCode(input, country);
    expect(result.ok).toBe(false);
    expect(result.issue?.code).toBe(code);
  });

  it('is a fixed point: a normalised code normalises to itself', () => {
    for (const [input, country] of valid) {
      const once = checkPostalCode(input, country).normalised!;
      expect(checkPostalCode(once, country).normalised).toBe(once);
    }
  });
});
