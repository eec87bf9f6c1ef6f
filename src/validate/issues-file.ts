/**
 * `validate --out FILE`: one CSV line per issue (uid, field, value, issue, suggestion), streamed from
 * the store so a million issues never sit in memory. Cells that a spreadsheet would run as a formula
 * are neutralised, and the file is created private (it holds personal data).
 */
import fs from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import type { Db } from '../store/db.js';
import { REPORT_FIELDS, requirementSql } from './issues.js';
import { IN_FILE } from './report.js';

/** A leading = + - @ tab or CR makes Excel/LibreOffice evaluate the cell: prefix it with a quote. */
export function safeCell(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

export function writeIssuesFile(db: Db, file: string, requirement: string): number {
  const required = requirementSql(requirement);
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  let lines = 0;
  try {
    const line = (cells: string[]) => fs.writeSync(fd, stringify([cells.map(safeCell)]));
    line(['uid', 'field', 'value', 'issue', 'suggestion']);
    const rows = db
      .prepare(
        `SELECT c.uid, c.validation_issues, c.email_suggestion, ${REPORT_FIELDS.map((f) => `c.${f}`).join(', ')},
                NOT (${required}) AS failing
         FROM contacts c WHERE ${IN_FILE} AND (c.validation_issues <> '[]' OR NOT (${required})) ORDER BY c.id`,
      )
      .iterate() as IterableIterator<Record<string, string | number | null>>;
    for (const row of rows) {
      for (const entry of JSON.parse(String(row.validation_issues)) as string[]) {
        const at = entry.indexOf(':');
        const field = entry.slice(0, at);
        const code = entry.slice(at + 1);
        const suggestion = field === 'email' && row.email_suggestion ? String(row.email_suggestion) : '';
        line([String(row.uid), field, row[field] === null || row[field] === undefined ? '' : String(row[field]), code, suggestion]);
        lines++;
      }
      if (row.failing) {
        line([String(row.uid), 'record', '', 'missing_contact', '']);
        lines++;
      }
    }
    fs.closeSync(fd);
    fs.renameSync(tmp, file);
  } catch (error) {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed
    }
    fs.rmSync(tmp, { force: true });
    throw error;
  }
  return lines;
}
