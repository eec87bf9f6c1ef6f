/**
 * Refuse early, never reject everything: a purchases file with no amount column would turn every line into
 * a reject (3.7 million of them, once). Before anything is written, each thing the kind needs must have a
 * column: a purchase an amount (or unit price), a date and a customer (code or email); a contact at least
 * one identifier. When one is missing the import stops, naming what is missing, the columns that could be
 * it (by their words, then by what the first rows hold) and the exact --map that would take them.
 */
import type { Cell } from './readers.js';
import { cellText } from './record-mapper.js';
import { foldHeader, headerWords } from './header-words.js';
import type { Field, ImportKind, Mapping } from './header-map.js';
import { parseDate } from './values.js';
import { quoted, quotedList } from './quote.js';

interface Need {
  /** What the message calls it. */
  label: string;
  /** Any of these fields satisfies the need. */
  fields: Field[];
  /** Words in a header that suggest it ("montant", "total"). */
  hints: Set<string>;
  /** What most of a column's first values look like when it is the one. */
  looksLike: (value: string) => boolean;
  /** The field to suggest for a candidate column. */
  suggest: (values: string[]) => Field;
  /** Fields a candidate may already hold: an orders export's "Customer" column holds a name, read as full_name. */
  alsoFrom?: Field[];
}

