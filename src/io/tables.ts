/**
 * Opens an input file as one or more tables of rows (a CSV file is one table; each sheet of a workbook
 * is one), with what was sniffed about it. Rows arrive in batches, numbered as a spreadsheet numbers them.
 */
import path from 'node:path';
import { inspectFile, sniffDelimiter, sniffEncoding, delimiterName, type Delimiter, type Encoding, type FileFacts } from './sniff.js';
import { readCsvRows, readTextHead, type Cell } from './readers.js';
import { readXlsxSheets } from './xlsx.js';
import { InputError } from './errors.js';
import { CsvRecordGuard } from './csv-guard.js';
import { DEFAULT_LIMITS, LimitError, type InputLimits } from './limits.js';
import { guardWorkbook } from './xlsx-guard.js';
import { quoted, quotedList } from './quote.js';

export { InputError };

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
  /** Memory bounds on reading the file (src/io/limits.ts); the defaults when absent. */
  limits?: InputLimits;
}

export function isWorkbook(file: string, facts: FileFacts): boolean {
  // A zip signature: .xlsx whatever its extension (and an .xlsx renamed .csv still opens).
  return facts.head[0] === 0x50 && facts.head[1] === 0x4b && (facts.head[2] === 0x03 || path.extname(file).toLowerCase() === '.xlsx');
}

export async function openTables(request: OpenRequest, facts: FileFacts): Promise<AsyncGenerator<Table, void, undefined>> {
  const limits = request.limits ?? DEFAULT_LIMITS;
  if (isWorkbook(request.file, facts)) {
    await guardWorkbook(request.file, request.displayName, limits);
    return workbookTables(request, limits);
  }
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
    yield { sheet: null, encoding, delimiter, batches: csvBatches(request, encoding, delimiter, limits) };
  })();
}

async function* csvBatches(request: OpenRequest, encoding: Encoding, delimiter: Delimiter, limits: InputLimits): AsyncGenerator<RowBatch, void, undefined> {
  let next = 1;
  const guard = new CsvRecordGuard(request.displayName, limits);
  // A quote opened and never closed would make the rest of the file one cell (one rejected row, every
  // row after it lost in it): the file is refused instead, naming where the quote opens.
  const unclosed = (row: number, column: number): InputError =>
    new InputError(`${request.displayName}: row ${row}, column ${column}: a quote (") opens a cell and is never closed, so the rest of the file would read as that one cell; close or remove the quote and read the file again`);
  for await (const rows of readCsvRows(request.file, encoding, delimiter, guard, unclosed)) {
    const numbers = new Array<number>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      numbers[i] = next;
      checkRow(request.displayName, rows[i]!, next++, limits);
    }
    yield { rows, numbers };
  }
}

/** A row within the column and cell limits (the guards bound what is read; this names the row and column). */
function checkRow(displayName: string, row: Cell[], number: number, limits: InputLimits): void {
  if (row.length > limits.maxColumns) {
    throw new LimitError(displayName, 'maxColumns', limits.maxColumns, `row ${number} has ${row.length.toLocaleString('en')} columns`);
  }
  for (let c = 0; c < row.length; c++) {
    const cell = row[c];
    if (typeof cell === 'string' && cell.length > limits.maxCellSize) {
      throw new LimitError(displayName, 'maxCellSize', limits.maxCellSize, `row ${number}, column ${c + 1} holds ${cell.length.toLocaleString('en')} characters`);
    }
  }
}

async function* workbookTables(request: OpenRequest, limits: InputLimits): AsyncGenerator<Table, void, undefined> {
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
      checkRow(request.displayName, first.value.cells, first.value.number, limits);
      yield { sheet: sheet.name, encoding: null, delimiter: null, batches: sheetBatches(first.value, sheet.rows, (cells, n) => checkRow(request.displayName, cells, n, limits)) };
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`${request.displayName}: cannot read the workbook (${(error as Error).message})`);
  }
  if (!yielded) {
    const which = request.sheet === undefined ? 'no sheet has data' : `no sheet "${request.sheet}" with data`;
    throw new InputError(`${request.displayName}: ${which} (sheets: ${quotedList(seen.map((s, i) => `${i + 1} ${quoted(s)}`), 'sheets', { quote: (x) => x }) || 'none'})`);
  }
}

async function* sheetBatches(
  first: { number: number; cells: Cell[] },
  rest: AsyncGenerator<{ number: number; cells: Cell[] }, void, undefined>,
  check: (cells: Cell[], number: number) => void,
): AsyncGenerator<RowBatch, void, undefined> {
  let batch: RowBatch = { rows: [first.cells], numbers: [first.number] };
  const width = first.cells.length;
  for await (const row of rest) {
    // Excel stores no cell for a blank at the end of a row: pad it, it is not a short row.
    check(row.cells, row.number);
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
