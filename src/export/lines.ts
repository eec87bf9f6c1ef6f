/**
 * From a selected row to the bytes of its line: the output columns' values (preset transforms), the
 * text of a CSV, JSON or JSON Lines row (spreadsheet rule per column kind, RFC 4180 quoting), and the
 * text encoded as UTF-8 or Windows-1252. The export's main thread and its workers share this code, so
 * a row is written the same way whichever thread formats it.
 */
import { createRequire } from 'node:module';
import { type DateFormat, type Transform, type ValueKind } from './columns.js';
import { applyTransform, spreadsheetCell, type OutValue } from './format.js';

export type Format = 'csv' | 'xlsx' | 'json' | 'jsonl';

export interface OutputColumn {
  header: string;
  /** Indexes into the plan's base keys. */
  from: number[];
  transform: Transform;
  kind: ValueKind;
  sourceKind: ValueKind;
}

/**
 * The output values of a row, by one getter per column built once: most columns are a single stored
 * value, read without the two small arrays per cell the general transform path allocates (a million
 * rows notice the garbage). `positions[i]` is where base key i is in a row. The returned array is
 * reused for every row: read it before asking for the next.
 */
export function rowValues(outputs: OutputColumn[], positions: number[], dateFormat: DateFormat): (base: unknown[]) => OutValue[] {
  const getters = outputs.map((o): ((base: unknown[]) => OutValue) => {
    const from = o.from.map((i) => positions[i]!);
    const [only] = from;
    if (o.transform === 'value' && from.length === 1 && o.sourceKind !== 'tags' && o.sourceKind !== 'date') {
      return (base) => (base[only!] ?? null) as OutValue;
    }
    return (base) => applyTransform(o.transform, from.map((i) => (base[i] ?? null) as OutValue), dateFormat, o.sourceKind);
  });
  const values = new Array<OutValue>(getters.length);
  return (base) => {
    for (let i = 0; i < getters.length; i++) values[i] = getters[i]!(base);
    return values;
  };
}

export function csvQuote(text: string, delimiter: string): string {
  if (text.includes('"')) return `"${text.replace(/"/g, '""')}"`;
  if (text.includes(delimiter) || text.includes('\n') || text.includes('\r')) return `"${text}"`;
  return text;
}

/**
 * One CSV cell writer per column, made once: the spreadsheet rule of the column's kind, then RFC 4180
 * quoting, with one regular expression test deciding whether a cell needs quotes at all (most do not).
 */
export function csvCell(kind: ValueKind, delimiter: string): (value: OutValue) => string {
  const special = new RegExp(`["\r\n${delimiter.replace(/[|\\]/g, '\\$&')}]`);
  return (value) => {
    if (value === null) return '';
    const cell = spreadsheetCell(kind, value);
    if (typeof cell === 'number') return String(cell);
    return cell !== null && special.test(cell) ? csvQuote(cell, delimiter) : (cell ?? '');
  };
}

/** The text of one row in a text format (CSV, JSON, JSON Lines), line end included. */
export class RowText {
  private readonly cells: ((value: OutValue) => string)[];
  private readonly byKind = new Map<ValueKind, (value: OutValue) => string>();

  constructor(
    private readonly format: Exclude<Format, 'xlsx'>,
    private readonly headers: string[],
    kinds: ValueKind[],
    private readonly delimiter: string,
  ) {
    this.cells = kinds.map((kind) => this.cellOf(kind));
  }

  private cellOf(kind: ValueKind): (value: OutValue) => string {
    let cell = this.byKind.get(kind);
    if (!cell) this.byKind.set(kind, (cell = csvCell(kind, this.delimiter)));
    return cell;
  }

  /** The header line (CSV: headers are free text, a file's own headers too), or the opening of the array (JSON). */
  head(): string {
    if (this.format === 'csv') return `${this.headers.map((h) => this.cellOf('text')(h)).join(this.delimiter)}\r\n`;
    return this.format === 'json' ? '[' : '';
  }

