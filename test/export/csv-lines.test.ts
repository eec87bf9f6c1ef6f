import { describe, expect, it } from 'vitest';
import { mulberry32 as rng } from '../../bench/random.js';
import type { ValueKind } from '../../src/export/columns.js';
import { CsvLines } from '../../src/export/csv-lines.js';
import type { OutValue } from '../../src/export/format.js';
import { RowText } from '../../src/export/lines.js';

/** Characters that change how a cell is written, and some that do not. */
const PIECES = ['a', 'Zoé', '€', '🎉', 'Ł', ' ', '"', ',', ';', '|', '\t', '\r', '\n', '\0', '=', '+', '-', '@', "'", '_', '1', '9', '0', '+33612345678', '12.5', 'x'];
const DELIMITERS = [',', ';', '\t', '|'];
const KINDS: ValueKind[] = ['text', 'e164', 'number', 'id'];

function randomText(random: () => number): string {
  let text = '';
  for (let n = Math.floor(random() * 4); n > 0; n--) text += PIECES[Math.floor(random() * PIECES.length)];
  return text;
}

/** A value as SQLite would hand it to the usual path: numbers only in number columns (INTEGER affinity). */
function randomValue(kind: ValueKind, random: () => number): OutValue {
  const roll = random();
  if (roll < 0.15) return null;
  if (kind === 'number' && roll < 0.6) return Math.floor((random() - 0.3) * 10 ** Math.floor(random() * 8));
  if (kind === 'e164' && roll < 0.5) return `+33${Math.floor(random() * 1e9)}`;
  if (kind === 'id' && roll < 0.5) return `${random() < 0.5 ? '-' : ''}${Math.floor(random() * 1e6).toString(36)}_x`;
  return randomText(random);
}

describe('CSV lines put together by SQLite', () => {
  it('gives the cell writers\' text for any values, or asks for the values', () => {
    const random = rng(11);
    let plain = 0;
    let split = 0;
    for (let i = 0; i < 20_000; i++) {
      const delimiter = DELIMITERS[i % DELIMITERS.length]!;
      const kinds = Array.from({ length: 1 + Math.floor(random() * 5) }, () => KINDS[Math.floor(random() * KINDS.length)]!);
      const values = kinds.map((k) => randomValue(k, random));
      // What SQLite's concat() gives: NULL as nothing, integers in decimal.
      const line = values.map((v) => (v === null ? '' : String(v))).join(delimiter);
      const expected = new RowText('csv', [], kinds, delimiter).row(values, false);
      const lines = new CsvLines(kinds, delimiter);
      const got = lines.text(line);
      const heldDelimiter = values.some((v) => typeof v === 'string' && v.includes(delimiter));
      if (heldDelimiter) {
        expect(got).toBeNull();
        continue;
      }
      if (got === null) {
        // Only where the line cannot tell: a number column holding a NUL (what a real becomes) or digits past 2^53.
        expect(values.some((v, k) => kinds[k] === 'number' && typeof v === 'string' && /\0|^-?\d{16,}$/.test(v))).toBe(true);
        continue;
      }
      expect(got).toBe(expected);
      if (got === `${line}\r\n`) plain++;
      else split++;
    }
    // Both ways of writing a line were reached.
    expect(plain).toBeGreaterThan(1000);
    expect(split).toBeGreaterThan(1000);
  });

  it('asks for the values of numbers JavaScript writes differently: reals (NUL from SQL) and integers past 2^53', () => {
    const lines = new CsvLines(['text', 'number'], ',');
    expect(lines.text('a,12345678901234567')).toBeNull();
    expect(lines.text('a,-12345678901234567')).toBeNull();
    expect(lines.text('a,\0')).toBeNull();
    expect(lines.text('a,123456789012345')).toBe('a,123456789012345\r\n');
    expect(lines.text('=a,-12')).toBe("'=a,-12\r\n");
    expect(lines.text('a,12345678901234567x')).toBe('a,12345678901234567x\r\n');
  });
});
