/**
 * Turns one raw row into what the store keeps: a contact or purchase draft, or the reasons it is
 * rejected. Pure and synchronous so it can run on the parsing side of the pipeline; every reason names
 * the column. Import keeps raw values plus cheap exact keys only: full validation is the clean stage's.
 */
import crypto from 'node:crypto';
import type { Cell } from './readers.js';
import type { Field, ImportKind, Mapping } from './header-map.js';
import { dateToIso, excelSerialToIso, lineAmount, parseAmount, parseDate, parseNumber, type DateOrder } from './values.js';
import { consentOfCell, isRefusalColumn } from './consent-values.js';
import type { Channel } from '../store/types.js';
import { quoted } from './quote.js';

export interface RejectReason {
  column: string | null;
  message: string;
  /** The cell as written, when the reason is a value that could not be read. */
  value?: string;
}

export interface MapSettings {
  kind: ImportKind;
  headers: string[];
  mapping: Mapping;
  dateOrder: DateOrder;
  decimalComma: boolean;
  currency: string;
}

/** The contact columns an import writes, in the order of `CONTACT_COLUMNS`. */
export const CONTACT_COLUMNS = [
  'external_id', 'civility', 'first_name', 'last_name', 'email', 'email_norm', 'phone', 'phone_digits', 'mobile',
  'mobile_digits', 'address_line1', 'address_line2', 'postal_code', 'city', 'country', 'birth_date', 'gender',
  'company', 'siret', 'origin', 'tags', 'attributes', 'created_at', 'last_activity_at',
] as const;
export type ContactColumn = (typeof CONTACT_COLUMNS)[number];

export interface ContactDraft {
  externalKey: string;
  values: Record<ContactColumn, string | null>;
  consents: Array<{ channel: Channel; granted: boolean; column: string }>;
  /**
   * Cells of the row that could not be read (a consent answer, a date): the contact is imported without
   * them (nothing guessed, the field left empty) and the import lists them with the row.
   */
  issues: RejectReason[];
}

export interface PurchaseDraft {
  customer: { externalId: string | null; emailNorm: string | null; values: Partial<Record<ContactColumn, string | null>> };
  orderRef: string;
  lineNo: number | null;
  orderedAt: string;
  amountMinor: number;
  currency: string;
  quantity: number | null;
  unitPriceMinor: number | null;
  productRef: string | null;
  product: string | null;
  category: string | null;
  channel: string | null;
  status: string | null;
  attributes: string;
}

export type MappedRow =
  | { kind: 'contact'; draft: ContactDraft }
  | { kind: 'purchase'; draft: PurchaseDraft }
  | { kind: 'reject'; reasons: RejectReason[] }
  | { kind: 'empty' };

const CANCELLED = /^(annul|cancel|rembours|refund|retour|return|avoir|credit)/i;

/**
 * A leading apostrophe before a digit or = + - @ is the guard a spreadsheet or an export (Shopify's
 * `'+33…` phones, a guarded `'-leroy@…` address) puts in front of text it must not read as a number or a
 * formula: it is not part of the value. An apostrophe before a letter (`'t Hooft`) is kept.
 */
const SPREADSHEET_GUARDED = /^'[\d=+\-@]/;

/** A cell as text, the way the user sees it in the file. */
export function cellText(cell: Cell | undefined): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'string') {
    const text = cell.trim();
    return text.charCodeAt(0) === 39 /* ' */ && SPREADSHEET_GUARDED.test(text) ? text.slice(1) : text;
  }
  if (cell instanceof Date) return dateToIso(cell) ?? '';
  return String(cell);
}

function phoneKey(text: string | null): string | null {
  if (!text) return null;
  const digits = text.replace(/[^\d]/g, '');
  if (digits === '') return null;
  return text.trimStart().startsWith('+') ? `+${digits}` : digits;
}

/**
 * "DUPONT Jean" or "Jean Dupont" into first and last names: words in capitals are the surname (the
 * French convention); otherwise the last word is.
 */