  /**
   * `first`: the first row of its file (a JSON row after another is preceded by a comma). `kinds`: this
   * row's own value kinds, when a column's kind changes from row to row (an issue list's values).
   */
  row(values: OutValue[], first: boolean, kinds?: ValueKind[]): string {
    if (this.format === 'csv') {
      const cells = kinds ? kinds.map((k) => this.cellOf(k)) : this.cells;
      let line = cells[0]!(values[0] ?? null);
      // A row may hold more cells than the header (a rejected row kept whole): those are free text.
      for (let i = 1; i < values.length; i++) line += this.delimiter + (cells[i] ?? this.cellOf('text'))(values[i] ?? null);
      return `${line}\r\n`;
    }
    const record: Record<string, OutValue> = {};
    for (let i = 0; i < values.length; i++) record[this.headers[i]!] = values[i] ?? null;
    const text = JSON.stringify(record);
    return this.format === 'json' ? `${first ? '' : ','}\n  ${text}` : `${text}\n`;
  }

  /** The end of a file that holds `rows` rows. */
  tail(rows: number): string {
    if (this.format !== 'json') return '';
    return rows ? '\n]\n' : ']\n';
  }
}

/** Text goes to the file in chunks of about this many bytes (a few thousand rows). */
export const FLUSH_AT = 1 << 20;

/** iconv-lite, loaded for Windows-1252 only (an export worker writing UTF-8 starts without it). */
let iconv: typeof import('iconv-lite') | null = null;

/** Characters outside Windows-1252 (iconv-lite writes them as '?'). */
const NOT_CP1252 = /[^\x00-\x7f\xa0-\xff\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u017e\u0178]/g;

/**
 * Text gathered and encoded for the file. UTF-8 is encoded piece by piece as it comes (a long string
 * built by concatenation is a tree of small pieces that costs as much again to flatten and encode at
 * once); Windows-1252 is kept as a string and encoded at once by iconv-lite.
 */
export class EncodedText {
  private bytes: Buffer | null;
  private used = 0;
  private text = '';

  constructor(private readonly encoding: 'utf8' | 'cp1252') {
    this.bytes = encoding === 'utf8' ? Buffer.allocUnsafe(FLUSH_AT + (FLUSH_AT >> 2)) : null;
  }

  append(text: string): void {
    const bytes = this.bytes;
    if (!bytes) {
      this.text += text;
      return;
    }
    if (this.used + text.length * 3 > bytes.length) {
      const larger = Buffer.allocUnsafe(Math.max(bytes.length * 2, this.used + text.length * 3));
      bytes.copy(larger, 0, 0, this.used);
      this.bytes = larger;
    }
    this.used += this.bytes!.write(text, this.used, 'utf8');
  }

  /**
   * The bytes held, once encoded: iconv-lite writes Windows-1252 one byte per UTF-16 code unit (a
   * character outside the BMP is two '?'), so its text's length is its bytes' (take() checks it).
   */
  pending(): number {
    return this.bytes ? this.used : this.text.length;
  }

  /**
   * The encoded bytes so far, and how many characters Windows-1252 could not hold (written as '?');
   * starts afresh. The bytes belong to the caller; with `reuse`, only until the next append (their
   * memory is used again: an export worker copies them out at once).
   */
  take(reuse = false): { bytes: Buffer; unencodable: number } {
    if (this.bytes) {
      const taken = this.bytes.subarray(0, this.used);
      if (!reuse) this.bytes = Buffer.allocUnsafe(this.bytes.length);
      this.used = 0;
      return { bytes: taken, unencodable: 0 };
    }
    const bad = this.text.match(NOT_CP1252);
    iconv ??= createRequire(import.meta.url)('iconv-lite') as typeof import('iconv-lite');
    const bytes = iconv.encode(this.text, 'win1252');
    if (bytes.length !== this.text.length) throw new Error('Windows-1252: the encoder did not write one byte per code unit');
    this.text = '';
    return { bytes, unencodable: bad ? bad.length : 0 };
  }
}
