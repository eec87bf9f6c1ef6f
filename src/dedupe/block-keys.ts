/**
 * The keys blocking can join on: the keyed fields themselves and values derived from them (a first
 * name's sound, parts of a birth date, an email's local part). Each key belongs to an attribute (the
 * real-world field it reads) and is data: adding a key is a line here. Derived keys are computed once
 * per distinct value, not per contact, and cached on the records.
 */
import { localPart } from './comparison.js';
import type { RecordView, Records, TextField } from './records.js';
import { phoneticFr } from './text.js';

export type KeyName =
  | 'fn' | 'fnPhon' | 'fi' | 'ln' | 'lnPhon' | 'dob' | 'dobYM' | 'dobYD' | 'dobMD'
  | 'email' | 'emailLocal' | 'phones' | 'postal' | 'city' | 'addr' | 'siret';

export type Attribute = 'first_name' | 'last_name' | 'birth_date' | 'email' | 'phone' | 'postal_code' | 'city' | 'address' | 'siret';

export interface BlockKey {
  name: KeyName;
  /** What a rule's name says for it ("surname sound"). */
  label: string;
  attribute: Attribute;
  /** The keyed field the value comes from (phones: the contact's numbers, several per contact). */
  base: TextField | 'phones';
  derive?: (value: string) => string | null;
  /** Contact details (email, phone, SIRET): warnings mask the value. */
  sensitive: boolean;
  /** The key as SQL over dedupe_keys, `{}` standing for the table alias (documentation, a port to a database). */
  sql: string;
}

export const BLOCK_KEYS: Record<KeyName, BlockKey> = {
  fn: { name: 'fn', label: 'first name', attribute: 'first_name', base: 'fn', sensitive: false, sql: '{}.fn' },
  fnPhon: { name: 'fnPhon', label: 'first-name sound', attribute: 'first_name', base: 'fn', derive: phoneticFr, sensitive: false, sql: 'soundex_fr({}.fn)' },
  fi: { name: 'fi', label: 'first initial', attribute: 'first_name', base: 'fi', sensitive: false, sql: '{}.fi' },
  ln: { name: 'ln', label: 'surname', attribute: 'last_name', base: 'ln', sensitive: false, sql: '{}.ln' },
  lnPhon: { name: 'lnPhon', label: 'surname sound', attribute: 'last_name', base: 'lnPhon', sensitive: false, sql: '{}.ln_phon' },
  dob: { name: 'dob', label: 'birth date', attribute: 'birth_date', base: 'dob', sensitive: false, sql: '{}.dob' },
  // Each part survives an error in the part it leaves out: a day off, a month off, a year off.
  dobYM: { name: 'dobYM', label: 'birth year + month', attribute: 'birth_date', base: 'dob', derive: (v) => v.slice(0, 6), sensitive: false, sql: 'substr({}.dob, 1, 6)' },
  dobYD: { name: 'dobYD', label: 'birth year + day', attribute: 'birth_date', base: 'dob', derive: (v) => v.slice(0, 4) + v.slice(6, 8), sensitive: false, sql: 'substr({}.dob, 1, 4) || substr({}.dob, 7, 2)' },
  dobMD: { name: 'dobMD', label: 'birth day + month', attribute: 'birth_date', base: 'dob', derive: (v) => v.slice(4, 8), sensitive: false, sql: 'substr({}.dob, 5, 4)' },
  email: { name: 'email', label: 'email', attribute: 'email', base: 'email', sensitive: true, sql: '{}.email' },
  emailLocal: { name: 'emailLocal', label: 'email local part', attribute: 'email', base: 'email', derive: localPart, sensitive: true, sql: '{}.email_local' },
  phones: { name: 'phones', label: 'phone', attribute: 'phone', base: 'phones', sensitive: true, sql: '{}.nsn' },
  postal: { name: 'postal', label: 'postcode', attribute: 'postal_code', base: 'postal', sensitive: false, sql: '{}.postal' },
  city: { name: 'city', label: 'city', attribute: 'city', base: 'city', sensitive: false, sql: '{}.city' },
  addr: { name: 'addr', label: 'address', attribute: 'address', base: 'addr', sensitive: false, sql: '{}.addr' },
  siret: { name: 'siret', label: 'SIRET', attribute: 'siret', base: 'siret', sensitive: true, sql: '{}.siret' },
};

/** A key's value for one record view (explain: which rule brings a pair). Phones: the list. */
export function keyValue(key: KeyName, r: RecordView): string | null {
  const k = BLOCK_KEYS[key];
  if (k.base === 'phones') return null;
  const base = r[k.base];
  if (base === null) return null;
  return k.derive ? k.derive(base) : base;
}

export interface KeyCodes {
  /** Per record, the index of its value in `values`, -1 when it has none. */
  codes: Int32Array;
  values: string[];
}

const cache = new WeakMap<Records, Map<KeyName, KeyCodes>>();

/** Per-record codes of a single-valued key (not phones), derived once per distinct base value. */
export function keyCodes(records: Records, key: KeyName): KeyCodes {
  const k = BLOCK_KEYS[key];
  if (k.base === 'phones') throw new Error('phones is multi-valued: use records.phoneCodes');
  if (!k.derive) return { codes: records.codes[k.base], values: records.values[k.base] };
  let perRecords = cache.get(records);
  if (!perRecords) cache.set(records, (perRecords = new Map()));
  const known = perRecords.get(key);
  if (known) return known;
  const baseValues = records.values[k.base];
  const index = new Map<string, number>();
  const values: string[] = [];
  const mapped = new Int32Array(baseValues.length);
  for (let v = 0; v < baseValues.length; v++) {
    const d = k.derive(baseValues[v]);
    if (d === null || d === '') {
      mapped[v] = -1;
      continue;
    }
    let code = index.get(d);
    if (code === undefined) {
      code = values.length;
      values.push(d);
      index.set(d, code);
    }
    mapped[v] = code;
  }
  const base = records.codes[k.base];
  const codes = new Int32Array(base.length);
  for (let i = 0; i < base.length; i++) codes[i] = base[i] < 0 ? -1 : mapped[base[i]];
  const out = { codes, values };
  perRecords.set(key, out);
  return out;
}

/** Share of the records holding the key (phones: at least one number). */
export function coverage(records: Records, key: KeyName): number {
  if (records.size === 0) return 0;
  if (BLOCK_KEYS[key].base === 'phones') {
    let n = 0;
    for (let i = 0; i < records.size; i++) if (records.phoneStart[i + 1] > records.phoneStart[i]) n++;
    return n / records.size;
  }
  const { codes } = keyCodes(records, key);
  let n = 0;
  for (let i = 0; i < codes.length; i++) if (codes[i] >= 0) n++;
  return n / records.size;
}
