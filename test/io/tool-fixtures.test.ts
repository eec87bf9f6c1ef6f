/**
 * One export per tool people export from (fixtures/tools/, written from each tool's documented columns):
 * every column maps to the field intended, or is kept in attributes on purpose (listed here as null).
 */
import { describe, expect, it } from 'vitest';
import { previewImport, type ImportRequest } from '../../src/io/import.js';
import { fixture } from '../helpers/cli.js';

function request(name: string): ImportRequest {
  const file = fixture(`tools/${name}`);
  return { file, displayName: name, source: 'test', encoding: 'auto', delimiter: 'auto', dates: 'auto', currency: 'EUR', force: false };
}

const TOOLS: Record<string, { kind: string; tool: string; columns: Record<string, string | null> }> = {
  'hubspot-contacts.csv': {
    kind: 'contacts', tool: 'HubSpot contacts',
    columns: {
      'Record ID': 'external_id', 'First Name': 'first_name', 'Last Name': 'last_name', Email: 'email', 'Phone Number': 'phone',
      'Mobile Phone Number': 'mobile', 'Contact owner': null, 'Lifecycle Stage': null, 'Lead Status': null,
      'Marketing contact status': 'consent_email', 'Create Date': 'created_at', 'Last Activity Date': 'last_activity_at',
      'Street Address': 'address_line1', City: 'city', 'State/Region': null, 'Postal Code': 'postal_code', 'Country/Region': 'country',
      'Company Name': 'company', 'Job Title': null, 'Original Source': 'origin', 'Last Modified Date': null,
      'Unsubscribed from all email': 'optout_email',
    },
  },
  'salesforce-contacts.csv': {
    kind: 'contacts', tool: 'Salesforce contacts or leads',
    columns: {
      Id: 'external_id', AccountId: null, Salutation: 'civility', FirstName: 'first_name', LastName: 'last_name', Title: null,
      Email: 'email', Phone: 'phone', MobilePhone: 'mobile', HomePhone: null, MailingStreet: 'address_line1', MailingCity: 'city',
      MailingState: null, MailingPostalCode: 'postal_code', MailingCountry: 'country', Birthdate: 'birth_date', LeadSource: 'origin',
      HasOptedOutOfEmail: 'optout_email', DoNotCall: 'optout_phone', CreatedDate: 'created_at', LastModifiedDate: null,
      LastActivityDate: 'last_activity_at', OwnerId: null,
    },
  },
  'salesforce-leads.csv': {
    kind: 'contacts', tool: 'Salesforce contacts or leads',
    columns: {
      Id: 'external_id', Salutation: 'civility', FirstName: 'first_name', LastName: 'last_name', Company: 'company', Title: null,
      Email: 'email', Phone: 'phone', MobilePhone: 'mobile', Street: 'address_line1', City: 'city', State: null, PostalCode: 'postal_code',
      Country: 'country', LeadSource: 'origin', Status: null, HasOptedOutOfEmail: 'optout_email', DoNotCall: 'optout_phone',
      CreatedDate: 'created_at', OwnerId: null,
    },
  },
  'mailchimp-audience.csv': {
    kind: 'contacts', tool: 'Mailchimp audience',
    columns: {
      'Email Address': 'email', 'First Name': 'first_name', 'Last Name': 'last_name', Address: 'address_line1', 'Phone Number': 'phone',
      Birthday: null, MEMBER_RATING: null, OPTIN_TIME: 'created_at', OPTIN_IP: null, CONFIRM_TIME: null, CONFIRM_IP: null,
      LATITUDE: null, LONGITUDE: null, GMTOFF: null, DSTOFF: null, TIMEZONE: null, CC: null, REGION: null, LAST_CHANGED: null,
      LEID: null, EUID: null, NOTES: null, TAGS: 'tags',
    },
  },
  'brevo-contacts.csv': {
    kind: 'contacts', tool: 'Brevo contacts',
    columns: {
      EMAIL: 'email', PRENOM: 'first_name', NOM: 'last_name', SMS: 'mobile', LANDLINE_NUMBER: 'phone', EXT_ID: 'external_id',
      OPT_IN: 'consent_email', 'DOUBLE_OPT-IN': null, EMAIL_BLACKLISTED: 'optout_email', SMS_BLACKLISTED: 'optout_sms',
      ADDED_TIME: 'created_at', MODIFIED_TIME: null,
    },
  },
  'shopify-customers.csv': {
    kind: 'contacts', tool: 'Shopify customers',
    columns: {
      'Customer ID': 'external_id', 'First Name': 'first_name', 'Last Name': 'last_name', Email: 'email',
      'Accepts Email Marketing': 'consent_email', 'Default Address Company': 'company', 'Default Address Address1': 'address_line1',
      'Default Address Address2': 'address_line2', 'Default Address City': 'city', 'Default Address Province Code': null,
      'Default Address Country Code': 'country', 'Default Address Zip': 'postal_code', 'Default Address Phone': null, Phone: 'phone',
      'Accepts SMS Marketing': 'consent_sms', 'Total Spent': null, 'Total Orders': null, Note: null, 'Tax Exempt': null, Tags: 'tags',
    },
  },
  'shopify-orders.csv': {
    kind: 'purchases', tool: 'Shopify orders',
    columns: {
      Name: 'order_ref', Email: 'email', 'Financial Status': 'status', 'Paid at': null, 'Fulfillment Status': null, 'Fulfilled at': null,
      'Accepts Marketing': null, Currency: 'currency', Subtotal: null, Shipping: null, Taxes: null, Total: null, 'Discount Code': null,
      'Discount Amount': null, 'Shipping Method': null, 'Created at': 'ordered_at', 'Lineitem quantity': 'quantity',
      'Lineitem name': 'product', 'Lineitem price': 'unit_price', 'Lineitem compare at price': null, 'Lineitem sku': 'product_ref',
      'Lineitem requires shipping': null, 'Lineitem taxable': null, 'Lineitem fulfillment status': null, 'Billing Name': 'full_name',
      'Billing Street': null, 'Billing Address1': null, 'Billing Address2': null, 'Billing Company': null, 'Billing City': 'city',
      'Billing Zip': 'postal_code', 'Billing Province': null, 'Billing Country': 'country', 'Billing Phone': null, 'Shipping Name': null,
      'Shipping Street': null, 'Shipping Address1': null, 'Shipping Address2': null, 'Shipping Company': null, 'Shipping City': null,
      'Shipping Zip': null, 'Shipping Province': null, 'Shipping Country': null, 'Shipping Phone': null, Notes: null,
      'Note Attributes': null, 'Cancelled at': null, 'Payment Method': null, 'Payment Reference': null, 'Refunded Amount': null,
      Vendor: null, Id: null, Tags: null, 'Risk Level': null, Source: 'channel', 'Lineitem discount': null, 'Tax 1 Name': null,
      'Tax 1 Value': null, Phone: 'phone', 'Receipt Number': null,
    },
  },
  'woocommerce-customers.csv': {
    kind: 'contacts', tool: 'WooCommerce customers',
    columns: {
      Name: 'full_name', Username: null, 'Last active': 'last_activity_at', 'Date registered': 'created_at', Email: 'email', Orders: null,
      'Total spend': null, AOV: null, 'Country / Region': 'country', City: 'city', Region: null, 'Postal code': 'postal_code',
    },
  },
  'woocommerce-orders.csv': {
    kind: 'purchases', tool: 'WooCommerce orders',
    columns: {
      Date: 'ordered_at', 'Order #': 'order_ref', Status: 'status', Customer: 'full_name', 'Customer type': null, 'Product(s)': 'product',
      'Items sold': null, 'Coupon(s)': null, 'Net Sales': 'amount', Attribution: null,
    },
  },
  'prestashop-customers.csv': {
    kind: 'contacts', tool: 'PrestaShop customers',
    columns: {
      ID: 'external_id', 'Social title': 'civility', 'First name': 'first_name', 'Last name': 'last_name', 'Email address': 'email',
      Sales: null, Enabled: null, Newsletter: 'consent_email', 'Partner offers': null, Registration: 'created_at', 'Last visit': 'last_activity_at',
    },
  },
  'prestashop-orders.csv': {
    kind: 'purchases', tool: 'PrestaShop orders',
    columns: {
      ID: null, Reference: 'order_ref', 'New client': null, Delivery: null, Customer: 'full_name', Total: 'amount', Payment: null,
      Status: 'status', Date: 'ordered_at',
    },
  },
};

describe('exports of the tools people export from', () => {
  for (const [name, expected] of Object.entries(TOOLS)) {
    it(`maps every column of ${name}`, async () => {
      const [preview] = await previewImport(request(name));
      expect(preview!.kind).toBe(expected.kind);
      expect(preview!.tool).toBe(expected.tool);
      // Every column of the file is listed, and each maps where intended.
      expect(Object.fromEntries(preview!.mapping.map((m) => [m.column, m.field]))).toEqual(expected.columns);
    });
  }

  it('refuses the order lists that carry only a customer\'s name, with the --map that would take it', async () => {
    for (const name of ['prestashop-orders.csv', 'woocommerce-orders.csv']) {
      const [preview] = await previewImport(request(name));
      expect(preview!.refusal).toContain('no column is read as the customer');
      expect(preview!.refusal).toContain('--map "Customer=external_id"');
      expect(preview!.refusal).toContain('holds names, not codes');
    }
  });
});
