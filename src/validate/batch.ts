/**
 * A batch of contacts as workers receive it (plain arrays) and what they send back: per contact, the
 * values of ensure.ts's UPDATE in its parameter order, packed for the trip between threads. Copying
 * thousands of small arrays between threads cost more than validating them; packed, a batch is one
 * string (every text value end to end), one array of numbers (each number, or each text's length)
 * and one of kinds (null, text or number), which copy as blocks.
 */
import { validateContact, type ValidationContext } from './record.js';
import { RAW_CONTACT_COLUMNS, VALIDATED_COLUMNS, type RawContact, type ValidatedColumns } from './schemas.js';

/** [id, ...RAW_CONTACT_COLUMNS values] */
export type RawRow = [number, ...Array<string | null>];

/** The validated columns the per-contact UPDATE writes: all but email_norm, which is written apart. */
export const WRITTEN_COLUMNS = VALIDATED_COLUMNS.filter((c) => c !== 'email_norm');

export type Param = string | number | null;

export interface ValidatedBatch {
  /** Contacts in the batch; each has WRITTEN_COLUMNS.length + 1 values ([...WRITTEN_COLUMNS values, id]). */
  count: number;
  kinds: Uint8Array;
  numbers: Float64Array;
  text: string;
  /** [refined email_norm, id] for the few contacts whose import key needs it (see record.ts). */
  norms: Array<[string, number]>;
}

/**
 * The row as a RawContact, written out as one object literal (a loop over the column names made each
 * contact an object grown key by key, a measurable share of a batch). The check below keeps it in step
 * with RAW_CONTACT_COLUMNS.
 */
function rawContact(row: RawRow): RawContact {
  return {
    email: row[1]!, phone: row[2]!, mobile: row[3]!, postal_code: row[4]!, city: row[5]!, address_line1: row[6]!,
    country: row[7]!, first_name: row[8]!, last_name: row[9]!, civility: row[10]!, gender: row[11]!,
    birth_date: row[12]!, siret: row[13]!, created_at: row[14]!, last_activity_at: row[15]!,
  } as RawContact;
}
const probe = rawContact([0, ...RAW_CONTACT_COLUMNS] as RawRow);
if (RAW_CONTACT_COLUMNS.some((column, i) => probe[column] !== RAW_CONTACT_COLUMNS[i]) || Object.keys(probe).length !== RAW_CONTACT_COLUMNS.length) {
  throw new Error('batch.ts: rawContact() does not follow RAW_CONTACT_COLUMNS');
}

/**
 * The written columns' values in WRITTEN_COLUMNS order, read by name one after the other (a loop over
 * the names made every read a lookup by a changing key, the largest cost of packing a batch). The
 * check below keeps it in step with WRITTEN_COLUMNS.
 */
function writtenValues(c: ValidatedColumns): Param[] {
  return [
    c.email_clean, c.email_valid, c.email_suggestion, c.email_disposable, c.email_role, c.phone_e164, c.phone_type,
    c.mobile_e164, c.mobile_type, c.sms_e164, c.postal_code_norm, c.country_code, c.city_norm, c.address_complete,
    c.first_name_norm, c.last_name_norm, c.civility_norm, c.gender_norm, c.siret_norm, c.completeness, c.validation_issues,
  ];
}
const named = writtenValues(Object.fromEntries(WRITTEN_COLUMNS.map((column) => [column, column])) as unknown as ValidatedColumns);
if (named.length !== WRITTEN_COLUMNS.length || WRITTEN_COLUMNS.some((column, i) => named[i] !== column)) {
  throw new Error('batch.ts: writtenValues() does not follow WRITTEN_COLUMNS');
}

const NULL = 0;
const TEXT = 1;
const NUMBER = 2;
const WIDTH = WRITTEN_COLUMNS.length + 1;

export function validateBatch(rows: RawRow[], context: ValidationContext): ValidatedBatch {
  const kinds = new Uint8Array(rows.length * WIDTH);
  const numbers = new Float64Array(rows.length * WIDTH);
  const texts: string[] = [];
  const norms: Array<[string, number]> = [];
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const { columns } = validateContact(rawContact(row), context);
    const values = writtenValues(columns);
    const at = r * WIDTH;
    for (let i = 0; i < WIDTH - 1; i++) {
      const value = values[i];
      if (typeof value === 'string') {
        kinds[at + i] = TEXT;
        numbers[at + i] = value.length;
        texts.push(value);
      } else if (typeof value === 'number') {
        kinds[at + i] = NUMBER;
        numbers[at + i] = value;
      } else kinds[at + i] = NULL;
    }
    kinds[at + WIDTH - 1] = NUMBER;
    numbers[at + WIDTH - 1] = row[0];
    if (columns.email_norm !== null) norms.push([columns.email_norm, row[0]]);
  }
  return { count: rows.length, kinds, numbers, text: texts.join(''), norms };
}

/** Calls `each` with every contact's values in turn, in one array it reuses (bind it, do not keep it). */
export function unpackBatch(batch: ValidatedBatch, each: (params: Param[]) => void): void {
  const params = new Array<Param>(WIDTH);
  let at = 0;
  let offset = 0;
  for (let r = 0; r < batch.count; r++) {
    for (let i = 0; i < WIDTH; i++, at++) {
      const kind = batch.kinds[at];
      if (kind === TEXT) {
        const end = offset + batch.numbers[at]!;
        params[i] = batch.text.slice(offset, end);
        offset = end;
      } else params[i] = kind === NUMBER ? batch.numbers[at]! : null;
    }
    each(params);
  }
}
