/**
 * Step 3, comparison: each field's comparison is data — an ordered list of levels, each a test and a
 * label — and a pair's level for a field is the first level whose test holds (Splink's model). A field
 * missing on either side gives no evidence (level -1). Adding a field or a level is a line here.
 */
import { distance as levenshtein } from 'fastest-levenshtein';
import type { RecordView } from './records.js';
import { jaroWinkler } from './text.js';

export interface Level {
  label: string;
  test: (a: RecordView, b: RecordView) => boolean;
  /** Evidence already counted by another comparison: weight 0, and EM leaves it alone. */
  neutral?: boolean;
}

export interface TermFrequencyLevel {
  level: number;
  /** The dedupe_keys column (and Records field) the value comes from; for phones, the number shared. */
  column: 'fn' | 'ln' | 'email' | 'phones';
  /** What is counted: the value itself when absent. */
  key?: (value: string) => string;
}

export interface Comparison {
  name: string;
  /** Present on both sides, or the comparison gives no evidence. */
  present: (r: RecordView) => boolean;
  levels: Level[];
  /**
   * Term-frequency adjustments: at `level`, u is the share of contacts holding this pair's value
   * (`key` of the `column` value), not the level's average: agreeing on a rare value weighs more.
   */
  tf?: TermFrequencyLevel[];
  /**
   * Evidence a household shares (a family email, a landline, an address): when the pair's first names
   * and birth dates or civilities disagree, these fields together weigh at most HOUSEHOLD_CAP_BITS.
   */
  household?: boolean;
}

/**
 * Fellegi-Sunter treats fields as independent given match / non-match, and a household breaks that: a
 * couple shares email, landline and address *because* they live together, so adding those weights
 * counts one fact ("same home") three times. When first names disagree and so do birth dates or
 * civilities (two people of one home, common in French files), the household fields' positive weights
 * are scaled down to this total, and the names, dates and civility decide.
 */
export const HOUSEHOLD_CAP_BITS = 6;

/** True when a pair's levels say "two different people" on identity: the household cap applies. */
export function identitiesDisagree(code: number): boolean {
  return unpack(code, FIRST_NAME) === DIFFERENT_FIRST_NAME
    && (unpack(code, BIRTH_DATE) === DIFFERENT_BIRTH_DATE || unpack(code, SEX) === DIFFERENT_SEX);
}

/** True when the two dates differ only by a day/month swap (1985-03-07 vs 1985-07-03). */
export function dayMonthSwapped(a: string, b: string): boolean {
  return a.slice(0, 4) === b.slice(0, 4) && a.slice(4, 6) === b.slice(6, 8) && a.slice(6, 8) === b.slice(4, 6);
}

/** "j" vs "jean", "jp" vs "jeanpierre": an initial or a shortened form. */
function prefixOf(a: string, b: string): boolean {
  return a.length < b.length ? b.startsWith(a) : a.startsWith(b);
}

/** Same-length numbers that differ in one digit (a typo), or one that ends the other (a lost prefix). */
function phonesClose(a: string[], b: string[]): boolean {
  for (const x of a) {
    for (const y of b) {
      if (x.length === y.length && levenshtein(x, y) === 1) return true;
      if (x.length >= 8 && y.length >= 8 && x.slice(-8) === y.slice(-8)) return true;
    }
  }
  return false;
}

function phonesShared(a: string[], b: string[]): boolean {
  return a.some((x) => b.includes(x));
}

export function localPart(email: string): string {
  const at = email.lastIndexOf('@');
  return at > 0 ? email.slice(0, at) : email;
}

const digitsOf = (v: string): string => v.replace(/\D/g, '');
const lettersOf = (v: string): string => v.replace(/[^a-z]/g, '');

/** An email local part that is the record's own names and nothing else ("jeanmartin", "martin.jean"). */
function nameOnly(r: RecordView): string | null {
  const local = localPart(r.email!);
  if (r.fn === null || r.ln === null || /\d/.test(local)) return null;
  const letters = lettersOf(local);
  return letters === r.fn + r.ln || letters === r.ln + r.fn ? letters : null;
}

function sameNameOnlyLocal(a: RecordView, b: RecordView): boolean {
  const x = nameOnly(a);
  return x !== null && x === nameOnly(b);
}

const swapped = (a: RecordView, b: RecordView): boolean => a.fn !== null && a.fn === b.ln && a.ln === b.fn;

