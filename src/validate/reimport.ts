/**
 * What a re-import may overwrite after `clean`: a cell that is the same value as the stored one in
 * another spelling (`06.98.76.54.32` for `+33698765432`, `DUPONT` for `Dupont`, `Mlle` for `Mme`,
 * `x@hotmial.fr` for the fixed `x@hotmail.fr`), or that is exactly what a `clean --fix` run replaced
 * on this contact, changes nothing: a newer export still holding the old spellings must not undo the
 * cleaning. Only a genuinely new value updates. The import writer asks only about cells that differ
 * from the stored value, so an unchanged re-import costs nothing here.
 */
import type { Db, Statement } from '../store/db.js';
import { checkCivility, checkGender } from './civility.js';
import { checkCountry } from './country.js';
import { checkEmail } from './email.js';
import { checkName } from './names.js';
import { checkMobile, checkPhone } from './phone.js';
import { checkPostalCode } from './postal-code.js';
import { checkSiret } from './siret.js';
import { defaultCountryOf } from './ensure.js';
import { FIX_FIELDS, type CleanRule } from './clean-rules.js';
import { text } from './types.js';

export type CleanedField = CleanRule['field'];

export interface ReimportRules {
  /** The fields clean writes: the only ones these rules judge. */
  readonly fields: ReadonlySet<string>;
  /**
   * True when the file's cell should leave the stored value as it is. `country` is the contact's country
   * (the file's, else the stored one), for phone numbers and postal codes.
   */
  keepsStored(contactId: number, field: string, fileValue: string, stored: string, country: string | null): boolean;
}

type Normalise = (value: string, country: string) => string | null;

/** Each field's normaliser: the same rule validate applies, so clean's output is its own normal form. */
const NORMALISE: Record<CleanedField, Normalise> = {
  email: (v) => checkEmail(v).normalised?.toLowerCase() ?? null,
  phone: (v, c) => checkPhone(v, c).normalised,
  mobile: (v, c) => checkMobile(v, c).normalised,
  postal_code: (v, c) => checkPostalCode(v, c).normalised,
  country: (v) => checkCountry(v).normalised,
  first_name: (v) => checkName(v).normalised,
  last_name: (v) => checkName(v).normalised,
  city: (v) => text(v)?.replace(/\s+/g, ' ') ?? null,
  civility: (v) => checkCivility(v).normalised,
  gender: (v) => checkGender(v).normalised,
  siret: (v) => checkSiret(v).normalised,
};

export function reimportRules(db: Db): ReimportRules {
  const defaultCountry = defaultCountryOf(db);
  // Clean's history is read only when there is one, and only for a cell no normal form explains.
  const hasFixes = db.prepare('SELECT EXISTS (SELECT 1 FROM clean_fixes)').pluck().get() === 1;
  const cleanedFrom = new Map<CleanedField, Statement<[number, string], number>>();
  const history = (field: CleanedField) => {
    let statement = cleanedFrom.get(field);
    if (!statement) {
      statement = db.prepare<[number, string], number>(
        `SELECT EXISTS (SELECT 1 FROM clean_fixes f JOIN clean_runs r ON r.id = f.run_id
           WHERE f.contact_id = ? AND f.${field}_old = ? AND r.undone_at IS NULL)`,
      ).pluck();
      cleanedFrom.set(field, statement);
    }
    return statement;
  };
  return {
    fields: new Set(FIX_FIELDS),
    keepsStored(contactId, name, fileValue, stored, country) {
      if (!Object.hasOwn(NORMALISE, name)) return false;
      const field = name as CleanedField;
      const region = (country && checkCountry(country).normalised) || defaultCountry;
      const normalise = NORMALISE[field];
      const fromFile = normalise(fileValue, region);
      const fromStore = normalise(stored, region);
      if (fromFile !== null && fromFile === fromStore) return true;
      // A misspelt provider domain that clean --fix-typos (or a person) corrected in the store.
      if (field === 'email' && fromStore !== null && checkEmail(fileValue).suggestion?.toLowerCase() === fromStore) return true;
      return hasFixes && history(field).get(contactId, fileValue) === 1;
    },
  };
}
