import { describe, expect, it } from 'vitest';
import { bounded, quoted, quotedList } from '../../src/io/quote.js';

describe('quoted input in messages', () => {
  it('quotes a short text whole', () => {
    expect(quoted('E-mail')).toBe('"E-mail"');
    expect(bounded('E-mail')).toBe('E-mail');
  });

  it('cuts a long text with an ellipsis and its length', () => {
    const header = 'H'.repeat(50_000);
    expect(quoted(header)).toBe(`"${'H'.repeat(80)}…" (50,000 characters)`);
    expect(bounded(header, 10)).toBe(`${'H'.repeat(10)}… (50,000 characters)`);
  });

  it('counts characters, and never cuts a character in two', () => {
    const text = '😀'.repeat(100);
    const shown = bounded(text, 5);
    expect(shown).toBe(`${'😀'.repeat(5)}… (100 characters)`);
  });

  it('shows control characters escaped: a header cannot colour or move the terminal', () => {
    expect(quoted('Nom\u001b[31m\r\nVille\t\u0000')).toBe('"Nom\\u001b[31m\\r\\nVille\\t\\u0000"');
    // Escaping counts towards the bound.
    expect(bounded('\u0007'.repeat(200), 12)).toBe('\\u0007\\u0007… (200 characters)');
  });

  it('lists up to ten items or 400 characters, then how many more', () => {
    const columns = Array.from({ length: 16_384 }, (_, i) => `c${i}`);
    expect(quotedList(columns, 'columns')).toBe('"c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", … and 16,374 more columns');
    expect(quotedList(columns.slice(0, 3), 'columns')).toBe('"c0", "c1", "c2"');
    expect(quotedList(columns, 'columns', { maxItems: 2 })).toBe('"c0", "c1", … and 16,382 more columns');
    const long = Array.from({ length: 50 }, (_, i) => `Question ${i} about something rather long indeed, as surveys have`);
    const list = quotedList(long, 'columns');
    expect(list.length).toBeLessThan(500);
    expect(list).toMatch(/^"Question 0 about[^…]*, … and 44 more columns$/);
  });

  it('always shows the first item, cut, even when it alone is over the list bound', () => {
    expect(quotedList(['x'.repeat(5000), 'y'], 'columns', { maxChars: 50 })).toBe(`"${'x'.repeat(80)}…" (5,000 characters), … and 1 more columns`);
  });
});
