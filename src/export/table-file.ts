/**
 * Files custkit writes for a person to open other than exports (rejects, validate's issue list, the
 * dedupe review file), written by the export's sink so that one rule holds for every file: identifiers
 * byte-exact, free text neutralised in CSV, XLSX cells string cells, the chosen delimiter, encoding
 * and BOM, rows streamed, and a file created 0600 under a temporary name, renamed when complete.
 */
import path from 'node:path';
import type { ValueKind } from './columns.js';
import type { OutValue } from './format.js';
import { checkOutputPath, ExportSink, type FileResult } from './writers.js';

export interface TableFileOptions {
  /** A file path, or '-' for stdout (CSV only). */
  out: string;
  stdout: NodeJS.WritableStream;
  /** Default: from the extension (.xlsx), else CSV. */
  format?: 'csv' | 'xlsx';
  delimiter: string;
  encoding: 'utf8' | 'cp1252';
  bom: boolean;
  /** The XLSX sheet's name. */
  sheet?: string;
}

export interface TableRow {
  values: OutValue[];
  /** This row's own kinds, when a column's kind changes from row to row. */
  kinds?: ValueKind[];
}

export interface TableFileResult {
  rows: number;
  file: FileResult;
  /** Characters Windows-1252 could not hold (written as '?'). */
  unencodable: number;
}

export class TableFileError extends Error {}

export function tableFormatOf(out: string): 'csv' | 'xlsx' {
  return path.extname(out).toLowerCase() === '.xlsx' ? 'xlsx' : 'csv';
}

/** Checks the options before any work: a failure here leaves the store and the disk as they were. */
export function checkTableFile(options: TableFileOptions): void {
  const format = options.format ?? tableFormatOf(options.out);
  if (format === 'xlsx' && options.out === '-') throw new TableFileError('an XLSX file cannot go to stdout: name a .xlsx file');
  if (format === 'xlsx' && (options.encoding !== 'utf8' || options.bom)) throw new TableFileError('--encoding and --bom apply to CSV only (XLSX is always UTF-8)');
  if (options.encoding === 'cp1252' && options.bom) throw new TableFileError('--bom marks UTF-8: it cannot be used with --encoding cp1252');
  try {
    checkOutputPath(options.out);
  } catch (error) {
    throw new TableFileError((error as Error).message);
  }
}

/** Streams `rows` into the file; nothing is left behind when it fails. */
export async function writeTableFile(headers: string[], kinds: ValueKind[], rows: Iterable<TableRow> | AsyncIterable<TableRow>, options: TableFileOptions): Promise<TableFileResult> {
  checkTableFile(options);
  const sink = new ExportSink(headers, kinds, {
    format: options.format ?? tableFormatOf(options.out),
    out: options.out,
    stdout: options.stdout,
    delimiter: options.delimiter,
    encoding: options.encoding,
    bom: options.bom,
    sheet: options.sheet,
  });
  let count = 0;
  try {
    for await (const row of rows) {
      const pending = sink.writeRow(row.values, row.kinds);
      if (pending) await pending;
      count++;
    }
    const [file] = await sink.close();
    return { rows: count, file: file!, unencodable: sink.unencodable };
  } catch (error) {
    sink.abort();
    throw error;
  }
}
