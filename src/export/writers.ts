/**
 * Streaming writers for CSV, XLSX, JSON and JSON Lines. Each row is written as it comes (memory stays
 * flat), the bytes are hashed as written (the export log keeps the SHA-256 of what left), files are
 * written under a temporary name with mode 0600 and renamed only when complete, and a row limit per file
 * splits a large export into numbered files.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { PassThrough, type Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import type { ValueKind } from './columns.js';
import { spreadsheetCell, type OutValue } from './format.js';

export type Format = 'csv' | 'xlsx' | 'json' | 'jsonl';
export const FORMATS: readonly Format[] = ['csv', 'xlsx', 'json', 'jsonl'];

export interface SinkOptions {
  format: Format;
  /** A file path, or '-' for stdout. */
  out: string;
  stdout: NodeJS.WritableStream;
  delimiter: string;
  encoding: 'utf8' | 'cp1252';
  bom: boolean;
  /** Data rows per file (header not counted); more rows go to the next numbered file. */
  maxRowsPerFile?: number;
}

export interface FileResult {
  path: string;
  rows: number;
  sha256: string;
  bytes: number;
}

/** The output could not be written (folder missing, disk full, stdout closed, too many rows for stdout). */
export class OutputError extends Error {}

/** Fails early, before any work, when the output file cannot be created. */
export function checkOutputPath(out: string): void {
  if (out === '-') return;
  const dir = path.dirname(path.resolve(out));
  if (!fs.existsSync(dir)) throw new OutputError(`${out}: folder ${dir} does not exist`);
  if (fs.existsSync(out) && fs.statSync(out).isDirectory()) throw new OutputError(`${out} is a folder: name a file`);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new OutputError(`${out}: cannot write in ${dir}`);
  }
}

const XML_INVALID = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g;

/** Characters outside Windows-1252 (iconv-lite writes them as '?'). */
const NOT_CP1252 = /[^\x00-\x7f\xa0-\xff\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u017e\u0178]/g;

/** Where one file's bytes go: a temporary file (or stdout), hashed on the way. */
class ByteTarget {
  readonly hash = crypto.createHash('sha256');
  bytes = 0;
  private readonly stream: Writable | NodeJS.WritableStream;
  private failure: Error | null = null;

  constructor(
    readonly tempPath: string | null,
    stdout: NodeJS.WritableStream,
  ) {
    this.stream = tempPath ? fs.createWriteStream(tempPath, { flags: 'wx', mode: 0o600, highWaterMark: 1 << 20 }) : stdout;
    // A write error arrives as an event, possibly between two writes: keep it and fail the next call.
    this.stream.on('error', (error: NodeJS.ErrnoException) => {
      this.failure =
        error.code === 'EPIPE'
          ? new OutputError('stdout was closed before the export finished; the export was not recorded')
          : new OutputError(`${tempPath ?? 'stdout'}: ${error.message}`);
    });
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }

  async write(chunk: Buffer): Promise<void> {
    this.check();
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (!this.stream.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.stream.off('drain', done);
          this.stream.off('error', done);
          resolve();
        };
        this.stream.on('drain', done);
        this.stream.on('error', done);
      });
      this.check();
    }
  }

  async end(): Promise<string> {
    this.check();
    if (this.tempPath) {
      const stream = this.stream as fs.WriteStream;
      stream.end();
      await once(stream, 'close').catch(() => undefined);
      this.check();
    }
    return this.hash.digest('hex');
  }

  destroy(): void {
    if (this.tempPath) {
      (this.stream as fs.WriteStream).destroy();
      fs.rmSync(this.tempPath, { force: true });
    }
  }
}

function csvQuote(text: string, delimiter: string): string {
  if (text.includes('"')) return `"${text.replace(/"/g, '""')}"`;
  if (text.includes(delimiter) || text.includes('\n') || text.includes('\r')) return `"${text}"`;
  return text;
}

/**
 * One CSV cell writer per column, made once: the spreadsheet rule of the column's kind, then RFC 4180
 * quoting, with one regular expression test deciding whether a cell needs quotes at all (most do not).
 */
