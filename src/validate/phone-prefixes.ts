/**
 * The French fast path's memory: libphonenumber's verdict per five-digit prefix of a French national
 * number (see frenchVerdict in phone.ts for why a prefix decides). Working a verdict out costs one to
 * nine parses, ~70,000 prefixes occur in a large French file, and every validating thread would pay
 * for all of them: so the verdicts live in one byte per prefix of a SharedArrayBuffer that the main
 * thread hands to its workers, and each prefix is worked out once for all threads. Two threads that
 * work out the same prefix at the same moment write the same byte. The table starts filled from
 * phone-prefix-runs.ts (see prefill), so a run normally parses no French number at all.
 */
import { createRequire } from 'node:module';
import { getCountryCallingCode, parsePhoneNumberFromString, type CountryCode, type NumberType } from 'libphonenumber-js/max';
import { PREFIX_VERDICT_RUNS, PREFIX_VERDICTS_LIBRARY } from './phone-prefix-runs.js';

export type PhoneType = 'mobile' | 'fixed' | 'fixed_or_mobile' | 'voip' | 'toll_free' | 'premium' | 'shared_cost' | 'other';

export const TYPES: Partial<Record<NonNullable<NumberType>, PhoneType>> = {
  MOBILE: 'mobile',
  FIXED_LINE: 'fixed',
  FIXED_LINE_OR_MOBILE: 'fixed_or_mobile',
  VOIP: 'voip',
  TOLL_FREE: 'toll_free',
  PREMIUM_RATE: 'premium',
  SHARED_COST: 'shared_cost',
};

/** Overseas departments and collectivities that share France's 0 trunk prefix. */
export const FRENCH_OVERSEAS: CountryCode[] = ['GP', 'MQ', 'GF', 'RE', 'YT', 'PM', 'BL', 'MF'];

export interface FrenchVerdict {
  valid: boolean;
  type: PhoneType;
  country: string;
  callingCode: string;
}

const INVALID: FrenchVerdict = { valid: false, type: 'other', country: 'FR', callingCode: '33' };

/** Every valid verdict a byte can stand for: byte 2 + i is VALID[i]; 1 is INVALID; 0 not known yet. */
const PHONE_TYPES: PhoneType[] = ['mobile', 'fixed', 'fixed_or_mobile', 'voip', 'toll_free', 'premium', 'shared_cost', 'other'];
const VALID: FrenchVerdict[] = (['FR', ...FRENCH_OVERSEAS] as CountryCode[]).flatMap((country) =>
  PHONE_TYPES.map((type) => ({ valid: true, type, country, callingCode: getCountryCallingCode(country) })),
);

/** Index: 100,000 for the national form (0…), then the prefix's five digits as a number. */
const SLOTS = 200_000;
let table = new Uint8Array(new SharedArrayBuffer(SLOTS));
prefill(table);

/**
 * Working out the ~130,000 prefixes of a large file cost a run ~1.4 s of parsing; the whole table is
 * under two hundred runs of equal bytes, computed once from the library (scripts/phone-prefix-runs.ts)
 * and kept in phone-prefix-runs.ts. It is used only with the library version it was computed from
 * (a test recomputes it); with another, verdicts are worked out as numbers come.
 */
function prefill(bytes: Uint8Array): void {
  const installed = (createRequire(import.meta.url)('libphonenumber-js/package.json') as { version: string }).version;
  if (installed !== PREFIX_VERDICTS_LIBRARY) return;
  let at = 0;
  for (const [byte, length] of PREFIX_VERDICT_RUNS) {
    bytes.fill(byte, at, at + length);
    at += length;
  }
}

/** Every slot's byte worked out from the library (for scripts/phone-prefix-runs.ts and its test). */
export function computePrefixTable(): Uint8Array {
  const bytes = new Uint8Array(SLOTS);
  for (let slot = 0; slot < SLOTS; slot++) {
    const prefix = slot % 100_000;
    if (prefix < 10_000) continue; // a national significant number never starts with 0
    const verdict = libraryVerdict(`${prefix}0000`, slot >= 100_000);
    const at = verdict.valid ? VALID.findIndex((v) => v.type === verdict.type && v.country === verdict.country && v.callingCode === verdict.callingCode) : -1;
    bytes[slot] = verdict.valid ? (at >= 0 ? at + 2 : 0) : 1;
  }
  return bytes;
}
/** Verdicts no byte stands for (none with today's metadata): kept per thread. */
const others = new Map<number, FrenchVerdict>();

/** This thread's table, for the workers it starts. */
export function phonePrefixTable(): SharedArrayBuffer {
  return table.buffer as SharedArrayBuffer;
}

/** A worker adopts the table of the thread that started it. */
export function adoptPhonePrefixTable(buffer: SharedArrayBuffer): void {
  if (buffer.byteLength === SLOTS) table = new Uint8Array(buffer);
}

/** `nationalForm`: the number was written 0 followed by nine digits, so it may be an overseas one (0590…, 0692…). */
export function frenchVerdict(national: string, nationalForm: boolean): FrenchVerdict {
  let slot = nationalForm ? 100_000 : 0;
  for (let i = 0, k = 0; i < 5; i++) {
    k = k * 10 + national.charCodeAt(i) - 48;
    if (i === 4) slot += k;
  }
  const byte = table[slot]!;
  if (byte === 1) return INVALID;
  if (byte > 1) return VALID[byte - 2]!;
  const known = others.get(slot);
  if (known) return known;
  const verdict = libraryVerdict(national, nationalForm);
  const at = verdict.valid ? VALID.findIndex((v) => v.type === verdict.type && v.country === verdict.country && v.callingCode === verdict.callingCode) : -1;
  if (!verdict.valid) table[slot] = 1;
  else if (at >= 0) table[slot] = at + 2;
  else others.set(slot, verdict);
  return verdict;
}

function libraryVerdict(national: string, nationalForm: boolean): FrenchVerdict {
  // Candidates in order, parsed only until one is valid: most numbers are metropolitan, and each
  // overseas parse costs as much as the first.
  for (let i = 0; i <= (nationalForm ? FRENCH_OVERSEAS.length : 0); i++) {
    const parsed = i === 0 ? parsePhoneNumberFromString(`+33${national}`) : parsePhoneNumberFromString(`0${national}`, FRENCH_OVERSEAS[i - 1]);
    if (parsed && parsed.isValid()) {
      return {
        valid: true,
        type: TYPES[parsed.getType() ?? ('' as NonNullable<NumberType>)] ?? 'other',
        country: parsed.country ?? 'FR',
        callingCode: parsed.countryCallingCode,
      };
    }
  }
  return INVALID;
}
