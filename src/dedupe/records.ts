/**
 * The keyed contacts held in memory for blocking and comparison, column by column in typed arrays:
 * per field, each record holds a code, the index of its value in that field's list of distinct values
 * (-1 when empty). At a million contacts, one array of strings per field and one array per record for
 * its phones were millions of heap objects that every full garbage collection walked (a large part of
 * the run); codes are also what blocking and term frequencies need, with no string-keyed map.
 * Comparisons still read strings, through a view.
 */
import type { Db } from '../store/db.js';
import { StringCodes } from './string-codes.js';

export const TEXT_FIELDS = ['fn', 'fi', 'ln', 'lnPhon', 'email', 'postal', 'dob', 'siret', 'addr', 'city', 'sex'] as const;
export type TextField = (typeof TEXT_FIELDS)[number];

export interface Records {
  size: number;
  ids: Int32Array;
  /** contact id -> position, -1 when the contact is not keyed (merged, erased). */
  position: Int32Array;
  /** Per field, each record's value as an index into `values[field]`, -1 when empty. */
  codes: Record<TextField, Int32Array>;
  /** Per field, its distinct values. fn and ln share one list, so a swapped name has the same code. */
  values: Record<TextField, string[]>;
  /** Record i's phone codes are phoneCodes[phoneStart[i] .. phoneStart[i + 1]] (indexes into phoneValues). */
  phoneStart: Int32Array;
  phoneCodes: Int32Array;
  phoneValues: string[];
}

/** One record's values, as comparisons read them (see comparison.ts). */
export interface RecordView {
  fn: string | null;
  /** First-name initial. */
  fi: string | null;
  ln: string | null;
  lnPhon: string | null;
  email: string | null;
  postal: string | null;
  dob: string | null;
  siret: string | null;
  addr: string | null;
  city: string | null;
  /** "f" or "m", from the civility or the gender. */
  sex: string | null;
  phones: string[] | null;
}

export function view(records: Records, i: number): RecordView {
  return fill({} as RecordView, records, i);
}

const pick = (values: string[], code: number): string | null => (code < 0 ? null : values[code]);

/** Record i's value of one field, or null. */
export function valueOf(records: Records, field: TextField, i: number): string | null {
  return pick(records.values[field], records.codes[field][i]);
}

/** Refills `target` with record i: the pair loop reuses two views instead of allocating millions. */
export function fill(target: RecordView, records: Records, i: number): RecordView {
  // Field by field, not a loop over TEXT_FIELDS: this runs twice per candidate pair.
  const c = records.codes;
  const v = records.values;
  target.fn = pick(v.fn, c.fn[i]);
  target.fi = pick(v.fi, c.fi[i]);
  target.ln = pick(v.ln, c.ln[i]);
  target.lnPhon = pick(v.lnPhon, c.lnPhon[i]);
  target.email = pick(v.email, c.email[i]);
  target.postal = pick(v.postal, c.postal[i]);
  target.dob = pick(v.dob, c.dob[i]);
  target.siret = pick(v.siret, c.siret[i]);
  target.addr = pick(v.addr, c.addr[i]);
  target.city = pick(v.city, c.city[i]);
  target.sex = pick(v.sex, c.sex[i]);
  const from = records.phoneStart[i];
  const to = records.phoneStart[i + 1];
  if (from === to) target.phones = null;
  else {
    const phones: string[] = [];
    for (let p = from; p < to; p++) phones.push(records.phoneValues[records.phoneCodes[p]]);
    target.phones = phones;
  }
  return target;
}

/**
 * The key columns a row passes to `RecordsBuilder.add`, in this order (fi is derived from fn). `row`
 * is an array so rows from SQLite and from syncKeys go in as they are.
 */
export const KEY_FIELDS = ['fn', 'ln', 'lnPhon', 'email', 'postal', 'dob', 'siret', 'addr', 'city', 'sex', 'phones'] as const;
/** The same as dedupe_keys columns. */
export const KEY_COLUMNS = 'k.fn, k.ln, k.ln_phon, k.email, k.postal, k.dob, k.siret, k.addr, k.city, k.sex, k.phones';

/** Builds Records one contact at a time, in contact id order (loadRecords, and syncKeys as it keys). */
export class RecordsBuilder {
  private size = 0;
  private readonly ids: Int32Array;
  private readonly position: Int32Array;
  // Per KEY_FIELDS index (phones excluded), then fi: plain arrays, as add() runs for every contact.
  private readonly codes: Int32Array[];
  private readonly dictionaries: StringCodes[];
  private readonly phoneStart: Int32Array;
  private phoneCodes: Int32Array;
  private phoneCount = 0;
  private readonly phones = new StringCodes();

