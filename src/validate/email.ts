/**
 * Email: syntax checked by validator.js (a maintained RFC 5322 subset, not a home-made regex), with
 * non-ASCII local parts refused because mailing tools refuse them; the domain is lower-cased, the
 * address trimmed of the debris spreadsheets add (mailto:, <…>, quotes, a trailing dot). Misspelt
 * provider domains get a suggestion; disposable domains and role mailboxes are flagged, not refused.
 */
import { createRequire } from 'node:module';
import validator from 'validator';
import { suggestDomain } from './email-domains.js';
import { emptyCheck, error, memo, text, warning, type FieldCheck } from './types.js';

const require = createRequire(import.meta.url);
// mailchecker ships its list as a CommonJS Set; its own isValid() is not used (we need the reason).
const disposableDomains: Set<string> = (require('mailchecker/platform/node') as { blacklist(): Set<string> }).blacklist();

/** Shared mailboxes read by a team, not a person: fine for B2B, but not a person's consent. */
const ROLE_LOCAL_PARTS = new Set([
  'abuse', 'accueil', 'admin', 'administration', 'bonjour', 'billing', 'careers', 'commercial', 'compta',
  'comptabilite', 'contact', 'contact-us', 'courrier', 'devis', 'direction', 'facturation', 'hello', 'help',
  'hostmaster', 'info', 'infos', 'information', 'informations', 'jobs', 'mail', 'marketing', 'newsletter',
  'no-reply', 'noreply', 'office', 'postmaster', 'recrutement', 'rh', 'sales', 'sav', 'secretariat',
  'service-client', 'service.client', 'serviceclient', 'support', 'team', 'ventes', 'webmaster',
]);

export interface EmailCheck extends FieldCheck {
  /** The whole address with the suggested domain, when the domain looks misspelt. */
  suggestion: string | null;
  disposable: boolean;
  role: boolean;
}

const NONE = { suggestion: null, disposable: false, role: false };
const EMPTY: EmailCheck = { ...emptyCheck(), ...NONE };

function strip(raw: string): string {
  let value = raw.trim();
  value = value.replace(/^mailto:/i, '').trim();
  // "Jean <jean@x.fr>" and "<jean@x.fr>": keep what is inside the brackets.
  const bracketed = /<([^<>]*)>\s*$/.exec(value);
  if (bracketed) value = bracketed[1]!.trim();
  value = value.replace(/^["']+|["']+$/g, '').trim();
  return value.replace(/[.,;]+$/, '');
}

export function checkEmail(value: string | null | undefined): EmailCheck {
  const raw = text(value);
  if (raw === null) return EMPTY;
  const address = strip(raw);
  const bad = (code: string, message: string): EmailCheck => ({ ok: false, empty: false, normalised: null, issue: error(code, message), ...NONE });
  if (/[\s,;]/.test(address) && (address.match(/@/g) ?? []).length > 1) return bad('multiple_addresses', 'more than one address in the cell');
  const at = address.lastIndexOf('@');
  if (at < 0) return bad('missing_at', 'no @ in the address');
  const local = address.slice(0, at);
  const domain = address.slice(at + 1).toLowerCase();
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(local)) return bad('accented_local_part', 'accents or non-ASCII characters before the @ (mailing tools refuse them)');
  const normalised = `${local}@${domain}`;
  if (!isEmailSyntax(local, domain)) {
    // "jean@gmail": a provider without its TLD is worth a suggestion.
    const fixed = domain.includes('.') ? null : suggestDomain(domain);
    if (fixed && isEmailSyntax(local, fixed)) {
      return { ...bad('missing_tld', `domain has no TLD (did you mean ${fixed}?)`), suggestion: `${local}@${fixed}` };
    }
    return bad('invalid_syntax', 'not a valid address');
  }
  const { suggested, disposable } = domainVerdict(domain);
  const localKey = local.toLowerCase().replace(/\+.*$/, '');
  const flags = { disposable, role: ROLE_LOCAL_PARTS.has(localKey) };
  if (suggested) {
    return {
      ok: false,
      empty: false,
      normalised,
      issue: error('domain_typo', `domain looks misspelt (did you mean ${suggested}?)`),
      suggestion: `${local}@${suggested}`,
      ...flags,
    };
  }
  let issue = null;
  if (flags.disposable) issue = warning('disposable', 'disposable (throw-away) mailbox provider');
  else if (flags.role) issue = warning('role_address', 'shared role mailbox, not a person');
  return { ok: true, empty: false, normalised, issue, suggestion: null, ...flags };
}

/** A file has few distinct domains and many addresses: the domain's verdict is worked out once. */
const domainCache = new Map<string, { suggested: string | null; disposable: boolean }>();
function domainVerdict(domain: string): { suggested: string | null; disposable: boolean } {
  let verdict = domainCache.get(domain);
  if (!verdict) {
    if (domainCache.size >= 20_000) domainCache.clear();
    verdict = { suggested: suggestDomain(domain), disposable: isDisposable(domain) };
    domainCache.set(domain, verdict);
  }
  return verdict;
}

const SYNTAX = { allow_utf8_local_part: false, require_tld: true, allow_ip_domain: false, allow_display_name: false };

/**
 * validator.isEmail(`${local}@${domain}`), in two halves so the domain's half is worked out once per
 * domain: with these options isEmail checks the whole length (254), then the part after the last @ on
 * its own (byte length, FQDN) and the part before it on its own (byte length, characters). "a" is a
 * valid local part and "a.fr" a valid domain, so each half is isEmail with the other half made valid
 * (a local part of at most 64 bytes keeps "local@a.fr" within the length the whole check allows).
 */
export function isEmailSyntax(local: string, domain: string): boolean {
  if (local.length + domain.length + 1 > 254) return false;
  return domainSyntax(domain) && ((local.length <= 64 && PLAIN_LOCAL.test(local)) || validator.isEmail(`${local}@a.fr`, SYNTAX));
}

/**
 * Local parts isEmail certainly accepts (ASCII letters and digits, single dots, dashes or underscores
 * between them, at most 64 bytes): most addresses, answered without its costly byte-length count.
 */
const PLAIN_LOCAL = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/i;

const domainSyntax = memo(20_000, (domain) => validator.isEmail(`a@${domain}`, SYNTAX));

/** The domain or any parent domain is a known throw-away provider. */
export function isDisposable(domain: string): boolean {
  let current = domain;
  for (;;) {
    if (disposableDomains.has(current)) return true;
    const dot = current.indexOf('.');
    if (dot < 0) return false;
    current = current.slice(dot + 1);
    if (!current.includes('.')) return false;
  }
}
