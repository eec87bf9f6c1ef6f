/**
 * Bounds the part of a CSV file the parser must hold: PapaParse keeps an unfinished record whole (and
 * parses it again with every chunk), so one giant field, or a stray opening quote that makes the rest of
 * the file one field, would grow memory with the file. After each chunk PapaParse says where it stopped
 * (`meta.cursor`, the start of the unfinished record); what was fed past that is what it holds. A record
 * longer than the bound is refused there, long before the file is read.
 */
import { LimitError, type InputLimits } from './limits.js';

/** A CSV record may be this many times the cell size (a row of several large cells is still one record). */
export const RECORD_CELLS = 4;

export class CsvRecordGuard {
  private fedChars = 0;
  private readonly max: number;

  constructor(
    private readonly displayName: string,
    private readonly limits: InputLimits,
  ) {
    this.max = limits.maxCellSize * RECORD_CELLS;
  }

  /** Text on its way to the parser. */
  fed(text: string): void {
    this.fedChars += text.length;
  }

  /**
   * The parser finished a chunk: `cursor` is where its unfinished record starts, `rows` the rows it gave
   * so far. (What is fed but still queued before the parser counts too: a few 64 KiB chunks at most.)
   */
  parsed(cursor: number, rows: number): void {
    const held = this.fedChars - cursor;
    if (held > this.max) {
      throw new LimitError(this.displayName, 'maxCellSize', this.limits.maxCellSize,
        `row ${rows + 1} is a record of more than ${held.toLocaleString('en')} characters (${RECORD_CELLS} x the cell size; an unclosed quote?)`);
    }
  }
}
