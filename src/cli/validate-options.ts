/** Flags validate and clean share: the default country and the required-fields rule (--workers: workers-flag.ts). */
import { UsageError } from './context.js';
import { countryCode } from '../validate/country.js';
import { DEFAULT_REQUIREMENT, RequirementError, requirementSql } from '../validate/issues.js';
import { getSetting, setSetting } from '../validate/settings.js';
import type { Db } from '../store/db.js';

export function parseCountryFlag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const code = countryCode(value);
  if (code === null) throw new UsageError(`--country: "${value}" is not a country name or ISO code (e.g. FR, BE, CH)`);
  return code;
}

/** The requirement to apply: the flag (saved for next time), else the saved one, else the default. */
export function resolveRequirement(db: Db, flag: string | undefined): string {
  const spec = flag ?? getSetting(db, 'require') ?? DEFAULT_REQUIREMENT;
  try {
    requirementSql(spec);
  } catch (error) {
    if (error instanceof RequirementError) throw new UsageError(error.message);
    throw error;
  }
  return spec;
}

/** --country and --require are remembered, so ensureValidated() called by other stages agrees. */
export function saveSettings(db: Db, country: string | undefined, requirement: string | undefined): void {
  db.transaction(() => {
    if (country !== undefined && getSetting(db, 'default_country') !== country) setSetting(db, 'default_country', country);
    if (requirement !== undefined && getSetting(db, 'require') !== requirement) setSetting(db, 'require', requirement);
  })();
}
