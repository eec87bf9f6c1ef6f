/**
 * Writes mapped rows into the store for one import: contacts keyed on (source, external_key), purchases on
 * (source, order_ref, line_no), consents appended when the choice changed, rejects kept with their raw
 * cells. The caller owns the transaction.
 *
 * Two paths: into an empty contacts table (a first load), the contacts indexes are dropped and rebuilt at
 * the end, because sorting once is several times faster than a million random B-tree inserts; otherwise
 * each row is looked up by key and inserted or updated (a row whose values did not change is not written).
 */
import { sqlLiteral, type Db } from './db.js';
import { CONTACT_COLUMNS, type ContactColumn, type ContactDraft, type PurchaseDraft, type RejectReason } from '../io/record-mapper.js';
import { BULK_ROWS, ConsentBatch } from './consent-batch.js';
import { OrderLineCounter } from './order-lines.js';
import { newUid } from './uid.js';
import { FileRows } from './file-rows.js';
import type { Channel } from './types.js';

export interface WriteCounts {
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  contactsCreated: number;
  /** Rows imported with cells that could not be read (kept beside the rejects, marked as imported). */
  flagged: number;
  /** Cells left as stored: the value clean wrote, in the spelling the file still has. */
  keptAsCleaned: number;
  /** Rows that met a contact an earlier row of the same file had written. */
  repeated: number;
  /** People (per channel) whom the same file both granted and withdrew: the withdrawal was kept. */
  consentConflicts: number;
  /** Rows about a person who was erased: skipped whole (no contact, no consent, no purchase, no reject). */
  suppressed: number;
}

/**
 * Recognises rows about erased people (src/gdpr/erased-gate.ts provides it): by the hashed re-import key
 * their tombstone keeps, or by an `erased` suppression hash of an email or phone.
 */
export interface ErasedGate {
  contact(externalKey: string, values: Partial<Record<ContactColumn, string | null>>): boolean;
  customer(customer: PurchaseDraft['customer']): boolean;
  cells(raw: readonly string[]): boolean;
}

/** Row numbers behind the counts above, the first few of each (never personal data). */
export interface WriteNotes {
  repeated: Array<{ row: number; firstRow: number }>;
  consentConflicts: Array<{ channel: Channel; rows: [number, number] }>;
}

/** The judge of a cell that differs from the stored value (validate/reimport.ts provides it). */
export interface KeepStored {
  readonly fields: ReadonlySet<string>;
  keepsStored(contactId: number, field: string, fileValue: string, stored: string, country: string | null): boolean;
}

const NOTES = 20;

/** Columns a re-import may overwrite: a value the file leaves empty never blanks a stored one. */
const UPDATABLE = CONTACT_COLUMNS.filter((c) => c !== 'external_id' && c !== 'tags' && c !== 'attributes');

/** Every contacts column an import writes, in its insert's order. */
const IMPORTED_COLUMNS: readonly string[] = ['uid', 'external_key', ...CONTACT_COLUMNS, 'source', 'imported_at', 'updated_at', 'first_import_id', 'last_import_id'];

function contactInsert(source: string, now: string, importId: number): string {
  return `
  INSERT INTO contacts (${IMPORTED_COLUMNS.join(', ')})
  VALUES (${new Array(CONTACT_COLUMNS.length + 2).fill('?').join(', ')}, ${sqlLiteral(source)}, ${sqlLiteral(now)}, ${sqlLiteral(now)}, ${importId}, ${importId})`;
}

