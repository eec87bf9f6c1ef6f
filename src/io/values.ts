/**
 * Value parsing for imported cells: dates, amounts, numbers and booleans as real exports write them
 * (French and English conventions). Each parser takes the trimmed cell text and returns null when the
 * text is not a value of that kind, so the caller can name the row and column in its reject reason.
 */

export type DateOrder = 'dmy' | 'mdy' | 'ymd';

/** ISO date 'yyyy-mm-dd', or date-time 'yyyy-mm-dd hh:mm:ss' (wall-clock time as written). */
export type IsoDate = string & { readonly __brand?: 'IsoDate' };

const MONTHS: Record<string, number> = {
  jan: 1, janv: 1, janvier: 1, january: 1,
  feb: 2, fev: 2, fevr: 2, fevrier: 2, february: 2,
  mar: 3, mars: 3, march: 3,
  apr: 4, avr: 4, avril: 4, april: 4,
  may: 5, mai: 5,
  jun: 6, juin: 6, june: 6,
  jul: 7, juil: 7, juillet: 7, july: 7,
  aug: 8, aou: 8, aout: 8, august: 8,
  sep: 9, sept: 9, septembre: 9, september: 9,
  oct: 10, octobre: 10, october: 10,
  nov: 11, novembre: 11, november: 11,
  dec: 12, decembre: 12, december: 12,
};

