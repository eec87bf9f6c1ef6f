/**
 * Column mapping: which field each header of an export means. Headers are compared as words
 * (header-words.ts), so case, accents, `_ - .` separators and camelCase do not matter. Each header gets its
 * best reading, ranked: a tool's documented column (tool-profiles.ts), a known name, a consent or refusal
 * column read from its words, a known name behind a qualifier ("Billing City", "Default Address Zip",
 * "Lineitem price"), a money column behind a currency or tax ("amount_eur", "Total HT", "Prix (€)"). The
 * best-ranked reading of a field takes it. Anything not recognised is kept in `attributes`, never dropped.
 */
import { consentHeader, foldHeader, headerWords, moneyHeader } from './header-words.js';
import { detectProfile, profileColumns, type ToolProfile } from './tool-profiles.js';
import { quoted, quotedList } from './quote.js';

export { foldHeader } from './header-words.js';

export type ImportKind = 'contacts' | 'purchases';

export const CONTACT_FIELDS = [
  'external_id', 'civility', 'first_name', 'last_name', 'full_name', 'email', 'phone', 'mobile',
  'street_number', 'address_line1', 'address_line2', 'postal_code', 'city', 'country', 'birth_date',
  'gender', 'company', 'siret', 'tags', 'origin', 'created_at', 'last_activity_at',
  'consent_email', 'consent_sms', 'consent_phone', 'consent_post',
  // A refusal column: "yes" records a withdrawal, "no" records nothing (not being opted out is not consent).
  'optout_email', 'optout_sms', 'optout_phone', 'optout_post',
] as const;
export type ContactField = (typeof CONTACT_FIELDS)[number];

export const PURCHASE_FIELDS = [
  'order_ref', 'line_no', 'ordered_at', 'amount', 'quantity', 'unit_price', 'currency', 'product_ref',
  'product', 'category', 'channel', 'status',
  // The customer the line belongs to, and enough of them to create a minimal contact.
  'external_id', 'email', 'first_name', 'last_name', 'full_name', 'phone', 'postal_code', 'city', 'country',
] as const;
export type PurchaseField = (typeof PURCHASE_FIELDS)[number];

export type Field = ContactField | PurchaseField;

