/**
 * Correcting a person (the right of rectification) and labelling people. A value typed with `contact set`
 * goes through the import's own row mapper (the same trimming, date reading and cheap keys as a file
 * cell) and the validate stage's field rules, so the store never holds a value an import would not have
 * written; bumping `updated_at` makes every later command re-validate the row.
 */
import type { Db } from '../store/db.js';
import type { ContactStatus, Uid } from '../store/types.js';
import type { Field } from '../io/header-map.js';
import { RowMapper, type ContactColumn } from '../io/record-mapper.js';
import type { DateOrder } from '../io/values.js';
import { validateContact } from '../validate/record.js';
import { ISSUE_KINDS, severityOf } from '../validate/issues.js';
import { localToday } from '../validate/ensure.js';
import { compileFilter } from '../export/filter.js';
import { registerFunctions } from '../export/select.js';

export class RectifyError extends Error {}

/** The fields `contact set` may change: the person's own data (ids, dates of the store and tags are not). */
export const EDITABLE_FIELDS = [
  'civility', 'first_name', 'last_name', 'email', 'phone', 'mobile', 'address_line1', 'address_line2', 'postal_code',
  'city', 'country', 'birth_date', 'gender', 'company', 'siret', 'origin',
] as const satisfies readonly (Field & ContactColumn)[];
export type EditableField = (typeof EDITABLE_FIELDS)[number];

/** Keys import derives from a field: rewritten with it. */
const DERIVED: Partial<Record<EditableField, ContactColumn>> = { email: 'email_norm', phone: 'phone_digits', mobile: 'mobile_digits' };
const ATTRIBUTE_PREFIX = 'attributes.';

export interface Assignment {
  field: string;
  value: string;
}

/** "field=value" as typed; an empty value clears the field. */
export function parseAssignment(text: string): Assignment {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new RectifyError(`"${text.split('=')[0]}": expected field=value (fields: ${EDITABLE_FIELDS.join(', ')}, attributes.NAME)`);
  const field = text.slice(0, eq).trim();
  if (!(EDITABLE_FIELDS as readonly string[]).includes(field) && !(field.startsWith(ATTRIBUTE_PREFIX) && field.length > ATTRIBUTE_PREFIX.length)) {
    throw new RectifyError(`"${field}" is not a field contact set can change (fields: ${EDITABLE_FIELDS.join(', ')}, attributes.NAME)`);
  }
  return { field, value: text.slice(eq + 1) };
}

export interface SetOptions {
  dateOrder?: DateOrder;
  /** Write values the field rules call errors (the issues are returned). */
  force?: boolean;
  defaultCountry?: string;
}

export interface FieldIssue {
  field: string;
  code: string;
  severity: 'error' | 'warning';
  reason: string;
}

export interface SetResult {
  /** Fields whose stored value changed (attributes as attributes.NAME). */
  changed: string[];
  issues: FieldIssue[];
}

interface StoredContact extends Record<string, unknown> {
  id: number;
  status: ContactStatus;
  attributes: string;
  external_id: string | null;
}

