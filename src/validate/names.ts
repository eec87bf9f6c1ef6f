/**
 * Person names: trimmed, inner whitespace collapsed, typographic apostrophes made plain, and proper
 * case applied only to names typed ALL CAPS or all lower case (a name already in mixed case, such as
 * "McBride" or "DuPont", is the person's own spelling). French particles stay lower case
 * ("de la Tour", "d'Artagnan") while Breton and Irish forms keep their capitals ("Le Goff", "O'Brien").
 */
import { emptyCheck, error, text, warning, type FieldCheck } from './types.js';

/** Lower case inside a name (and at its start, as French usage writes "de Gaulle"). */
const PARTICLES = new Set(['de', 'du', 'des', 'van', 'von', 'der', 'den', 'da', 'di', 'del', 'della', 'dos', 'das', 'ten', 'ter', 'y', 'e']);
/** Articles that are lower case only after "de" ("de la Tour"), capitalised otherwise ("Le Goff", "La Fontaine"). */
const ARTICLES = new Set(['la', 'le', 'les', "l'"]);
const PLACEHOLDERS = new Set(['test', 'xxx', 'xx', 'x', 'inconnu', 'inconnue', 'unknown', 'n/a', 'na', 'nc', 'aucun', 'none', 'null', 'undefined', 'nom', 'prenom', 'prénom', 'client', 'madame', 'monsieur', '.', '-', '?']);

function capitalise(word: string): string {
  if (word === '') return word;
  const lower = word.toLocaleLowerCase('fr');
  if (/^mc./.test(lower)) return `Mc${lower.charAt(2).toLocaleUpperCase('fr')}${lower.slice(3)}`;
  const first = lower.charAt(0);
  const upper = first.toLocaleUpperCase('fr');
  // "ß" upper-cases to two letters: a name is not respelt.
  return (upper.length === 1 ? upper : first) + lower.slice(1);
}

/** "O'BRIEN" → "O'Brien", "D'ARTAGNAN" → "d'Artagnan" (as a particle) or "D'Artagnan" alone. */
function caseWithApostrophe(word: string, particleAllowed: boolean): string {
  const m = /^([a-zà-ÿ])'(.+)$/i.exec(word);
  if (!m) return capitalise(word);
  const head = m[1]!.toLocaleLowerCase('fr');
  const rest = capitalise(m[2]!);
  if (head === 'd' && particleAllowed) return `d'${rest}`;
  return `${head.toLocaleUpperCase('fr')}'${rest}`;
}

/** Proper case for one name in one case: words split on spaces, each hyphen part capitalised. */
export function properCase(name: string): string {
  const words = name.split(' ');
  const many = words.length > 1;
  return words
    .map((word, index) => {
      const lower = word.toLocaleLowerCase('fr');
      const previous = index > 0 ? words[index - 1]!.toLocaleLowerCase('fr') : '';
      const isLast = index === words.length - 1;
      if (many && !isLast && PARTICLES.has(lower)) return lower;
      if (many && !isLast && ARTICLES.has(lower) && (previous === 'de' || previous === 'des')) return lower;
      return word
        .split('-')
        .map((part) => caseWithApostrophe(part, many))
        .join('-');
    })
    .join(' ');
}

function hasLetters(value: string): boolean {
  return /\p{L}/u.test(value);
}

/** First names repeat a lot across a file: each distinct spelling is checked once. */
const cache = new Map<string, FieldCheck>();

export function checkName(value: string | null | undefined): FieldCheck {
  const raw = text(value);
  if (raw === null) return emptyCheck();
  let result = cache.get(raw);
  if (!result) {
    if (cache.size >= 20_000) cache.clear();
    result = checkNameText(raw);
    cache.set(raw, result);
  }
  return result;
}

function checkNameText(raw: string): FieldCheck {
  let name = raw
    .replace(/[\u2018\u2019\u02bc`´]/g, "'")
    .replace(/\s+/g, ' ')
    .replace(/\s*-\s*/g, '-')
    .trim();
  if (PLACEHOLDERS.has(name.toLocaleLowerCase('fr'))) return { ok: false, empty: false, normalised: null, issue: error('placeholder', 'a placeholder, not a name') };
  if (/\d/.test(name)) return { ok: false, empty: false, normalised: null, issue: error('contains_digits', 'a name with digits in it') };
  if (!hasLetters(name)) return { ok: false, empty: false, normalised: null, issue: error('no_letters', 'no letters in the name') };
  if (/[@#$%*=+<>{}[\]|\\/_!?;:"]/.test(name)) return { ok: false, empty: false, normalised: null, issue: error('odd_characters', 'characters names do not have') };
  const letters = name.replace(/[^\p{L}]/gu, '');
  const allUpper = letters === letters.toLocaleUpperCase('fr') && letters !== letters.toLocaleLowerCase('fr');
  const allLower = letters === letters.toLocaleLowerCase('fr');
  if (allUpper || allLower) name = properCase(name);
  if (letters.length === 1) return { ok: true, empty: false, normalised: name, issue: warning('initial_only', 'only an initial') };
  return { ok: true, empty: false, normalised: name, issue: null };
}
