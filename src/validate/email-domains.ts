/**
 * Mailbox providers French, Belgian and Swiss customers actually use, and the typo suggestion built on
 * them. mailcheck's defaults are US-centric (it turns orange.fe into orange.de); here a provider's label
 * knows its real top-level domains, so `orange.fe` → `orange.fr` and `yahoo.de` stays as written.
 */
import { distance } from 'fastest-levenshtein';
import { isCountryCode } from './country.js';

/** Provider label → the top-level domains its mailboxes really use, most common first. */
const PROVIDERS: Record<string, string[]> = {
  gmail: ['com'],
  googlemail: ['com'],
  orange: ['fr', 'com'],
  wanadoo: ['fr'],
  free: ['fr'],
  sfr: ['fr'],
  neuf: ['fr'],
  laposte: ['net', 'fr'],
  bbox: ['fr'],
  numericable: ['fr', 'com'],
  'club-internet': ['fr'],
  aliceadsl: ['fr'],
  voila: ['fr'],
  noos: ['fr'],
  cegetel: ['net'],
  hotmail: ['fr', 'com', 'be', 'ch', 'co.uk', 'de', 'it', 'es'],
  outlook: ['fr', 'com', 'be', 'de', 'es', 'it'],
  live: ['fr', 'com', 'be', 'ch', 'co.uk', 'de'],
  msn: ['com'],
  yahoo: ['fr', 'com', 'be', 'co.uk', 'de', 'es', 'it', 'ca'],
  ymail: ['com'],
  aol: ['com', 'fr'],
  icloud: ['com'],
  me: ['com'],
  mac: ['com'],
  gmx: ['fr', 'com', 'de', 'net', 'ch'],
  protonmail: ['com', 'ch'],
  proton: ['me'],
  skynet: ['be'],
  telenet: ['be'],
  bluewin: ['ch'],
  sunrise: ['ch'],
  hispeed: ['ch'],
  pt: ['lu'],
  web: ['de'],
};

/** Every real provider domain, e.g. gmail.com, orange.fr. */
export const KNOWN_DOMAINS: ReadonlySet<string> = new Set(
  Object.entries(PROVIDERS).flatMap(([label, tlds]) => tlds.map((tld) => `${label}.${tld}`)),
);

/** Providers whose mailboxes live under one or two TLDs only: another TLD is a typo (gmail.fr). */
const STRICT = new Set(['gmail', 'googlemail', 'orange', 'wanadoo', 'free', 'sfr', 'neuf', 'laposte', 'bbox', 'icloud', 'msn', 'noos', 'voila', 'cegetel', 'aliceadsl', 'club-internet']);

const GENERIC_TLDS = new Set(['com', 'net', 'org', 'info', 'biz', 'eu', 'uk', 'io', 'me', 'pro', 'asso', 'gouv', 'edu', 'gov', 'name', 'email', 'online', 'xyz', 'tech', 'app', 'dev', 'co']);

function isRealTld(tld: string): boolean {
  // Country TLDs are the ISO 3166 alpha-2 codes, plus .uk (the ISO code is GB).
  return GENERIC_TLDS.has(tld) || (tld.length === 2 && isCountryCode(tld.toUpperCase())) || tld.includes('.');
}

/** "label.tld" with the co.uk-style second level kept in the TLD. */
function splitDomain(domain: string): { label: string; tld: string } | null {
  const m = /^(.+?)\.((?:co|com)\.[a-z]{2}|[^.]+)$/.exec(domain);
  if (!m) return null;
  return { label: m[1]!, tld: m[2]! };
}

function closestTld(tld: string, candidates: string[]): string {
  let best = candidates[0]!;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = distance(tld, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * The provider domain a misspelt domain most likely meant, or null when the domain is fine or nothing is
 * close enough. Thresholds grow with length so short company domains are not "corrected".
 */
export function suggestDomain(domain: string): string | null {
  if (KNOWN_DOMAINS.has(domain)) return null;
  if (!domain.includes('.')) return PROVIDERS[domain] ? `${domain}.${PROVIDERS[domain]![0]}` : null;
  const parts = splitDomain(domain);
  if (parts) {
    const tlds = PROVIDERS[parts.label];
    if (tlds) {
      if (tlds.includes(parts.tld)) return null;
      if (!isRealTld(parts.tld) || STRICT.has(parts.label)) return `${parts.label}.${closestTld(parts.tld, tlds)}`;
      return null;
    }
  }
  const limit = domain.length >= 9 ? 2 : domain.length >= 6 ? 1 : 0;
  if (limit === 0) return null;
  let best: string | null = null;
  let bestDistance = limit + 1;
  for (const known of KNOWN_DOMAINS) {
    if (Math.abs(known.length - domain.length) > limit) continue;
    const d = distance(domain, known);
    if (d < bestDistance) {
      best = known;
      bestDistance = d;
    }
  }
  if (best === null) return null;
  // Two edits on a different first letter is another brand (yopmail.com is not hotmail.com).
  if (bestDistance >= 2 && best[0] !== domain[0]) return null;
  // A real TLD on a different label (e.g. "frees.com") is someone's own domain: suggest only when the
  // provider label itself is misspelt and the TLD matches, or the TLD is not a real one.
  const target = splitDomain(best);
  if (parts && target && parts.tld !== target.tld && isRealTld(parts.tld) && parts.label !== target.label) return null;
  return best;
}
