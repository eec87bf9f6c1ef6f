/**
 * The suppression list: people who must not be contacted again on a channel (unsubscribed, bounced, on an
 * opposition list) or at all (erased). Only a SHA-256 of the normalised address is stored.
 */
import path from 'node:path';
import type { CountryCode } from 'libphonenumber-js';
import { inWriteTransaction, type Db } from '../store/db.js';
import { inspectFile, sniffDelimiter, sniffEncoding } from '../io/sniff.js';
import { readCsvRows, readTextHead, type Cell } from '../io/readers.js';
import { readXlsxSheets } from '../io/xlsx.js';
import { emailHash, looksLikeEmail, normaliseEmail, normalisePhone, nowIso, osUser, phoneHash } from './keys.js';
import { recordAudit } from '../gdpr/audit.js';
import { quoted, quotedList } from '../io/quote.js';

export type SuppressionKind = 'unsubscribed' | 'bounced' | 'opposition' | 'erased';
export const SUPPRESSION_KINDS: readonly SuppressionKind[] = ['unsubscribed', 'bounced', 'opposition', 'erased'];
export type KeyType = 'email' | 'phone';

export class SuppressionInputError extends Error {}

interface Key {
  hash: string;
  keyType: KeyType;
}

/** An email or a phone as typed, to its suppression key; null when it is neither. */
export function suppressionKey(text: string, country: CountryCode): Key | null {
  if (looksLikeEmail(text)) {
    const email = normaliseEmail(text);
    return email ? { hash: emailHash(email), keyType: 'email' } : null;
  }
  const phone = normalisePhone(text, country);
  return phone ? { hash: phoneHash(phone), keyType: 'phone' } : null;
}

function insertStatement(db: Db) {
  return db.prepare(
    `INSERT INTO suppressions (hash, key_type, kind, source, created_at, os_user) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (hash, kind) DO NOTHING`,
  );
}

/** Adds one address; returns false when it was already suppressed for that kind. */
export function addSuppression(db: Db, text: string, kind: SuppressionKind, country: CountryCode = 'FR'): { added: boolean; keyType: KeyType } {
  const key = suppressionKey(text, country);
  if (!key) throw new SuppressionInputError(`"${text}" is neither an email address nor a phone number${/^\d/.test(text.trim()) ? ` (national numbers are read as ${country}; pass --country or write +CC...)` : ''}`);
  const info = insertStatement(db).run(key.hash, key.keyType, kind, 'manual', nowIso(), osUser());
  return { added: info.changes > 0, keyType: key.keyType };
}

/** Finds the address column of a mailing tool's export by its header. */
const EMAIL_HEADERS = ['email', 'emailaddress', 'mail', 'courriel', 'adressemail', 'adresseemail', 'adresseelectronique', 'emailadresse'];
const PHONE_HEADERS = ['phone', 'phonenumber', 'sms', 'mobile', 'mobilephone', 'mobilephonenumber', 'telephone', 'tel', 'portable', 'landlinenumber', 'numero', 'msisdn'];

function headerKey(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]/g, '');
}

export function findAddressColumn(headers: string[], wanted?: string): number {
  const keys = headers.map(headerKey);
  if (wanted !== undefined) {
    const index = keys.indexOf(headerKey(wanted));
    if (index < 0) throw new SuppressionInputError(`--column ${quoted(wanted)}: no such column (columns: ${quotedList(headers, 'columns')})`);
    return index;
  }
  const email = keys.findIndex((k) => EMAIL_HEADERS.includes(k));
  if (email >= 0) return email;
  const emailLike = keys.findIndex((k) => k.includes('email'));
  if (emailLike >= 0) return emailLike;
  const phone = keys.findIndex((k) => PHONE_HEADERS.includes(k));
  if (phone >= 0) return phone;
  throw new SuppressionInputError(`no email or phone column found (columns: ${quotedList(headers, 'columns')}); name it with --column`);
}

export interface ImportOptions {
  kind: SuppressionKind;
  column?: string;
  country?: CountryCode;
}

export interface ImportSummary {
  file: string;
  column: string;
  rows: number;
  added: number;
  already: number;
  empty: number;
  /** Rows whose cell is neither an email nor a phone: row numbers only (the header is row 1). */
  rejected: { row: number; column: string; reason: string }[];
}

async function* fileRows(file: string): AsyncGenerator<{ number: number; cells: Cell[] }, void, undefined> {
  if (path.extname(file).toLowerCase() === '.xlsx') {
    for await (const sheet of readXlsxSheets(file)) {
      yield* sheet.rows;
      return; // the first sheet: mailing tools export one
    }
    return;
  }
  const facts = await inspectFile(file);
  const encoding = sniffEncoding(facts);
  const delimiter = sniffDelimiter(await readTextHead(file, encoding));
  let number = 0;
  for await (const batch of readCsvRows(file, encoding, delimiter)) {
    for (const cells of batch) {
      number++;
      if (cells.length === 1 && cells[0] === '') continue;
      yield { number, cells };
    }
  }
}

/**
 * Loads a mailing tool's unsubscribe / bounce export in one transaction: every row or none. A file whose
 * first row already holds an address has no header; its first column is read.
 */
export async function importSuppressions(db: Db, file: string, options: ImportOptions): Promise<ImportSummary> {
  const country = options.country ?? 'FR';
  const insert = insertStatement(db);
  const summary: ImportSummary = { file, column: '', rows: 0, added: 0, already: 0, empty: 0, rejected: [] };
  const source = path.basename(file);
  const created = nowIso();
  const user = osUser();
  let index = -1;
  await inWriteTransaction(db, async () => {
    for await (const row of fileRows(file)) {
      const cells = row.cells.map((c) => (c === null ? '' : c instanceof Date ? c.toISOString() : String(c)));
      if (index < 0) {
        const headerless = options.column === undefined && cells.some((c) => suppressionKey(c, country) !== null && looksLikeEmail(c));
        if (!headerless) {
          index = findAddressColumn(cells, options.column);
          summary.column = cells[index]!;
          continue;
        }
        index = cells.findIndex((c) => looksLikeEmail(c));
        summary.column = `column ${index + 1}`;
      }
      summary.rows++;
      const text = (cells[index] ?? '').trim();
      if (!text) {
        summary.empty++;
        continue;
      }
      const key = suppressionKey(text, country);
      if (!key) {
        summary.rejected.push({ row: row.number, column: summary.column, reason: 'neither an email address nor a phone number' });
        continue;
      }
      const info = insert.run(key.hash, key.keyType, options.kind, source, created, user);
      if (info.changes > 0) summary.added++;
      else summary.already++;
    }
    if (index < 0) throw new SuppressionInputError(`${file}: the file is empty`);
    recordAudit(db, { action: 'suppress.import', counts: { rows: summary.rows, added: summary.added, already: summary.already, rejected: summary.rejected.length }, details: { kind: options.kind } });
  });
  return summary;
}

export function suppressionCounts(db: Db): { kind: string; key_type: string; n: number }[] {
  return db.prepare('SELECT kind, key_type, count(*) AS n FROM suppressions GROUP BY kind, key_type ORDER BY kind, key_type').all() as { kind: string; key_type: string; n: number }[];
}
