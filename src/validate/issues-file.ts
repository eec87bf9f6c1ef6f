/**
 * `validate --out FILE`: one row per issue (uid, field, value, issue, suggestion), streamed from the
 * store so a million issues never sit in memory, through the same writer as exports (export/table-file):
 * identifiers byte-exact, other cells a spreadsheet would run as a formula neutralised in CSV, XLSX as
 * string cells, the chosen delimiter/encoding/BOM, and the file created private (it holds personal data).
 */
import type { Db } from '../store/db.js';
import type { ValueKind } from '../export/columns.js';
import { writeTableFile, type TableFileOptions, type TableFileResult, type TableRow } from '../export/table-file.js';
import { REPORT_FIELDS, requirementSql } from './issues.js';
import { IN_FILE } from './report.js';

const HEADERS = ['uid', 'field', 'value', 'issue', 'suggestion'];
const TEXT: ValueKind[] = ['id', 'text', 'text', 'text', 'text'];

/** The value column's kind follows the field: an address or a code is written byte-exact. */
const FIELD_KINDS: Partial<Record<string, ValueKind>> = { email: 'email', phone: 'e164', mobile: 'e164', postal_code: 'code', siret: 'code' };

export function* issueRows(db: Db, requirement: string): Generator<TableRow, void, undefined> {
  const required = requirementSql(requirement);
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
      const kind = FIELD_KINDS[field] ?? 'text';
      yield {
        values: [String(row.uid), field, row[field] === null || row[field] === undefined ? '' : String(row[field]), code, suggestion],
        kinds: kind === 'text' ? undefined : ['id', 'text', kind, 'text', field === 'email' ? 'email' : 'text'],
      };
    }
    if (row.failing) yield { values: [String(row.uid), 'record', '', 'missing_contact', ''] };
  }
}

export async function writeIssuesFile(db: Db, requirement: string, options: TableFileOptions): Promise<TableFileResult> {
  return writeTableFile(HEADERS, TEXT, issueRows(db, requirement), { sheet: 'issues', ...options });
}