// Named parameters (better-sqlite3 does not bind numbered ?N positionally): @v0..@vN are the
// CONTACT_COLUMNS values, then @now, @import_id, @id.
const v = (column: ContactColumn): string => `@v${CONTACT_COLUMNS.indexOf(column)}`;
const CONTACT_UPDATE = `
  UPDATE contacts SET
    ${CONTACT_COLUMNS.map((c) => (c === 'tags'
      ? `tags = CASE WHEN ${v(c)} = '[]' THEN tags ELSE ${v(c)} END`
      : c === 'attributes' ? `attributes = json_patch(attributes, ${v(c)})`
      // A stored customer code is never replaced (a survivor keeps its own); a missing one is filled in.
      : c === 'external_id' ? `external_id = coalesce(external_id, ${v(c)})` : `${c} = coalesce(${v(c)}, ${c})`)).join(',\n    ')},
    updated_at = @now, last_import_id = @import_id
  WHERE id = @id AND status <> 'erased' AND (
    ${UPDATABLE.map((c) => `(${v(c)} IS NOT NULL AND ${v(c)} IS NOT ${c})`).join('\n    OR ')}
    OR (${v('tags')} <> '[]' AND ${v('tags')} IS NOT tags)
    OR json_patch(attributes, ${v('attributes')}) IS NOT attributes)`;

function updateParams(values: Array<string | null>, now: string, importId: number, id: number): Record<string, unknown> {
  const params: Record<string, unknown> = { now, import_id: importId, id };
  values.forEach((value, i) => {
    params[`v${i}`] = value;
  });
  return params;
}

const TAGS_AT = CONTACT_COLUMNS.indexOf('tags');
const ATTRIBUTES_AT = CONTACT_COLUMNS.indexOf('attributes');
const UPDATABLE_AT = UPDATABLE.map((column) => CONTACT_COLUMNS.indexOf(column));

/** A stored contact as a re-import reads it: id, status, merged_into, tags, then the UPDATABLE columns. */
type StoredContact = [number, string, number | null, string, ...Array<string | null>];
const STORED_CONTACT = `SELECT id, status, merged_into, tags, ${UPDATABLE.join(', ')} FROM contacts WHERE source = ? AND external_key = ?`;

/**
 * True when CONTACT_UPDATE would change nothing, by the same test as its WHERE: no value the file gives
 * differs from the stored one, no new tags, no attributes. A row with attributes is left to the UPDATE
 * (json_patch decides there).
 */
/** The cheap keys import derives from a field: when the field keeps its stored value, so do they. */
const DERIVED_AT: Partial<Record<ContactColumn, number>> = {
  email: CONTACT_COLUMNS.indexOf('email_norm'),
  phone: CONTACT_COLUMNS.indexOf('phone_digits'),
  mobile: CONTACT_COLUMNS.indexOf('mobile_digits'),
};
const COUNTRY_AT = CONTACT_COLUMNS.indexOf('country');
const STORED_COUNTRY_AT = 4 + UPDATABLE.indexOf('country');

function sameAsStored(stored: StoredContact, params: Array<string | null>): boolean {
  for (let i = 0; i < UPDATABLE_AT.length; i++) {
    const value = params[UPDATABLE_AT[i]!]!;
    if (value !== null && value !== stored[4 + i]) return false;
  }
  const tags = params[TAGS_AT];
  return (tags === '[]' || tags === stored[3]) && params[ATTRIBUTES_AT] === '{}';
}

const PURCHASE_FIELDS = ['contact_id', 'ordered_at', 'amount_minor', 'currency', 'quantity', 'unit_price_minor',
  'product_ref', 'product', 'category', 'channel', 'status', 'attributes'] as const;