/** Known names per field, French and English (compared folded: "e mail" is "E-mail", "E_MAIL", "eMail"). */
const ALIASES: Partial<Record<Field, string[]>> = {
  external_id: ['code client', 'customer id', 'customer', 'customer code', 'customer number', 'client id', 'id client',
    'numero client', 'num client', 'no client', 'n client', 'ref client', 'reference client', 'client', 'contact id',
    'id contact', 'identifiant', 'identifiant client', 'external id', 'ext id', 'cust id', 'account id', 'user id',
    'code', 'client code', 'member id'],
  civility: ['civilite', 'civ', 'title', 'salutation', 'titre', 'social title', 'titre de civilite'],
  first_name: ['prenom', 'first name', 'given name', 'forename', 'fname', 'prenom client'],
  last_name: ['nom', 'last name', 'surname', 'family name', 'nom de famille', 'lname', 'nom client'],
  full_name: ['nom complet', 'full name', 'name', 'nom prenom', 'nom et prenom', 'prenom nom', 'contact name', 'customer name'],
  email: ['email', 'courriel', 'adresse email', 'mail', 'email address', 'adresse mail', 'email client', 'adresse courriel'],
  phone: ['telephone', 'tel', 'phone', 'phone number', 'numero de telephone', 'telephone fixe', 'tel fixe', 'fixe',
    'landline', 'landline number', 'telephone 1', 'tel 1', 'home phone', 'work phone', 'business phone', 'numero telephone'],
  mobile: ['mobile', 'portable', 'tel portable', 'telephone portable', 'telephone mobile', 'tel mobile', 'gsm', 'cell',
    'cellphone', 'cell phone', 'mobile phone', 'mobile number', 'mobile phone number', 'telephone 2', 'tel 2',
    'numero de portable', 'numero portable', 'numero mobile', 'cellulaire', 'tel port'],
  street_number: ['numero de rue', 'n rue', 'no rue', 'numero voie', 'street number', 'house number', 'street no'],
  address_line1: ['adresse', 'address', 'adresse 1', 'address 1', 'address line 1', 'rue', 'street', 'voie',
    'adresse postale', 'street address', 'ligne adresse 1', 'address line1'],
  address_line2: ['adresse 2', 'address 2', 'address line 2', 'complement d adresse', 'complement adresse', 'complement',
    'ligne adresse 2', 'lieu dit', 'address line2'],
  postal_code: ['code postal', 'cp', 'zip', 'zip code', 'postcode', 'postal code', 'code post', 'zip postal code'],
  city: ['ville', 'city', 'commune', 'town', 'localite', 'suburb', 'locality'],
  country: ['pays', 'country', 'code pays', 'country code', 'country region', 'pays region'],
  birth_date: ['date de naissance', 'birth date', 'dob', 'date of birth', 'naissance', 'ne le', 'ne e le', 'birthday',
    'date naissance'],
  gender: ['sexe', 'genre', 'gender', 'sex'],
  company: ['societe', 'raison sociale', 'company', 'entreprise', 'organisation', 'organization', 'company name',
    'employeur', 'structure', 'account name', 'nom de l entreprise'],
  siret: ['siret', 'siren', 'n siret', 'numero siret', 'no siret'],
  tags: ['tags', 'tag', 'etiquettes', 'etiquette', 'labels', 'groupes'],
  origin: ['source', 'origine', 'lead source', 'provenance', 'canal d acquisition', 'original source'],
  created_at: ['date d inscription', 'date inscription', 'created', 'created at', 'date de creation', 'creation date',
    'date creation', 'signup date', 'subscribed at', 'date d entree', 'inscrit le', 'cree le', 'date ajout', 'create date',
    'created date', 'date created', 'registration', 'registration date', 'date registered', 'registered', 'inscription',
    'sign up date', 'added time', 'date d ajout', 'member since', 'client depuis'],
  last_activity_at: ['derniere activite', 'last activity', 'last activity date', 'date derniere activite', 'last seen',
    'derniere connexion', 'last login', 'date dernier contact', 'last visit', 'derniere visite', 'last active'],
  order_ref: ['commande', 'n commande', 'numero de commande', 'numero commande', 'no commande', 'num commande',
    'order', 'order id', 'order number', 'order no', 'order ref', 'invoice', 'invoice no', 'invoice number',
    'invoice id', 'facture', 'n facture', 'numero de facture', 'numero facture', 'ref commande', 'id commande',
    'transaction id', 'ticket', 'numero de ticket', 'reference commande', 'order reference', 'order name'],
  line_no: ['ligne', 'n ligne', 'line', 'line no', 'line number', 'numero de ligne'],
  ordered_at: ['date', 'date commande', 'date de commande', 'order date', 'invoice date', 'date d achat',
    'date achat', 'purchase date', 'date facture', 'date de facture', 'transaction date', 'date vente', 'created at',
    'date transaction', 'order created', 'date de la commande'],
  amount: ['montant', 'total', 'amount', 'order total', 'total amount', 'revenue', 'ca', 'chiffre d affaires',
    'montant total', 'prix total', 'total price', 'montant commande', 'sales', 'net sales', 'grand total', 'total paid',
    'montant paye', 'total commande', 'valeur', 'value', 'order value', 'line total', 'total ligne'],
  quantity: ['quantite', 'qte', 'qty', 'quantity', 'nb articles', 'nombre', 'units'],
  unit_price: ['prix', 'prix unitaire', 'price', 'unit price', 'pu', 'unitprice', 'sale price'],
  currency: ['devise', 'currency', 'monnaie', 'currency code'],
  product_ref: ['stockcode', 'stock code', 'sku', 'ref produit', 'reference produit', 'reference', 'ref', 'product id',
    'code article', 'article id', 'ean', 'product code', 'id produit'],
  product: ['produit', 'product', 'products', 'produits', 'description', 'libelle', 'article', 'designation', 'product name',
    'nom produit', 'item', 'item name', 'lineitem name', 'line item name', 'libelle article'],
  category: ['categorie', 'category', 'famille', 'rayon', 'univers', 'product category', 'categorie produit', 'gamme'],
  channel: ['canal', 'channel', 'canal de vente', 'sales channel', 'point de vente', 'magasin', 'store', 'boutique', 'source'],
  status: ['statut', 'status', 'etat', 'order status', 'statut commande', 'financial status'],
};

