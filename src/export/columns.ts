/**
 * What an export can write: the columns (data: SQL, value kind) and the mailing-tool presets (data: header
 * names, value formats, file limits). Adding a column or a preset is adding an entry here.
 */
import type { Channel } from '../store/types.js';

/**
 * How a value is written. `text` is free text from imported files and is neutralised in CSV meant for
 * spreadsheets; addresses and identifiers (`email`, `e164` phones, `code`: postal and customer codes,
 * `id`: uids custkit made) are written byte-exact in every format when they have their kind's shape;
 * `number` and `date` are values the store validated, written as they are (when they have that shape).
 */
export type ValueKind = 'text' | 'email' | 'e164' | 'code' | 'number' | 'date' | 'id' | 'tags';

export interface ColumnDef {
  sql: string;
  kind: ValueKind;
  /** Reads the selected score run (alias `s`). */
  scores?: boolean;
  /** Identifies the person: a seed row leaves it empty (or fills it with the seed's own value). */
  personal?: boolean;
  /** A real number, written the way JavaScript writes numbers (SQLite's text for it differs). */
  real?: boolean;
}

/** Headers of imported state / region columns (compared lower-case, without spaces and punctuation). */
const REGION_KEYS = ['state', 'region', 'province', 'stateregion', 'stateprovince', 'provincecode', 'statecode', 'county', 'etat', 'provincia', 'bundesland'];
const REGION_SQL = `(SELECT j.value FROM json_each(c.attributes) j
   WHERE lower(replace(replace(replace(replace(j.key, ' ', ''), '/', ''), '_', ''), '-', '')) IN (${REGION_KEYS.map((k) => `'${k}'`).join(', ')})
     AND j.type = 'text' AND trim(j.value) <> '' LIMIT 1)`;

/** The record's current choice for a channel: granted, withdrawn or none. */
function consentSql(channel: string): string {
  return `coalesce((SELECT k.status FROM consents k WHERE k.contact_id = c.id AND k.channel = ${channel}
                    ORDER BY k.recorded_at DESC, k.id DESC LIMIT 1), 'none')`;
}

/** When the record's current choice for a channel was recorded (null without one). */
function consentAtSql(channel: string): string {
  return `(SELECT k.recorded_at FROM consents k WHERE k.contact_id = c.id AND k.channel = ${channel}
           ORDER BY k.recorded_at DESC, k.id DESC LIMIT 1)`;
}

/**
 * A channel's address, only when the person may be reached on that channel: consent granted (their
 * latest choice across the records sharing the address) and the address not suppressed. A preset writes
 * the addresses of channels other than the export's through these: a mailing tool treats an address it
 * is given as subscribed (Brevo: every channel not blocklisted), so a refused SMS must not travel in an
 * email list. The export's own channel is checked by its rules (select.ts, gate.ts).
 */
function marketableSql(column: string, lookup: string, channel: 'email' | 'sms' | 'phone', keyType: 'email' | 'phone'): string {
  const hash = keyType === 'email' ? `ck_email_hash(c.${column})` : `ck_sha256(c.${column})`;
  const valid = channel === 'email' ? 'c.email_valid = 1 AND ' : '';
  return `CASE WHEN ${valid}c.${column} IS NOT NULL
      AND (SELECT k.status FROM contacts c2 JOIN consents k ON k.contact_id = c2.id
           WHERE c2.${lookup} = c.${column} AND k.channel = '${channel}'
           ORDER BY k.recorded_at DESC, k.id DESC LIMIT 1) = 'granted'
      AND NOT EXISTS (SELECT 1 FROM suppressions x WHERE x.hash = ${hash} AND x.key_type = '${keyType}')
    THEN c.${column} END`;
}

