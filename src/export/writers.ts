/**
 * Streaming writers for CSV, XLSX, JSON and JSON Lines. Each row is written as it comes (memory stays
 * flat), the bytes are hashed as written (the export log keeps the SHA-256 of what left), files are
 * written under a temporary name with mode 0600 and renamed only when complete, and a row limit per file
 * splits a large export into numbered files.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { tempOutputName } from '../store/scratch.js';
import { once } from 'node:events';
import { PassThrough, type Writable } from 'node:stream';
import type ExcelJS from 'exceljs';
import { loadExcelJS } from '../io/exceljs.js';
import type { ValueKind } from './columns.js';
import { xlsxCell, type OutValue } from './format.js';
import { EncodedText, FLUSH_AT, RowText, type Format } from './lines.js';

export type { Format } from './lines.js';
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
  /** Bytes per file: a row that would take a file past it starts the next numbered file (text formats). */
  maxBytesPerFile?: number;
  /** The XLSX sheet's name (default "Contacts"). */
  sheet?: string;
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

/** One export's output: rows in, files out. */
export class ExportSink {
  private readonly parts: { target: ByteTarget; rows: number }[] = [];
  private current: { target: ByteTarget; rows: number } | null = null;
  /** Text not yet written (text formats). */
  private readonly pendingText: EncodedText;
  private readonly text: RowText | null;
  private workbook: ExcelJS.stream.xlsx.WorkbookWriter | null = null;
  private sheet: ExcelJS.Worksheet | null = null;
  private xlsxPipe: Promise<void> | null = null;
  /** Characters replaced by '?' because Windows-1252 has no code for them. */
  unencodable = 0;

  constructor(
    private readonly headers: string[],
    private readonly kinds: ValueKind[],
    private readonly options: SinkOptions,
  ) {
    this.text = options.format === 'xlsx' ? null : new RowText(options.format, headers, kinds, options.delimiter);
    this.pendingText = new EncodedText(options.encoding);
  }

  private tempName(index: number): string {
    return tempOutputName(this.options.out, 'export', index);
  }

  private async open(): Promise<void> {
    const index = this.parts.length + 1;
    const target = new ByteTarget(this.options.out === '-' ? null : this.tempName(index), this.options.stdout);
    this.current = { target, rows: 0 };
    this.parts.push(this.current);
    if (!this.text) {
      const excel = await loadExcelJS();
      const pipe = new PassThrough();
      this.xlsxPipe = (async () => {
        for await (const chunk of pipe) await target.write(chunk as Buffer);
      })();
      // No shared strings and no styles: each row can be flushed as it is committed.
      this.workbook = new excel.stream.xlsx.WorkbookWriter({ stream: pipe, useSharedStrings: false, useStyles: false });
      // Frozen header row: the file is for a person to read and edit.
      this.sheet = this.workbook.addWorksheet(this.options.sheet ?? 'Contacts', { views: [{ state: 'frozen', ySplit: 1 }] });
      this.sheet.addRow(this.headers.map((h) => xlsxCell('text', h))).commit();
      return;
    }
    if (this.options.bom && this.options.format === 'csv') await target.write(Buffer.from([0xef, 0xbb, 0xbf]));
    this.pendingText.append(this.text.head());
  }

  private async flush(): Promise<void> {
    if (!this.current || this.pendingText.pending() === 0) return;
    const { bytes, unencodable } = this.pendingText.take();
    this.unencodable += unencodable;
    await this.current.target.write(bytes);
  }