/** Names that mean a field only when nothing plainer names it ("Title" is a job title beside "Salutation"). */
const WEAK_ALIASES = new Set(['title', 'titre', 'customer', 'client', 'code', 'reference', 'ref', 'date', 'total', 'name', 'valeur', 'value', 'source']);

/** Words before a known name that do not change its meaning: "Billing City", "Default Address Zip", "Lineitem price". */
const QUALIFIERS = new Set([
  'billing', 'facturation', 'default', 'address', 'adresse', 'customer', 'client', 'contact', 'primary', 'main', 'principal',
  'principale', 'mailing', 'lineitem', 'line', 'item', 'member', 'du', 'de', 'd', 'your', 'votre', 'buyer', 'acheteur',
]);

const FOLDED_ALIASES = new Map<Field, Set<string>>(
  (Object.keys(ALIASES) as Field[]).map((field) => [field, new Set(ALIASES[field]!.map(foldHeader))]),
);

const KIND_FIELDS: Record<ImportKind, readonly Field[]> = { contacts: CONTACT_FIELDS, purchases: PURCHASE_FIELDS };

export function fieldsOf(kind: ImportKind): readonly Field[] {
  return KIND_FIELDS[kind];
}

/**
 * "Id" or "Record ID" is the record's own id in CRM exports (Salesforce, HubSpot): in a contacts file
 * without a customer-code column, the customer code. In an orders export it is the order's or the line's,
 * so it stays unmapped there.
 */
const CONTACT_RECORD_IDS = new Set(['id', 'recordid']);

/** Ranks, best first. */
const RANK = { profile: 0, alias: 1, weak: 2, consent: 2, qualified: 3, money: 4, moneyExclusive: 5 } as const;

interface Reading {
  field: Field;
  rank: number;
  /** The currency a money header names ("amount_usd"). */
  currency: string | null;
}

function aliasOf(folded: string, kind: ImportKind): Field | null {
  if (folded === '') return null;
  for (const field of KIND_FIELDS[kind]) if (FOLDED_ALIASES.get(field)?.has(folded)) return field;
  return null;
}

/** A known name after leading qualifier words ("Default Address Address1" -> address1). */
function qualifiedAlias(words: string[], kind: ImportKind): Field | null {
  for (let i = 1; i < words.length; i++) {
    if (!QUALIFIERS.has(words[i - 1]!)) return null;
    const field = aliasOf(words.slice(i).join(''), kind);
    if (field) return field;
  }
  return null;
}

/** The best reading of one header on its own, or null. */
export function readHeader(header: string, kind: ImportKind): Reading | null {
  const folded = foldHeader(header);
  const alias = aliasOf(folded, kind);
  if (alias) return { field: alias, rank: WEAK_ALIASES.has(folded) ? RANK.weak : RANK.alias, currency: null };
  if (kind === 'contacts') {
    const consent = consentHeader(header);
    if (consent) return { field: `${consent.optOut ? 'optout' : 'consent'}_${consent.channel}` as Field, rank: RANK.consent, currency: null };
  }
  const words = headerWords(header);
  const qualified = qualifiedAlias(words, kind);
  if (qualified) return { field: qualified, rank: RANK.qualified, currency: null };
  const money = moneyHeader(header);
  if (money) {
    const core = aliasOf(money.core.join(''), kind) ?? qualifiedAlias(money.core, kind);
    if (core === 'amount' || core === 'unit_price') {
      return { field: core, rank: money.taxExclusive ? RANK.moneyExclusive : RANK.money, currency: money.currency };
    }
  }
  return null;
}

/**
 * Contacts or purchases, from the headers: a tool's export says it; otherwise an order/invoice column, or a
 * date with an amount, price or quantity, means purchases.
 */
export function detectKind(headers: string[]): ImportKind {
  const profile = detectProfile(headers);
  if (profile) return profile.kind;
  const fields = new Set(headers.map((h) => readHeader(h, 'purchases')?.field));
  if (fields.has('order_ref')) return 'purchases';
  const money = ['amount', 'quantity', 'unit_price'].filter((f) => fields.has(f as Field)).length;
  if (fields.has('ordered_at') && money > 0) return 'purchases';
  if (money >= 2 && fields.has('product')) return 'purchases';
  return 'contacts';
}