export class ImportWriter {
  readonly counts: WriteCounts = { inserted: 0, updated: 0, unchanged: 0, rejected: 0, contactsCreated: 0, flagged: 0, keptAsCleaned: 0, repeated: 0, consentConflicts: 0, suppressed: 0 };
  readonly notes: WriteNotes = { repeated: [], consentConflicts: [] };
  private fileRows: FileRows | null = null;
  private readonly keep: KeepStored | null;
  private readonly erased: ErasedGate | null;
  private readonly deleteFileGrants;
  private readonly now = new Date().toISOString();
  private readonly insertContact;
  private readonly updateContact;
  private readonly contactByKey;
  private readonly storedContact;
  private readonly contactByEmail;
  private readonly contactById;
  private readonly latestConsent;
  private readonly insertReject;
  private readonly purchaseByKey;
  private readonly insertPurchase;
  private readonly updatePurchase;
  /** Contacts and consents indexes dropped for a first bulk load, recreated by `finish`. */
  private droppedIndexes: Array<{ name: string; sql: string }> = [];
  /** Line numbers handed out per order in this file (line-level exports without a line column only). */
  private readonly orderLines: OrderLineCounter;
  /** Recent customer references -> contact id: line-level exports repeat the same customer on every line. */
  private readonly customerCache = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly importId: number,
    private readonly source: string,
    options: { lineLevel?: boolean; bulk?: boolean; keep?: KeepStored; erased?: ErasedGate | null } = {},
  ) {
    this.lineLevel = options.lineLevel ?? false;
    this.keep = options.keep ?? null;
    this.erased = options.erased ?? null;
    this.deleteFileGrants = db.prepare("DELETE FROM consents WHERE contact_id = ? AND channel = ? AND import_id = ? AND status = 'granted'");
    this.orderLines = new OrderLineCounter(db);
    this.insertContact = db.prepare(contactInsert(source, this.now, importId));
    this.updateContact = db.prepare(CONTACT_UPDATE);
    this.contactByKey = db.prepare('SELECT id, status, merged_into FROM contacts WHERE source = ? AND external_key = ?');
    this.storedContact = db.prepare(STORED_CONTACT).raw();
    this.contactByEmail = db.prepare(
      `SELECT id, status, merged_into FROM contacts WHERE email_norm = ?
       ORDER BY status IN ('merged', 'erased'), updated_at DESC, id DESC LIMIT 1`,
    );
    this.contactById = db.prepare('SELECT id, status, merged_into FROM contacts WHERE id = ?');
    this.latestConsent = db.prepare('SELECT status FROM consents WHERE contact_id = ? AND channel = ? ORDER BY recorded_at DESC, id DESC LIMIT 1').pluck();

    this.insertReject = db.prepare('INSERT INTO rejects (import_id, row_number, raw, reasons, row_imported) VALUES (?, ?, ?, ?, ?)');
    this.purchaseByKey = db.prepare(`SELECT id, ${PURCHASE_FIELDS.join(', ')} FROM purchases WHERE source = ? AND order_ref = ? AND line_no = ?`).raw();
    this.insertPurchase = db.prepare(
      `INSERT INTO purchases (source, order_ref, line_no, ${PURCHASE_FIELDS.join(', ')}, import_id)
       VALUES (${new Array(PURCHASE_FIELDS.length + 4).fill('?').join(', ')})`,
    );
    this.updatePurchase = db.prepare(
      `UPDATE purchases SET ${PURCHASE_FIELDS.map((c) => `${c} = @${c}`).join(', ')}, import_id = @import_id
       WHERE id = @id AND (${PURCHASE_FIELDS.map((c) => `@${c} IS NOT ${c}`).join(' OR ')})`,
    );
    if (options.bulk) this.dropContactIndexes();
    // A first load never reads consents back until finish(): they can wait and go in hundreds.
    this.consents = new ConsentBatch(db, importId, this.now, options.bulk ? BULK_ROWS : 1);
  }

  private readonly consents: ConsentBatch;

  private readonly lineLevel: boolean;

  private dropContactIndexes(): void {
    // Consents are empty too when contacts are (they reference them): their index is rebuilt as well.
    // An index only on columns an import never writes (validate's e164 keys) stays: its partial WHERE skips
    // every new row for nothing, where rebuilding it would scan the whole table (0.15 s a million rows).
    this.droppedIndexes = this.db.prepare(
      `SELECT name, sql FROM sqlite_master m WHERE type = 'index' AND tbl_name IN ('contacts', 'consents') AND sql IS NOT NULL
         AND (tbl_name = 'consents' OR EXISTS (SELECT 1 FROM pragma_index_info(m.name) WHERE name IN (${IMPORTED_COLUMNS.map(sqlLiteral).join(', ')})))`,
    ).all() as Array<{ name: string; sql: string }>;
    for (const index of this.droppedIndexes) this.db.exec(`DROP INDEX "${index.name}"`);
  }

  private get bulk(): boolean {
    return this.droppedIndexes.length > 0;
  }

  private contactParams(values: Partial<Record<ContactColumn, string | null>>): Array<string | null> {
    const params = new Array<string | null>(CONTACT_COLUMNS.length);
    for (let i = 0; i < CONTACT_COLUMNS.length; i++) params[i] = values[CONTACT_COLUMNS[i]!] ?? null;
    params[TAGS_AT] ??= '[]';
    params[ATTRIBUTES_AT] ??= '{}';
    return params;
  }

  /**
   * Inserts or updates a contact, and says which it did: `changed` is false when the contact exists and
   * nothing would change (its id is then the record that holds it, the survivor of a merge).
   */
  private writeContact(externalKey: string, values: Partial<Record<ContactColumn, string | null>>): { id: number; created: boolean; changed: boolean } {
    const params = this.contactParams(values);
    if (!this.bulk) {
      const stored = this.storedContact.get(this.source, externalKey) as StoredContact | undefined;
      if (stored) {
        const [id, status, mergedInto] = stored;
        if (status === 'erased') return { id, created: false, changed: false };
        if (status !== 'merged') {
          // Most rows of a re-imported export did not change: seen from the read, they cost no UPDATE.
          if (sameAsStored(stored, params)) return { id, created: false, changed: false };
          if (this.keep && this.keepCleaned(stored, params) && sameAsStored(stored, params)) return { id, created: false, changed: false };
        }
        // A record dedupe merged away: its newer values go to the survivor, which is the one exported.
        const target = this.survivor({ id, status, merged_into: mergedInto }) ?? id;
        const changed = this.updateContact.run(updateParams(params, this.now, this.importId, target)).changes > 0;
        return { id: target, created: false, changed };
      }
    }
    const info = this.insertContact.run(newUid(), externalKey, ...params);
    return { id: Number(info.lastInsertRowid), created: true, changed: true };
  }

  /**
   * Leaves a cell the stored value when it is that value in another spelling, or what clean replaced
   * (validate/reimport.ts): its parameter becomes null, which the UPDATE reads as "keep". True when any
   * cell was kept.
   */
  private keepCleaned(stored: StoredContact, params: Array<string | null>): boolean {
    let kept = false;
    const country = params[COUNTRY_AT] ?? (stored[STORED_COUNTRY_AT] as string | null) ?? null;
    for (let i = 0; i < UPDATABLE_AT.length; i++) {
      const at = UPDATABLE_AT[i]!;
      const value = params[at];
      const storedValue = stored[4 + i] as string | null;
      if (value === null || value === undefined || storedValue === null || storedValue === undefined || value === storedValue) continue;
      const field = CONTACT_COLUMNS[at]!;
      if (!this.keep!.fields.has(field) || !this.keep!.keepsStored(stored[0], field, value, storedValue, country)) continue;
      params[at] = null;
      const derived = DERIVED_AT[field];
      if (derived !== undefined) params[derived] = null;
      this.counts.keptAsCleaned++;
      kept = true;
    }
    return kept;
  }

  private get rows(): FileRows {
    this.fileRows ??= new FileRows((this.db.prepare('SELECT coalesce(max(id), 0) FROM contacts').pluck().get() as number) + 1024);
    return this.fileRows;
  }

  /** Writes the row's contact and consents; false when the row is about an erased person (nothing written). */
  contact(draft: ContactDraft, rowNumber: number): boolean {
    if (this.erased?.contact(draft.externalKey, draft.values)) {
      this.counts.suppressed++;
      return false;
    }
    const result = this.writeContact(draft.externalKey, draft.values);
    if (result.created) this.counts.inserted++;
    else if (result.changed) this.counts.updated++;
    else this.counts.unchanged++;
    const contactId = result.id;
    const rows = this.rows;
    const firstRow = rows.visit(contactId, rowNumber);
    if (firstRow !== 0) {
      this.counts.repeated++;
      if (this.notes.repeated.length < NOTES) this.notes.repeated.push({ row: rowNumber, firstRow });
    }
    for (const consent of draft.consents) {
      const status = consent.granted ? 'granted' : 'withdrawn';
      // Within one file, a withdrawal wins over a grant for the same person, whatever their order.
      if (firstRow !== 0 && rows.has(contactId, consent.channel, consent.granted ? 'withdrawn' : 'granted')) {
        this.conflict(contactId, consent.channel, firstRow, rowNumber);
        if (consent.granted) continue;
        this.deleteFileGrants.run(contactId, consent.channel, this.importId);
      }
      rows.note(contactId, consent.channel, status);
      if (!result.created && this.latestConsent.get(contactId, consent.channel) === status) continue;
      this.consents.add(contactId, rowNumber, { channel: consent.channel, status, column: consent.column });
    }
    return true;
  }

  private conflict(contactId: number, channel: Channel, firstRow: number, row: number): void {
    if (!this.rows.conflict(contactId, channel)) return;
    this.counts.consentConflicts++;
    if (this.notes.consentConflicts.length < NOTES) this.notes.consentConflicts.push({ channel, rows: [firstRow, row] });
  }

  /** A row imported with cells that could not be read: listed with the rejects, marked as imported. */
  flag(rowNumber: number, raw: string[], reasons: RejectReason[]): void {
    this.counts.flagged++;
    this.insertReject.run(this.importId, rowNumber, JSON.stringify(raw), JSON.stringify(reasons), 1);
  }

  /** Follows merges to the surviving record, so orders of a merged customer land on the survivor. */
  private survivor(row: { id: number; status: string; merged_into: number | null } | undefined): number | undefined {
    let current = row;
    for (let hops = 0; current && current.status === 'merged' && current.merged_into !== null && hops < 50; hops++) {
      current = this.contactById.get(current.merged_into) as typeof current;
    }
    return current?.id;
  }

  private resolveCustomer(customer: PurchaseDraft['customer']): number {
    const cacheKey = customer.externalId !== null ? `c:${customer.externalId}` : `e:${customer.emailNorm}`;
    const cached = this.customerCache.get(cacheKey);
    if (cached !== undefined) return cached;
    let id: number | undefined;
    if (customer.externalId !== null) id = this.survivor(this.contactByKey.get(this.source, customer.externalId) as never);
    if (id === undefined && customer.emailNorm !== null) id = this.survivor(this.contactByEmail.get(customer.emailNorm) as never);
    if (id === undefined) {
      // An orders-only user must still be able to score: the unknown customer becomes a minimal contact.
      const key = customer.externalId ?? `email:${customer.emailNorm}`;
      const result = this.writeContact(key, { ...customer.values, external_id: customer.externalId });
      id = result.id;
      if (result.created) this.counts.contactsCreated++;
    }
    if (this.customerCache.size >= 10_000) this.customerCache.clear();
    this.customerCache.set(cacheKey, id);
    return id;
  }

  purchase(draft: PurchaseDraft): void {
    // An order naming an erased customer is not stored: lines imported before the erasure stay, unlinked.
    if (this.erased?.customer(draft.customer)) {
      this.counts.suppressed++;
      return;
    }
    const contactId = this.resolveCustomer(draft.customer);
    // The n-th line of an order in the file is line n, so re-importing the same file meets the same lines.
    let lineNo = draft.lineNo ?? 1;
    if (draft.lineNo === null && this.lineLevel) {
      lineNo = this.orderLines.next(draft.orderRef);
    }
    const values = [contactId, draft.orderedAt, draft.amountMinor, draft.currency, draft.quantity, draft.unitPriceMinor,
      draft.productRef, draft.product, draft.category, draft.channel, draft.status, draft.attributes];
    const stored = this.purchaseByKey.get(this.source, draft.orderRef, lineNo) as [number, ...unknown[]] | undefined;
    if (stored === undefined) {
      this.insertPurchase.run(this.source, draft.orderRef, lineNo, ...values, this.importId);
      this.counts.inserted++;
    } else if (values.some((value, i) => value !== stored[i + 1]) // the update's own test, seen from the read
      && this.updatePurchase.run({ ...Object.fromEntries(PURCHASE_FIELDS.map((c, i) => [c, values[i]])), import_id: this.importId, id: stored[0] }).changes > 0) {
      this.counts.updated++;
    }
    else this.counts.unchanged++;
  }

  reject(rowNumber: number, raw: string[], reasons: RejectReason[]): void {
    if (this.erased?.cells(raw)) {
      this.counts.suppressed++;
      return;
    }
    this.counts.rejected++;
    this.insertReject.run(this.importId, rowNumber, JSON.stringify(raw), JSON.stringify(reasons), 0);
  }

  /**
   * After a bulk load: rows of the file that shared a key (the same customer code twice) are folded into
   * the first one as a re-import would have done, then the indexes are rebuilt.
   */
  finish(): void {
    this.orderLines.close();
    this.consents.flush();
    if (!this.bulk) return;
    const keyIndex = this.droppedIndexes.find((i) => i.name === 'contacts_key');
    if (keyIndex) {
      try {
        this.db.exec(keyIndex.sql);
        this.droppedIndexes = this.droppedIndexes.filter((i) => i !== keyIndex);
      } catch (error) {
        if (!/UNIQUE constraint/i.test((error as Error).message)) throw error;
        this.foldDuplicateKeys();
      }
    }
    for (const index of this.droppedIndexes) this.db.exec(index.sql);
    this.droppedIndexes = [];
  }

  private foldDuplicateKeys(): void {
    const duplicates = this.db.prepare(
      `SELECT external_key, group_concat(id) AS ids FROM (SELECT external_key, id FROM contacts WHERE source = ? ORDER BY id)
       GROUP BY external_key HAVING count(*) > 1`,
    ).all(this.source) as Array<{ external_key: string; ids: string }>;
    const load = this.db.prepare(`SELECT ${CONTACT_COLUMNS.join(', ')} FROM contacts WHERE id = ?`);
    const moveConsents = this.db.prepare('UPDATE consents SET contact_id = ? WHERE contact_id = ?');
    const movePurchases = this.db.prepare('UPDATE purchases SET contact_id = ? WHERE contact_id = ?');
    const remove = this.db.prepare('DELETE FROM contacts WHERE id = ?');
    const rows = this.rows;
    for (const { ids } of duplicates) {
      const [first, ...later] = ids.split(',').map(Number) as [number, ...number[]];
      for (const id of later) {
        this.counts.repeated++;
        if (this.notes.repeated.length < NOTES) this.notes.repeated.push({ row: rows.rowOf(id), firstRow: rows.rowOf(first) });
        rows.fold(id, first);
        for (const channel of rows.conflicting(first)) this.conflict(first, channel, rows.rowOf(first), rows.rowOf(id));
        const row = load.get(id) as Record<ContactColumn, string | null>;
        const changed = this.updateContact.run(updateParams(this.contactParams(row), this.now, this.importId, first)).changes > 0;
        moveConsents.run(first, id);
        movePurchases.run(first, id);
        remove.run(id);
        this.counts.inserted--;
        if (changed) this.counts.updated++;
        else this.counts.unchanged++;
      }
      for (const channel of rows.conflicting(first)) this.deleteFileGrants.run(first, channel, this.importId);
    }
  }
}
