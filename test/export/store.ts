/**
 * Test stores for the export stage, filled with SQL: contacts with their validated columns already set
 * (validated_at = updated_at and the current validation key, so ensureValidated leaves them alone),
 * consents, and score runs in the score stage's tables.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { openStore, type Db } from '../../src/store/db.js';
import { defaultCountryOf, validationKey } from '../../src/validate/ensure.js';
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
 * The validate stage revalidates rows whose `validated_key` (rules version and default country) is not
 * its current one: stamping it keeps the validated columns these tests set.
 */
export function freshValidationKey(db: Db): string {
  return validationKey(defaultCountryOf(db));
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
  db.prepare('UPDATE contacts SET validated_key = ? WHERE id = ?').run(freshValidationKey(db), id);
  return id;
}

export function addConsent(db: Db, contactId: number, channel: string, status: 'granted' | 'withdrawn', recordedAt = '2025-06-01 00:00:00'): void {
  db.prepare('INSERT INTO consents (contact_id, channel, status, recorded_at, source) VALUES (?, ?, ?, ?, ?)').run(contactId, channel, status, recordedAt, 'test');
}

/** A score run as the score stage records one (its migrations make the tables). */
export function addScoreRun(db: Db, asOf = '2026-06-30'): number {
  return Number(db.prepare("INSERT INTO score_runs (as_of, method) VALUES (?, 'rfm')").run(asOf).lastInsertRowid);
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
