/**
 * Column mapping: which field each header of an export means. Aliases are data (one line per field),
 * compared after folding case, accents and punctuation, so "Code postal", "CODE_POSTAL" and "code-postal"
 * are one header. Anything not recognised is kept in `attributes`, never dropped.
 */

export type ImportKind = 'contacts' | 'purchases';

export const CONTACT_FIELDS = [
  'external_id', 'civility', 'first_name', 'last_name', 'full_name', 'email', 'phone', 'mobile',
  'street_number', 'address_line1', 'address_line2', 'postal_code', 'city', 'country', 'birth_date',
  'gender', 'company', 'siret', 'tags', 'origin', 'created_at', 'last_activity_at',
  'consent_email', 'consent_sms', 'consent_phone', 'consent_post',
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

/** Aliases per field, French and English; the first field whose list holds a header wins. */
const ALIASES: Record<Field, string[]> = {
  external_id: ['code client', 'customer id', 'customer', 'customer code', 'customer number', 'client id', 'id client',
    'numero client', 'num client', 'no client', 'n client', 'ref client', 'reference client', 'client', 'contact id',
    'id contact', 'identifiant', 'identifiant client', 'external id', 'customerid', 'cust id', 'account id'],
  civility: ['civilite', 'civ', 'title', 'salutation', 'titre'],
  first_name: ['prenom', 'first name', 'firstname', 'given name', 'forename', 'fname', 'prenom client'],
  last_name: ['nom', 'last name', 'lastname', 'surname', 'family name', 'nom de famille', 'lname', 'nom client'],
  full_name: ['nom complet', 'full name', 'fullname', 'name', 'nom prenom', 'nom et prenom', 'prenom nom', 'contact name'],
  email: ['email', 'e mail', 'courriel', 'adresse email', 'adresse e mail', 'mail', 'email address', 'adresse mail',
    'e mail address', 'email client'],
  phone: ['telephone', 'tel', 'phone', 'phone number', 'numero de telephone', 'telephone fixe', 'tel fixe', 'fixe',
    'landline', 'telephone 1', 'tel 1'],
  mobile: ['mobile', 'portable', 'tel portable', 'telephone portable', 'telephone mobile', 'tel mobile', 'gsm',
    'cell', 'cellphone', 'mobile phone', 'mobile number', 'telephone 2', 'tel 2'],
  street_number: ['numero de rue', 'n rue', 'no rue', 'numero voie', 'street number', 'house number', 'street no'],
  address_line1: ['adresse', 'address', 'adresse 1', 'adresse1', 'address 1', 'address1', 'address line 1', 'rue',
    'street', 'voie', 'adresse postale', 'street address', 'ligne adresse 1'],
  address_line2: ['adresse 2', 'adresse2', 'address 2', 'address2', 'address line 2', 'complement d adresse',
    'complement adresse', 'complement', 'ligne adresse 2', 'lieu dit'],
  postal_code: ['code postal', 'cp', 'zip', 'zip code', 'zipcode', 'postcode', 'postal code', 'code post'],
  city: ['ville', 'city', 'commune', 'town', 'localite', 'suburb', 'locality'],
  country: ['pays', 'country', 'code pays', 'country code'],
  birth_date: ['date de naissance', 'birth date', 'birthdate', 'dob', 'date of birth', 'naissance', 'ne le',
    'ne e le', 'birthday', 'date naissance'],
  gender: ['sexe', 'genre', 'gender', 'sex'],
  company: ['societe', 'raison sociale', 'company', 'entreprise', 'organisation', 'organization', 'company name',
    'employeur', 'structure'],
  siret: ['siret', 'siren', 'n siret', 'numero siret', 'no siret'],
  tags: ['tags', 'tag', 'etiquettes', 'etiquette', 'labels', 'groupes'],
  origin: ['source', 'origine', 'lead source', 'provenance', 'canal d acquisition'],
  created_at: ['date d inscription', 'date inscription', 'created', 'created at', 'date de creation', 'creation date',
    'date creation', 'signup date', 'subscribed at', 'date d entree', 'inscrit le', 'cree le', 'date ajout'],
  last_activity_at: ['derniere activite', 'last activity', 'last activity date', 'date derniere activite', 'last seen',
    'derniere connexion', 'last login', 'date dernier contact'],
  consent_email: ['opt in email', 'optin email', 'opt in', 'optin', 'newsletter', 'consentement', 'consent',
    'consentement email', 'email opt in', 'accepts marketing', 'email consent', 'abonne newsletter', 'accord email',
    'email marketing'],
  consent_sms: ['opt in sms', 'optin sms', 'sms opt in', 'consentement sms', 'accepts sms', 'sms consent', 'accord sms'],
  consent_phone: ['opt in telephone', 'optin telephone', 'opt in phone', 'consentement telephone', 'phone consent'],
  consent_post: ['opt in courrier', 'optin courrier', 'opt in post', 'consentement courrier', 'post consent',
    'mail consent', 'accord courrier'],
  order_ref: ['commande', 'n commande', 'numero de commande', 'numero commande', 'no commande', 'num commande',
    'order', 'order id', 'order number', 'order no', 'order ref', 'invoice', 'invoice no', 'invoice number',
    'invoice id', 'facture', 'n facture', 'numero de facture', 'numero facture', 'ref commande', 'id commande',
    'transaction id', 'ticket', 'numero de ticket'],
  line_no: ['ligne', 'n ligne', 'line', 'line no', 'line number', 'numero de ligne'],
  ordered_at: ['date', 'date commande', 'date de commande', 'order date', 'invoicedate', 'invoice date', 'date d achat',
    'date achat', 'purchase date', 'date facture', 'date de facture', 'transaction date', 'date vente', 'created at',
    'date transaction'],
  amount: ['montant', 'montant ttc', 'total', 'total ttc', 'amount', 'order total', 'total amount', 'revenue', 'ca',
    'chiffre d affaires', 'montant total', 'prix total', 'total price', 'net amount', 'montant commande', 'sales'],
  quantity: ['quantite', 'qte', 'qty', 'quantity', 'nb articles', 'nombre', 'units'],
  unit_price: ['prix', 'prix unitaire', 'price', 'unit price', 'pu', 'prix ttc', 'unitprice', 'pu ttc'],
  currency: ['devise', 'currency', 'monnaie'],
  product_ref: ['stockcode', 'stock code', 'sku', 'ref produit', 'reference produit', 'reference', 'ref', 'product id',
    'code article', 'article id', 'ean', 'product code', 'id produit'],
  product: ['produit', 'product', 'description', 'libelle', 'article', 'designation', 'product name', 'nom produit',
    'item', 'libelle article'],
  category: ['categorie', 'category', 'famille', 'rayon', 'univers', 'product category', 'categorie produit', 'gamme'],
  channel: ['canal', 'channel', 'canal de vente', 'sales channel', 'point de vente', 'magasin', 'store', 'boutique'],
  status: ['statut', 'status', 'etat', 'order status', 'statut commande'],
};

/** Folds a header for comparison: no accents, lower case, punctuation and spaces removed. */
export function foldHeader(header: string): string {
  return header
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/n°|nº/g, 'n ')
    .replace(/[^a-z0-9]+/g, '');
}