/** A header with one of these words describes something else ("Customer type", "New client", "Nb clients"). */
const NOT_IT = new Set(['type', 'new', 'nouveau', 'nouvelle', 'status', 'statut', 'nb', 'count', 'nombre', 'is', 'has', 'group', 'groupe', 'segment']);

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MONEY = /^[-+(]?\s*(?:[€$£]\s*)?\d[\d\s.,'\u00a0\u202f]*(?:\s*(?:€|eur|usd|gbp|chf|\$|£))?\)?$/i;

const NEEDS: Record<ImportKind, Need[]> = {
  purchases: [
    {
      label: 'the amount',
      fields: ['amount', 'unit_price'],
      hints: new Set(['montant', 'amount', 'amt', 'total', 'prix', 'price', 'sum', 'somme', 'ca', 'revenue', 'value', 'valeur',
        'paid', 'paye', 'net', 'gross', 'brut', 'ttc', 'ht', 'cost', 'cout', 'spend', 'spent', 'sales', 'vente', 'ventes', 'eur',
        'euro', 'euros', 'usd', 'gbp', 'chf', 'turnover', 'tarif', 'mt', 'mnt', 'price']),
      looksLike: (v) => MONEY.test(v) && /\d/.test(v),
      suggest: () => 'amount',
    },
    {
      label: 'the order date',
      fields: ['ordered_at'],
      hints: new Set(['date', 'jour', 'day', 'le', 'at', 'time', 'when', 'created', 'cree', 'dt', 'timestamp', 'datetime']),
      looksLike: (v) => parseDate(v, 'dmy') !== null || parseDate(v, 'mdy') !== null,
      suggest: () => 'ordered_at',
    },
    {
      label: 'the customer (a customer code or an email)',
      fields: ['external_id', 'email'],
      hints: new Set(['client', 'clients', 'customer', 'cust', 'buyer', 'acheteur', 'email', 'mail', 'courriel', 'member', 'contact',
        'user', 'account', 'compte', 'adherent', 'abonne', 'porteur', 'carte', 'card', 'fidelite', 'loyalty']),
      looksLike: (v) => EMAIL.test(v),
      suggest: (values) => (values.length > 0 && values.every((v) => EMAIL.test(v)) ? 'email' : 'external_id'),
      alsoFrom: ['full_name', 'last_name'],
    },
  ],
  contacts: [
    {
      label: 'anything that identifies a contact (a customer code, email, phone, name, company or address)',
      fields: ['external_id', 'email', 'phone', 'mobile', 'full_name', 'last_name', 'first_name', 'company', 'address_line1', 'postal_code'],
      hints: new Set(['client', 'customer', 'email', 'mail', 'courriel', 'nom', 'name', 'prenom', 'phone', 'tel', 'telephone',
        'mobile', 'portable', 'societe', 'company', 'adresse', 'address', 'code', 'id', 'contact']),
      looksLike: (v) => EMAIL.test(v),
      suggest: (values) => (values.length > 0 && values.every((v) => EMAIL.test(v)) ? 'email' : 'external_id'),
    },
  ],
};

export interface MissingNeed {
  label: string;
  /** Columns that could be it, best first (header names as in the file). */
  candidates: string[];
  /** The --map entry to give for the first candidate, e.g. "valeur_cmd=amount". */
  suggestion: string | null;
  /** The first candidate holds names: as a customer code, two people of one name would become one. */
  namesOnly: boolean;
}

/** What the kind needs and no column provides, with the columns that could provide it. */
export function missingNeeds(kind: ImportKind, headers: string[], mapping: Mapping, sample: Cell[][]): MissingNeed[] {
  const mapped = new Set(mapping.filter((f): f is Field => f !== null));
  const used = new Set<number>();
  const missing: MissingNeed[] = [];
  for (const need of NEEDS[kind]) {
    if (need.fields.some((f) => mapped.has(f))) continue;
    const open = headers.map((_, i) => i).filter((i) => !used.has(i) && (mapping[i] === null || need.alsoFrom?.includes(mapping[i]!)));
    const scored = open.map((i) => {
      const words = headerWords(headers[i]!);
      const values = sample.slice(0, 200).map((row) => cellText(row[i])).filter((v) => v !== '');
      if (words.some((w) => NOT_IT.has(w))) return { i, score: 0, values };
      const byWords = words.some((w) => need.hints.has(w)) ? 2 : 0;
      const shaped = values.length > 0 && values.filter(need.looksLike).length >= values.length * 0.8 ? 1 : 0;
      return { i, score: byWords + shaped, values };
    }).filter((c) => c.score > 0).sort((a, b) => b.score - a.score || a.i - b.i);
    const best = scored[0];
    if (best) used.add(best.i);
    missing.push({
      label: need.label,
      candidates: scored.slice(0, 4).map((c) => headers[c.i]!),
      suggestion: best ? `${headers[best.i]}=${need.suggest(best.values)}` : null,
      namesOnly: best !== undefined && mapping[best.i] !== null,
    });
  }
  return missing;
}

/**
 * The refusal: what is missing, what could be it, and the --map to add (merged with the one given, so it
 * can be pasted as is).
 */
export function refusalMessage(where: string, kind: ImportKind, headers: string[], missing: MissingNeed[], givenMap: string | undefined, otherKindHint = false): string {
  const lines = [`${where}: cannot import these ${kind}: no column is read as ${missing.map((m) => m.label).join(', nor as ')}.`];
  for (const m of missing) {
    if (m.candidates.length) lines.push(`  columns that could be ${m.label.replace(/ \(.*\)$/, '')}: ${quotedList(m.candidates, 'columns')}`);
    if (m.namesOnly) {
      lines.push(`  ${quoted(m.candidates[0]!)} holds names, not codes: as the customer code, two customers with one name become one`
        + ' (an export with the customer\'s email or id is better)');
    }
  }
  const suggestions = missing.flatMap((m) => (m.suggestion ? [m.suggestion] : []));
  const given = (givenMap ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const fixedColumns = new Set(suggestions.map((s) => foldHeader(s.slice(0, s.lastIndexOf('=')))));
  const kept = given.filter((g) => !fixedColumns.has(foldHeader(g.slice(0, g.lastIndexOf('=')))));
  if (suggestions.length === missing.length) {
    lines.push(`  to import it, add: --map "${[...kept, ...suggestions].join(',')}"`);
  } else {
    const shown = quotedList(headers, 'columns');
    const fields = missing.map((m) => m.suggestion ?? `COLUMN=${NEEDS[kind].find((n) => n.label === m.label)!.fields[0]}`);
    lines.push(`  name the column with --map "${[...kept, ...fields].join(',')}" (the file's columns: ${shown})`);
  }
  if (otherKindHint) lines.push(`  (if the file holds ${kind === 'purchases' ? 'contacts, not purchases, add --kind contacts' : 'purchases, add --kind purchases'})`);
  lines.push('Nothing was imported.');
  return lines.join('\n');
}
