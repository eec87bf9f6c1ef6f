/**
 * Survivorship: which record of a cluster survives, and which value each field takes. The survivor is
 * the record that already survived an earlier merge (its uid stays stable for mailing tools), else one
 * that existed before the last applied run, else the most complete, then the most recently updated.
 * Each group of fields (email, phone, mobile, postal address) is taken whole from the most recently
 * updated record that has a valid non-empty value; the other emails and phones go into `attributes`.
 */

/** A contacts row as SELECT * returns it: validate's columns appear when that stage has run. */
export type ContactRow = Record<string, string | number | null> & { id: number; updated_at: string };

export const COMPLETENESS_FIELDS = ['first_name', 'last_name', 'email', 'phone', 'mobile', 'address_line1', 'postal_code', 'city', 'birth_date', 'company', 'siret'];

interface FieldGroup {
  name: string;
  /** The column that decides whether a record has a value for the group. */
  key: string;
  columns: string[];
  /** validate's verdict, when the store has it and the row was validated. */
  valid?: (row: ContactRow) => boolean;
}

const filled = (v: unknown): boolean => v !== null && v !== undefined && String(v).trim() !== '';
const validated = (row: ContactRow): boolean => filled(row.validated_at);

const GROUPS: FieldGroup[] = [
  { name: 'email', key: 'email', columns: ['email', 'email_norm', 'email_valid'], valid: (r) => !validated(r) || r.email_valid !== 0 },
  { name: 'phone', key: 'phone', columns: ['phone', 'phone_digits', 'phone_e164', 'phone_type'], valid: (r) => !validated(r) || !('phone_e164' in r) || filled(r.phone_e164) },
  { name: 'mobile', key: 'mobile', columns: ['mobile', 'mobile_digits', 'mobile_e164', 'mobile_type', 'sms_e164'], valid: (r) => !validated(r) || !('mobile_e164' in r) || filled(r.mobile_e164) },
  { name: 'address', key: 'address_line1', columns: ['address_line1', 'address_line2', 'postal_code', 'city', 'country', 'postal_code_norm', 'country_code', 'address_complete'] },
  { name: 'civility', key: 'civility', columns: ['civility', 'gender'] },
  { name: 'first_name', key: 'first_name', columns: ['first_name'] },
  { name: 'last_name', key: 'last_name', columns: ['last_name'] },
  { name: 'birth_date', key: 'birth_date', columns: ['birth_date'] },
  { name: 'company', key: 'company', columns: ['company', 'siret'] },
];

/**
 * Every column survivor choice and survivingValues read: bulk merge reads only these (the snapshots
 * kept for unmerge are written by SQL from the rows themselves, never through JavaScript objects).
 */
export const SURVIVORSHIP_COLUMNS = [...new Set(['id', 'uid', 'status', 'updated_at', 'validated_at', 'email_norm', 'tags', 'attributes',
  'last_activity_at', 'created_at', ...COMPLETENESS_FIELDS, ...GROUPS.flatMap((g) => [g.key, ...g.columns])])];

export function completeness(row: ContactRow): number {
  return COMPLETENESS_FIELDS.filter((f) => filled(row[f])).length;
}

export interface SurvivorHints {
  /** Contacts that are survivors of merges not undone. */
  previousSurvivors: Set<number>;
  /** Contacts with an id at or below this existed at the last applied run. */
  knownUpTo: number;
}

export function chooseSurvivor(rows: ContactRow[], hints: SurvivorHints): ContactRow {
  const rank = (r: ContactRow): Array<number | string> => [
    hints.previousSurvivors.has(r.id) ? 1 : 0,
    r.id <= hints.knownUpTo ? 1 : 0,
    completeness(r),
    r.updated_at,
    -r.id,
  ];
  return [...rows].sort((x, y) => {
    const a = rank(x);
    const b = rank(y);
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] > b[i] ? -1 : 1;
    return 0;
  })[0];
}

function jsonArray(text: unknown): string[] {
  try {
    const v = JSON.parse(String(text ?? '[]')) as unknown;
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
}

function jsonObject(text: unknown): Record<string, unknown> {
  try {
    const v = JSON.parse(String(text ?? '{}')) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * The survivor's new column values (only the columns that change), given every member of the cluster.
 * `now` becomes its updated_at, so validate re-checks it and the keys are recomputed.
 */
export function survivingValues(survivor: ContactRow, members: ContactRow[], now: string): Record<string, string | number | null> {
  const columns = new Set(Object.keys(survivor));
  // Most recent first; on equal times the survivor's own value wins.
  const byRecency = [survivor, ...members.filter((m) => m.id !== survivor.id)].sort((a, b) =>
    a.updated_at === b.updated_at ? (a.id === survivor.id ? -1 : b.id === survivor.id ? 1 : 0) : a.updated_at < b.updated_at ? 1 : -1,
  );
  const next: Record<string, string | number | null> = {};
  for (const group of GROUPS) {
    const source = byRecency.find((r) => filled(r[group.key]) && (group.valid ? group.valid(r) : true));
    if (!source || source.id === survivor.id) continue;
    for (const c of group.columns) if (columns.has(c)) next[c] = source[c];
  }
  const chosenEmail = (next.email_norm ?? survivor.email_norm) as string | null;
  const otherEmails = new Set<string>();
  const chosenPhones = new Set([next.phone ?? survivor.phone, next.mobile ?? survivor.mobile].filter(filled).map((p) => String(p).replace(/\D/g, '')));
  const otherPhones = new Map<string, string>();
  const attributes = jsonObject(survivor.attributes);
  for (const e of jsonArray(JSON.stringify(attributes.other_emails ?? []))) otherEmails.add(e);
  for (const p of jsonArray(JSON.stringify(attributes.other_phones ?? []))) otherPhones.set(p.replace(/\D/g, ''), p);
  const tags = new Set(jsonArray(survivor.tags));
  for (const r of byRecency) {
    if (filled(r.email_norm) && r.email_norm !== chosenEmail) otherEmails.add(String(r.email_norm));
    for (const p of [r.phone, r.mobile]) {
      const digits = filled(p) ? String(p).replace(/\D/g, '') : '';
      if (digits !== '' && !chosenPhones.has(digits) && !otherPhones.has(digits)) otherPhones.set(digits, String(p));
    }
    for (const t of jsonArray(r.tags)) tags.add(t);
    if (r.id === survivor.id) continue;
    for (const [k, v] of Object.entries(jsonObject(r.attributes))) if (!(k in attributes)) attributes[k] = v;
  }
  if (otherEmails.size > 0) attributes.other_emails = [...otherEmails].sort();
  if (otherPhones.size > 0) attributes.other_phones = [...otherPhones.values()].sort();
  next.attributes = JSON.stringify(attributes);
  next.tags = JSON.stringify([...tags]);
  const times = (column: string) => members.map((m) => m[column]).filter(filled).map(String).sort();
  const activity = times('last_activity_at');
  if (activity.length > 0) next.last_activity_at = activity[activity.length - 1];
  const created = times('created_at');
  if (created.length > 0) next.created_at = created[0];
  if (members.some((m) => m.status === 'active')) next.status = 'active';
  next.updated_at = now;
  if (columns.has('validated_at')) next.validated_at = null;
  for (const [k, v] of Object.entries(next)) if (survivor[k] === v) delete next[k];
  return next;
}