export const COMPARISONS: readonly Comparison[] = [
  {
    name: 'first_name',
    present: (r) => r.fn !== null,
    tf: [{ level: 0, column: 'fn' }],
    levels: [
      { label: 'exact', test: (a, b) => a.fn === b.fn },
      { label: 'swapped with last name', test: swapped },
      { label: 'Jaro-Winkler >= 0.92', test: (a, b) => jaroWinkler(a.fn!, b.fn!) >= 0.92 },
      { label: 'Jaro-Winkler >= 0.8 or initial', test: (a, b) => prefixOf(a.fn!, b.fn!) || jaroWinkler(a.fn!, b.fn!) >= 0.8 },
      { label: 'different', test: () => true },
    ],
  },
  {
    name: 'last_name',
    present: (r) => r.ln !== null,
    tf: [{ level: 0, column: 'ln' }],
    levels: [
      { label: 'exact', test: (a, b) => a.ln === b.ln },
      { label: 'swapped with first name (counted under first_name)', test: swapped, neutral: true },
      { label: 'Jaro-Winkler >= 0.92', test: (a, b) => jaroWinkler(a.ln!, b.ln!) >= 0.92 },
      { label: 'same sound or Jaro-Winkler >= 0.8', test: (a, b) => a.lnPhon === b.lnPhon || jaroWinkler(a.ln!, b.ln!) >= 0.8 },
      { label: 'different', test: () => true },
    ],
  },
  {
    name: 'birth_date',
    present: (r) => r.dob !== null,
    levels: [
      { label: 'exact', test: (a, b) => a.dob === b.dob },
      { label: 'day/month swapped or one digit off', test: (a, b) => dayMonthSwapped(a.dob!, b.dob!) || levenshtein(a.dob!, b.dob!) === 1 },
      { label: 'two digits off', test: (a, b) => levenshtein(a.dob!, b.dob!) === 2 },
      { label: 'different', test: () => true },
    ],
  },
  {
    name: 'email',
    present: (r) => r.email !== null,
    household: true,
    // "jean.martin" is shared by many people at many providers; "zoe.quinquis1987" is not.
    tf: [{ level: 0, column: 'email' }, { level: 3, column: 'email', key: localPart }],
    levels: [
      { label: 'exact', test: (a, b) => a.email === b.email },
      // "veronique.pelletier@" and "veroniquepelletier@" say "Véronique Pelletier" twice over: the names
      // already count it, and two namesakes often write their address this way.
      { label: 'made of the same names (counted under the names)', test: sameNameOnlyLocal, neutral: true },
      // A digit off is another person's number ("lea.martin12" / "lea.martin13"), not a typo.
      { label: 'one typo', test: (a, b) => levenshtein(a.email!, b.email!) <= 1 && digitsOf(a.email!) === digitsOf(b.email!) },
      // Weaker than it looks: "lea.martin" at two providers are often two Léa Martins.
      { label: 'same local part, other domain', test: (a, b) => localPart(a.email!) === localPart(b.email!) },
      { label: 'different', test: () => true },
    ],
  },
  {
    name: 'phone',
    present: (r) => r.phones !== null,
    household: true,
    // A switchboard or a family landline is shared by many; a mobile by one.
    tf: [{ level: 0, column: 'phones' }],
    levels: [
      { label: 'a number in common', test: (a, b) => phonesShared(a.phones!, b.phones!) },
      { label: 'one digit off', test: (a, b) => phonesClose(a.phones!, b.phones!) },
      { label: 'different', test: () => true },
    ],
  },
  {
    name: 'postal_code',
    present: (r) => r.postal !== null,
    household: true,
    levels: [
      { label: 'exact', test: (a, b) => a.postal === b.postal },
      { label: 'one character off', test: (a, b) => levenshtein(a.postal!, b.postal!) === 1 },
      { label: 'different', test: () => true },
    ],
  },
  {
    name: 'city',
    present: (r) => r.city !== null,
    household: true,
    levels: [
      // Postcode and city say the same thing twice: counting both would double the evidence.
      { label: 'same postcode (counted under postal_code)', test: (a, b) => a.postal !== null && a.postal === b.postal, neutral: true },
      { label: 'exact', test: (a, b) => a.city === b.city },
      { label: 'Jaro-Winkler >= 0.88', test: (a, b) => jaroWinkler(a.city!, b.city!) >= 0.88 },
      { label: 'different', test: () => true },
    ],
  },
  {
    name: 'address',
    present: (r) => r.addr !== null,
    household: true,
    levels: [
      { label: 'exact', test: (a, b) => a.addr === b.addr },
      { label: 'Jaro-Winkler >= 0.9', test: (a, b) => jaroWinkler(a.addr!, b.addr!) >= 0.9 },
      { label: 'Jaro-Winkler >= 0.75', test: (a, b) => jaroWinkler(a.addr!, b.addr!) >= 0.75 },
      { label: 'different', test: () => true },
    ],
  },
  {
    name: 'siret',
    present: (r) => r.siret !== null,
    levels: [
      { label: 'exact', test: (a, b) => a.siret === b.siret },
      { label: 'different', test: () => true },
    ],
  },
  {
    // Civility or gender: agreeing says little (half of everyone), disagreeing says a lot (it is rarely mistyped).
    name: 'civility',
    present: (r) => r.sex !== null,
    levels: [
      { label: 'same', test: (a, b) => a.sex === b.sex },
      { label: 'different', test: () => true },
    ],
  },
];

const indexOf = (name: string): number => COMPARISONS.findIndex((c) => c.name === name);
const lastLevel = (k: number): number => COMPARISONS[k].levels.length - 1;
const FIRST_NAME = indexOf('first_name');
const BIRTH_DATE = indexOf('birth_date');
const SEX = indexOf('civility');
const DIFFERENT_FIRST_NAME = lastLevel(FIRST_NAME);
const DIFFERENT_BIRTH_DATE = lastLevel(BIRTH_DATE);
const DIFFERENT_SEX = lastLevel(SEX);

/** Bits per comparison in a packed level vector: levels + "missing" fit in 3 bits (at most 10 comparisons in 31 bits). */
export const LEVEL_BITS = 3;
export const MISSING = 7;

/** The level of each comparison for a pair, packed into one integer (MISSING when absent). */
export function compareLevels(a: RecordView, b: RecordView, comparisons: readonly Comparison[] = COMPARISONS): number {
  let code = 0;
  for (let k = 0; k < comparisons.length; k++) {
    code |= levelOf(comparisons[k], a, b) << (k * LEVEL_BITS);
  }
  return code;
}

export function levelOf(comparison: Comparison, a: RecordView, b: RecordView): number {
  if (!comparison.present(a) || !comparison.present(b)) return MISSING;
  const levels = comparison.levels;
  for (let l = 0; l < levels.length; l++) if (levels[l].test(a, b)) return l;
  return levels.length - 1;
}

export function unpack(code: number, k: number): number {
  return (code >>> (k * LEVEL_BITS)) & ((1 << LEVEL_BITS) - 1);
}
