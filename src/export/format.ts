/**
 * Values on their way out: preset transforms (dates as the tool expects, Mailchimp's one-cell address,
 * Klaviyo's consent words) and the spreadsheet-safety rule applied per column kind.
 */
import type { DateFormat, Transform, ValueKind } from './columns.js';
import { isE164 } from '../store/types.js';

export type OutValue = string | number | null;

/**
 * OWASP ASVS 5.0 §1.2.10: a spreadsheet reads a cell starting with = + - @ tab CR (or NUL) as a formula;
 * a leading apostrophe makes it text. Applied to free text only: a validated +33 phone, a number or a
 * date is written as it is (a blanket rule, like csv-stringify's escape_formulas, would break +33...).
 */
export function neutralise(text: string): string {
  const first = text.charCodeAt(0);
  // = + - @ \t \r \0
  if (first === 61 || first === 43 || first === 45 || first === 64 || first === 9 || first === 13 || first === 0) return `'${text}`;
  return text;
}

const NUMBER_RE = /^-?\d+(?:\.\d+)?$/;
const DATE_RE = /^\d{1,4}[-/]\d{1,2}(?:[-/]\d{1,4})?(?: \d{2}:\d{2}(?::\d{2})?)?$/;
const ID_RE = /^[\w-]+$/;
/**
 * Identifier shapes written byte-exact in CSV even when they start with + - or @: none can hold what a
 * formula needs to do harm (a function call's parentheses, a quote, `|` of DDE, `!` of a reference to
 * another file, `=`), so a spreadsheet reads at worst an arithmetic value, never runs anything.
 */
