/**
 * What "this contact needs validating" means: the rules' version and the default country a contact was
 * validated with, and the SQL that finds the stale ones. Kept apart from ensure.ts, which loads every
 * validator (phone, email, country tables: about 0.2 s of module loading), so that a command that only
 * asks whether anything is stale (export on worker threads, gdpr, contact) does not pay for them.
 */
import type { Db } from '../store/db.js';
import { getSetting } from './settings.js';

/** Bump when a rule changes what it accepts or how it normalises: every contact is then revalidated. */
export const RULES_VERSION = 1;

export function localToday(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

export function validationKey(defaultCountry: string): string {
  return `v${RULES_VERSION}:${defaultCountry}`;
}

export function defaultCountryOf(db: Db, override?: string): string {
  return override ?? getSetting(db, 'default_country') ?? 'FR';
}

/** The SQL condition for "this contact needs validating" (parameter: the validation key). */
export const STALE_SQL = '(validated_at IS NULL OR validated_at < updated_at OR validated_key IS NOT ?)';

export function staleCount(db: Db, defaultCountry?: string): number {
  const key = validationKey(defaultCountryOf(db, defaultCountry));
  return (db.prepare(`SELECT count(*) AS n FROM contacts WHERE ${STALE_SQL}`).get(key) as { n: number }).n;
}