/** `@channel` in a column's SQL is replaced by the export's channel (from the fixed Channel set). */
export const COLUMNS: Record<string, ColumnDef> = {
  uid: { sql: 'c.uid', kind: 'id', personal: true },
  external_id: { sql: 'c.external_id', kind: 'code', personal: true },
  source: { sql: 'c.source', kind: 'text' },
  civility: { sql: 'c.civility', kind: 'text', personal: true },
  first_name: { sql: 'c.first_name', kind: 'text', personal: true },
  last_name: { sql: 'c.last_name', kind: 'text', personal: true },
  email: { sql: 'c.email_norm', kind: 'email', personal: true },
  phone: { sql: 'c.phone_e164', kind: 'e164', personal: true },
  mobile: { sql: 'c.mobile_e164', kind: 'e164', personal: true },
  sms: { sql: 'c.sms_e164', kind: 'e164', personal: true },
  address_line1: { sql: 'c.address_line1', kind: 'text', personal: true },
  address_line2: { sql: 'c.address_line2', kind: 'text', personal: true },
  postal_code: { sql: 'coalesce(c.postal_code_norm, c.postal_code)', kind: 'code', personal: true },
  city: { sql: 'c.city', kind: 'text', personal: true },
  country: { sql: 'c.country_code', kind: 'text' },
  birth_date: { sql: 'c.birth_date', kind: 'date', personal: true },
  gender: { sql: 'c.gender', kind: 'text', personal: true },
  company: { sql: 'c.company', kind: 'text', personal: true },
  tags: { sql: 'c.tags', kind: 'tags' },
  created_at: { sql: 'c.created_at', kind: 'date', personal: true },
  updated_at: { sql: 'c.updated_at', kind: 'date', personal: true },
  last_activity: { sql: 'c.last_activity_at', kind: 'date', personal: true },
  status: { sql: 'c.status', kind: 'text' },
  consent: { sql: consentSql('@channel'), kind: 'text' },
  email_consent: { sql: consentSql("'email'"), kind: 'text' },
  sms_consent: { sql: consentSql("'sms'"), kind: 'text' },
  email_consent_at: { sql: consentAtSql("'email'"), kind: 'date' },
  sms_consent_at: { sql: consentAtSql("'sms'"), kind: 'date' },
  consent_at: { sql: consentAtSql('@channel'), kind: 'date' },
  /** State, region or province, from the imported columns kept in attributes (the store has no field for it). */
  region: { sql: REGION_SQL, kind: 'text', personal: true },
  email_marketable: { sql: marketableSql('email_norm', 'email_norm', 'email', 'email'), kind: 'email', personal: true },
  sms_marketable: { sql: marketableSql('sms_e164', 'sms_e164', 'sms', 'phone'), kind: 'e164', personal: true },
  mobile_marketable: { sql: marketableSql('mobile_e164', 'sms_e164', 'sms', 'phone'), kind: 'e164', personal: true },
  phone_marketable: { sql: marketableSql('phone_e164', 'phone_e164', 'phone', 'phone'), kind: 'e164', personal: true },
  segment: { sql: 's.segment', kind: 'text', scores: true },
  r: { sql: 's.r_score', kind: 'number', scores: true },
  f: { sql: 's.f_score', kind: 'number', scores: true },
  m: { sql: 's.m_score', kind: 'number', scores: true },
  rfm: { sql: "s.r_score || s.f_score || s.m_score", kind: 'number', scores: true },
  recency: { sql: 's.recency_days', kind: 'number', scores: true },
  frequency: { sql: 's.frequency', kind: 'number', scores: true },
  monetary: { sql: 's.monetary_minor / 100.0', kind: 'number', scores: true, real: true },
  last_purchase: { sql: 's.last_purchase_at', kind: 'date', scores: true },
};

/** Without --columns or --preset: who, how to reach them, and the segment when a score run exists. */
export const DEFAULT_COLUMNS = ['uid', 'first_name', 'last_name', 'email', 'sms', 'phone', 'address_line1', 'address_line2', 'postal_code', 'city', 'country', 'segment', 'r', 'f', 'm'];

export type DateFormat = 'iso' | 'dmy' | 'mdy';

/**
 * How a preset turns stored values into the tool's format. Each is a pure function of the column values
 * it names, so a preset column is data: a header, the columns it reads, and one of these.
 */
export type Transform =
  | 'value' | 'date' | 'birthday-mmdd' | 'tags-comma' | 'mailchimp-address' | 'klaviyo-consent' | 'iso-timestamp'
  | 'mailchimp-time' | 'hubspot-marketable' | 'hubspot-legal-basis' | 'uppercase';

