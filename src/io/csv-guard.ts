/**
 * Bounds the part of a CSV file the parser must hold: PapaParse keeps an unfinished record whole, so one
 * giant field, or a stray opening quote that makes the rest of the file one field, would grow memory with
 * the file. This follows quoting as PapaParse does (a quote opens a field only at its start; "" inside a
 * quoted field is a quote) and refuses a record longer than the bound, long before it is parsed.
 */
import { LimitError, type InputLimits } from './limits.js';

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** A CSV record may be this many times the cell size (a row of several large cells is still one record). */
export const RECORD_CELLS = 4;

export class CsvRecordGuard {
  private quoted = false;
  /** The previous text ended on a quote inside a quoted field: "" or a closing quote, decided by what comes next. */
  private quotePending = false;
  private atFieldStart = true;
  private length = 0;
  /** Records (lines outside quotes) finished so far: the row a refusal names. */
  private records = 0;
  private readonly max: number;
  private readonly delimiter: number;
  private newline: string | null | undefined;

  constructor(
    private readonly displayName: string,
    delimiter: string,
    private readonly limits: InputLimits,
  ) {
    this.max = limits.maxCellSize * RECORD_CELLS;
    this.delimiter = delimiter.charCodeAt(0);
  }

  push(text: string): void {
    // PapaParse takes the line end from the first text it sees; a file of bare CRs (old Mac) ends lines on CR.
    this.newline ??= text.includes('\n') ? '\n' : text.includes('\r') ? '\r' : null;
    const newline = this.newline ?? '\n';
    let i = 0;
    const n = text.length;
    if (this.quotePending && n > 0) {
      this.quotePending = false;
      if (text.charCodeAt(0) === QUOTE) {
        i = 1;
        this.length++;
      } else {
        this.quoted = false;
        this.atFieldStart = false;
      }
    }
    let nextQuote = -2; // not searched yet
    while (i < n) {
      if (this.quoted) {
        const q = text.indexOf('"', i);
        if (q < 0) {
          this.length += n - i;
          break;
        }
        this.length += q - i + 1;
        i = q + 1;
        if (i >= n) {
          this.quotePending = true;
          break;
        }
        if (text.charCodeAt(i) === QUOTE) {
          this.length++;
          i++;
        } else {
          this.quoted = false;
          this.atFieldStart = false;
        }
        nextQuote = -2;
        continue;
      }
      if (nextQuote !== -1 && nextQuote < i) nextQuote = text.indexOf('"', i);
      const nl = text.indexOf(newline, i);
      if (nextQuote >= 0 && (nl < 0 || nextQuote < nl)) {
        const q = nextQuote;
        const before = q === i ? (this.atFieldStart ? this.delimiter : 0) : text.charCodeAt(q - 1);
        this.length += q - i + 1;
        i = q + 1;
        if (before === this.delimiter || before === LF || before === CR) this.quoted = true;
        else this.atFieldStart = false;
        continue;
      }
      if (nl < 0) {
        this.length += n - i;
        const last = text.charCodeAt(n - 1);
        this.atFieldStart = last === this.delimiter || last === LF || last === CR;
        break;
      }
      this.records++;
      this.length = 0;
      this.atFieldStart = true;
      i = nl + 1;
    }
    if (this.length > this.max) {
      throw new LimitError(this.displayName, 'maxCellSize', this.limits.maxCellSize,
        `row ${this.records + 1} is a record of more than ${this.length.toLocaleString('en')} characters (${RECORD_CELLS} x the cell size; an unclosed quote?)`);
    }
  }
}