const ISO_RE = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ](\d{1,2})[:h](\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?$/;
const NUMERIC_RE = /^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})(?:[T ,]+(\d{1,2})[:h](\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?$/;
const COMPACT_RE = /^(\d{4})(\d{2})(\d{2})$/;
const DAY_MONTH_NAME_RE = /^(\d{1,2})(?:er)?[\s\-.]+([a-z]+)\.?[\s\-.,]+(\d{4})$/;
const MONTH_NAME_DAY_RE = /^([a-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})$/;
const SERIAL_RE = /^\d{5}(?:\.\d+)?$/;

function pad(n: number, width = 2): string {
  return width === 2 && n < 10 ? `0${n}` : String(n).padStart(width, '0');
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  if (month === 2 && ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1]!;
}

function isRealDay(year: number, month: number, day: number): boolean {
  return year >= 1000 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

function build(year: number, month: number, day: number, h?: string, mi?: string, s?: string): IsoDate | null {
  if (!isRealDay(year, month, day)) return null;
  const date = `${year}-${pad(month)}-${pad(day)}`;
  if (h === undefined) return date;
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (hour > 23 || minute > 59 || second > 59) return null;
  if (hour === 0 && minute === 0 && second === 0) return date; // midnight: a date written with a time
  return `${date} ${pad(hour)}:${pad(minute)}:${pad(second)}`;
}

function expandYear(twoDigits: number, pivotYear = new Date().getFullYear() % 100): number {
  // 2-digit years: up to ten years ahead of today are this century, the rest the previous one.
  return twoDigits <= pivotYear + 10 ? 2000 + twoDigits : 1900 + twoDigits;
}

function stripAccents(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
}

/** Excel's day serial (1900 date system, with its fictitious 1900-02-29) to an ISO date-time. */
export function excelSerialToIso(serial: number): IsoDate | null {
  if (!Number.isFinite(serial) || serial < 1 || serial > 2958465) return null;
  const ms = Math.round((serial - 25569) * 86400000);
  return dateToIso(new Date(ms), true);
}

/** A JS Date read from a spreadsheet cell (exceljs gives UTC wall-clock) to ISO. */
export function dateToIso(date: Date, utc = true): IsoDate | null {
  if (Number.isNaN(date.getTime())) return null;
  const get = utc
    ? [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()]
    : [date.getFullYear(), date.getMonth() + 1, date.getDate(), date.getHours(), date.getMinutes(), date.getSeconds()];
  const [y, mo, d, h, mi, s] = get as [number, number, number, number, number, number];
  return build(y, mo, d, String(h), String(mi), String(s));
}

const isDateSeparator = (code: number): boolean => code === 47 || code === 45 || code === 46; // / - .
const twoDigits = (text: string, at: number): number => (text.charCodeAt(at) - 48) * 10 + text.charCodeAt(at + 1) - 48;

/** True when the characters at..at+count-1 of `text` are all digits. */
function digitsAt(text: string, at: number, count: number): boolean {
  for (let i = at; i < at + count; i++) {
    const code = text.charCodeAt(i);
    if (code < 48 || code > 57) return false;
  }
  return true;
}

/**
 * True when `value` is exactly 'yyyy-mm-dd' and a real calendar day: how import stores dates, so validate
 * checks such values without patterns or allocation.
 */
export function isPlainIsoDay(value: string): boolean {
  return value.length === 10 && value.charCodeAt(4) === 45 && value.charCodeAt(7) === 45
    && digitsAt(value, 0, 4) && digitsAt(value, 5, 2) && digitsAt(value, 8, 2)
    && isRealDay(twoDigits(value, 0) * 100 + twoDigits(value, 2), twoDigits(value, 5), twoDigits(value, 8));
}

/**
 * dd/mm/yyyy (or mm/dd/yyyy) and yyyy-mm-dd, the shapes nearly every export writes, read without a regular
 * expression: a first load parses a million or two of them. Same answers as the general path; undefined
 * when the text has another shape.
 */
function parseTenCharDate(value: string, order: DateOrder): IsoDate | null | undefined {
  if (digitsAt(value, 0, 2) && isDateSeparator(value.charCodeAt(2)) && digitsAt(value, 3, 2) && isDateSeparator(value.charCodeAt(5))
    && digitsAt(value, 6, 4)) {
    const a = twoDigits(value, 0);
    const b = twoDigits(value, 3);
    const year = twoDigits(value, 6) * 100 + twoDigits(value, 8);
    return order === 'mdy' ? build(year, a, b) : build(year, b, a);
  }
  if (digitsAt(value, 0, 4) && isDateSeparator(value.charCodeAt(4)) && digitsAt(value, 5, 2) && isDateSeparator(value.charCodeAt(7))
    && digitsAt(value, 8, 2)) {
    return build(twoDigits(value, 0) * 100 + twoDigits(value, 2), twoDigits(value, 5), twoDigits(value, 8));
  }
  return undefined;
}

/**
 * Parses a date as exports write it: ISO (with or without time), dd/mm/yyyy or mm/dd/yyyy (by `order`),
 * yyyymmdd, "3 mars 2024", "March 3, 2024", or an Excel serial number. Returns null if it is not a
 * real calendar date.
 */
export function parseDate(text: string, order: DateOrder = 'dmy'): IsoDate | null {
  const value = text.trim();
  if (value === '') return null;
  if (value.length === 10) {
    const common = parseTenCharDate(value, order);
    if (common !== undefined) return common;
  }
  let m = ISO_RE.exec(value);
  if (m) return build(Number(m[1]), Number(m[2]), Number(m[3]), m[4], m[5], m[6]);
  m = NUMERIC_RE.exec(value);
  if (m) {
    const a = Number(m[1]);
    const b = Number(m[2]);
    const year = m[3]!.length === 2 ? expandYear(Number(m[3])) : Number(m[3]);
    if (order === 'mdy') return build(year, a, b, m[4], m[5], m[6]);
    return build(year, b, a, m[4], m[5], m[6]);
  }
  m = COMPACT_RE.exec(value);
  if (m) return build(Number(m[1]), Number(m[2]), Number(m[3]));
  if (SERIAL_RE.test(value)) {
    const serial = Number(value);
    // Plausible serials only (1954..2119), so a 5-digit code is not read as a date by accident.
    if (serial >= 20000 && serial <= 80000) return excelSerialToIso(serial);
    return null;
  }
  const lower = stripAccents(value.toLowerCase());
  m = DAY_MONTH_NAME_RE.exec(lower);
  if (m && MONTHS[m[2]!]) return build(Number(m[3]), MONTHS[m[2]!]!, Number(m[1]));
  m = MONTH_NAME_DAY_RE.exec(lower);
  if (m && MONTHS[m[1]!]) return build(Number(m[3]), MONTHS[m[1]!]!, Number(m[2]));
  return null;
}

/**
 * Decides day-first or month-first from sample values: a first number above 12 proves dd/mm, a second
 * number above 12 proves mm/dd. Returns null when the sample proves neither (or both), 'none' when it
 * holds no dd/mm-style date at all (ISO dates and spreadsheet date cells need no order).
 */
export function detectDateOrder(samples: Iterable<string>): 'dmy' | 'mdy' | 'none' | null {
  let dayFirst = false;
  let monthFirst = false;
  let seen = false;
  for (const sample of samples) {
    const m = NUMERIC_RE.exec(sample.trim());
    if (!m) continue;
    seen = true;
    if (Number(m[1]) > 12 && Number(m[2]) <= 12) dayFirst = true;
    if (Number(m[2]) > 12 && Number(m[1]) <= 12) monthFirst = true;
  }
  if (!seen) return 'none';
  if (dayFirst === monthFirst) return null;
  return dayFirst ? 'dmy' : 'mdy';
}

export interface Money {
  /** Integer minor units (cents), signed. */
  minor: number;
  /** ISO currency code when the cell carried a symbol or code. */
  currency: string | null;
}

const CURRENCY_SYMBOLS: Array<[RegExp, string]> = [
  [/€|\bEUR\b|\beuros?\b/i, 'EUR'],
  [/£|\bGBP\b/i, 'GBP'],
  [/\bCHF\b/i, 'CHF'],
  [/\bUSD\b|US\$|\$/i, 'USD'],
  [/\bCAD\b/i, 'CAD'],
];

/** Currencies whose minor unit is not the cent. */
const MINOR_DIGITS: Record<string, number> = { JPY: 0, KRW: 0, ISK: 0, CLP: 0, BHD: 3, KWD: 3, TND: 3 };

export function minorDigits(currency: string): number {
  return MINOR_DIGITS[currency] ?? 2;
}

interface ParsedNumber {
  negative: boolean;
  integer: string;
  fraction: string;
}

/**
 * Reads a decimal number written the French or English way: "1 234,56", "1,234.56", "1.234,56",
 * "12.5", "-3,50", "(12.00)", "1'234.50". `decimalComma` settles "1,234" and "1.234", which are
 * ambiguous alone: true in a file that writes decimals with a comma.
 */
function readDecimal(text: string, decimalComma: boolean): ParsedNumber | null {
  let value = text.replace(/[\s\u00a0\u202f']/g, '');
  let negative = false;
  if (/^\(.*\)$/.test(value)) {
    negative = true;
    value = value.slice(1, -1);
  }
  if (/^[-−]/.test(value)) {
    negative = !negative;
    value = value.slice(1);
  } else if (value.startsWith('+')) {
    value = value.slice(1);
  } else if (/-$/.test(value)) {
    negative = !negative;
    value = value.slice(0, -1);
  }
  if (!/^[\d.,]+$/.test(value) || !/\d/.test(value)) return null;
  const lastComma = value.lastIndexOf(',');
  const lastDot = value.lastIndexOf('.');
  let decimalSep: ',' | '.' | null = null;
  if (lastComma >= 0 && lastDot >= 0) {
    decimalSep = lastComma > lastDot ? ',' : '.';
  } else if (lastComma >= 0 || lastDot >= 0) {
    const sep = lastComma >= 0 ? ',' : '.';
    const count = value.split(sep).length - 1;
    const digitsAfter = value.length - value.lastIndexOf(sep) - 1;
    if (count > 1) decimalSep = null; // 1.234.567 or 1,234,567: thousands only
    else if (digitsAfter !== 3) decimalSep = sep;
    else decimalSep = (sep === ',') === decimalComma ? sep : null; // "1,234" / "1.234": the file's convention decides
  }
  let integer = value;
  let fraction = '';
  if (decimalSep) {
    const at = value.lastIndexOf(decimalSep);
    integer = value.slice(0, at);
    fraction = value.slice(at + 1);
    if (!/^\d*$/.test(fraction)) return null;
  }
  const thousands = decimalSep === ',' ? '.' : ',';
  if (decimalSep === null) {
    // Separators with no decimal part are thousands: groups of three ("1.234.567"), never "12,3,4".
    if (/[.,]/.test(integer) && !/^\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*$/.test(integer)) return null;
    integer = integer.replace(/[.,]/g, '');
  }
  else {
    // Thousands groups must be groups of three: "12,34.5" is not a number.
    if (integer.includes(thousands) && !/^\d{1,3}([.,]\d{3})*$/.test(integer)) return null;
    integer = integer.split(thousands).join('');
  }
  if (!/^\d*$/.test(integer) || (integer === '' && fraction === '')) return null;
  return { negative, integer: integer === '' ? '0' : integer, fraction };
}

/** A plain decimal number (quantities, scores): "1,5" or "1.5" -> 1.5. */
export function parseNumber(text: string, decimalComma = false): number | null {
  const parsed = readDecimal(text.trim(), decimalComma);
  if (!parsed) return null;
  const value = Number(`${parsed.integer}.${parsed.fraction || '0'}`);
  return parsed.negative ? -value : value;
}

/**
 * An amount of money to integer minor units, rounding half away from zero on the exact decimal text
 * (never through a float), with the currency when the cell names one: "1 234,56 €" -> 123456 EUR.
 */
export function parseAmount(text: string, decimalComma = false, defaultCurrency = 'EUR'): Money | null {
  let value = text.trim();
  if (value === '') return null;
  let currency: string | null = null;
  for (const [pattern, code] of CURRENCY_SYMBOLS) {
    if (pattern.test(value)) {
      currency = code;
      value = value.replace(pattern, '');
      break;
    }
  }
  const parsed = readDecimal(value.trim(), decimalComma);
  if (!parsed) return null;
  const digits = minorDigits(currency ?? defaultCurrency);
  const fraction = parsed.fraction.padEnd(digits + 1, '0');
  let minor = Number(parsed.integer) * 10 ** digits + Number(fraction.slice(0, digits) || '0');
  if (Number(fraction[digits]) >= 5) minor += 1;
  if (!Number.isSafeInteger(minor)) return null;
  return { minor: parsed.negative && minor !== 0 ? -minor : minor, currency };
}

/** Multiplies a quantity by a unit price in minor units, rounding half away from zero. */
export function lineAmount(quantity: number, unitPriceMinor: number): number {
  const exact = quantity * unitPriceMinor;
  return Math.sign(exact) * Math.round(Math.abs(exact) + 1e-9);
}

const TRUE_WORDS = new Set(['oui', 'o', 'yes', 'y', 'true', 'vrai', '1', 'x', 'ok', 'optin', 'opt-in', 'inscrit', 'inscrite', 'subscribed', 'accepte', 'acceptee', 'granted', 'on']);
const FALSE_WORDS = new Set(['non', 'n', 'no', 'false', 'faux', '0', 'optout', 'opt-out', 'desinscrit', 'desinscrite', 'unsubscribed', 'refuse', 'refusee', 'withdrawn', 'off']);

/** oui/non, yes/no, true/false, 1/0, x (a ticked box)... -> boolean; null for empty, undefined for unknown. */
export function parseBoolean(text: string): boolean | null | undefined {
  const lower = text.trim().toLowerCase();
  if (lower === '') return null;
  if (TRUE_WORDS.has(lower)) return true;
  if (FALSE_WORDS.has(lower)) return false;
  const value = stripAccents(lower);
  if (TRUE_WORDS.has(value)) return true;
  if (FALSE_WORDS.has(value)) return false;
  return undefined;
}