export function splitFullName(full: string): { first: string | null; last: string | null } {
  const words = full.split(/\s+/).filter(Boolean);
  if (words.length === 0) return { first: null, last: null };
  if (words.length === 1) return { first: null, last: words[0]! };
  const isCaps = (w: string): boolean => w.length > 1 && w === w.toUpperCase() && w !== w.toLowerCase();
  const caps = words.filter(isCaps);
  if (caps.length > 0 && caps.length < words.length) {
    return { first: words.filter((w) => !isCaps(w)).join(' '), last: caps.join(' ') };
  }
  return { first: words.slice(0, -1).join(' '), last: words[words.length - 1]! };
}

function dateCell(cell: Cell | undefined, text: string, order: DateOrder): string | null {
  if (cell instanceof Date) return dateToIso(cell);
  if (typeof cell === 'number') return excelSerialToIso(cell);
  return parseDate(text, order);
}

function amountCell(cell: Cell | undefined, text: string, settings: MapSettings): { minor: number; currency: string | null } | null {
  if (typeof cell === 'number') return Number.isFinite(cell) ? { minor: Math.round(cell * 100 + Math.sign(cell) * 1e-7), currency: null } : null;
  return parseAmount(text, settings.decimalComma, settings.currency);
}

/** Compiled mapping: field -> column index, built once per file. */
/** field -> column index; a plain object, as the lookup runs ~30 times per row. */
class FieldIndex {
  private readonly at: Partial<Record<Field, number>> = {};
  set(field: Field, index: number): void {
    this.at[field] = index;
  }
  get(field: Field): number | undefined {
    return this.at[field];
  }
  has(field: Field): boolean {
    return this.at[field] !== undefined;
  }
}

export class RowMapper {
  private readonly index = new FieldIndex();
  private readonly unmapped: number[] = [];
  private readonly consentColumns: Array<{ channel: Channel; at: number; refusal: boolean }> = [];
  private readonly hasRefusalColumn: boolean;

  constructor(private readonly settings: MapSettings) {
    settings.mapping.forEach((field, i) => {
      if (field) this.index.set(field, i);
      // The reason column that "custkit rejects --out" adds is not data: a fixed file re-imports cleanly.
      else if (settings.headers[i] !== 'reject_reason') this.unmapped.push(i);
    });
    for (const channel of ['email', 'sms', 'phone', 'post'] as const) {
      const at = this.index.get(`consent_${channel}` as Field);
      // A consent column whose header reads as a refusal ("Email opt out") and an optout_* column
      // ("EMAIL_BLACKLISTED", "HasOptedOutOfEmail") are both read the other way round.
      if (at !== undefined) this.consentColumns.push({ channel, at, refusal: isRefusalColumn(settings.headers[at] ?? '') });
      const optOut = this.index.get(`optout_${channel}` as Field);
      if (optOut !== undefined) this.consentColumns.push({ channel, at: optOut, refusal: true });
    }
    this.hasRefusalColumn = this.consentColumns.some((c) => c.refusal);
  }

  private text(row: Cell[], field: Field): string | null {
    const at = this.index.get(field);
    if (at === undefined) return null;
    const value = cellText(row[at]);
    return value === '' ? null : value;
  }

  private column(field: Field): string {
    return this.settings.headers[this.index.get(field)!] ?? field;
  }

  private attributes(row: Cell[], extra?: [string, string]): string {
    let json = '';
    for (const i of this.unmapped) {
      const value = cellText(row[i]);
      if (value === '') continue;
      json += `${json ? ',' : ''}${JSON.stringify(this.settings.headers[i] ?? `column ${i + 1}`)}:${JSON.stringify(value)}`;
    }
    if (extra) json += `${json ? ',' : ''}${JSON.stringify(extra[0])}:${JSON.stringify(extra[1])}`;
    return `{${json}}`;
  }

  map(row: Cell[]): MappedRow {
    const width = this.settings.headers.length;
    if (isEmptyRow(row)) return { kind: 'empty' };
    if (row.length !== width) {
      const extraEmpty = row.length > width && row.slice(width).every((cell) => cellText(cell) === '');
      if (!extraEmpty) {
        return { kind: 'reject', reasons: [{ column: null, message: `row has ${row.length} columns, the header has ${width}` }] };
      }
    }
    return this.settings.kind === 'contacts' ? this.mapContact(row) : this.mapPurchase(row);
  }

