/**
 * Country: names in French or English, ISO alpha-2 or alpha-3 codes, any case and accents, to the ISO
 * 3166 alpha-2 code (France, FR, FRA, fr, « République française » → FR). i18n-iso-countries holds the
 * official names; the aliases below are the ones customer files actually contain.
 */
import { createRequire } from 'node:module';
import countries from 'i18n-iso-countries';
import { emptyCheck, error, memo, stripAccents, text, type FieldCheck } from './types.js';

const require = createRequire(import.meta.url);
countries.registerLocale(require('i18n-iso-countries/langs/fr.json'));
countries.registerLocale(require('i18n-iso-countries/langs/en.json'));

/** Lower case, no accents, punctuation as single spaces: "Côte-d'Ivoire" → "cote d ivoire". */
function key(value: string): string {
  return stripAccents(value.toLowerCase())
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

const ALIASES: Record<string, string> = {
  uk: 'GB', angleterre: 'GB', england: 'GB', ecosse: 'GB', scotland: 'GB', wales: 'GB', 'pays de galles': 'GB',
  'grande bretagne': 'GB', 'great britain': 'GB', 'royaume uni': 'GB', usa: 'US', 'etats unis': 'US',
  'etats unis d amerique': 'US', america: 'US', 'united states of america': 'US', hollande: 'NL',
  holland: 'NL', 'the netherlands': 'NL', 'republique francaise': 'FR', 'france metropolitaine': 'FR',
  corse: 'FR', 'la reunion': 'RE', 'ile de la reunion': 'RE', 'republique tcheque': 'CZ', czechia: 'CZ',
  'coree du sud': 'KR', 'south korea': 'KR', russie: 'RU', russia: 'RU', vietnam: 'VN', 'viet nam': 'VN',
  'cote d ivoire': 'CI', 'ivory coast': 'CI', 'suisse romande': 'CH', 'principaute de monaco': 'MC',
  'grand duche de luxembourg': 'LU', deutschland: 'DE', belgie: 'BE', schweiz: 'CH', espana: 'ES', italia: 'IT',
};

const BY_NAME = new Map<string, string>();
for (const locale of ['en', 'fr']) {
  for (const [code, names] of Object.entries(countries.getNames(locale, { select: 'all' }))) {
    for (const name of names as string[]) if (!BY_NAME.has(key(name))) BY_NAME.set(key(name), code);
  }
}
for (const [alias, code] of Object.entries(ALIASES)) BY_NAME.set(alias, code);

const ALPHA2 = new Set(Object.keys(countries.getAlpha2Codes()));

export function isCountryCode(code: string): boolean {
  return ALPHA2.has(code);
}

/** The ISO alpha-2 code for a country name or code, or null when it names no country. */
export function countryCode(value: string | null | undefined): string | null {
  const raw = text(value);
  if (raw === null) return null;
  const k = key(raw);
  if (/^[a-z]{2}$/.test(k)) {
    const code = k.toUpperCase();
    if (ALPHA2.has(code)) return code;
    if (code === 'UK') return 'GB';
  }
  if (/^[a-z]{3}$/.test(k)) {
    const code = countries.alpha3ToAlpha2(k.toUpperCase());
    if (code) return code;
  }
  return BY_NAME.get(k) ?? null;
}

export function checkCountry(value: string | null | undefined): FieldCheck {
  const raw = text(value);
  if (raw === null) return emptyCheck();
  return countryVerdict(raw);
}

const countryVerdict = memo(5_000, (raw): FieldCheck => {
  const code = countryCode(raw);
  if (code === null) return { ok: false, empty: false, normalised: null, issue: error('unknown_country', 'not a country name or ISO code') };
  return { ok: true, empty: false, normalised: code, issue: null };
});
