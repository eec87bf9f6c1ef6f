import { describe, expect, it } from 'vitest';
import { fold, identifierKind } from '../../src/gdpr/lookup.js';
import { parseAssignment, parseTags, RectifyError } from '../../src/gdpr/rectify.js';

describe('identifiers', () => {
  it('tells a uid, an email and a phone number apart', () => {
    expect(identifierKind('01a24de0-f320-7000-a1a6-e9746cfea166')).toBe('uid');
    expect(identifierKind(' Ana@Example.org ')).toBe('email');
    expect(identifierKind('06 11 22 33 44')).toBe('phone');
    expect(identifierKind('+33 6 11 22 33 44')).toBe('phone');
    expect(identifierKind('Ferreira')).toBeNull();
    expect(identifierKind('12')).toBeNull();
  });

  it('folds accents and case for name searches', () => {
    expect(fold('Hélène LEFÈVRE')).toBe('helene lefevre');
  });
});

describe('contact set arguments', () => {
  it('reads field=value, empty clears, attributes.NAME allowed, other fields refused', () => {
    expect(parseAssignment('city=Lyon = 1er')).toEqual({ field: 'city', value: 'Lyon = 1er' });
    expect(parseAssignment('phone=')).toEqual({ field: 'phone', value: '' });
    expect(parseAssignment('attributes.Carte=C-1')).toEqual({ field: 'attributes.Carte', value: 'C-1' });
    expect(() => parseAssignment('uid=x')).toThrow(RectifyError);
    expect(() => parseAssignment('status=erased')).toThrow(RectifyError);
    expect(() => parseAssignment('nofield')).toThrow(RectifyError);
  });

  it('splits tags as an imported tags cell is split', () => {
    expect(parseTags(['vip,newsletter', 'vip', ' lyon '])).toEqual(['vip', 'newsletter', 'lyon']);
    expect(() => parseTags([' , '])).toThrow(RectifyError);
  });
});
