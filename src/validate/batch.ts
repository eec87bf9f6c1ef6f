/**
 * A batch of contacts as workers receive it (plain arrays: cheap to copy between threads) and the
 * validated columns they send back, in VALIDATED_COLUMNS order.
 */
import { validateContact, type ValidationContext } from './record.js';
import { RAW_CONTACT_COLUMNS, VALIDATED_COLUMNS, type RawContact } from './schemas.js';

/** [id, ...RAW_CONTACT_COLUMNS values] */
export type RawRow = [number, ...Array<string | null>];
/** [id, ...VALIDATED_COLUMNS values] */
export type ResultRow = [number, ...Array<string | number | null>];

export function validateBatch(rows: RawRow[], context: ValidationContext): ResultRow[] {
  const out: ResultRow[] = new Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const raw = {} as Record<string, string | null>;
    for (let i = 0; i < RAW_CONTACT_COLUMNS.length; i++) raw[RAW_CONTACT_COLUMNS[i]!] = row[i + 1] as string | null;
    const { columns } = validateContact(raw as RawContact, context);
    const result: ResultRow = [row[0]];
    for (const column of VALIDATED_COLUMNS) result.push(columns[column]);
    out[r] = result;
  }
  return out;
}
