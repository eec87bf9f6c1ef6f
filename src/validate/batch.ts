/**
 * A batch of contacts as workers receive it (plain arrays) and what they send back: per contact, the
 * values of ensure.ts's UPDATE in its parameter order, packed for the trip between threads. Copying
 * thousands of small arrays between threads cost more than validating them; packed, a batch is one
 * string (every text value end to end), one array of numbers (each number, or each text's length)
 * and one of kinds (null, text or number), which copy as blocks.
 */
import { validateContact, type ValidationContext } from './record.js';
import { RAW_CONTACT_COLUMNS, VALIDATED_COLUMNS, type RawContact } from './schemas.js';

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
    const raw = {} as Record<string, string | null>;
    for (let i = 0; i < RAW_CONTACT_COLUMNS.length; i++) raw[RAW_CONTACT_COLUMNS[i]!] = row[i + 1] as string | null;
    const { columns } = validateContact(raw as RawContact, context);
    const at = r * WIDTH;
    for (let i = 0; i < WIDTH - 1; i++) {
      const value: Param = columns[WRITTEN_COLUMNS[i]!];
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