  private async finishPart(): Promise<void> {
    if (!this.current) return;
    if (this.text) this.pendingText.append(this.text.tail(this.current.rows));
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
  writeRow(values: OutValue[], kinds?: ValueKind[]): Promise<void> | undefined {
    const part = this.current;
    const max = this.options.maxRowsPerFile;
    if (!part || (max !== undefined && part.rows >= max) || !this.text || this.options.maxBytesPerFile !== undefined) return this.writeRowAsync(values, kinds);
    this.pendingText.append(this.text.row(values, part.rows === 0, kinds));
    part.rows++;
    return this.pendingText.pending() >= FLUSH_AT ? this.flush() : undefined;
  }

  /**
   * Writes rows formatted and encoded elsewhere (by export workers, with the same RowText): `bytes`
   * hold `rows` whole rows, each written as one that follows another. Only for a sink with no row
   * limit per file.
   */
  async writeEncodedRows(bytes: Buffer, rows: number, unencodable: number, ends?: ArrayLike<number>): Promise<void> {
    if (this.options.maxRowsPerFile !== undefined || !this.text) throw new Error('writeEncodedRows: a text format without a row limit per file');
    if (rows === 0) return;
    if (!this.current) await this.open();
    if (this.options.maxBytesPerFile !== undefined) {
      if (this.options.format !== 'csv' || !ends) throw new Error('writeEncodedRows: a byte limit needs CSV rows and where each ends');
      this.unencodable += unencodable;
      await this.writeWithinBytes(bytes, rows, ends, this.options.maxBytesPerFile);
      return;
    }
    const part = this.current!;
    // A JSON row that follows another starts with a comma: not the file's first.
    if (this.options.format === 'json' && part.rows === 0) bytes = bytes.subarray(1);
    await this.flush();
    part.rows += rows;
    this.unencodable += unencodable;
    await part.target.write(bytes);
  }

  /**
   * CSV rows formatted elsewhere (`ends`: where each row ends in `bytes`), cut at row boundaries so that
   * no file passes `maxBytes`; the same files as writing the rows one by one.
   */
  private async writeWithinBytes(bytes: Buffer, rows: number, ends: ArrayLike<number>, maxBytes: number): Promise<void> {
    let start = 0;
    let row = 0;
    while (row < rows) {
      const part = this.current!;
      const room = maxBytes - part.target.bytes - this.pendingText.pending();
      let fit = row;
      while (fit < rows && ends[fit]! - start <= room) fit++;
      if (fit === row) {
        if (part.rows > 0) {
          if (this.options.out === '-') throw new OutputError(`the list does not fit in one file of ${maxBytes.toLocaleString('en')} bytes: use --out FILE to split it into numbered files`);
          await this.finishPart();
          await this.open();
          continue;
        }
        fit = row + 1; // a row longer than a file is alone in its file
      }
      const end = ends[fit - 1]!;
      await this.flush();
      await part.target.write(bytes.subarray(start, end));
      part.rows += fit - row;
      start = end;
      row = fit;
    }
  }

  /** A row that opens a file (the first, or the first after a split) or goes to a workbook. */
  private async writeRowAsync(values: OutValue[], kinds?: ValueKind[]): Promise<void> {
    const max = this.options.maxRowsPerFile;
    const maxBytes = this.options.maxBytesPerFile;
    let text: string | null = null;
    if (this.current && this.text && maxBytes !== undefined) {
      // A file never goes past the byte limit: the row starts the next file when it would.
      text = this.text.row(values, this.current.rows === 0, kinds);
      const bytes = this.current.target.bytes + this.pendingText.pending() + Buffer.byteLength(text) + Buffer.byteLength(this.text.tail(this.current.rows + 1));
      if (bytes > maxBytes && this.current.rows > 0) {
        if (this.options.out === '-') throw new OutputError(`the list does not fit in one file of ${maxBytes.toLocaleString('en')} bytes: use --out FILE to split it into numbered files`);
        await this.finishPart();
        text = null;
      }
    }
    if (this.current && max !== undefined && this.current.rows >= max) {
      if (this.options.out === '-') throw new OutputError(`the list does not fit in one file of ${(max + 1).toLocaleString('en')} rows (header included): use --out FILE to split it into numbered files`);
      await this.finishPart();
      text = null;
    }
    if (!this.current) await this.open();
    const part = this.current!;
    if (this.text) {
      this.pendingText.append(text ?? this.text.row(values, part.rows === 0, kinds));
      part.rows++;
      if (this.pendingText.pending() >= FLUSH_AT) await this.flush();
      return;
    }
    part.rows++;
    const cells = values.map((v, i) => xlsxCell((kinds ?? this.kinds)[i]!, v));
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