  /** `capacity`: the most contacts that will be added; `maxId`: the highest contact id. */
  constructor(private readonly capacity: number, maxId: number) {
    this.ids = new Int32Array(capacity);
    this.position = new Int32Array(maxId + 1).fill(-1);
    const fields = [...KEY_FIELDS.slice(0, -1), 'fi'];
    const names = new StringCodes();
    this.dictionaries = fields.map((f) => (f === 'fn' || f === 'ln' ? names : new StringCodes()));
    this.codes = fields.map(() => new Int32Array(capacity));
    this.phoneStart = new Int32Array(capacity + 1);
    this.phoneCodes = new Int32Array(Math.max(16, capacity * 2));
  }

  /** Adds contact `id` with its keys at row[from .. from + 10], in KEY_FIELDS order. */
  add(id: number, row: ReadonlyArray<unknown>, from: number): void {
    const i = this.size++;
    if (i >= this.capacity) throw new Error(`more keyed contacts than the ${this.capacity} counted`);
    this.ids[i] = id;
    this.position[id] = i;
    const fields = KEY_FIELDS.length - 1;
    for (let f = 0; f < fields; f++) {
      const value = row[from + f] as string | null;
      this.codes[f][i] = value === null || value === undefined ? -1 : this.dictionaries[f].code(value);
    }
    const fn = row[from] as string | null;
    this.codes[fields][i] = fn ? this.dictionaries[fields].code(fn[0]) : -1;
    const phones = row[from + fields] as string | null;
    if (phones) {
      const text = String(phones);
      // Most contacts have one number: no array to split into.
      if (text.includes(' ')) for (const phone of text.split(' ')) this.addPhone(phone);
      else this.addPhone(text);
    }
    this.phoneStart[i + 1] = this.phoneCount;
  }

  private addPhone(phone: string): void {
    if (this.phoneCount === this.phoneCodes.length) {
      const grown = new Int32Array(this.phoneCodes.length * 2);
      grown.set(this.phoneCodes);
      this.phoneCodes = grown;
    }
    this.phoneCodes[this.phoneCount++] = this.phones.code(phone);
  }

  /** The records (the builder must not be used after). */
  finish(): Records {
    const n = this.size;
    const index = (f: TextField) => (f === 'fi' ? KEY_FIELDS.length - 1 : KEY_FIELDS.indexOf(f));
    return {
      size: n,
      ids: this.ids.subarray(0, n),
      position: this.position,
      codes: Object.fromEntries(TEXT_FIELDS.map((f) => [f, this.codes[index(f)].subarray(0, n)])) as Record<TextField, Int32Array>,
      values: Object.fromEntries(TEXT_FIELDS.map((f) => [f, this.dictionaries[index(f)].values])) as Record<TextField, string[]>,
      phoneStart: this.phoneStart.subarray(0, n + 1),
      phoneCodes: this.phoneCodes.subarray(0, this.phoneCount),
      phoneValues: this.phones.values,
    };
  }
}

export interface RecordFilter {
  /** Only these contacts (explain, decisions). */
  ids?: number[];
  /** Every contact whose id is a multiple of `step`: a deterministic sample for estimating u. */
  step?: number;
}

function maxContactId(db: Db): number {
  return db.prepare('SELECT coalesce(max(id), 0) FROM contacts').pluck().get() as number;
}

/** A builder with room for every contact of the store (ids only grow: no contact count needed). */
export function newRecordsBuilder(db: Db): RecordsBuilder {
  const maxId = maxContactId(db);
  return new RecordsBuilder(maxId, maxId);
}

/** Loads the keyed contacts (all of them unless a filter is given). */
export function loadRecords(db: Db, filter: RecordFilter = {}): Records {
  const maxId = maxContactId(db);
  const { ids, step } = filter;
  const where = ids
    ? `WHERE k.contact_id IN (${ids.map(() => '?').join(',') || 'NULL'})`
    : step && step > 1 ? `WHERE k.contact_id % ${Math.floor(step)} = 0` : '';
  const size = (db.prepare(`SELECT count(*) FROM dedupe_keys k ${where}`).pluck().get(...(ids ?? [])) as number);
  const builder = new RecordsBuilder(size, maxId);
  const rows = db.prepare(`SELECT k.contact_id, ${KEY_COLUMNS} FROM dedupe_keys k ${where} ORDER BY k.contact_id`).raw();
  let added = 0;
  for (const row of rows.iterate(...(ids ?? [])) as Iterable<unknown[]>) {
    if (added++ >= size) break;
    builder.add(row[0] as number, row, 1);
  }
  return builder.finish();
}
