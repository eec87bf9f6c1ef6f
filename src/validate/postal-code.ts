/**
 * Postal codes per country. France first: five digits, with the leading zero a spreadsheet dropped put
 * back (1000 → 01000), Corsica in 20xxx, overseas departments in 97x and overseas collectivities and
 * Monaco in 98x. A few neighbours' formats are checked too; other countries' codes are only tidied.
 * Each country is a line of data: how to clean the text and what a valid code looks like.
 */
import { emptyCheck, error, memo, text, type FieldCheck } from './types.js';

interface PostalFormat {
  /** Country prefixes written before the code ("F-75008", "L-1234", "CH-1200"). */
  prefix: RegExp;
  /** Accepted digit-only forms that lost their leading zeros, and the length to pad them to. */
  padTo?: number;
  pattern: RegExp;
  /** Turns an accepted code into its written form (e.g. "SW1A1AA" → "SW1A 1AA"). */
  format?: (code: string) => string;
  /** Further checks a pattern cannot say simply; returns an issue code or null. */
  extra?: (code: string) => string | null;
}

const FRENCH: PostalFormat = {
  prefix: /^(?:FRA|FR|F)[-\s]?/i,
  padTo: 5,
  pattern: /^\d{5}$/,
  extra: (code) => {
    const department = Number(code.slice(0, 2));
    if (department === 0) return 'unknown_department';
    if (department === 96) return 'unknown_department';
    if (department === 97 && !/^97[1-8]/.test(code)) return 'unknown_department';
    if (department === 98 && !/^98[0-9]/.test(code)) return 'unknown_department';
    return null;
  },
};

const FORMATS: Record<string, PostalFormat> = {
  FR: FRENCH,
  MC: { ...FRENCH, prefix: /^(?:MC|F)[-\s]?/i, extra: (code) => (code.startsWith('980') ? null : 'unknown_department') },
  BE: { prefix: /^B(?:E)?[-\s]?/i, pattern: /^[1-9]\d{3}$/ },
  LU: { prefix: /^L(?:U)?[-\s]?/i, pattern: /^\d{4}$/ },
  CH: { prefix: /^CH[-\s]?/i, pattern: /^[1-9]\d{3}$/ },
  DE: { prefix: /^D(?:E)?[-\s]?/i, padTo: 5, pattern: /^(?!00)\d{5}$/ },
  US: {
    prefix: /^US[-\s]?/i,
    padTo: 5,
    pattern: /^\d{5}(?:-?\d{4})?$/,
    format: (code) => (code.length === 9 ? `${code.slice(0, 5)}-${code.slice(5)}` : code),
  },
  GB: {
    prefix: /^(?:GB|UK)[-\s]?(?=[A-Z]{1,2}\d)/i,
    pattern: /^(?:[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}|GIR0AA)$/,
    format: (code) => `${code.slice(0, -3)} ${code.slice(-3)}`,
  },
  CA: {
    prefix: /^CA[-\s]?(?=[A-Z]\d)/i,
    pattern: /^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]\d[ABCEGHJ-NPRSTV-Z]\d$/,
    format: (code) => `${code.slice(0, 3)} ${code.slice(3)}`,
  },
};
// French overseas territories use French postal codes.
for (const code of ['GP', 'MQ', 'GF', 'RE', 'YT', 'PM', 'BL', 'MF', 'NC', 'PF', 'WF']) FORMATS[code] = FRENCH;

const MESSAGES: Record<string, string> = {
  wrong_format: 'not a postal code of this country',
  unknown_department: 'no French department has this number',
  corsica_department: 'Corsica postal codes start with 20, not 2A/2B',
};

export function hasPostalFormat(country: string): boolean {
  return country in FORMATS;
}

/** A file holds a few thousand distinct codes per country: each is checked once. */
const verdicts = new Map<string, (raw: string) => FieldCheck>();

export function checkPostalCode(value: string | null | undefined, country = 'FR'): FieldCheck {
  const raw = text(value);
  if (raw === null) return emptyCheck();
  let verdict = verdicts.get(country);
  if (!verdict) {
    if (verdicts.size >= 300) verdicts.clear();
    verdict = memo(20_000, (r) => postalVerdict(r, country));
    verdicts.set(country, verdict);
  }
  return verdict(raw);
}

function postalVerdict(raw: string, country: string): FieldCheck {
  const format = FORMATS[country];
  // "75008 CEDEX", "75008 Paris": the code is the first word.
  let code = raw.replace(/\s+cedex(?:\s*\d+)?$/i, '');
  if (!format) return { ok: true, empty: false, normalised: code.replace(/\s+/g, ' ').toUpperCase(), issue: null };
  code = code.replace(format.prefix, '');
  // A number read back from a spreadsheet: "75008.0".
  code = code.replace(/^(\d+)[.,]0+$/, '$1');
  code = code.replace(/[\s.-]/g, '').toUpperCase();
  if (format === FRENCH && /^2[AB]\d{3}$/.test(code)) return bad('corsica_department');
  if (format.padTo && /^\d+$/.test(code) && code.length < format.padTo && code.length >= format.padTo - 1) {
    code = code.padStart(format.padTo, '0');
  }
  if (!format.pattern.test(code)) return bad('wrong_format');
  const extra = format.extra?.(code);
  if (extra) return bad(extra);
  return { ok: true, empty: false, normalised: format.format ? format.format(code) : code, issue: null };
}

function bad(code: string): FieldCheck {
  return { ok: false, empty: false, normalised: null, issue: error(code, MESSAGES[code] ?? code) };
}