  /**
   * A date field's ISO value. A cell that is not a date is never stored as text in a date field: the
   * field stays empty and the cell is listed in `issues` (the row keeps it in rejects, as written).
   */
  private dateField(row: Cell[], field: Field, issues: RejectReason[]): string | null {
    const text = this.text(row, field);
    if (text === null) return null;
    const iso = dateCell(row[this.index.get(field)!], text, this.settings.dateOrder);
    if (iso === null) {
      issues.push({ column: this.column(field), value: text, message: `${quoted(text)} is not a date (expected ${this.expectedDate()}); ${field} left empty, the row was imported` });
    }
    return iso;
  }

  private expectedDate(): string {
    return `${this.settings.dateOrder === 'mdy' ? 'mm/dd/yyyy' : 'dd/mm/yyyy'} or yyyy-mm-dd`;
  }

  private mapContact(row: Cell[]): MappedRow {
    const t = (field: Field): string | null => this.text(row, field);
    let first = t('first_name');
    let last = t('last_name');
    const full = t('full_name');
    if (full && !first && !last) ({ first, last } = splitFullName(full));
    let line1 = t('address_line1');
    const streetNumber = t('street_number');
    if (streetNumber) line1 = line1 ? `${streetNumber} ${line1}` : streetNumber;
    const email = t('email');
    const phone = t('phone');
    const mobile = t('mobile');
    const tagsText = t('tags');
    const tags = tagsText ? [...new Set(tagsText.split(/[,;|]/).map((s) => s.trim()).filter(Boolean))] : [];
    const issues: RejectReason[] = [];
    const values: ContactDraft['values'] = {
      external_id: t('external_id'),
      civility: t('civility'),
      first_name: first,
      last_name: last,
      email,
      email_norm: email ? email.toLowerCase() : null,
      phone,
      phone_digits: phoneKey(phone),
      mobile,
      mobile_digits: phoneKey(mobile),
      address_line1: line1,
      address_line2: t('address_line2'),
      postal_code: t('postal_code'),
      city: t('city'),
      country: t('country'),
      birth_date: this.dateField(row, 'birth_date', issues),
      gender: t('gender'),
      company: t('company'),
      siret: t('siret'),
      origin: t('origin'),
      tags: JSON.stringify(tags),
      attributes: this.attributes(row, full && this.index.has('full_name') ? [this.column('full_name'), full] : undefined),
      created_at: this.dateField(row, 'created_at', issues),
      last_activity_at: this.dateField(row, 'last_activity_at', issues),
    };
    const identifying = values.external_id ?? values.email ?? values.phone ?? values.mobile ?? values.last_name ??
      values.first_name ?? values.company ?? values.address_line1 ?? values.postal_code;
    if (!identifying) {
      return { kind: 'reject', reasons: [{ column: null, message: 'no contact details (customer code, name, email, phone, company or address)' }] };
    }
    const consents: ContactDraft['consents'] = [];
    for (const { channel, at, refusal } of this.consentColumns) {
      const text = cellText(row[at]);
      const answer = consentOfCell(text, refusal);
      const column = this.settings.headers[at]!;
      if (answer === 'granted' || answer === 'withdrawn') consents.push({ channel, granted: answer === 'granted', column });
      else if (answer === 'unreadable') {
        issues.push({ column, value: text, message: `${quoted(text)} is not a consent answer (yes/no, oui/non, subscribed/unsubscribed…); no ${channel} consent recorded, the row was imported` });
      }
    }
    // A row that both grants and refuses a channel ("OPT_IN" yes, "EMAIL_BLACKLISTED" yes) records the refusal only.
    if (this.hasRefusalColumn) {
      for (let i = consents.length - 1; i >= 0; i--) {
        const c = consents[i]!;
        if (c.granted && consents.some((o) => o.channel === c.channel && !o.granted)) consents.splice(i, 1);
      }
    }
    // Listed in the file's column order, as the user reads the row.
    if (issues.length > 1) issues.sort((a, b) => this.settings.headers.indexOf(a.column!) - this.settings.headers.indexOf(b.column!));
    const externalKey = values.external_id ?? (values.email_norm ? `email:${values.email_norm}` : `row:${rowHash(values)}`);
    return { kind: 'contact', draft: { externalKey, values, consents, issues } };
  }

