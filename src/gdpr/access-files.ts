/**
 * The access bundle written for the person: JSON (portability: the versioned document as is), CSV (one
 * long table `table,row,column,value` any spreadsheet opens) or HTML (a page they can read). Files are
 * created 0600 through a temporary name, so a half-written file never stands under the final name.
 */
import fs from 'node:fs';
import path from 'node:path';
import { tempOutputName } from '../store/scratch.js';
import { neutralise } from '../export/format.js';
import type { AccessBundle, Cell } from './access.js';

export type AccessFormat = 'json' | 'csv' | 'html';

export function accessFormatOf(file: string): AccessFormat | null {
  const ext = path.extname(file).toLowerCase();
  return ext === '.json' ? 'json' : ext === '.csv' ? 'csv' : ext === '.html' || ext === '.htm' ? 'html' : null;
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

const text = (value: Cell): string => (value === null ? '' : String(value));

/** Columns holding addresses and identifiers, written byte-exact. */
const IDENTIFIER = /(^|_)(uid|uids|email|phone|mobile|sms|postal_code|e164|digits|hash|siret)(_|$)/;

export function accessCsv(bundle: AccessBundle): string {
  const lines = ['table,row,column,value'];
  const add = (table: string, row: number, column: string, value: Cell): void => {
    // The safe-output rule: identifiers byte-exact (a +33 phone stays as it is), numbers as numbers,
    // free text that a spreadsheet would run as a formula neutralised.
    const cellText = typeof value === 'number' || IDENTIFIER.test(column) ? text(value) : neutralise(text(value));
    lines.push([table, String(row), column, cellText].map(csvField).join(','));
  };
  add('bundle', 1, 'format', bundle.format);
  add('bundle', 1, 'version', bundle.version);
  add('bundle', 1, 'generated_at', bundle.generated_at);
  add('bundle', 1, 'subject', bundle.subject.uid);
  for (const [group, tables] of [['', bundle.tables], ['context:', bundle.context]] as const) {
    for (const [table, rows] of Object.entries(tables)) {
      rows.forEach((row, i) => {
        for (const [column, value] of Object.entries(row)) add(`${group}${table}`, i + 1, column, value);
      });
    }
  }
  bundle.notes.forEach((note, i) => add('notes', i + 1, 'note', note));
  return `${lines.join('\r\n')}\r\n`;
}

const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Plain words for the tables a person will see. */
const TITLES: Record<string, string> = {
  contacts: 'Your record', consents: 'Your consent choices', purchases: 'Your purchases', scores: 'Marketing scores and segments',
  merges: 'Records merged as duplicates', merge_members: 'Records merged as duplicates (details)', audit_log: 'Changes made to your data',
  clean_changes: 'Corrections made to your data', clean_fixes: 'Corrections made to your data (details)', rejects: 'Rows of imported files that could not be read',
  suppressions: 'Do-not-contact entries (kept as a one-way hash)', dedupe_keys: 'Keys used to find duplicates', dedupe_decisions: 'Duplicate reviews',
  imports: 'Files your data came from', score_runs: 'Scoring runs',
};

function htmlTable(name: string, rows: Array<Record<string, Cell>>): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  // One record reads better as a list of field: value pairs than as a one-row table.
  if (rows.length === 1) {
    const row = rows[0]!;
    return `<h2>${escapeHtml(TITLES[name] ?? name)}</h2>\n<table>${columns.filter((c) => row[c] !== null && row[c] !== '')
      .map((c) => `<tr><th>${escapeHtml(c)}</th><td>${escapeHtml(text(row[c] ?? null))}</td></tr>`).join('')}</table>`;
  }
  return `<h2>${escapeHtml(TITLES[name] ?? name)} (${rows.length})</h2>\n<table><tr>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>${rows
    .map((r) => `<tr>${columns.map((c) => `<td>${escapeHtml(text(r[c] ?? null))}</td>`).join('')}</tr>`).join('')}</table>`;
}

export function accessHtml(bundle: AccessBundle): string {
  const sections = [
    ...Object.entries(bundle.tables).map(([name, rows]) => htmlTable(name, rows)),
    ...Object.entries(bundle.context).map(([name, rows]) => htmlTable(name, rows)),
  ];
  const notes = bundle.notes.length ? `<h2>Notes</h2><ul>${bundle.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Your personal data</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin-bottom:1.5em;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top;word-break:break-word}th{background:#f4f4f4}</style></head>
<body><h1>Your personal data</h1>
<p>Every record we hold about you (reference ${escapeHtml(bundle.subject.uid)}), as of ${escapeHtml(bundle.generated_at)}.
Format ${escapeHtml(bundle.format)} version ${bundle.version}.</p>
${sections.join('\n')}
${notes}
</body></html>
`;
}

/** Writes the bundle in the format the file's extension names; the file is created 0600. */
export function writeAccessFile(bundle: AccessBundle, file: string): AccessFormat {
  const format = accessFormatOf(file);
  if (!format) throw new Error(`${file}: name a .json, .csv or .html file`);
  const content = format === 'json' ? `${JSON.stringify(bundle, null, 2)}\n` : format === 'csv' ? accessCsv(bundle) : accessHtml(bundle);
  const tmp = tempOutputName(file, 'access');
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.writeFileSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fs.chmodSync(file, 0o600);
  return format;
}
