/**
 * KPIs about the file itself: contacts by status, file health (validate's own report, so the numbers
 * are the ones `custkit validate` prints), duplicates merged, and survey answers (NPS, satisfaction)
 * when an import kept such columns in `attributes`.
 */
import type { Db } from '../store/db.js';
import { buildReport } from '../validate/report.js';
import { DEFAULT_REQUIREMENT } from '../validate/issues.js';
import { getSetting } from '../validate/settings.js';
import { IN_FILE, type Point } from './scope.js';
import { IS_PURCHASE_HOLDER } from '../gdpr/erase.js';

export interface ContactCounts {
  /** Every row of the contacts table (what `db info` counts). */
  total: number;
  /** Contacts that are part of the file: not merged into another, not erased (what `validate` counts). */
  inFile: number;
  active: number;
  inactive: number;
  merged: number;
  erased: number;
  /** Contacts of the file with at least one order up to the date. */
  customers: number;
  /** Contacts of the file without one. */
  prospects: number;
}

export function contactCounts(db: Db, p: Point): ContactCounts {
  const row = db
    .prepare(
      // The anonymous holder of erased people's purchases is a row, not a person: counted nowhere.
      `SELECT count(*) AS total, coalesce(sum(${IN_FILE}), 0) AS inFile, coalesce(sum(status = 'active'), 0) AS active,
              coalesce(sum(status = 'inactive'), 0) AS inactive, coalesce(sum(status = 'merged'), 0) AS merged,
              coalesce(sum(status = 'erased'), 0) AS erased
       FROM contacts WHERE NOT ${IS_PURCHASE_HOLDER}`,
    )
    .get() as Omit<ContactCounts, 'customers' | 'prospects'>;
  const customers = db.prepare(`SELECT count(*) FROM ${p.customers}`).pluck().get() as number;
  return { ...row, customers, prospects: row.inFile - customers };
}

export interface FileHealth {
  contacts: number;
  reachable: { email: number; sms: number; post: number };
  /** Mean completeness score (0-100) of the contacts of the file. */
  completeness: number | null;
  /** Invalid values per field (validate's errors), fields with none left out. */
  invalid: Array<{ field: string; filled: number; invalid: number }>;
  required: { rule: string; failing: number };
}

/** File health as `custkit validate` reports it (call ensureValidated first, as validate does). */
export function fileHealth(db: Db): FileHealth {
  const requirement = getSetting(db, 'require') ?? DEFAULT_REQUIREMENT;
  const report = buildReport(db, requirement);
  const scored = report.completeness.reduce((sum, b) => sum + b.count, 0);
  return {
    contacts: report.contacts,
    reachable: { email: report.reachable.email.count, sms: report.reachable.sms.count, post: report.reachable.post.count },
    completeness: scored > 0 ? report.completeness.reduce((sum, b) => sum + b.score * b.count, 0) / scored : null,
    invalid: report.fields.filter((f) => f.invalid > 0).map((f) => ({ field: f.field, filled: f.filled, invalid: f.invalid })),
    required: { rule: report.required.rule, failing: report.required.failing },
  };
}

export interface Duplicates {
  /** Merges applied and not undone (a merge folds one or more duplicates into a survivor). */
  merges: number;
  /** Contacts merged into another (status 'merged'). */
  contactsMerged: number;
  undone: number;
}

export function duplicates(db: Db): Duplicates {
  const merges = db.prepare('SELECT coalesce(sum(undone_at IS NULL), 0) AS merges, coalesce(sum(undone_at IS NOT NULL), 0) AS undone FROM merges').get() as { merges: number; undone: number };
  const contactsMerged = db.prepare("SELECT count(*) FROM contacts WHERE status = 'merged'").pluck().get() as number;
  return { merges: merges.merges, contactsMerged, undone: merges.undone };
}

export type SurveyKind = 'nps' | 'satisfaction';

export interface Survey {
  kind: SurveyKind;
  /** The attribute key (the imported column's header). */
  column: string;
  responses: number;
  /** Filled values that are not a number on the scale. */
  unreadable: number;
  scale: number;
  average: number;
  /** NPS: share of 9-10, 7-8, 0-6 and the score (promoters - detractors, -100...100). */
  nps?: { promoters: number; passives: number; detractors: number; score: number };
  /** Satisfaction: share of answers in the top fifth of the scale (4-5 out of 5, 8-10 out of 10). */
  satisfied?: number;
  /** Answers per rounded value. */
  distribution: Array<{ value: number; count: number }>;
}