function csvCell(kind: ValueKind, delimiter: string): (value: OutValue) => string {
  const special = new RegExp(`["\r\n${delimiter.replace(/[|\\]/g, '\\$&')}]`);
  return (value) => {
    if (value === null) return '';
    const cell = spreadsheetCell(kind, value);
    if (typeof cell === 'number') return String(cell);
    return cell !== null && special.test(cell) ? csvQuote(cell, delimiter) : (cell ?? '');
  };
}

/** Text goes to the file in chunks of about this many bytes (a few thousand rows). */
const FLUSH_AT = 1 << 20;

/**
 * UTF-8 text gathered as bytes, each piece encoded as it comes: a long string built by concatenation
 * is a tree of small pieces that costs as much again to flatten and encode at once.
 */
class Utf8Chunk {
  private bytes = Buffer.allocUnsafe(FLUSH_AT + (FLUSH_AT >> 2));
  used = 0;

  append(text: string): void {
    if (this.used + text.length * 3 > this.bytes.length) {
      const larger = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + text.length * 3));
      this.bytes.copy(larger, 0, 0, this.used);
      this.bytes = larger;
    }
    this.used += this.bytes.write(text, this.used, 'utf8');
  }

  /** The bytes so far; the chunk starts afresh (the returned bytes belong to the caller). */
  take(): Buffer {
    const taken = this.bytes.subarray(0, this.used);
    this.bytes = Buffer.allocUnsafe(this.bytes.length);
    this.used = 0;
    return taken;
  }
}

/** One export's output: rows in, files out. */
export class ExportSink {
  private readonly parts: { target: ByteTarget; rows: number }[] = [];
  private current: { target: ByteTarget; rows: number } | null = null;
  /** Text not yet written: as a string for Windows-1252 (encoded at once by iconv), else as UTF-8 bytes. */
  private buffer = '';
  private readonly utf8: Utf8Chunk | null;
  private workbook: ExcelJS.stream.xlsx.WorkbookWriter | null = null;
  private sheet: ExcelJS.Worksheet | null = null;
  private xlsxPipe: Promise<void> | null = null;
  /** Characters replaced by '?' because Windows-1252 has no code for them. */
  unencodable = 0;

  private readonly cells: ((value: OutValue) => string)[];

  constructor(
    private readonly headers: string[],
    private readonly kinds: ValueKind[],
    private readonly options: SinkOptions,
  ) {
    this.cells = kinds.map((kind) => csvCell(kind, options.delimiter));
    this.utf8 = options.encoding === 'utf8' ? new Utf8Chunk() : null;
  }

  private append(text: string): void {
    if (this.utf8) this.utf8.append(text);
    else this.buffer += text;
  }

  private pending(): number {
    return this.utf8 ? this.utf8.used : this.buffer.length;
  }

  private tempName(index: number): string {
    const dir = path.dirname(path.resolve(this.options.out));
    return path.join(dir, `.${path.basename(this.options.out)}.${process.pid}.${index}.tmp`);
  }