export interface PresetColumn {
  header: string;
  /** The header for a Brevo account in French (`--lang fr`), when it differs. */
  fr?: string;
  from: string[];
  transform?: Transform;
  /** Written only when the store has a score run. */
  scores?: boolean;
  /**
   * The address of this channel: on an export for another channel, `from` is swapped for the
   * `<column>_marketable` version (written only when consented and not suppressed on this channel).
   */
  channel?: Channel;
}

export interface Preset {
  name: string;
  /** The tool's name in messages. */
  tool: string;
  /** Where its import documentation lives (cited in docs/export.md). */
  doc: string;
  columns: PresetColumn[];
  /** File types the tool's import accepts. */
  formats: readonly ('csv' | 'xlsx')[];
  delimiter: string;
  encoding: 'utf8' | 'cp1252';
  dateFormat: DateFormat;
  /** Rows per file, header included; larger exports are split into numbered files. */
  maxRowsPerFile?: number;
  /** Bytes per file the tool's import takes; larger exports are split into numbered files. */
  maxBytesPerFile?: number;
  /** Header languages (Brevo names its default attributes in the account's language). */
  langs?: readonly ('en' | 'fr')[];
  /** Which column must come first for a channel (Klaviyo reads the first column as the identifier). */
  firstFor?: Partial<Record<Channel, string>>;
}

const scoreColumns = (names: [string, string, string, string, string], fr?: [string, string, string, string, string]): PresetColumn[] => [
  { header: names[0], fr: fr?.[0], from: ['segment'], scores: true },
  { header: names[1], fr: fr?.[1], from: ['r'], scores: true },
  { header: names[2], fr: fr?.[2], from: ['f'], scores: true },
  { header: names[3], fr: fr?.[3], from: ['m'], scores: true },
  { header: names[4], fr: fr?.[4], from: ['last_purchase'], transform: 'date', scores: true },
];

const MB = 1_000_000;

