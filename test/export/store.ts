/**
 * Test stores for the export stage, filled with SQL: contacts with their validated columns already set
 * (validated_at = updated_at, so ensureValidated leaves them alone), consents, and a score run shaped as
 * CONTRIBUTING.md's contract (created here only when the score stage has not made the tables).
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { openStore, type Db } from '../../src/store/db.js';
import * as validate from '../../src/validate/ensure.js';
import { tempDir } from '../helpers/cli.js';

export function makeStore(file = path.join(tempDir(), 'test.db')): { db: Db; file: string } {
  return { db: openStore(file), file };
}

export interface ContactInput {
  email?: string | null;
  emailValid?: 0 | 1 | null;
  firstName?: string | null;
  lastName?: string | null;
  sms?: string | null;
  phone?: string | null;
  mobile?: string | null;
  address?: string | null;
  postalCode?: string | null;
  city?: string | null;
  country?: string | null;
  birthDate?: string | null;
  company?: string | null;
  tags?: string[];
  status?: 'active' | 'inactive' | 'merged' | 'erased';
  updatedAt?: string;
  source?: string;
}

let counter = 0;

/**
 * The validate stage also revalidates rows whose `validated_key` (rules version and default country) is
 * not its current one. Stamping it, when that stage is present, keeps the columns these tests set.
 */
export function freshValidationKey(db: Db): string | null {
  const keyOf = (validate as Record<string, unknown>).validationKey as ((country: string) => string) | undefined;
  const hasColumn = (db.prepare('PRAGMA table_info(contacts)').all() as { name: string }[]).some((c) => c.name === 'validated_key');
  return keyOf && hasColumn ? keyOf('FR') : null;
}

export function addContact(db: Db, input: ContactInput): number {
  counter++;
  const updated = input.updatedAt ?? '2026-01-01 00:00:00';
  const email = input.email ?? null;
  const addressComplete = input.address && input.postalCode && input.city ? 1 : 0;
  const info = db
    .prepare(
      `INSERT INTO contacts (uid, source, external_key, first_name, last_name, email, email_norm, phone, mobile,
         address_line1, postal_code, city, country, birth_date, company, tags, imported_at, updated_at, status,
         email_valid, phone_e164, mobile_e164, sms_e164, postal_code_norm, country_code, address_complete, validated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      crypto.randomUUID(),
      input.source ?? 'test',
      `k${counter}-${crypto.randomUUID()}`,
      input.firstName ?? null,
      input.lastName ?? null,
      email,
      email === null ? null : email.trim().toLowerCase(),
      input.phone ?? null,
      input.mobile ?? input.sms ?? null,
      input.address ?? null,
      input.postalCode ?? null,
      input.city ?? null,
      input.country ?? null,
      input.birthDate ?? null,
      input.company ?? null,
      JSON.stringify(input.tags ?? []),
      updated,
      updated,
      input.status ?? 'active',
      input.emailValid !== undefined ? input.emailValid : email === null ? null : 1,
      input.phone ?? null,
      input.mobile ?? input.sms ?? null,
      input.sms ?? null,
      input.postalCode ?? null,
      input.country ?? null,
      addressComplete,
      updated,
    );
  const id = Number(info.lastInsertRowid);
  const key = freshValidationKey(db);
  if (key !== null) db.prepare('UPDATE contacts SET validated_key = ? WHERE id = ?').run(key, id);
  return id;
}

export function addConsent(db: Db, contactId: number, channel: string, status: 'granted' | 'withdrawn', recordedAt = '2025-06-01 00:00:00'): void {
  db.prepare('INSERT INTO consents (contact_id, channel, status, recorded_at, source) VALUES (?, ?, ?, ?, ?)').run(contactId, channel, status, recordedAt, 'test');
}

/**
 * Score tables shaped as the score stage makes them (migration 30: scores keyed on (run_id, contact_id)
 * WITHOUT ROWID), created only when that stage's migration has not made them.
 */
export function ensureScoreTables(db: Db): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS score_runs (
      id INTEGER PRIMARY KEY, as_of TEXT NOT NULL, method TEXT NOT NULL, bins INTEGER NOT NULL, binning TEXT NOT NULL,
      segment_map TEXT NOT NULL, parameters TEXT NOT NULL DEFAULT '{}', created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
      UNIQUE (as_of, method));
    CREATE TABLE IF NOT EXISTS scores (
      run_id INTEGER NOT NULL REFERENCES score_runs(id) ON DELETE CASCADE, contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
      recency_days INTEGER, frequency INTEGER NOT NULL, monetary_minor INTEGER NOT NULL, last_purchase_at TEXT,
      r_score INTEGER, f_score INTEGER, m_score INTEGER, segment TEXT NOT NULL,
      PRIMARY KEY (run_id, contact_id)) WITHOUT ROWID;`);
}

export function addScoreRun(db: Db, asOf = '2026-06-30'): number {
  ensureScoreTables(db);
  const now = new Date().toISOString();
  return Number(
    db.prepare("INSERT INTO score_runs (as_of, method, bins, binning, segment_map, created_at, updated_at) VALUES (?, 'rfm', 5, 'quantile', 'default', ?, ?)").run(asOf, now, now).lastInsertRowid,
  );
}

export interface ScoreInput {
  segment: string;
  r?: number;
  f?: number;
  m?: number;
  recencyDays?: number;
  frequency?: number;
  monetaryMinor?: number;
  lastPurchase?: string;
}

export function addScore(db: Db, runId: number, contactId: number, s: ScoreInput): void {
  db.prepare(
    `INSERT INTO scores (run_id, contact_id, recency_days, frequency, monetary_minor, r_score, f_score, m_score, segment, last_purchase_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(runId, contactId, s.recencyDays ?? 30, s.frequency ?? 2, s.monetaryMinor ?? 10000, s.r ?? 3, s.f ?? 3, s.m ?? 3, s.segment, s.lastPurchase ?? '2026-05-01');
}

/** A reachable, consenting email contact in one call. */
export function addEmailable(db: Db, input: ContactInput & { email: string }): number {
  const id = addContact(db, input);
  addConsent(db, id, 'email', 'granted');
  return id;
}
