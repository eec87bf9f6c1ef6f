import type ExcelJS from 'exceljs';
import { loadExcelJS } from './exceljs.js';
import type { Cell } from './readers.js';

export interface SheetRows {
  name: string;
  index: number;
  /** Rows with their Excel row numbers (blank rows are not emitted by the stream). */
  rows: AsyncGenerator<{ number: number; cells: Cell[] }, void, undefined>;
}

type ExcelValue = ExcelJS.CellValue | undefined;

/** Flattens exceljs's cell value shapes (rich text, formula results, hyperlinks, errors) to a Cell. */
export function excelCell(value: ExcelValue): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Date) return value;
  if (typeof value === 'object') {
    if ('richText' in value) return value.richText.map((part) => part.text).join('');
    if ('result' in value) return excelCell(value.result as ExcelValue);
    if ('formula' in value || 'sharedFormula' in value) return null;
    if ('hyperlink' in value) return typeof value.text === 'string' ? value.text : excelCell(value.text as ExcelValue);
    if ('error' in value) return null;
  }
  return String(value);
}

/**
 * Streams the sheets of a workbook in order with exceljs's WorkbookReader (the `xlsx` package on npm is
 * frozen with known CVEs). Only the sheet being read is held; shared strings are cached, as the format needs.
 */
export async function* readXlsxSheets(file: string): AsyncGenerator<SheetRows, void, undefined> {
  // Workbooks that store xl/workbook.xml after their sheets (exceljs and some other writers do) make the
  // reader hold the sheets until the end of the zip; on a loaded machine its unzip stream has been seen
  // ending before the workbook part was parsed ("reading 'sheets'"). Nothing has been handed out yet at
  // that point, so reading the file once more is safe, and it has always succeeded.
  for (let attempt = 1; ; attempt++) {
    let yielded = false;
    try {
      for await (const sheet of readOnce(file)) {
        yielded = true;
        yield sheet;
      }
      return;
    } catch (error) {
      if (yielded || attempt >= 3 || !/reading 'sheets'/.test((error as Error).message)) throw error;
    }
  }
}

async function* readOnce(file: string): AsyncGenerator<SheetRows, void, undefined> {
  const reader = new (await loadExcelJS()).stream.xlsx.WorkbookReader(file, {
    sharedStrings: 'cache',
    hyperlinks: 'cache',
    styles: 'cache', // needed so date-formatted cells come back as dates
    worksheets: 'emit',
  });
  let index = 0;
  for await (const worksheet of reader as AsyncIterable<ExcelJS.stream.xlsx.WorksheetReader & { name: string }>) {
    index += 1;
    async function* rows(): AsyncGenerator<{ number: number; cells: Cell[] }, void, undefined> {
      for await (const row of worksheet as AsyncIterable<ExcelJS.Row>) {
        const values = row.values as ExcelValue[];
        const cells: Cell[] = [];
        for (let i = 1; i < values.length; i++) cells.push(excelCell(values[i]));
        yield { number: row.number, cells };
      }
    }
    yield { name: worksheet.name, index, rows: rows() };
  }
}