  private mapPurchase(row: Cell[]): MappedRow {
    const t = (field: Field): string | null => this.text(row, field);
    const reasons: RejectReason[] = [];
    const externalId = t('external_id');
    const email = t('email');
    if (!externalId && !email) {
      const columns = ['external_id', 'email'].filter((f) => this.index.has(f as Field)).map((f) => this.column(f as Field));
      reasons.push({ column: columns[0] ?? null, message: `no customer reference (${columns.length ? `${columns.join(' / ')} empty` : 'no customer code or email column'})` });
    }
    const dateText = t('ordered_at');
    let orderedAt: string | null = null;
    if (dateText === null) reasons.push({ column: this.index.has('ordered_at') ? this.column('ordered_at') : null, message: 'no order date' });
    else {
      orderedAt = dateCell(row[this.index.get('ordered_at')!], dateText, this.settings.dateOrder);
      if (!orderedAt) reasons.push({ column: this.column('ordered_at'), value: dateText, message: `${quoted(dateText)} is not a date (expected ${this.expectedDate()})` });
    }
    let quantity: number | null = null;
    const quantityText = t('quantity');
    if (quantityText !== null) {
      const cell = row[this.index.get('quantity')!];
      quantity = typeof cell === 'number' ? cell : parseNumber(quantityText, this.settings.decimalComma);
      if (quantity === null) reasons.push({ column: this.column('quantity'), value: quantityText, message: `${quoted(quantityText)} is not a quantity` });
    }
    let unitPriceMinor: number | null = null;
    let currency: string | null = null;
    const priceText = t('unit_price');
    if (priceText !== null) {
      const price = amountCell(row[this.index.get('unit_price')!], priceText, this.settings);
      if (!price) reasons.push({ column: this.column('unit_price'), value: priceText, message: `${quoted(priceText)} is not a price` });
      else ({ minor: unitPriceMinor, currency } = price);
    }
    let amountMinor: number | null = null;
    const amountText = t('amount');
    if (amountText !== null) {
      const amount = amountCell(row[this.index.get('amount')!], amountText, this.settings);
      if (!amount) reasons.push({ column: this.column('amount'), value: amountText, message: `${quoted(amountText)} is not an amount` });
      else {
        amountMinor = amount.minor;
        currency = amount.currency ?? currency;
      }
    } else if (unitPriceMinor !== null) {
      amountMinor = lineAmount(quantity ?? 1, unitPriceMinor);
    } else if (reasons.length === 0) {
      reasons.push({ column: null, message: 'no amount (neither an amount nor a unit price column has a value)' });
    }
    if (reasons.length > 0) return { kind: 'reject', reasons };
    const status = t('status');
    let amount = amountMinor!;
    // Cancellations and returns are negative lines, however the export marks them.
    if ((quantity !== null && quantity < 0 && amount > 0) || (status && CANCELLED.test(status))) amount = -Math.abs(amount);
    const lineText = t('line_no');
    const lineNo = lineText && /^\d+$/.test(lineText) ? Number(lineText) : null;
    const emailNorm = email ? email.toLowerCase() : null;
    let first = t('first_name');
    let last = t('last_name');
    const full = t('full_name');
    if (full && !first && !last) ({ first, last } = splitFullName(full));
    const phone = t('phone');
    return {
      kind: 'purchase',
      draft: {
        customer: {
          externalId,
          emailNorm,
          values: { email, email_norm: emailNorm, first_name: first, last_name: last, phone, phone_digits: phoneKey(phone),
            postal_code: t('postal_code'), city: t('city'), country: t('country') },
        },
        orderRef: t('order_ref') ?? `auto:${externalId ?? emailNorm}:${orderedAt}`,
        lineNo,
        orderedAt: orderedAt!,
        amountMinor: amount,
        currency: (t('currency')?.toUpperCase() ?? currency ?? this.settings.currency).slice(0, 3),
        quantity,
        unitPriceMinor,
        productRef: t('product_ref'),
        product: t('product'),
        category: t('category'),
        channel: t('channel'),
        status,
        attributes: this.attributes(row),
      },
    };
  }
}

function isEmptyRow(row: Cell[]): boolean {
  for (let i = 0; i < row.length; i++) {
    const cell = row[i];
    if (cell === null || cell === undefined || cell === '') continue;
    if (typeof cell !== 'string' || cell.trim() !== '') return false;
  }
  return true;
}

function rowHash(values: Record<string, string | null>): string {
  return crypto.createHash('sha1').update(JSON.stringify(values)).digest('hex').slice(0, 20);
}
