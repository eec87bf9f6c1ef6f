/**
 * The review file: one row per cluster member, next to the record it would merge into, with the match
 * probability, the per-field evidence, and a `decision` column ("merge" or "keep apart") that a person
 * edits in a spreadsheet. `dedupe --apply --decisions FILE` reads it back and applies exactly that.
 */
import { parse } from 'csv-parse/sync';
import { loadExcelJS } from '../io/exceljs.js';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { evidenceText, type ClusterPlan } from './plan.js';
import type { ContactRow } from './survivorship.js';
import type { ValueKind } from '../export/columns.js';
import { TableFileError, writeTableFile, type TableRow } from '../export/table-file.js';

export const REVIEW_COLUMNS = [
  'cluster', 'decision', 'probability', 'survivor_uid', 'uid',
  'survivor_name', 'name', 'survivor_email', 'email', 'survivor_phone', 'phone',
  'survivor_postal_code', 'postal_code', 'survivor_birth_date', 'birth_date', 'evidence',
] as const;

export class ReviewFileError extends Error {}

const text = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
// Planned rows carry only REVIEW_FIELDS (plan.ts) beside survivorship's: read no other column here.
const name = (r: ContactRow): string => [r.first_name, r.last_name].map(text).filter(Boolean).join(' ');
const phone = (r: ContactRow): string => text(r.mobile) || text(r.phone);

/**
 * How each column is written (the rule of every file for people, export/format.ts): uids, emails,
 * phones and postal codes byte-exact, names and evidence neutralised in CSV, numbers as numbers.
 */
export const REVIEW_KINDS: ValueKind[] = [
  'number', 'text', 'number', 'id', 'id', 'text', 'text', 'email', 'email', 'e164', 'e164', 'code', 'code', 'date', 'date', 'text',
];

/** One row per cluster member, made as the file is written: nothing but the plans is held in memory. */
export function* reviewRows(plans: ClusterPlan[]): Generator<TableRow, void, undefined> {
  for (const p of plans) {
    for (const m of p.members) {
      const s = p.survivor;
      const r = m.row;
      yield {
        values: [
          p.cluster, 'merge', m.score.probability.toFixed(4), text(s.uid), text(r.uid),
          name(s), name(r), text(s.email), text(r.email), phone(s), phone(r),
          text(s.postal_code), text(r.postal_code), text(s.birth_date), text(r.birth_date), evidenceText(m.score),
        ],
      };
    }
  }
}

export function isXlsx(file: string): boolean {
  return path.extname(file).toLowerCase() === '.xlsx';
}

export interface ReviewOutput {
  delimiter?: string;
  encoding?: 'utf8' | 'cp1252';
  bom?: boolean;
}

/**
 * Writes the review file, streamed (exceljs's streaming WorkbookWriter for .xlsx: a workbook built in
 * memory took 1.14 GB for 30,000 rows), created 0600 under a temporary name. Returns the rows written.
 */
export async function writeReview(file: string, plans: ClusterPlan[], output: ReviewOutput = {}): Promise<number> {
  try {
    const result = await writeTableFile([...REVIEW_COLUMNS], REVIEW_KINDS, reviewRows(plans), {
      out: file,
      stdout: process.stdout,
      delimiter: output.delimiter ?? ',',
      encoding: output.encoding ?? 'utf8',
      bom: output.bom ?? false,
      sheet: 'review',
    });
    return result.rows;
  } catch (error) {
    if (error instanceof TableFileError) throw new ReviewFileError(`${file}: ${error.message}`);
    throw error;
  }
}

export type Decision = 'merge' | 'keep apart';

export interface DecisionRow {
  row: number;
  cluster: string;
  survivorUid: string;
  uid: string;
  decision: Decision | null;
}

export const DECISIONS: Record<string, Decision> = {
  merge: 'merge', m: 'merge', yes: 'merge', y: 'merge', oui: 'merge', fusionner: 'merge',
  'keep apart': 'keep apart', keep: 'keep apart', apart: 'keep apart', no: 'keep apart', n: 'keep apart',
  non: 'keep apart', 'keep-apart': 'keep apart', separer: 'keep apart', 'séparer': 'keep apart',
};

const Row = z.object({
  cluster: z.string(),
  survivor_uid: z.string().min(1, 'is empty'),
  uid: z.string().min(1, 'is empty'),
  decision: z.string(),
});

/** A cell's text: plain values, rich text (how custkit writes strings), hyperlinks, formulas' results. */
function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'object') return String(v);
  if ('richText' in v) return (v as { richText: { text: string }[] }).richText.map((t) => t.text).join('');
  if ('text' in v) return String((v as { text: unknown }).text);
  if ('result' in v) return text((v as { result: unknown }).result);
  return String(v);
}

async function readCells(file: string): Promise<string[][]> {
  if (!fs.existsSync(file)) throw new ReviewFileError(`${file}: no such file`);
  if (isXlsx(file)) {
    const workbook = new (await loadExcelJS()).Workbook();
    try {
      await workbook.xlsx.readFile(file);
    } catch (error) {
      throw new ReviewFileError(`${file}: not a readable XLSX file (${(error as Error).message})`);
    }
    const sheet = workbook.worksheets[0];
    if (!sheet) throw new ReviewFileError(`${file}: the workbook has no sheet`);
    const out: string[][] = [];
    sheet.eachRow({ includeEmpty: true }, (row) => {
      const values = row.values as unknown[];
      out.push(values.slice(1).map(cellText));
    });
    return out;
  }
  try {
    // Any delimiter custkit writes (dedupe --review --delimiter): the header row tells which.
    return parse(fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, ''), { relax_column_count: true, skip_empty_lines: true, delimiter: [',', ';', '\t', '|'] }) as string[][];
  } catch (error) {
    throw new ReviewFileError(`${file}: not a readable CSV file (${(error as Error).message})`);
  }
}

/** Reads a review file back. Errors name the file, row (header = row 1) and column. */
export async function readDecisions(file: string): Promise<DecisionRow[]> {
  const cells = await readCells(file);
  if (cells.length === 0) throw new ReviewFileError(`${file}: the file is empty`);
  const header = cells[0].map((h) => h.trim().toLowerCase());
  for (const required of ['cluster', 'survivor_uid', 'uid', 'decision']) {
    if (!header.includes(required)) throw new ReviewFileError(`${file}: column "${required}" is missing (row 1)`);
  }
  const out: DecisionRow[] = [];
  cells.slice(1).forEach((cells, i) => {
    const rowNumber = i + 2;
    const record = Object.fromEntries(header.map((h, j) => [h, (cells[j] ?? '').trim().replace(/^'/, '')]));
    const parsed = Row.safeParse(record);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ReviewFileError(`${file}: row ${rowNumber}, column "${String(issue.path[0])}" ${issue.message}`);
    }
    const raw = parsed.data.decision.toLowerCase();
    const decision = raw === '' ? null : DECISIONS[raw];
    if (decision === undefined) {
      throw new ReviewFileError(`${file}: row ${rowNumber}, column "decision": "${parsed.data.decision}" is not "merge" or "keep apart"`);
    }
    out.push({ row: rowNumber, cluster: parsed.data.cluster, survivorUid: parsed.data.survivor_uid, uid: parsed.data.uid, decision });
  });
  return out;
}
