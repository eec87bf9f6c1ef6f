/**
 * Consent cells as real exports write them, in French and English and in the words of the tools people
 * export from (HubSpot, Mailchimp, Brevo, Shopify, Salesforce, PrestaShop). A cell reads as a grant, a
 * withdrawal, "no answer" (empty, or a tool's word for "not decided yet", such as Mailchimp's
 * `pending`), or as unreadable: the caller records nothing for an unreadable cell and lists it, since a
 * guessed consent is worse than none. docs/import.md ("Values and consent") lists the sets below.
 */

export type ConsentAnswer = 'granted' | 'withdrawn' | 'none' | 'unreadable';

/**
 * Keys are compared folded: accents, case, spaces, hyphens, underscores, quotes and trailing
 * punctuation removed ("Opted-in." = "opted in" = "optedin"), so each word is written once here.
 */
const GRANTED = [
  // French
  'oui', 'o', 'vrai', 'x', 'accepte', 'acceptee', 'acceptes', 'accord', 'daccord', 'abonne', 'abonnee', 'inscrit', 'inscrite',
  'consent', 'consenti', 'consentie', 'jaccepte', 'optin', 'ok',
  // English
  'yes', 'y', 'true', 'subscribed', 'optedin', 'granted', 'agreed', 'accepted', 'on', 'checked',
  // HubSpot: marketing contact status ("Marketing contact"), the older Yes/No form, and legal basis words
  'marketingcontact', 'marketing', 'setasmarketing', 'setasmarketingcontact',
  // Shopify customer email/SMS marketing state
  'subscribedemail',
];

const WITHDRAWN = [
  // French
  'non', 'n', 'faux', 'refuse', 'refusee', 'refus', 'desabonne', 'desabonnee', 'desinscrit', 'desinscrite', 'retire', 'retiree',
  'opposition', 'oppose', 'opposee', 'pasdaccord', 'jerefuse', 'optout', 'stop', 'blackliste', 'blacklistee',
  // English
  'no', 'false', 'unsubscribed', 'optedout', 'withdrawn', 'declined', 'refused', 'off', 'unchecked', 'revoked',
  'blacklisted', 'blocklisted', 'blocked', 'notsubscribed',
  // Mailchimp: a cleaned address bounced for good; Mailchimp never mails it again, neither do we
  'cleaned',
  // HubSpot marketing contact status
  'nonmarketingcontact', 'nonmarketing', 'notmarketing', 'setasnonmarketing', 'settononmarketingonnextupdate',
  'setasnonmarketingonnextupdate', 'nonmarketingsetonrenewal',
  // Shopify
  'redacted', 'invalid',
];

/**
 * Words that say "no decision": no consent row is written (the export's default is to leave out anyone
 * without consent), and nothing is flagged. Mailchimp `pending` (double opt-in not confirmed yet),
 * `transactional` (added for receipts only, never opted in) and `archived`; HubSpot "Not specified".
 */
const NO_ANSWER = [
  'pending', 'transactional', 'archived', 'notspecified', 'unknown', 'na', 'none', 'null',
  'enattente', 'inconnu', 'nonrenseigne', 'nonrenseignee', 'nr', 'nc', 'nonconnu',
];

const ANSWERS = new Map<string, ConsentAnswer>([
  ...GRANTED.map((w) => [w, 'granted'] as const),
  ...WITHDRAWN.map((w) => [w, 'withdrawn'] as const),
  ...NO_ANSWER.map((w) => [w, 'none'] as const),
]);

/** Ticks a spreadsheet or a form export writes for a checked box. */
const TICKS = new Set(['✓', '✔', '☑', '☒', '✅']);

/** A dash or a lone "?"-free placeholder written for "nothing here". */
const PLACEHOLDER = /^[-–—.\s]+$/;

function fold(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Reads one consent cell (its trimmed text). */
export function readConsent(text: string): ConsentAnswer {
  const value = text.trim();
  if (value === '' || PLACEHOLDER.test(value)) return 'none';
  // The common answers first, without folding: most cells of a large file are one of these.
  const quick = ANSWERS.get(value.toLowerCase());
  if (quick) return quick;
  if (TICKS.has(value)) return 'granted';
  // 1 / 0 as written by a spreadsheet or a database export: "1", "1.0", "0,00".
  const number = /^([01])(?:[.,]0+)?$/.exec(value);
  if (number) return number[1] === '1' ? 'granted' : 'withdrawn';
  // A "?" is a question, not an answer: "oui?" is unreadable, where "Oui." or "oui !" is a yes.
  if (value.includes('?')) return 'unreadable';
  const folded = fold(value);
  if (folded === '') return 'unreadable';
  return ANSWERS.get(folded) ?? 'unreadable';
}

/**
 * Columns that record a refusal rather than a consent: Brevo's EMAIL_BLACKLISTED / SMS_BLACKLISTED
 * (yes = blocklisted = withdrawn), Salesforce's "Email Opt Out" / HasOptedOutOfEmail, HubSpot's
 * "Unsubscribed from all email", a French "Désabonné" or "Opposition" column. Their yes means no.
 */
const INVERTED_HEADER = /(black|block)\s*list|opt\s*(ed)?\s*out|unsubscrib|desabonn|desinscri|opposition|do\s*not|has\s*opted\s*out|ne\s*pas|refus/;
/** "Opt-in / opt-out newsletter" holds answers, not refusals. */
const CONSENT_HEADER = /opt\s*(ed)?\s*in\b|consent|accept/;

export function isRefusalColumn(header: string): boolean {
  const words = header.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase().replace(/[_\-./]+/g, ' ');
  return INVERTED_HEADER.test(words) && !CONSENT_HEADER.test(words);
}

/**
 * The answer of a cell in a column: in a refusal column, a yes is a withdrawal and a no is... not a
 * grant (not being blocklisted is not an opt-in), so it records nothing.
 */
export function consentOfCell(text: string, refusalColumn: boolean): ConsentAnswer {
  const answer = readConsent(text);
  if (!refusalColumn) return answer;
  if (answer === 'granted') return 'withdrawn';
  if (answer === 'withdrawn') return 'none';
  return answer;
}