/** Applies the assignments to one contact; call inside the transaction that records the audit entry. */
export function setFields(db: Db, id: number, assignments: readonly Assignment[], options: SetOptions = {}): SetResult {
  const stored = db.prepare('SELECT * FROM contacts WHERE id = ?').get(id) as StoredContact | undefined;
  if (!stored) throw new RectifyError(`contact ${id} is not in the store`);
  if (stored.status === 'merged') throw new RectifyError('this record was merged into another: change the surviving contact (contact show gives its uid)');
  if (stored.status === 'erased') throw new RectifyError('this contact was erased: there is nothing to correct');

  const fields = assignments.filter((a) => !a.field.startsWith(ATTRIBUTE_PREFIX));
  const headers = ['external_id', ...EDITABLE_FIELDS];
  const typed = new Map(fields.map((a) => [a.field, a.value]));
  // The whole record goes through the mapper, as a file row would: its "no contact details" rule then
  // refuses a change that would leave nothing to identify the person by.
  const row = headers.map((h) => (typed.has(h) ? typed.get(h)! : ((stored[h] as string | null) ?? '')));
  const mapped = new RowMapper({ kind: 'contacts', headers, mapping: headers as Field[], dateOrder: options.dateOrder ?? 'dmy', decimalComma: false, currency: 'EUR' }).map(row);
  if (mapped.kind === 'reject') throw new RectifyError(mapped.reasons.map((r) => r.message).join('; '));
  if (mapped.kind !== 'contact') throw new RectifyError('the contact would have no value left');
  // A value the mapper cannot read (a date that does not exist) would be left empty by an import: here
  // the user is asking for that value, so nothing is written.
  const unreadable = mapped.draft.issues.filter((i) => i.column !== null && typed.has(i.column));
  if (unreadable.length) throw new RectifyError(`nothing changed: ${unreadable.map((i) => `${i.column}: ${i.message.split(';')[0]}`).join('; ')}`);
  const values = mapped.draft.values;

  const validation = validateContact(
    Object.fromEntries(['email', 'phone', 'mobile', 'postal_code', 'city', 'address_line1', 'country', 'first_name', 'last_name', 'civility', 'gender', 'birth_date', 'siret', 'created_at', 'last_activity_at']
      .map((c) => [c, c in values ? values[c as ContactColumn] : ((stored[c] as string | null) ?? null)])) as Parameters<typeof validateContact>[0],
    { defaultCountry: options.defaultCountry ?? 'FR', today: localToday() },
  );
  const issues: FieldIssue[] = validation.issues
    .filter((i) => typed.has(i.field) || (i.field === 'postal_code' && typed.has('country')) || (['phone', 'mobile'].includes(i.field) && typed.has('country')))
    .map((i) => ({ field: i.field, code: i.issue.code, severity: severityOf(i.issue.code) === 'error' ? 'error' : 'warning', reason: ISSUE_KINDS[i.issue.code]?.reason ?? i.issue.code }));
  const errors = issues.filter((i) => i.severity === 'error');
  if (errors.length > 0 && !options.force) {
    throw new RectifyError(`nothing changed: ${errors.map((e) => `${e.field}: ${e.reason}`).join('; ')} (--force writes it anyway, validate will flag it)`);
  }

  const updates = new Map<string, string | null>();
  for (const field of typed.keys() as IterableIterator<EditableField>) {
    const next = values[field];
    if (next === stored[field]) continue;
    updates.set(field, next);
    const derived = DERIVED[field];
    if (derived) updates.set(derived, values[derived]);
  }
  const changed = [...updates.keys()].filter((k) => (EDITABLE_FIELDS as readonly string[]).includes(k));

  const attributeAssignments = assignments.filter((a) => a.field.startsWith(ATTRIBUTE_PREFIX));
  if (attributeAssignments.length) {
    const attributes = JSON.parse(stored.attributes) as Record<string, unknown>;
    let touched = false;
    for (const { field, value } of attributeAssignments) {
      const key = field.slice(ATTRIBUTE_PREFIX.length);
      const next = value.trim() === '' ? undefined : value.trim();
      if (attributes[key] === next) continue;
      if (next === undefined) delete attributes[key];
      else attributes[key] = next;
      touched = true;
      changed.push(field);
    }
    if (touched) updates.set('attributes', JSON.stringify(attributes));
  }
  if (updates.size > 0) {
    const columns = [...updates.keys()];
    db.prepare(`UPDATE contacts SET ${columns.map((c) => `"${c}" = ?`).join(', ')}, updated_at = ? WHERE id = ?`)
      .run(...columns.map((c) => updates.get(c)), new Date().toISOString(), id);
  }
  return { changed, issues };
}

/** Tag names as typed, trimmed, without duplicates; commas are separators, as in an imported tags cell. */
export function parseTags(words: readonly string[]): string[] {
  const tags = [...new Set(words.flatMap((w) => w.split(/[,;|]/)).map((t) => t.trim()).filter(Boolean))];
  if (tags.length === 0) throw new RectifyError('give at least one tag');
  return tags;
}

/** Contacts (active or inactive) an export --where expression selects, scores read from the latest run. */
export function contactsWhere(db: Db, expression: string): Array<{ id: number; uid: Uid }> {
  const filter = compileFilter(expression);
  registerFunctions(db); // the SQL export's filter compiles to calls (segment names matched loosely)
  const scores = filter.usesScores ? 'LEFT JOIN scores s ON s.contact_id = c.id AND s.run_id = (SELECT max(id) FROM score_runs)' : '';
  return db
    .prepare(`SELECT c.id, c.uid FROM contacts c ${scores} WHERE c.status IN ('active', 'inactive') AND (${filter.sql}) ORDER BY c.id`)
    .all(...filter.params) as Array<{ id: number; uid: Uid }>;
}

/** Adds (or removes) tags; returns the uids of the contacts whose tags changed. */
export function retag(db: Db, ids: readonly number[], tags: readonly string[], add: boolean): Uid[] {
  const read = db.prepare('SELECT uid, tags, status FROM contacts WHERE id = ?');
  const write = db.prepare('UPDATE contacts SET tags = ?, updated_at = ? WHERE id = ?');
  const now = new Date().toISOString();
  const changed: Uid[] = [];
  const fold = (t: string): string => t.toLowerCase();
  for (const id of ids) {
    const row = read.get(id) as { uid: Uid; tags: string; status: ContactStatus } | undefined;
    if (!row || row.status === 'merged' || row.status === 'erased') continue;
    const current = JSON.parse(row.tags) as string[];
    const has = new Set(current.map(fold));
    // Tags compare without case ("VIP" is "vip"), as export's `tag = vip` does; the first spelling stays.
    const next = add ? [...current, ...tags.filter((t) => !has.has(fold(t)))] : current.filter((t) => !tags.some((x) => fold(x) === fold(t)));
    if (next.length === current.length) continue;
    write.run(JSON.stringify(next), now, id);
    changed.push(row.uid);
  }
  return changed;
}
