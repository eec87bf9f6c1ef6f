/**
 * The export files of the tools people export from, where their documented columns mean something the
 * general header rules would read otherwise: Shopify's order "Name" is the order number (#1001), its
 * "Total" is the whole order's on the first line only; Brevo's "SMS" is the mobile number; a PrestaShop
 * order "Reference" is the order's, not a product's. A profile is data: recognised by a few of the tool's
 * own column names (all of `signature`, and one of `anyOf` when given), it settles only the columns it
 * lists; the general rules read the rest. Columns set to null are kept in attributes on purpose.
 * docs/import.md lists each tool's columns with the date its documentation was checked.
 */
import type { Field, ImportKind } from './header-map.js';
import { foldHeader } from './header-words.js';

export interface ToolProfile {
  /** How the summary names the file ("a Shopify orders export"). */
  name: string;
  kind: ImportKind;
  signature: string[];
  anyOf?: string[];
  columns: Record<string, Field | null>;
}

export const TOOL_PROFILES: ToolProfile[] = [
  {
    name: 'Shopify orders',
    kind: 'purchases',
    signature: ['Name', 'Lineitem name', 'Lineitem price', 'Financial Status'],
    columns: {
      Name: 'order_ref', // "#1001"
      // The order's total stands on its first line only; lines carry quantity x price.
      Total: null,
      Subtotal: null,
      Id: null,
      'Accepts Marketing': null, // a purchases file records no consent; the customers export carries it
      Source: 'channel',
      'Billing Name': 'full_name',
    },
  },
  {
    name: 'Shopify customers',
    kind: 'contacts',
    signature: ['Customer ID', 'Total Spent', 'Total Orders'],
    columns: { 'Default Address Phone': null, Phone: 'phone' },
  },
  {
    name: 'Brevo contacts',
    kind: 'contacts',
    signature: ['EMAIL', 'SMS'],
    anyOf: ['EMAIL_BLACKLISTED', 'SMS_BLACKLISTED', 'ADDED_TIME', 'MODIFIED_TIME'],
    columns: {
      SMS: 'mobile', // Brevo's SMS attribute is the mobile number, in international format
      LANDLINE_NUMBER: 'phone',
      WHATSAPP: null,
      'DOUBLE_OPT-IN': null,
      ADDED_TIME: 'created_at',
      MODIFIED_TIME: null,
    },
  },
  {
    name: 'Mailchimp audience',
    kind: 'contacts',
    signature: ['Email Address'],
    anyOf: ['MEMBER_RATING', 'OPTIN_TIME', 'CONFIRM_TIME', 'LEID', 'EUID'],
    columns: {
      OPTIN_TIME: 'created_at', // when the person joined the audience
      CONFIRM_TIME: null,
      LAST_CHANGED: null,
      // Mailchimp's birthday field is MM/DD with no year: not a birth date, kept as written in attributes.
      Birthday: null,
    },
  },
  {
    name: 'HubSpot contacts',
    kind: 'contacts',
    signature: ['Record ID'],
    anyOf: ['Lifecycle Stage', 'Contact owner', 'Marketing contact status', 'Create Date'],
    columns: { 'Record ID': 'external_id', 'State/Region': null, 'Last Modified Date': null, 'Lead Status': null },
  },
  {
    name: 'Salesforce contacts or leads',
    kind: 'contacts',
    signature: ['Id', 'FirstName', 'LastName'],
    anyOf: ['HasOptedOutOfEmail', 'LeadSource', 'OwnerId', 'AccountId', 'DoNotCall'],
    columns: {
      Id: 'external_id',
      Title: null, // a job title in Salesforce; the civility is Salutation
      Name: null, // FirstName + LastName, already read
      Status: null, // a lead's status
      State: null,
      MailingState: null,
      LastModifiedDate: null,
    },
  },
  {
    name: 'PrestaShop customers',
    kind: 'contacts',
    signature: ['ID', 'Email address'],
    anyOf: ['Partner offers', 'Opt.', 'News.', 'Last visit'],
    columns: { ID: 'external_id', Sales: null, Enabled: null, 'Partner offers': null, 'Opt.': null, Age: null },
  },
  {
    name: 'PrestaShop orders',
    kind: 'purchases',
    signature: ['ID', 'Reference', 'Customer', 'Total', 'Payment'],
    columns: {
      ID: null,
      Reference: 'order_ref', // "XKBKNABJK", the order's reference
      Customer: 'full_name', // "J. DOE": a name, not a customer code
      Delivery: null, // delivery country
      'New client': null,
      Payment: null,
    },
  },
  {
    name: 'WooCommerce customers',
    kind: 'contacts',
    signature: ['Name', 'Username', 'Email'],
    anyOf: ['Last active', 'Date registered', 'Total spend', 'AOV'],
    columns: { Username: null, Orders: null, 'Total spend': null, AOV: null, Region: null },
  },
  {
    name: 'WooCommerce orders',
    kind: 'purchases',
    signature: ['Order #', 'Customer', 'Net Sales'],
    columns: { Customer: 'full_name', 'Customer type': null, 'Items sold': null, 'Coupon(s)': null, Attribution: null },
  },
];

/** The tool whose export this is, from its column names; null when none matches. */
export function detectProfile(headers: string[], kind?: ImportKind): ToolProfile | null {
  const folded = new Set(headers.map(foldHeader));
  return TOOL_PROFILES.find((p) => (!kind || p.kind === kind)
    && p.signature.every((h) => folded.has(foldHeader(h)))
    && (!p.anyOf || p.anyOf.some((h) => folded.has(foldHeader(h))))) ?? null;
}

/** The profile's choice for each column of the file it lists (folded header -> field or null). */
export function profileColumns(profile: ToolProfile): Map<string, Field | null> {
  return new Map(Object.entries(profile.columns).map(([header, field]) => [foldHeader(header), field]));
}
