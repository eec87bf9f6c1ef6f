import { describe, expect, it } from 'vitest';
import { checkName } from '../../src/validate/names.js';

describe('checkName', () => {
  const cases: Array<[string, string]> = [
    ['JEAN-PIERRE', 'Jean-Pierre'],
    ['jean-pierre', 'Jean-Pierre'],
    ['  Marie   Claire ', 'Marie Claire'],
    ['Jean - Pierre', 'Jean-Pierre'],
    ["O'BRIEN", "O'Brien"],
    ['o’brien', "O'Brien"],
    ['DE LA TOUR', 'de la Tour'],
    ['de la tour', 'de la Tour'],
    ['LE GOFF', 'Le Goff'],
    ['le goff', 'Le Goff'],
    ['LA FONTAINE', 'La Fontaine'],
    ['DE GAULLE', 'de Gaulle'],
    ["JEAN D'ARTAGNAN", "Jean d'Artagnan"],
    ["N'DIAYE", "N'Diaye"],
    ['VAN DER BERG', 'van der Berg'],
    ['DOS SANTOS', 'dos Santos'],
    ['MCDONALD', 'McDonald'],
    ['ÉLODIE', 'Élodie'],
    ['MARIE-HÉLÈNE', 'Marie-Hélène'],
    ['josé maría', 'José María'],
    ['McBride', 'McBride'], // mixed case is the person's own spelling
    ['DuPont', 'DuPont'],
    ['van Gogh', 'van Gogh'],
  ];
  it.each(cases)('normalises %j to %j', (input, expected) => {
    const result = checkName(input);
    expect(result.ok).toBe(true);
    expect(result.normalised).toBe(expected);
    // a fixed point: clean writes it, the next validation leaves it alone
    expect(checkName(expected).normalised).toBe(expected);
  });

  const refused: Array<[string, string]> = [
    ['JEAN2', 'contains_digits'],
    ['Marie 3', 'contains_digits'],
    ['test', 'placeholder'],
    ['XXX', 'placeholder'],
    ['Inconnu', 'placeholder'],
    ['N/A', 'placeholder'],
    ['---', 'no_letters'],
    ['jean@free.fr', 'odd_characters'],
  ];
  it.each(refused)('refuses %j (%s)', (input, code) => {
    const result = checkName(input);
    expect(result.ok).toBe(false);
    expect(result.issue?.code).toBe(code);
  });

  it('warns about initials but keeps them', () => {
    expect(checkName('J.')).toMatchObject({ ok: true, normalised: 'J.', issue: { code: 'initial_only' } });
  });

  it('does not respell letters that change length in upper case', () => {
    expect(checkName('strauß').normalised).toBe('Strauß');
  });
});