  private async open(): Promise<void> {
    const index = this.parts.length + 1;
    const target = new ByteTarget(this.options.out === '-' ? null : this.tempName(index), this.options.stdout);
    this.current = { target, rows: 0 };
    this.parts.push(this.current);
    const { format, delimiter } = this.options;
    if (format === 'xlsx') {
      const pipe = new PassThrough();
      this.xlsxPipe = (async () => {
        for await (const chunk of pipe) await target.write(chunk as Buffer);
      })();
      // No shared strings and no styles: each row can be flushed as it is committed.
      this.workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: pipe, useSharedStrings: false, useStyles: false });
      this.sheet = this.workbook.addWorksheet('Contacts');
      this.sheet.addRow(this.headers).commit();
      return;
    }
    if (this.options.bom && format === 'csv') await target.write(Buffer.from([0xef, 0xbb, 0xbf]));
    if (format === 'csv') this.append(`${this.headers.map((h) => csvQuote(h, delimiter)).join(delimiter)}\r\n`);
    if (format === 'json') this.append('[');
  }

  private async flush(): Promise<void> {
    if (!this.current || this.pending() === 0) return;
    let bytes: Buffer;
    if (this.utf8) {
      bytes = this.utf8.take();
    } else {
      const bad = this.buffer.match(NOT_CP1252);
      if (bad) this.unencodable += bad.length;
      bytes = iconv.encode(this.buffer, 'win1252');
      this.buffer = '';
    }
    await this.current.target.write(bytes);
  }

  private async finishPart(): Promise<void> {
    if (!this.current) return;
    if (this.options.format === 'json') this.append(this.current.rows ? '\n]\n' : ']\n');
    if (this.workbook) {
      this.sheet?.commit();
      await this.workbook.commit();
      await this.xlsxPipe;
      this.workbook = null;
      this.sheet = null;
    }
    await this.flush();
    this.current = null;
  }

  /**
   * Writes one row. Text formats append to a buffer and return a promise only when the buffer went to
   * the file (await it: the file's backpressure); no promise per row for the other rows.
   */
  writeRow(values: OutValue[]): Promise<void> | undefined {
    const part = this.current;
    const max = this.options.maxRowsPerFile;
    if (!part || (max !== undefined && part.rows >= max) || this.options.format === 'xlsx') return this.writeRowAsync(values);
    part.rows++;
    const format = this.options.format;
    if (format === 'csv') {
      const delimiter = this.options.delimiter;
      const cells = this.cells;
      let line = cells[0]!(values[0] ?? null);
      for (let i = 1; i < values.length; i++) line += delimiter + cells[i]!(values[i] ?? null);
      this.append(`${line}\r\n`);
    } else {
      const record: Record<string, OutValue> = {};
      for (let i = 0; i < values.length; i++) record[this.headers[i]!] = values[i] ?? null;
      const text = JSON.stringify(record);
      this.append(format === 'json' ? `${part.rows > 1 ? ',' : ''}\n  ${text}` : `${text}\n`);
    }
    return this.pending() >= FLUSH_AT ? this.flush() : undefined;
  }

  /** A row that opens a file (the first, or the first after a split) or goes to a workbook. */
  private async writeRowAsync(values: OutValue[]): Promise<void> {
    const max = this.options.maxRowsPerFile;
    if (this.current && max !== undefined && this.current.rows >= max) {
      if (this.options.out === '-') throw new OutputError(`the list does not fit in one file of ${(max + 1).toLocaleString('en')} rows (header included): use --out FILE to split it into numbered files`);
      await this.finishPart();
    }
    if (!this.current) await this.open();
    if (this.options.format !== 'xlsx') {
      await this.writeRow(values);
      return;
    }
    const part = this.current!;
    part.rows++;
    const cells = values.map((v, i) => {
      const cell = spreadsheetCell(this.kinds[i]!, v);
      if (typeof cell !== 'string') return cell;
      if (this.kinds[i] === 'number' && cell !== '') return Number(cell);
      // XML 1.0 cannot hold most control characters: a NUL would make the workbook unreadable.
      return cell.replace(XML_INVALID, '');
    });
    this.sheet!.addRow(cells).commit();
    // Let the zip stream drain now and then: exceljs buffers what is committed until the loop yields.
    if (part.rows % 2000 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Ends the output: renames the temporary files into place and returns what was written. */
  async close(): Promise<FileResult[]> {
    if (!this.current && this.parts.length === 0) await this.open(); // an empty export still has its header
    await this.finishPart();
    const results: FileResult[] = [];
    const split = this.parts.length > 1;
    const ext = path.extname(this.options.out);
    const base = this.options.out.slice(0, this.options.out.length - ext.length);
    for (let i = 0; i < this.parts.length; i++) {
      const part = this.parts[i]!;
      const sha256 = await part.target.end();
      const finalPath = this.options.out === '-' ? '-' : split ? `${base}-${i + 1}${ext}` : this.options.out;
      if (part.target.tempPath) fs.renameSync(part.target.tempPath, finalPath);
      results.push({ path: finalPath, rows: part.rows, sha256, bytes: part.target.bytes });
    }
    return results;
  }

  /** Removes every temporary file: a failed export leaves nothing behind. */
  abort(): void {
    for (const part of this.parts) part.target.destroy();
  }
}
