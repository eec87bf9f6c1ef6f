/**
 * Civility and gender, as French and English files write them, reduced to two small vocabularies:
 * civility "M." / "Mme" (Mademoiselle has been "Madame" in French administration since 2012) and
 * gender "male" / "female" / "other". When both are given they must agree.
 */
import { emptyCheck, error, memo, stripAccents, text, warning, type FieldCheck, type Issue } from './types.js';

export type Civility = 'M.' | 'Mme';
export type Gender = 'male' | 'female' | 'other';

const CIVILITIES: Record<string, Civility> = {
  m: 'M.', mr: 'M.', monsieur: 'M.', msieur: 'M.', mister: 'M.', sir: 'M.', herr: 'M.',
  mme: 'Mme', madame: 'Mme', mlle: 'Mme', mademoiselle: 'Mme', melle: 'Mme', mrs: 'Mme', ms: 'Mme', miss: 'Mme', frau: 'Mme',
};
const PAIRS: Record<string, Civility> = { 'm et mme': 'M.', 'mme et m': 'Mme', 'mr et mme': 'M.', 'mr and mrs': 'M.' };

const GENDERS: Record<string, Gender> = {
  m: 'male', h: 'male', male: 'male', homme: 'male', masculin: 'male', man: 'male', garcon: 'male', '1': 'male',
  f: 'female', female: 'female', femme: 'female', feminin: 'female', woman: 'female', fille: 'female', '2': 'female',
  x: 'other', autre: 'other', other: 'other', 'non binaire': 'other', 'non-binaire': 'other', nonbinaire: 'other', nb: 'other',
};

function key(value: string): string {
  return stripAccents(value.toLowerCase()).replace(/\./g, '').replace(/\s+/g, ' ').trim();
}

export interface CivilityCheck extends FieldCheck<Civility> {
  /** A couple ("M. et Mme"): mail can address both, gender says nothing. */
  couple: boolean;
}

const EMPTY_CIVILITY: CivilityCheck = { ...emptyCheck<Civility>(), couple: false };

export function checkCivility(value: string | null | undefined): CivilityCheck {
  const raw = text(value);
  if (raw === null) return EMPTY_CIVILITY;
  return civilityVerdict(raw);
}

const civilityVerdict = memo(5_000, (raw): CivilityCheck => {
  const k = key(raw);
  const single = CIVILITIES[k];
  if (single) return { ok: true, empty: false, normalised: single, issue: null, couple: false };
  if (PAIRS[k]) return { ok: true, empty: false, normalised: null, issue: warning('couple', 'addressed to a couple'), couple: true };
  return { ok: false, empty: false, normalised: null, issue: error('unknown_civility', 'not a civility (M., Mme...)'), couple: false };
});

export function checkGender(value: string | null | undefined): FieldCheck<Gender> {
  const raw = text(value);
  if (raw === null) return emptyCheck<Gender>();
  return genderVerdict(raw);
}

const genderVerdict = memo(5_000, (raw): FieldCheck<Gender> => {
  const gender = GENDERS[key(raw)];
  if (!gender) return { ok: false, empty: false, normalised: null, issue: error('unknown_gender', 'not a gender (F, M, H, X...)') };
  return { ok: true, empty: false, normalised: gender, issue: null };
});

export function genderOfCivility(civility: Civility | null): Gender | null {
  if (civility === 'M.') return 'male';
  if (civility === 'Mme') return 'female';
  return null;
}

/**
 * The gender to record: the one given, else the one the civility implies; and an issue when the two
 * disagree (Mme + male), which is usually a shifted column or a typing slip.
 */
export function reconcileGender(civility: CivilityCheck, gender: FieldCheck<Gender>): { gender: Gender | null; issue: Issue | null } {
  const implied = genderOfCivility(civility.normalised);
  if (gender.normalised && implied && gender.normalised !== 'other' && gender.normalised !== implied) {
    return { gender: gender.normalised, issue: warning('civility_conflict', 'gender and civility disagree') };
  }
  return { gender: gender.normalised ?? implied, issue: null };
}