const FOLDED_ALIASES = new Map<Field, Set<string>>(
  (Object.keys(ALIASES) as Field[]).map((field) => [field, new Set(ALIASES[field].map(foldHeader))]),
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

function aliasField(header: string, kind: ImportKind): Field | null {
  const folded = foldHeader(header);
  if (folded === '') return null;
  for (const field of KIND_FIELDS[kind]) {
    if (FOLDED_ALIASES.get(field)!.has(folded)) return field;
  }
  return null;
}

/**
 * Contacts or purchases, from the headers: an order/invoice column, or a date with an amount, price or
 * quantity, means purchases.
 */
export function detectKind(headers: string[]): ImportKind {
  const fields = new Set(headers.map((h) => aliasField(h, 'purchases')));
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
 * Headers may be given exactly or in any case/accent variant.
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

export function buildMapping(headers: string[], kind: ImportKind, overrides = new Map<string, Field | null>()): Mapping {
  const allowed = new Set<string>(KIND_FIELDS[kind]);
  const folded = headers.map(foldHeader);
  for (const [column, field] of overrides) {
    if (!folded.includes(column)) {
      throw new MappingError(`--map: no column "${column}" in the file (columns: ${headers.join(', ')})`);
    }
    if (field !== null && !allowed.has(field)) {
      throw new MappingError(`--map: "${field}" is not a ${kind} field (fields: ${[...allowed].join(', ')})`);
    }
  }
  const taken = new Set<Field>();
  const mapping: Mapping = headers.map(() => null);
  // Explicit choices first, so an alias never takes a field the user assigned to another column.
  headers.forEach((_, i) => {
    if (!overrides.has(folded[i]!)) return;
    const field = overrides.get(folded[i]!) ?? null;
    if (field && taken.has(field)) throw new MappingError(`--map: field "${field}" is given to two columns`);
    mapping[i] = field;
    if (field) taken.add(field);
  });
  headers.forEach((header, i) => {
    if (overrides.has(folded[i]!)) return;
    let field = aliasField(header, kind);
    // A second phone column is the mobile one (and a "Mobile" column alone is the phone).
    if (field === 'phone' && taken.has('phone') && !taken.has('mobile') && kind === 'contacts') field = 'mobile';
    if (field === 'mobile' && !headers.some((h, j) => j !== i && aliasField(h, kind) === 'phone') && !taken.has('phone')) {
      field = kind === 'contacts' ? 'phone' : field;
    }
    if (field && !taken.has(field)) {
      mapping[i] = field;
      taken.add(field);
    }
  });
  if (kind === 'contacts' && !taken.has('external_id')) {
    const recordId = folded.findIndex((header, i) => mapping[i] === null && !overrides.has(header) && CONTACT_RECORD_IDS.has(header));
    if (recordId >= 0) mapping[recordId] = 'external_id';
  }
  return mapping;
}