const EMAIL_RE = /^[^\s"'()=|!,;<>\\[\]:@]+@[^\s"'()=|!,;<>\\[\]:@]+$/;
const PHONE_RE = /^\+?[0-9][0-9 .\-()/]*$/;
const CODE_RE = /^[\p{L}\p{N}+-][\p{L}\p{N} ._/+#-]*$/u;

/**
 * The cell as a CSV meant for a spreadsheet should hold it. A typed kind is trusted only when the value
 * really has that shape (a birth date the import could not parse is stored as the raw text, and is
 * treated as text); an identifier of its shape is written byte-exact.
 */
export function spreadsheetCell(kind: ValueKind, value: OutValue): OutValue {
  if (value === null || typeof value === 'number') return value;
  switch (kind) {
    case 'e164':
      if (isE164(value) || PHONE_RE.test(value)) return value;
      break;
    case 'email':
      if (EMAIL_RE.test(value)) return value;
      break;
    case 'code':
      if (CODE_RE.test(value)) return value;
      break;
    case 'number':
      if (NUMBER_RE.test(value)) return value;
      break;
    case 'date':
      if (DATE_RE.test(value)) return value;
      break;
    case 'id':
      if (ID_RE.test(value)) return value;
      break;
    default:
      break;
  }
  return neutralise(value);
}

/**
 * The cell as an XLSX sheet holds it: a string is a string cell (inline text, never a formula), written
 * as it is, never prefixed; a number column holds numbers. XML 1.0 cannot carry most control
 * characters (a NUL would make the workbook unreadable): they are dropped.
 */
export function xlsxCell(kind: ValueKind, value: OutValue): OutValue | { richText: { text: string }[] } {
  if (value === null || typeof value === 'number') return value;
  if (kind === 'number' && NUMBER_RE.test(value)) return Number(value);
  return { richText: [{ text: value.replace(XML_INVALID, '') }] };
}

const XML_INVALID = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g;

/** 'yyyy-mm-dd[ hh:mm:ss]' to the tool's date format; anything else (raw text) unchanged. */
export function formatDate(value: OutValue, format: DateFormat): OutValue {
  if (typeof value !== 'string') return value;
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  if (!m) return value;
  if (format === 'dmy') return `${m[3]}-${m[2]}-${m[1]}`;
  if (format === 'mdy') return `${m[2]}/${m[3]}/${m[1]}`;
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** A stored time (custkit writes UTC: 'yyyy-mm-dd hh:mm:ss', or ISO with Z) as 'yyyy-mm-dd hh:mm:ss'; a plain day at midnight. */
function utcTimestamp(value: OutValue): string | null {
  if (typeof value !== 'string') return null;
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(:\d{2})?(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(value.trim());
  if (!m) return null;
  if (m[4] && m[4] !== 'Z') {
    const date = new Date(value.trim().replace(' ', 'T'));
    return Number.isNaN(date.getTime()) ? null : date.toISOString().slice(0, 19).replace('T', ' ');
  }
  return `${m[1]} ${m[2] ?? '00:00'}${m[3] ?? ':00'}`;
}

function tagsList(value: OutValue): string[] {
  if (typeof value !== 'string' || value === '') return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.filter((t): t is string => typeof t === 'string' && t.trim() !== '') : [];
  } catch {
    return [value];
  }
}

/** The value kind a transform produces (the safety rule then applies per kind). */
export function transformKind(transform: Transform, sourceKind: ValueKind): ValueKind {
  switch (transform) {
    case 'date':
    case 'birthday-mmdd':
    case 'iso-timestamp':
    case 'mailchimp-time':
      return 'date';
    case 'value':
      return sourceKind === 'tags' ? 'text' : sourceKind;
    default:
      return 'text';
  }
}

/** Applies a transform to the values of the columns it reads (in `from` order). */
export function applyTransform(transform: Transform, values: OutValue[], dateFormat: DateFormat, sourceKind: ValueKind): OutValue {
  switch (transform) {
    case 'value': {
      // Several sources: the first that has a value (Mailchimp's phone is the mobile, else the landline).
      for (const v of values) {
        if (v !== null && v !== '') {
          if (sourceKind === 'tags') return tagsList(v).join(', ') || null;
          return sourceKind === 'date' ? formatDate(v, dateFormat) : v;
        }
      }
      return null;
    }
    case 'date':
      return values[0] == null || values[0] === '' ? null : formatDate(values[0], dateFormat);
    case 'birthday-mmdd': {
      const m = typeof values[0] === 'string' ? /^\d{4}-(\d{2})-(\d{2})$/.exec(values[0]) : null;
      return m ? `${m[1]}/${m[2]}` : null;
    }
    case 'tags-comma': {
      // Mailchimp and Klaviyo split the cell on commas: a tag that holds a comma is quoted.
      const tags = tagsList(values[0] ?? null).map((t) => (t.includes(',') ? `"${t.replace(/"/g, '')}"` : t));
      return tags.length ? tags.join(',') : null;
    }
    case 'mailchimp-address': {
      // Mailchimp's combined Address field: street, line 2, city, state, zip, country, separated by two
      // spaces, no commas, country as ISO code (GB, not UK).
      const [line1, line2, city, region, postal, country] = values.map((v) => (v == null ? '' : String(v).replace(/,/g, ' ').replace(/\s+/g, ' ').trim()));
      if (!line1 || !city) return null;
      return [line1, line2, city, region, postal, country === 'UK' ? 'GB' : country].filter((p) => p !== '').join('  ');
    }
    case 'klaviyo-consent': {
      // Klaviyo's consent statuses.
      const status = values[0];
      if (status === 'granted') return 'SUBSCRIBED';
      if (status === 'withdrawn') return 'UNSUBSCRIBED';
      return 'NEVER_SUBSCRIBED';
    }
    case 'iso-timestamp': {
      // ISO 8601 with its time zone: custkit records times in UTC.
      const at = utcTimestamp(values[0] ?? null);
      return at === null ? null : `${at.replace(' ', 'T')}Z`;
    }
    case 'mailchimp-time':
      // Mailchimp's OPTIN_TIME: YYYY-MM-DD HH:MM:SS.
      return utcTimestamp(values[0] ?? null);
    case 'hubspot-marketable':
      // HubSpot's "Marketing contact status" property is a boolean.
      return values[0] === 'granted' ? 'true' : 'false';
    case 'hubspot-legal-basis':
      // One of the property's options; a person who did not consent gets none (HubSpot's own value is not ours to guess).
      return values[0] === 'granted' ? 'Freely given consent from contact' : null;
    case 'uppercase':
      return typeof values[0] === 'string' ? values[0].toUpperCase() : values[0] ?? null;
    default:
      return values[0] ?? null;
  }
}
