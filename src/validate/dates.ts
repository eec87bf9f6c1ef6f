/**
 * Dates: a birth date must be a real date, not in the future, and make the person at most 120 years
 * old; 1900-01-01 and the like are placeholders systems write when they had nothing. Created and
 * last-activity dates cannot be in the future. `today` is passed in (rules never read the clock).
 */
import { isPlainIsoDay, parseDate } from '../io/values.js';
import { emptyCheck, error, memo, text, warning, type FieldCheck } from './types.js';

const PLACEHOLDER_BIRTH_DATES = new Set(['1900-01-01', '1901-01-01', '1899-12-31', '1970-01-01', '2000-01-01']);

function isoDay(value: string): string | null {
  const parsed = parseDate(value, 'ymd') ?? parseDate(value, 'dmy');
  return parsed ? parsed.slice(0, 10) : null;
}

/** Whole years between two ISO days. */
export function yearsBetween(from: string, to: string): number {
  const [fy, fm, fd] = from.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = to.split('-').map(Number) as [number, number, number];
  return ty - fy - (tm < fm || (tm === fm && td < fd) ? 1 : 0);
}

/**
 * The same day 121 years before `today`: a birth day after it makes the person at most 120 (ISO days
 * compare as text), so yearsBetween, which splits both strings, runs only for days on or before it.
 */
function oldestBirthDay(today: string): string {
  if (today !== oldestFor) {
    oldestFor = today;
    const year = Number(today.slice(0, 4));
    oldest = /^\d{4}-\d{2}-\d{2}$/.test(today) && year >= 1121 ? `${year - 121}${today.slice(4)}` : '9999-99-99';
  }
  return oldest;
}
let oldestFor = '';
let oldest = '';

/**
 * Dates repeat across a file (a birth date per day of a century; import writes created dates as days):
 * verdicts are remembered for the `today` they were given, and forgotten when it changes.
 */
function perDay(check: (raw: string, today: string) => FieldCheck): (raw: string, today: string) => FieldCheck {
  let day = '';
  let remembered = memo(50_000, (raw) => check(raw, day));
  return (raw, today) => {
    if (today !== day) {
      day = today;
      remembered = memo(50_000, (r) => check(r, today));
    }
    return remembered(raw);
  };
}

const UNPARSEABLE: FieldCheck = { ok: false, empty: false, normalised: null, issue: error('unparseable', 'not a calendar date') };
const BORN_IN_FUTURE: FieldCheck = { ok: false, empty: false, normalised: null, issue: error('in_future', 'birth date is in the future') };
const TOO_OLD: FieldCheck = { ok: false, empty: false, normalised: null, issue: error('too_old', 'would make the person older than 120') };
const PLACEHOLDER = warning('placeholder_date', 'a date systems write when the real one is unknown');
const IN_FUTURE: FieldCheck = { ok: false, empty: false, normalised: null, issue: error('in_future', 'date is in the future') };

export function checkBirthDate(value: string | null | undefined, today: string): FieldCheck {
  const raw = text(value);
  if (raw === null) return emptyCheck();
  return isPlainIsoDay(raw) ? birthDayVerdict(raw, today) : birthVerdict(raw, today);
}

const birthVerdict = perDay((raw, today): FieldCheck => {
  const day = isoDay(raw);
  return day === null ? UNPARSEABLE : birthDayVerdict(day, today);
});

function birthDayVerdict(day: string, today: string): FieldCheck {
  if (day > today) return BORN_IN_FUTURE;
  if (day <= oldestBirthDay(today) && yearsBetween(day, today) > 120) return TOO_OLD;
  return { ok: true, empty: false, normalised: day, issue: PLACEHOLDER_BIRTH_DATES.has(day) ? PLACEHOLDER : null };
}

/** Created / last-activity / order dates: real dates, not after today. */
export function checkPastDate(value: string | null | undefined, today: string): FieldCheck {
  const raw = text(value);
  if (raw === null) return emptyCheck();
  if (isPlainIsoDay(raw)) return raw > today ? IN_FUTURE : { ok: true, empty: false, normalised: raw, issue: null };
  return pastVerdict(raw, today);
}

const pastVerdict = perDay((raw, today): FieldCheck => {
  const day = isoDay(raw);
  if (day === null) return UNPARSEABLE;
  if (day > today) return IN_FUTURE;
  return { ok: true, empty: false, normalised: raw, issue: null };
});
