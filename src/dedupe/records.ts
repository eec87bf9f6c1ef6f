/**
 * The keyed contacts held in memory for comparison, column by column (a million contacts must fit in
 * well under a gigabyte): repeated values such as postcodes, cities and common names are interned so
 * each distinct string is stored once.
 */
import type { Db } from '../store/db.js';

export interface Records {
  size: number;
  ids: Int32Array;
  /** contact id -> position, -1 when the contact is not keyed (merged, erased). */
  position: Int32Array;
  fn: Array<string | null>;
  /** First-name initial. */
  fi: Array<string | null>;
  ln: Array<string | null>;
  lnPhon: Array<string | null>;
  email: Array<string | null>;
  postal: Array<string | null>;
  dob: Array<string | null>;
  siret: Array<string | null>;
  addr: Array<string | null>;
  city: Array<string | null>;
  phones: Array<string[] | null>;
}

/** One record's values, as comparisons read them (see comparison.ts). */
export type RecordView = {
  [K in Exclude<keyof Records, 'size' | 'ids' | 'position'>]: Records[K][number];
};

export function view(records: Records, i: number): RecordView {
  return {
    fn: records.fn[i], fi: records.fi[i], ln: records.ln[i], lnPhon: records.lnPhon[i], email: records.email[i],
    postal: records.postal[i], dob: records.dob[i], siret: records.siret[i],
    addr: records.addr[i], city: records.city[i], phones: records.phones[i],
  };
}

class Interner {
  private readonly seen = new Map<string, string>();
  get(value: string | null): string | null {
    if (value === null) return null;
    const known = this.seen.get(value);
    if (known !== undefined) return known;
    this.seen.set(value, value);
    return value;
  }
}

export interface RecordFilter {
  /** Only these contacts (explain, decisions). */
  ids?: number[];
  /** Every contact whose id is a multiple of `step`: a deterministic sample for estimating u. */
  step?: number;
}

/** Loads the keyed contacts (all of them unless a filter is given). */
export function loadRecords(db: Db, filter: RecordFilter = {}): Records {
  const maxId = (db.prepare('SELECT coalesce(max(id), 0) FROM contacts').pluck().get() as number) + 1;
  const { ids, step } = filter;
  const where = ids
    ? `WHERE k.contact_id IN (${ids.map(() => '?').join(',') || 'NULL'})`
    : step && step > 1 ? `WHERE k.contact_id % ${Math.floor(step)} = 0` : '';
  const size = (db.prepare(`SELECT count(*) FROM dedupe_keys k ${where}`).pluck().get(...(ids ?? [])) as number);
  const r: Records = {
    size, ids: new Int32Array(size), position: new Int32Array(maxId).fill(-1),
    fn: new Array(size), fi: new Array(size), ln: new Array(size), lnPhon: new Array(size), email: new Array(size),
    postal: new Array(size), dob: new Array(size), siret: new Array(size), addr: new Array(size), city: new Array(size),
    phones: new Array(size).fill(null),
  };
  const names = new Interner();
  const places = new Interner();
  const rows = db.prepare(`SELECT k.contact_id, k.fn, k.ln, k.ln_phon, k.email, k.postal, k.dob, k.siret, k.addr, k.city, k.phones
    FROM dedupe_keys k ${where} ORDER BY k.contact_id`).raw();
  let i = 0;
  for (const row of rows.iterate(...(ids ?? [])) as Iterable<Array<string | number | null>>) {
    if (i >= size) break;
    const id = row[0] as number;
    r.ids[i] = id;
    r.position[id] = i;
    r.fn[i] = names.get(row[1] as string | null);
    r.fi[i] = r.fn[i] === null ? null : names.get(r.fn[i]![0]);
    r.ln[i] = names.get(row[2] as string | null);
    r.lnPhon[i] = places.get(row[3] as string | null);
    r.email[i] = row[4] as string | null;
    r.postal[i] = places.get(row[5] as string | null);
    r.dob[i] = places.get(row[6] as string | null);
    r.siret[i] = row[7] as string | null;
    r.addr[i] = row[8] as string | null;
    r.city[i] = places.get(row[9] as string | null);
    r.phones[i] = row[10] === null ? null : String(row[10]).split(' ');
    i++;
  }
  return r;
}
