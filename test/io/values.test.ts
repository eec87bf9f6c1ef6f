import { describe, expect, it } from 'vitest';
import { detectDateOrder, excelSerialToIso, lineAmount, parseAmount, parseBoolean, parseDate, parseNumber } from '../../src/io/values.js';

describe('parseDate', () => {
  it.each([
    ['14/07/1985', 'dmy', '1985-07-14'],
    ['07/14/1985', 'mdy', '1985-07-14'],
    ['1985-07-14', 'dmy', '1985-07-14'],
    ['1985-07-14T08:30:00', 'dmy', '1985-07-14 08:30:00'],
    ['1985-07-14T08:30:00Z', 'dmy', '1985-07-14 08:30:00'],
    ['2024-01-05 00:00:00', 'dmy', '2024-01-05'],
    ['18/02/2025 14:30', 'dmy', '2025-02-18 14:30:00'],
    ['5/3/2024', 'dmy', '2024-03-05'],
    ['05.03.2024', 'dmy', '2024-03-05'],
    ['05-03-2024', 'dmy', '2024-03-05'],
    ['19850714', 'dmy', '1985-07-14'],
    ['3 mars 2024', 'dmy', '2024-03-03'],
    ['1er janvier 2020', 'dmy', '2020-01-01'],
    ['14 févr. 2023', 'dmy', '2023-02-14'],
    ['March 3, 2024', 'dmy', '2024-03-03'],
    ['45292', 'dmy', '2024-01-01'],
    ['29/02/2024', 'dmy', '2024-02-29'],
  ] as const)('%s (%s) -> %s', (text, order, expected) => {
    expect(parseDate(text, order)).toBe(expected);
  });

  it.each(['31/02/2024', '29/02/2023', '31/13/2025', '00/01/2020', 'demain', '12345', '2024-13-01', '25:00', ''])('rejects %j', (text) => {
    expect(parseDate(text, 'dmy')).toBeNull();
  });

  it('reads dd/mm/yyyy and yyyy-mm-dd on its fast path exactly as the general path reads them', () => {
    // A midnight time sends the same date through the regular expressions: both paths must agree.
    const digits = (n: number, width: number): string => String(n).padStart(width, '0');
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const separators = ['/', '-', '.'];
    for (let i = 0; i < 3000; i++) {
      const day = digits(random(34), 2);
      const month = digits(random(15), 2);
      const year = digits([0, 999, 1000, 1900, 1985, 2000, 2024, 2100, 9999][random(9)]!, 4);
      const [s1, s2] = [separators[random(3)]!, separators[random(3)]!];
      for (const order of ['dmy', 'mdy', 'ymd'] as const) {
        const numeric = `${day}${s1}${month}${s2}${year}`;
        expect(parseDate(numeric, order), numeric).toBe(parseDate(`${numeric} 00:00`, order));
        const iso = `${year}${s1}${month}${s2}${day}`;
        expect(parseDate(iso, order), iso).toBe(parseDate(`${iso}T00:00`, order));
      }
    }
    expect(parseDate('1985-07-14', 'mdy')).toBe('1985-07-14');
    expect(parseDate('0999-07-14', 'dmy')).toBeNull();
  });

  it('reads two-digit years around today', () => {
    expect(parseDate('01/02/99', 'dmy')).toBe('1999-02-01');
    expect(parseDate('01/02/21', 'dmy')).toBe('2021-02-01');
  });

  it('converts Excel serial numbers, 1900 system', () => {
    expect(excelSerialToIso(45292)).toBe('2024-01-01');
    expect(excelSerialToIso(45292.5)).toBe('2024-01-01 12:00:00');
  });
});

describe('detectDateOrder', () => {
  it('finds day-first when a first number is above 12', () => {
    expect(detectDateOrder(['01/02/2020', '25/12/2021'])).toBe('dmy');
  });
  it('finds month-first when a second number is above 12', () => {
    expect(detectDateOrder(['01/02/2020', '12/25/2021'])).toBe('mdy');
  });
  it('says when the sample cannot tell', () => {
    expect(detectDateOrder(['01/02/2020', '03/04/2021'])).toBeNull();
    expect(detectDateOrder(['2020-01-02', ''])).toBe('none');
  });
});

describe('parseAmount', () => {
  it.each([
    ['1 234,56 €', true, 123456, 'EUR'],
    ['1\u202f234,56\u00a0€', true, 123456, 'EUR'],
    ['1,234.56', false, 123456, null],
    ['1.234,56', true, 123456, null],
    ['12.5', false, 1250, null],
    ['12,5', true, 1250, null],
    ['-3,50', true, -350, null],
    ['(12.00)', false, -1200, null],
    ['12,50 EUR', true, 1250, 'EUR'],
    ['$1,000', false, 100000, 'USD'],
    ['£9.99', false, 999, 'GBP'],
    ["1'234.50 CHF", false, 123450, 'CHF'],
    ['0,005', true, 1, null],
    ['1,234', true, 123, null],
    ['1,234', false, 123400, null],
    ['45', true, 4500, null],
  ] as const)('%s -> %i %s', (text, decimalComma, minor, currency) => {
    expect(parseAmount(text, decimalComma)).toEqual({ minor, currency });
  });

  it.each(['abc', '12,34.5', '1.2.3,4,5', '', '€', '12,3,4', '1.23.456', '12.3.4'])('rejects %j', (text) => {
    expect(parseAmount(text, true)).toBeNull();
    expect(parseAmount(text, false)).toBeNull();
  });

  it('rounds half away from zero on the decimal text, not through a float', () => {
    expect(parseAmount('1.005', false)?.minor).toBe(101);
    expect(parseAmount('-1.005', false)?.minor).toBe(-101);
    expect(lineAmount(3, 333)).toBe(999);
    expect(lineAmount(-12, 695)).toBe(-8340);
    expect(lineAmount(0.5, 195)).toBe(98);
  });

  it('uses the currency minor unit', () => {
    expect(parseAmount('1200', false, 'JPY')).toEqual({ minor: 1200, currency: null });
  });
});

describe('parseNumber and parseBoolean', () => {
  it('reads quantities both ways', () => {
    expect(parseNumber('1,5', true)).toBe(1.5);
    expect(parseNumber('-2')).toBe(-2);
    expect(parseNumber('deux')).toBeNull();
  });
  it.each([['oui', true], ['Non', false], ['YES', true], ['x', true], ['0', false], ['Vrai', true], ['faux', false], ['opt-in', true], ['', null], ['peut-être', undefined]] as const)(
    '%j -> %s',
    (text, expected) => {
      expect(parseBoolean(text)).toBe(expected);
    },
  );
});