export const PRESETS: Record<string, Preset> = {
  mailchimp: {
    name: 'mailchimp',
    tool: 'Mailchimp',
    doc: 'https://mailchimp.com/help/format-guidelines-for-your-import-file/',
    columns: [
      { header: 'Email Address', from: ['email'], channel: 'email' },
      { header: 'First Name', from: ['first_name'] },
      { header: 'Last Name', from: ['last_name'] },
      { header: 'Address', from: ['address_line1', 'address_line2', 'city', 'region', 'postal_code', 'country'], transform: 'mailchimp-address' },
      { header: 'Phone Number', from: ['phone'], channel: 'phone' },
      { header: 'SMS Phone Number', from: ['sms'], channel: 'sms' },
      { header: 'Birthday', from: ['birth_date'], transform: 'birthday-mmdd' },
      { header: 'Tags', from: ['tags'], transform: 'tags-comma' },
      { header: 'OPTIN_TIME', from: ['consent_at'], transform: 'mailchimp-time' },
      ...scoreColumns(['Segment', 'Recency Score', 'Frequency Score', 'Monetary Score', 'Last Purchase']),
    ],
    formats: ['csv'],
    delimiter: ',',
    encoding: 'utf8',
    dateFormat: 'iso',
  },
  brevo: {
    name: 'brevo',
    tool: 'Brevo',
    doc: 'https://help.brevo.com/hc/en-us/articles/208729849-Create-a-file-to-import-your-contacts',
    columns: [
      { header: 'EMAIL', from: ['email'], channel: 'email' },
      { header: 'FIRSTNAME', fr: 'PRENOM', from: ['first_name'] },
      { header: 'LASTNAME', fr: 'NOM', from: ['last_name'] },
      { header: 'SMS', from: ['sms'], channel: 'sms' },
      { header: 'LANDLINE_NUMBER', from: ['phone'], channel: 'phone' },
      { header: 'EXT_ID', from: ['uid'] },
      { header: 'TAGS', from: ['tags'], transform: 'tags-comma' },
      ...scoreColumns(['SEGMENT', 'RFM_R', 'RFM_F', 'RFM_M', 'LAST_PURCHASE'], ['SEGMENT', 'RFM_R', 'RFM_F', 'RFM_M', 'DERNIER_ACHAT']),
    ],
    formats: ['csv', 'xlsx'],
    delimiter: ';',
    encoding: 'utf8',
    dateFormat: 'dmy',
    maxBytesPerFile: 250 * MB,
    langs: ['en', 'fr'],
  },
  klaviyo: {
    name: 'klaviyo',
    tool: 'Klaviyo',
    doc: 'https://help.klaviyo.com/hc/en-us/articles/115005078967',
    columns: [
      { header: 'Email', from: ['email'], channel: 'email' },
      { header: 'Phone Number', from: ['sms'], channel: 'sms' },
      { header: 'First Name', from: ['first_name'] },
      { header: 'Last Name', from: ['last_name'] },
      { header: 'City', from: ['city'] },
      { header: 'Region', from: ['region'] },
      { header: 'Zip Code', from: ['postal_code'] },
      { header: 'Country', from: ['country'] },
      { header: 'Email Marketing Consent', from: ['email_consent'], transform: 'klaviyo-consent' },
      { header: 'Email Marketing Consent Timestamp', from: ['email_consent_at'], transform: 'iso-timestamp' },
      { header: 'SMS Marketing Consent', from: ['sms_consent'], transform: 'klaviyo-consent' },
      { header: 'SMS Marketing Consent Timestamp', from: ['sms_consent_at'], transform: 'iso-timestamp' },
      { header: 'Tags', from: ['tags'], transform: 'tags-comma' },
      ...scoreColumns(['Segment', 'Recency Score', 'Frequency Score', 'Monetary Score', 'Last Purchase Date']),
    ],
    formats: ['csv'],
    delimiter: ',',
    encoding: 'utf8',
    dateFormat: 'iso',
    maxBytesPerFile: 50 * MB,
    firstFor: { sms: 'Phone Number' },
  },
  hubspot: {
    name: 'hubspot',
    tool: 'HubSpot',
    doc: 'https://knowledge.hubspot.com/import-and-export/set-up-your-import-file',
    columns: [
      { header: 'Email', from: ['email'], channel: 'email' },
      { header: 'First Name', from: ['first_name'] },
      { header: 'Last Name', from: ['last_name'] },
      { header: 'Phone Number', from: ['phone'], channel: 'phone' },
      { header: 'Mobile Phone Number', from: ['mobile'], channel: 'sms' },
      { header: 'Street Address', from: ['address_line1'] },
      { header: 'City', from: ['city'] },
      { header: 'State/Region', from: ['region'] },
      { header: 'Postal Code', from: ['postal_code'] },
      { header: 'Country/Region', from: ['country'] },
      { header: 'Company Name', from: ['company'] },
      { header: 'Marketing contact status', from: ['consent'], transform: 'hubspot-marketable' },
      { header: "Legal basis for processing contact's data", from: ['consent'], transform: 'hubspot-legal-basis' },
      ...scoreColumns(['Segment', 'Recency Score', 'Frequency Score', 'Monetary Score', 'Last Purchase Date']),
    ],
    formats: ['csv', 'xlsx'],
    delimiter: ',',
    encoding: 'utf8',
    dateFormat: 'iso',
    maxRowsPerFile: 1_048_576,
    // The free plan's limit (paid plans take 512 MB: --max-file-size 512MB).
    maxBytesPerFile: 20 * MB,
  },
};

/**
 * The output columns for a preset on a channel: the channel's identifier first when the tool asks for
 * it, headers in the asked language, and other channels' addresses only where they may be used.
 */
export function presetColumns(preset: Preset, channel: Channel, hasScores: boolean, lang: 'en' | 'fr' = 'en'): PresetColumn[] {
  const columns = preset.columns
    .filter((c) => hasScores || !c.scores)
    .map((c) => {
      const header = lang === 'fr' && c.fr ? c.fr : c.header;
      const from = c.channel && c.channel !== channel ? c.from.map((k) => `${k}_marketable`) : c.from;
      return { ...c, header, from };
    });
  const first = preset.firstFor?.[channel];
  if (!first) return columns;
  const lead = columns.find((c) => c.header === first);
  return lead ? [lead, ...columns.filter((c) => c !== lead)] : columns;
}
