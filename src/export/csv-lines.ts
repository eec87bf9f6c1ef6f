/**
 * CSV lines put together by SQLite. Reading a row cost mostly one JavaScript string per value (and
 * then a cell writer per value); when every column of a CSV export is a stored value written as it is
 * (no preset transform, no date, tags or real-number column), the statement instead returns each
 * row's values joined by the delimiter, as one text value.
 *
 * Such a line is written as it is when one regular expression shows the cell writers (lines.ts) would
 * give the same text: no value holds a quote, CR, LF or NUL, no free-text value starts with = + - @ tab
 * or CR, typed values have their type's shape or start harmlessly, numbers are integers JavaScript
 * writes the same way, and the line holds exactly one delimiter fewer than columns. Otherwise the line
 * is split on the delimiter and written cell by cell; and when that cannot be exact either (a value
 * holding the delimiter, a real number, an integer JavaScript would round), the row's values are read
 * again and written the usual way. Either way the bytes are those of the usual path.
 */
import type { ValueKind } from './columns.js';
import { csvCell, type OutputColumn } from './lines.js';
import type { OutValue } from './format.js';
import { COLUMNS } from './columns.js';

/** Kinds whose cells the line test below knows. */
const LINE_KINDS: ReadonlySet<ValueKind> = new Set(['text', 'email', 'e164', 'code', 'number', 'id']);

/** The base keys of the output columns, when SQLite can put the CSV line together; null otherwise. */
export function csvLineKeys(outputs: OutputColumn[], baseKeys: string[]): string[] | null {
  const keys: string[] = [];
  for (const o of outputs) {
    const key = baseKeys[o.from[0]!]!;
    if (o.transform !== 'value' || o.from.length !== 1 || !LINE_KINDS.has(o.sourceKind) || COLUMNS[key]!.real) return null;
    keys.push(key);
  }
  return keys;
}

/**
 * The line as an SQL expression, from each column's SQL and kind. A real number in a number column
 * becomes a NUL, which sends the row to its values (SQLite and JavaScript write reals differently).
 */
export function csvLineSql(columns: { sql: string; kind: ValueKind }[], delimiter: string): string {
  const cells = columns.map((c) => (c.kind === 'number' ? `CASE typeof(${c.sql}) WHEN 'real' THEN char(0) ELSE ${c.sql} END` : c.sql));
  return `concat(${cells.join(`, '${delimiter}', `)})`;
}

/** A character class body holding `text` literally. */
function classOf(text: string): string {
  return text.replace(/[\\\]^-]/g, '\\$&');
}

export class CsvLines {
  /** A line to write as it is. */
  private readonly plain: RegExp;
  private readonly cells: ((value: OutValue) => string)[];
  /** Integers JavaScript reads as rounded numbers (above 2^53: 16 digits or more), and NUL. */
  private static readonly NOT_EXACT_NUMBER = /^-?\d{16,}$|\0/;

  constructor(
    private readonly kinds: ValueKind[],
    private readonly delimiter: string,
  ) {
    const d = classOf(delimiter);
    // Free text: empty, or not starting with a formula character, and no character that needs quotes.
    const text = `(?:[^${d}"\\r\\n\\0=+\\-@\\t][^${d}"\\r\\n\\0]*)?`;
    const cell: Record<string, string> = {
      text,
      e164: `(?:\\+[1-9]\\d{6,14}|${text})`,
      // An integer of at most 15 digits is written the same by both; longer digit runs take the values.
      number: `(?:-?\\d{1,15}|(?!-?\\d{16})${text})`,
      id: `(?:[\\w-]+|${text})`,
      // The identifier shapes of format.ts (ASCII codes here: others are checked cell by cell).
      email: `(?:[^${d}\\s"'()=|!,;<>\\\\[\\]:@]+@[^${d}\\s"'()=|!,;<>\\\\[\\]:@]+|${text})`,
      code: `(?:[A-Za-z0-9+\\-][A-Za-z0-9 ._/+#\\-]*|${text})`,
    };
    this.plain = new RegExp(`^${kinds.map((k) => cell[k]!).join(delimiter.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))}$`);
    this.cells = kinds.map((kind) => csvCell(kind, delimiter));
  }

  /** The row's text (line end included), or null when its values must be read again. */
  text(line: string): string | null {
    if (this.plain.test(line)) return `${line}\r\n`;
    const fields = line.split(this.delimiter);
    if (fields.length !== this.kinds.length) return null; // a value holds the delimiter
    let out = '';
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      if (this.kinds[i] === 'number' && CsvLines.NOT_EXACT_NUMBER.test(field)) return null;
      out += (i === 0 ? '' : this.delimiter) + this.cells[i]!(field);
    }
    return `${out}\r\n`;
  }
}
