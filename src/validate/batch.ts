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
 * Hands each written column's value to `put`, in WRITTEN_COLUMNS order, read by name one after the
 * other: a loop over the names made every read a lookup by a changing key, and an array of the values
 * per contact was most of what remained of packing's cost. The check below keeps it in step with
 * WRITTEN_COLUMNS.
 */
function eachWritten(c: ValidatedColumns, put: (value: Param) => void): void {
  put(c.email_clean); put(c.email_valid); put(c.email_suggestion); put(c.email_disposable); put(c.email_role);
  put(c.phone_e164); put(c.phone_type); put(c.mobile_e164); put(c.mobile_type); put(c.sms_e164);
  put(c.postal_code_norm); put(c.country_code); put(c.city_norm); put(c.address_complete);
  put(c.first_name_norm); put(c.last_name_norm); put(c.civility_norm); put(c.gender_norm); put(c.siret_norm);
  put(c.completeness); put(c.validation_issues);
}
const named: Param[] = [];
eachWritten(Object.fromEntries(WRITTEN_COLUMNS.map((column) => [column, column])) as unknown as ValidatedColumns, (value) => named.push(value));
if (named.length !== WRITTEN_COLUMNS.length || WRITTEN_COLUMNS.some((column, i) => named[i] !== column)) {
  throw new Error('batch.ts: eachWritten() does not follow WRITTEN_COLUMNS');
}

const NULL = 0;
const TEXT = 1;
const NUMBER = 2;
const WIDTH = WRITTEN_COLUMNS.length + 1;

export function validateBatch(rows: RawRow[], context: ValidationContext): ValidatedBatch {
  const kinds = new Uint8Array(rows.length * WIDTH);
  const numbers = new Float64Array(rows.length * WIDTH);
  let text = '';
  let at = 0;
  const norms: Array<[string, number]> = [];
  const put = (value: Param): void => {
    if (typeof value === 'string') {
      kinds[at] = TEXT;
      numbers[at] = value.length;
      text += value;
    } else if (typeof value === 'number') {
      kinds[at] = NUMBER;
      numbers[at] = value;
    } else kinds[at] = NULL;
    at++;
  };
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const { columns } = validateContact(rawContact(row), context);
    eachWritten(columns, put);
    put(row[0]);
    if (columns.email_norm !== null) norms.push([columns.email_norm, row[0]]);
  }
  return { count: rows.length, kinds, numbers, text, norms };
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
