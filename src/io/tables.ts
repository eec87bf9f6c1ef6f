/**
 * Opens an input file as one or more tables of rows (a CSV file is one table; each sheet of a workbook
 * is one), with what was sniffed about it. Rows arrive in batches, numbered as a spreadsheet numbers them.
 */
import path from 'node:path';
import { inspectFile, sniffDelimiter, sniffEncoding, delimiterName, type Delimiter, type Encoding, type FileFacts } from './sniff.js';
import { readCsvRows, readTextHead, type Cell } from './readers.js';
import { readXlsxSheets } from './xlsx.js';

export interface RowBatch {
  rows: Cell[][];
  /** Row number of each row (the header is row 1 in a CSV file; Excel's own numbers in a workbook). */
  numbers: number[];
}

export interface Table {
  sheet: string | null;
  encoding: Encoding | null;
  delimiter: Delimiter | null;
  batches: AsyncGenerator<RowBatch, void, undefined>;
}

export interface OpenRequest {
  file: string;
  displayName: string;
  encoding: 'auto' | Encoding;
  delimiter: 'auto' | Delimiter;
  sheet?: string;
  allSheets?: boolean;
}

export class InputError extends Error {}

export function isWorkbook(file: string, facts: FileFacts): boolean {
  // A zip signature: .xlsx whatever its extension (and an .xlsx renamed .csv still opens).
  return facts.head[0] === 0x50 && facts.head[1] === 0x4b && (facts.head[2] === 0x03 || path.extname(file).toLowerCase() === '.xlsx');
}

export async function openTables(request: OpenRequest, facts: FileFacts): Promise<AsyncGenerator<Table, void, undefined>> {
  if (isWorkbook(request.file, facts)) return workbookTables(request);
  if (/\.xlsx$/i.test(request.file)) throw new InputError(`${request.displayName}: not a valid .xlsx workbook (it is not a zip archive)`);
  // --all-sheets is harmless on a CSV (one table); --sheet names something a CSV does not have.
  if (request.sheet !== undefined) throw new InputError(`${request.displayName}: --sheet applies to .xlsx workbooks only`);
  if (facts.size === 0) throw new InputError(`${request.displayName}: the file is empty`);
  if (!facts.bom && facts.head.includes(0)) {
    throw new InputError(`${request.displayName}: not a text file (it contains NUL bytes); custkit reads CSV/TSV text and .xlsx workbooks`);
  }
  if (/\.(xls|ods|numbers)$/i.test(request.file)) {
    throw new InputError(`${request.displayName}: this spreadsheet format is not supported; save it as .xlsx or .csv`);
  }
  const encoding = request.encoding === 'auto' ? sniffEncoding(facts) : request.encoding;
  const delimiter = request.delimiter === 'auto' ? sniffDelimiter(await readTextHead(request.file, encoding)) : request.delimiter;
  return (async function* single() {
    yield { sheet: null, encoding, delimiter, batches: csvBatches(request.file, encoding, delimiter) };
  })();
}

async function* csvBatches(file: string, encoding: Encoding, delimiter: Delimiter): AsyncGenerator<RowBatch, void, undefined> {
  let next = 1;
  for await (const rows of readCsvRows(file, encoding, delimiter)) {
    const numbers = new Array<number>(rows.length);
    for (let i = 0; i < rows.length; i++) numbers[i] = next++;
    yield { rows, numbers };
  }
}

async function* workbookTables(request: OpenRequest): AsyncGenerator<Table, void, undefined> {
  const seen: string[] = [];
  let yielded = false;
  try {
    for await (const sheet of readXlsxSheets(request.file)) {
      seen.push(sheet.name);
      const wanted = request.sheet === undefined
        ? true
        : sheet.name.toLowerCase() === request.sheet.toLowerCase() || String(sheet.index) === request.sheet;
      if (!wanted || (yielded && !request.allSheets)) {
        for await (const row of sheet.rows) void row; // drain: the stream reads sheets in order
        continue;
      }
      // Look at the first row to skip sheets with no data (a cover page, an empty "Sheet2").
      const first = await sheet.rows.next();
      if (first.done) continue;
      yielded = true;
      yield { sheet: sheet.name, encoding: null, delimiter: null, batches: sheetBatches(first.value, sheet.rows) };
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`${request.displayName}: cannot read the workbook (${(error as Error).message})`);
  }
  if (!yielded) {
    const which = request.sheet === undefined ? 'no sheet has data' : `no sheet "${request.sheet}" with data`;
    throw new InputError(`${request.displayName}: ${which} (sheets: ${seen.map((s, i) => `${i + 1} "${s}"`).join(', ') || 'none'})`);
  }
}

async function* sheetBatches(
  first: { number: number; cells: Cell[] },
  rest: AsyncGenerator<{ number: number; cells: Cell[] }, void, undefined>,
): AsyncGenerator<RowBatch, void, undefined> {
  let batch: RowBatch = { rows: [first.cells], numbers: [first.number] };
  const width = first.cells.length;
  for await (const row of rest) {
    // Excel stores no cell for a blank at the end of a row: pad it, it is not a short row.
    while (row.cells.length < width) row.cells.push(null);
    batch.rows.push(row.cells);
    batch.numbers.push(row.number);
    if (batch.rows.length >= 1000) {
      yield batch;
      batch = { rows: [], numbers: [] };
    }
  }
  if (batch.rows.length) yield batch;
}

export { inspectFile, delimiterName };