/** header index -> field, or null for a column kept in attributes. */
export type Mapping = Array<Field | null>;

export class MappingError extends Error {}

/**
 * Parses --map "Col=field,Other Col=-": an explicit field for a header, or '-' to keep it in attributes.
 * Headers may be given exactly or in any case/accent variant. Keys are folded headers.
 */
export function parseMapOption(spec: string | undefined): Map<string, Field | null> {
  const overrides = new Map<string, Field | null>();
  if (!spec) return overrides;
  for (const part of spec.split(',')) {
    if (part.trim() === '') continue;
    const at = part.lastIndexOf('=');
    if (at <= 0) throw new MappingError(`--map: "${part.trim()}" is not of the form Column=field`);
    const column = part.slice(0, at).trim();
    const field = part.slice(at + 1).trim();
    overrides.set(foldHeader(column), field === '-' || field === '' ? null : (field as Field));
  }
  return overrides;
}

export interface MappingResult {
  mapping: Mapping;
  /** The tool whose export this was recognised as. */
  profile: ToolProfile | null;
  /** A currency named by the amount or price header ("amount_usd", "Prix (€)"). */
  currency: string | null;
}

/**
 * Maps every header. `overrides` (the user's --map, then remembered mappings) come first and are checked:
 * a column that is not in the file or a field that does not exist is a usage error.
 */
export function mapHeaders(headers: string[], kind: ImportKind, overrides = new Map<string, Field | null>()): MappingResult {
  const allowed = new Set<string>(KIND_FIELDS[kind]);
  const folded = headers.map(foldHeader);
  for (const [column, field] of overrides) {
    if (!folded.includes(column)) {
      throw new MappingError(`--map: no column ${quoted(column)} in the file (columns: ${quotedList(headers, 'columns')})`);
    }
    if (field !== null && !allowed.has(field)) {
      throw new MappingError(`--map: "${field}" is not a ${kind} field (fields: ${[...allowed].join(', ')})`);
    }
  }
  const taken = new Set<Field>();
  const mapping: Mapping = headers.map(() => null);
  // Explicit choices first, so no reading takes a field the user assigned to another column.
  headers.forEach((_, i) => {
    if (!overrides.has(folded[i]!)) return;
    const field = overrides.get(folded[i]!) ?? null;
    if (field && taken.has(field)) throw new MappingError(`--map: field "${field}" is given to two columns`);
    mapping[i] = field;
    if (field) taken.add(field);
  });
  const profile = detectProfile(headers, kind);
  const profiled = profile ? profileColumns(profile) : new Map<string, Field | null>();
  const readings: Array<Reading & { at: number }> = [];
  headers.forEach((header, i) => {
    if (overrides.has(folded[i]!)) return;
    if (profiled.has(folded[i]!)) {
      const field = profiled.get(folded[i]!) ?? null;
      if (field && allowed.has(field)) readings.push({ field, rank: RANK.profile, currency: null, at: i });
      return;
    }
    const reading = readHeader(header, kind);
    if (reading) readings.push({ ...reading, at: i });
  });
  readings.sort((a, b) => a.rank - b.rank || a.at - b.at);
  let currency: string | null = null;
  for (const reading of readings) {
    let field: Field = reading.field;
    // A second phone column is the mobile one ("Téléphone", "Téléphone 1"); a lone "Mobile" stays a mobile.
    if (field === 'phone' && reading.rank <= RANK.weak && taken.has('phone') && !taken.has('mobile') && kind === 'contacts') field = 'mobile';
    if (taken.has(field)) continue;
    mapping[reading.at] = field;
    taken.add(field);
    if (reading.currency && (field === 'amount' || (field === 'unit_price' && !taken.has('amount')))) currency ??= reading.currency;
  }
  if (kind === 'contacts' && !taken.has('external_id')) {
    const recordId = folded.findIndex((header, i) => mapping[i] === null && !overrides.has(header) && !profiled.has(header) && CONTACT_RECORD_IDS.has(header));
    if (recordId >= 0) mapping[recordId] = 'external_id';
  }
  return { mapping, profile, currency };
}

/** The mapping alone (see mapHeaders). */
export function buildMapping(headers: string[], kind: ImportKind, overrides = new Map<string, Field | null>()): Mapping {
  return mapHeaders(headers, kind, overrides).mapping;
}