function words(header: string): string {
  return header.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
}

/** Which survey a column header names, by its words (French or English), or null. */
export function surveyKind(header: string): SurveyKind | null {
  const w = ` ${words(header)} `;
  if (/ nps | net promoter|recommand|recommend/.test(w)) return 'nps';
  if (/ satisf| csat | note | rating | avis /.test(w)) return 'satisfaction';
  return null;
}

/** A survey answer as a number: "8", "4,5", "8/10" (-> 8 on a scale of 10); null otherwise. */
export function readAnswer(text: string): { value: number; outOf: number | null } | null {
  const m = /^\s*(\d{1,3}(?:[.,]\d+)?)\s*(?:\/\s*(\d{1,3}))?\s*$/.exec(text);
  if (!m) return null;
  return { value: Number(m[1]!.replace(',', '.')), outOf: m[2] ? Number(m[2]) : null };
}

/**
 * NPS and satisfaction columns kept in attributes by a contacts import (recognised by their header's
 * words). A column is shown when at least half of its filled values are numbers on a 5-, 10- or
 * 100-point scale, so a free-text "Note" column is not mistaken for a rating.
 */
export function surveys(db: Db): Survey[] {
  const keys = new Set<string>();
  for (const json of db.prepare("SELECT mapping FROM imports WHERE kind = 'contacts' AND status = 'completed'").pluck().all() as string[]) {
    for (const [header, field] of Object.entries(JSON.parse(json) as Record<string, string | null>)) if (field === null && surveyKind(header)) keys.add(header);
  }
  const result: Survey[] = [];
  for (const column of [...keys].sort()) {
    const kind = surveyKind(column)!;
    const path = `$."${column.replace(/"/g, '\\"')}"`;
    const values = db
      .prepare(`SELECT json_extract(attributes, @path) AS v, count(*) AS n FROM contacts
                WHERE ${IN_FILE} AND attributes <> '{}' AND json_extract(attributes, @path) IS NOT NULL GROUP BY 1`)
      .all({ path }) as Array<{ v: string | number; n: number }>;
    const read = values.map((r) => ({ answer: readAnswer(String(r.v)), n: r.n }));
    const numbers = read.filter((r) => r.answer !== null) as Array<{ answer: { value: number; outOf: number | null }; n: number }>;
    const responses = numbers.reduce((s, r) => s + r.n, 0);
    const filled = read.reduce((s, r) => s + r.n, 0);
    if (responses === 0 || responses * 2 < filled) continue;
    const max = Math.max(...numbers.map((r) => r.answer.outOf ?? r.answer.value));
    const scale = kind === 'nps' ? 10 : max <= 5 ? 5 : max <= 10 ? 10 : max <= 100 ? 100 : 0;
    if (scale === 0 || max > scale) continue;
    const onScale = numbers.map((r) => ({ value: r.answer.outOf ? (r.answer.value * scale) / r.answer.outOf : r.answer.value, n: r.n }));
    const average = onScale.reduce((s, r) => s + r.value * r.n, 0) / responses;
    const counts = new Map<number, number>();
    for (const r of onScale) counts.set(Math.round(r.value), (counts.get(Math.round(r.value)) ?? 0) + r.n);
    const distribution = [...counts].sort((a, b) => a[0] - b[0]).map(([value, count]) => ({ value, count }));
    const share = (test: (v: number) => boolean) => onScale.filter((r) => test(r.value)).reduce((s, r) => s + r.n, 0) / responses;
    const survey: Survey = { kind, column, responses, unreadable: filled - responses, scale, average, distribution };
    if (kind === 'nps') {
      const promoters = share((v) => v >= 9);
      const detractors = share((v) => v <= 6);
      survey.nps = { promoters, passives: 1 - promoters - detractors, detractors, score: Math.round((promoters - detractors) * 100) };
    } else {
      survey.satisfied = share((v) => v >= scale * 0.8 - 1e-9);
    }
    result.push(survey);
  }
  return result;
}
