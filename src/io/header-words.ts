/**
 * Headers read as words. Exports spell one idea many ways ("Code postal", "CODE_POSTAL", "codePostal",
 * "code-postal"), wrap money columns in currencies and taxes ("amount_eur", "Montant TTC", "Prix (€)"), and
 * name consent columns with a consent word and a channel word in any order ("Opt-in SMS",
 * "newsletter_email", "HasOptedOutOfEmail"). Comparing words, not strings, lets one rule cover them all.
 */
import type { Channel } from '../store/types.js';

/** Words of a header: accents and case folded, `_ - . /` and other punctuation split, camelCase split. */
export function headerWords(header: string): string[] {
  return header
    .replace(/[nN][°º]/g, 'n ')
    .replace(/([a-z\u00e0-\u00ff])([A-Z])/g, '$1 $2') // camelCase: lastName -> last Name
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2') // HTMLParser -> HTML Parser
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** A header folded for comparison: its words run together, so "First Name", "FIRSTNAME" and "first_name" meet. */
export function foldHeader(header: string): string {
  return headerWords(header).join('');
}

/** Currency words and the ISO code they mean. */
const CURRENCY_WORDS: Record<string, string> = {
  eur: 'EUR', euro: 'EUR', euros: 'EUR', usd: 'USD', dollar: 'USD', dollars: 'USD', gbp: 'GBP', chf: 'CHF', cad: 'CAD',
  aud: 'AUD', jpy: 'JPY', sek: 'SEK', nok: 'NOK', dkk: 'DKK', pln: 'PLN', mad: 'MAD', xof: 'XOF',
};
const CURRENCY_SYMBOLS: Array<[RegExp, string]> = [[/€/, 'EUR'], [/£/, 'GBP'], [/\$/, 'USD']];

/** Tax words: a tax-exclusive figure is a poorer amount than a tax-inclusive one when both are present. */
const TAX_INCLUSIVE = new Set(['ttc', 'tvac', 'incl', 'inc', 'including', 'included', 'gross', 'brut', 'comprises', 'comprise', 'compris', 'inclus', 'incluse', 'toutes']);
const TAX_EXCLUSIVE = new Set(['ht', 'htva', 'excl', 'ex', 'excluding', 'excluded', 'hors', 'net']);
const TAX_NEUTRAL = new Set(['tax', 'taxes', 'taxe', 'vat', 'tva', 'with', 'without', 'sans', 'avec']);

export interface MoneyHeader {
  /** The header's words without the currency and tax words around them. */
  core: string[];
  currency: string | null;
  taxExclusive: boolean;
}

/**
 * Strips currency and tax words from both ends of a header ("amount_eur" -> amount, EUR; "Total HT" ->
 * total, tax-exclusive). Null when there is nothing to strip, or nothing left.
 */
export function moneyHeader(header: string): MoneyHeader | null {
  const words = headerWords(header);
  let currency: string | null = null;
  for (const [symbol, code] of CURRENCY_SYMBOLS) if (symbol.test(header)) currency = code;
  let taxExclusive = false;
  const strip = (word: string): boolean => {
    if (CURRENCY_WORDS[word]) {
      currency = CURRENCY_WORDS[word]!;
      return true;
    }
    if (TAX_EXCLUSIVE.has(word)) {
      taxExclusive = true;
      return true;
    }
    return TAX_INCLUSIVE.has(word) || TAX_NEUTRAL.has(word);
  };
  let start = 0;
  let end = words.length;
  while (end > start && strip(words[end - 1]!)) end--;
  while (start < end && strip(words[start]!)) start++;
  if (start === 0 && end === words.length && currency === null) return null;
  if (end <= start) return null;
  return { core: words.slice(start, end), currency, taxExclusive };
}

/** Words that make a column a consent (or its refusal), and words that name the channel. */
const CONSENT_WORDS = new Set([
  'optin', 'consent', 'consents', 'consentement', 'newsletter', 'newsletters', 'news', 'abonne', 'abonnee', 'abonnement',
  'accepte', 'accepts', 'accept', 'accepted', 'subscribed', 'subscriber', 'subscription', 'marketing', 'accord', 'permission',
  'inscrit', 'inscription', 'souhaite', 'autorise', 'autorisation', 'optinemail', 'optinsms',
]);
const OPT_OUT_WORDS = new Set([
  'optout', 'unsubscribed', 'unsubscribe', 'desabonne', 'desabonnee', 'desinscrit', 'desinscription', 'blacklisted',
  'blocklisted', 'blacklist', 'blocklist', 'refus', 'refuse', 'opposition', 'oppose', 'stop',
]);
const CHANNEL_WORDS: Record<string, Channel> = {
  email: 'email', mail: 'email', emails: 'email', courriel: 'email', newsletter: 'email', newsletters: 'email', news: 'email',
  sms: 'sms', texto: 'sms', text: 'sms', mobile: 'sms',
  telephone: 'phone', phone: 'phone', tel: 'phone', call: 'phone', calls: 'phone', appel: 'phone', appels: 'phone', telemarketing: 'phone',
  courrier: 'post', post: 'post', postal: 'post', postale: 'post', papier: 'post', fax: 'post',
};
/** A header with one of these is a date or a count about consent, not the consent itself ("OPTIN_TIME", "date d'abonnement"). */
const NOT_A_CHOICE = new Set([
  'date', 'time', 'le', 'at', 'on', 'when', 'depuis', 'ip', 'source', 'count', 'nombre', 'id', 'reason', 'raison', 'campaign',
  'campagne', 'type', 'list', 'liste', 'lists', 'rating', 'score', 'partner', 'partners', 'partenaire', 'partenaires', 'tiers',
  // HubSpot's engagement counters: "Marketing emails opened", "Marketing contact until next update".
  'opened', 'clicked', 'sent', 'send', 'delivered', 'bounced', 'replied', 'last', 'first', 'until', 'update', 'updated',
  'name', 'number',
]);

export interface ConsentHeader {
  channel: Channel;
  /** True for a refusal column ("Email opt-out", "EMAIL_BLACKLISTED", "DoNotCall"): yes means withdrawn. */
  optOut: boolean;
}

/**
 * Reads a header as a consent column from its words: a consent word (opt-in, newsletter, consent, abonné,
 * accepte, subscribed, marketing…) or a refusal (opt-out, unsubscribed, blacklisted, do not…) and a channel
 * word. A consent word with no channel is email consent ("Newsletter", "Accepts Marketing"). "Marketing
 * contact status" (HubSpot) is email consent; "Lead status" or "OPTIN_TIME" are not consent.
 */
export function consentHeader(header: string): ConsentHeader | null {
  let words = headerWords(header);
  // "opt in" / "opt-in" / "opt_out" are one word each; "do not call" / "do not email" are refusals.
  const joined: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const pair = `${words[i]}${words[i + 1] ?? ''}`;
    if ((words[i] === 'opt' || words[i] === 'opted') && (words[i + 1] === 'in' || words[i + 1] === 'out')) {
      joined.push(words[i + 1] === 'in' ? 'optin' : 'optout');
      i++;
    } else if (pair === 'donot' || pair === 'dont' || pair === 'nepas') {
      joined.push('optout');
      i++;
    } else joined.push(words[i]!);
  }
  words = joined;
  if (words.some((w) => NOT_A_CHOICE.has(w))) return null;
  const optOut = words.some((w) => OPT_OUT_WORDS.has(w));
  const consent = words.some((w) => CONSENT_WORDS.has(w));
  const channels = new Set(words.flatMap((w) => (CHANNEL_WORDS[w] ? [CHANNEL_WORDS[w]!] : [])));
  // "newsletter" names both the consent and the channel; a second channel word wins ("newsletter SMS").
  if (channels.size > 1) channels.delete('email');
  if (!optOut && !consent) return null;
  if (channels.size > 1) return null;
  const channel = [...channels][0] ?? null;
  if (optOut) return channel || words.includes('optout') || words.includes('unsubscribed') ? { channel: channel ?? 'email', optOut: true } : null;
  return { channel: channel ?? 'email', optOut: false };
}
