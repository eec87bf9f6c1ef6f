import type ExcelJS from 'exceljs';

let loading: Promise<typeof ExcelJS> | undefined;

/**
 * exceljs, loaded on first use. It takes about 0.3 s to load, more than the rest of the CLI together, so
 * only a run that reads or writes a workbook pays for it (a CSV import, `db info` and `--help` do not).
 */
export function loadExcelJS(): Promise<typeof ExcelJS> {
  loading ??= import('exceljs').then((module) => module.default);
  return loading;
}
