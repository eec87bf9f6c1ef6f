/**
 * Issue 12, headers: what a newcomer's real exports do. Each test here failed before the change: an
 * "amount_eur" column was not an amount (every line rejected), a file with no amount column was rejected
 * line by line (and its dry run said exit 0), a --map had to be given again on every import, a lone
 * "Mobile" was stored as the landline, and a fixed rejects file was said to keep reject_reason.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { custkit, fixture, queryStore as query, tempDb, tempDir } from '../helpers/cli.js';

function write(name: string, text: string): string {
  const file = path.join(tempDir(), name);
  fs.writeFileSync(file, text);
  return file;
}

function count(db: string, table: string): number {
  return query<{ n: number }>(db, `SELECT count(*) AS n FROM ${table}`)[0]!.n;
}

const ORDERS = 'order_id;customer_code;order_date;amount_eur\nA1;C1;2024-03-01;12,50\nA2;C2;2024-03-02;7,00\nA3;C1;2024-03-09;100,00\n';
const UNKNOWN_AMOUNT = ORDERS.replace('amount_eur', 'valeur_x');

describe('import: headers that generalise, refusals, remembered mappings', () => {
  it('imports an order export whose amount column is "amount_eur"', () => {
    const db = tempDb();
    const result = custkit(['import', write('orders.csv', ORDERS)], { db });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('3 purchases rows read -> 3 new');
    expect(query(db, 'SELECT order_ref, amount_minor, currency FROM purchases ORDER BY order_ref')).toEqual([
      { order_ref: 'A1', amount_minor: 1250, currency: 'EUR' }, { order_ref: 'A2', amount_minor: 700, currency: 'EUR' },
      { order_ref: 'A3', amount_minor: 10000, currency: 'EUR' },
    ]);
    // The currency the header names is the amounts' ("amount_usd"), unless --currency says otherwise.
    const usd = tempDb();
    expect(custkit(['import', write('orders.csv', ORDERS.replace('amount_eur', 'amount_usd'))], { db: usd }).code).toBe(0);
    expect(query(usd, 'SELECT DISTINCT currency FROM purchases')).toEqual([{ currency: 'USD' }]);
  });

  it('refuses, before writing anything, an order export whose amount column it cannot name, and says which --map to give', () => {
    const db = tempDb();
    const file = write('orders.csv', UNKNOWN_AMOUNT);
    const result = custkit(['import', file], { db });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no column is read as the amount');
    expect(result.stderr).toContain('columns that could be the amount: "valeur_x"');
    expect(result.stderr).toContain('--map "valeur_x=amount"');
    expect(result.stderr).toContain('Nothing was imported.');
    // A refused first import leaves no store; into an existing store it writes nothing (no import, no reject).
    expect(fs.existsSync(db)).toBe(false);
    expect(custkit(['import', write('first.csv', ORDERS)], { db }).code).toBe(0);
    expect(custkit(['import', file], { db }).code).toBe(1);
    expect([count(db, 'imports'), count(db, 'purchases'), count(db, 'rejects')]).toEqual([1, 3, 0]);
    // The dry run gives the same verdict and the same exit code.
    const dry = custkit(['import', file, '--dry-run'], { db: tempDb() });
    expect(dry.code).toBe(1);
    expect(dry.stderr).toContain('--map "valeur_x=amount"');
    expect(JSON.parse(custkit(['import', file, '--dry-run', '--json'], { db: tempDb() }).stdout).would_refuse).toContain('valeur_x=amount');
    // The suggested --map works as given.
    expect(custkit(['import', file, '--map', 'valeur_x=amount'], { db }).code).toBe(0);
    expect(count(db, 'purchases')).toBe(3); // the same order refs: updated in place
  });

  it('refuses a file it recognises no column of in a dry run too (exit 1, as the import)', () => {
    const file = write('x.csv', 'foo;bar\n1;2\n');
    expect(custkit(['import', file], { db: tempDb() }).code).toBe(1);
    const dry = custkit(['import', file, '--dry-run'], { db: tempDb() });
    expect(dry.code).toBe(1);
    expect(dry.stderr).toContain('no column is one custkit recognises');
  });

  it('names every missing need at once, and a contacts file with no identifier', () => {
    const none = custkit(['import', write('o.csv', 'order_id;x;y\nA1;1;2\n'), '--kind', 'purchases'], { db: tempDb() });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no column is read as the amount, nor as the order date, nor as the customer');
    expect(none.stderr).toMatch(/--map "[^"]*=amount,[^"]*=ordered_at,[^"]*=external_id"/);
    const contacts = custkit(['import', write('c.csv', 'Newsletter;Notes\noui;x\n')], { db: tempDb() });
    expect(contacts.code).toBe(1);
    expect(contacts.stderr).toContain('no column is read as anything that identifies a contact');
  });

  it('remembers a --map given with --source and reuses it for the next import of that source, dry runs too', () => {
    const db = tempDb();
    const first = custkit(['import', write('o1.csv', UNKNOWN_AMOUNT), '--source', 'erp', '--map', 'valeur_x=amount'], { db });
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('remembered for source "erp": --map "valeur_x=amount"');
    const next = write('o2.csv', 'order_id;customer_code;order_date;valeur_x\nA4;C3;2024-04-01;5,00\n');
    const second = custkit(['import', next, '--source', 'erp'], { db });
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('using the mapping remembered for source "erp": --map "valeur_x=amount"');
    expect(JSON.parse(custkit(['import', next, '--source', 'erp', '--force', '--json'], { db }).stdout).remembered_mapping)
      .toEqual({ source: 'erp', used: { valeur_x: 'amount' }, saved: {} });
    // Another source does not see it; its dry run neither.
    expect(custkit(['import', next, '--source', 'shop', '--dry-run'], { db }).code).toBe(1);
    expect(custkit(['import', next, '--source', 'erp', '--dry-run'], { db }).code).toBe(0);
  }, 120_000);

  it('remembers a --map given with --source when the file is skipped as already imported', () => {
    const db = tempDb();
    const file = write('o1.csv', UNKNOWN_AMOUNT);
    // Imported once without --source; the user then asks custkit to remember the mapping for the source.
    expect(custkit(['import', file, '--map', 'valeur_x=amount'], { db }).code).toBe(0);
    const again = custkit(['import', file, '--source', 'erp', '--map', 'valeur_x=amount'], { db });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('already imported as import #1; skipped');
    expect(again.stderr).toContain('remembered for source "erp" all the same: --map "valeur_x=amount"');
    expect(JSON.parse(custkit(['mappings', '--json'], { db }).stdout)).toMatchObject([{ source: 'erp', kind: 'purchases', column: 'valeur_x', field: 'amount', import_id: null }]);
    expect(JSON.parse(custkit(['import', file, '--source', 'erp', '--map', 'valeur_x=amount', '--json'], { db }).stdout)).toMatchObject({ skipped: true, remembered_mapping: { source: 'erp', saved: { valeur_x: 'amount' } } });
    // The next file of the source needs no --map.
    const next = write('o2.csv', 'order_id;customer_code;order_date;valeur_x\nA4;C3;2024-04-01;5,00\n');
    const second = custkit(['import', next, '--source', 'erp'], { db });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain('using the mapping remembered for source "erp"');
    // Without --source, a skipped file remembers nothing.
    expect(custkit(['import', file, '--source', 'erp', '--force', '--map', 'valeur_x=amount'], { db }).code).toBe(0);
    expect(custkit(['mappings', 'forget', 'erp'], { db }).code).toBe(0);
    expect(custkit(['import', file, '--map', 'valeur_x=amount'], { db }).stderr).not.toContain('remembered');
    expect(JSON.parse(custkit(['mappings', '--json'], { db }).stdout)).toEqual([]);
  }, 120_000);

  it('lists remembered mappings and forgets them; without --source nothing is remembered', () => {
    const db = tempDb();
    expect(custkit(['import', write('o1.csv', UNKNOWN_AMOUNT), '--source', 'erp', '--map', 'valeur_x=amount'], { db }).code).toBe(0);
    const next = write('o2.csv', 'order_id;customer_code;order_date;valeur_x\nA4;C3;2024-04-01;5,00\n');
    const listed = custkit(['mappings', '--json'], { db });
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject([{ source: 'erp', kind: 'purchases', column: 'valeur_x', field: 'amount', import_id: 1 }]);
    expect(custkit(['mappings'], { db }).stdout).toContain('valeur_x');
    const forgot = custkit(['mappings', 'forget', 'erp'], { db });
    expect(forgot.code).toBe(0);
    expect(forgot.stderr).toContain('forgot 1 remembered column of source "erp"');
    expect(custkit(['import', next, '--source', 'erp', '--force'], { db }).code).toBe(1);
    // Without --source nothing is remembered, and the summary says how to.
    const plain = custkit(['import', write('o3.csv', UNKNOWN_AMOUNT.replace('A1;', 'A9;')), '--map', 'valeur_x=amount'], { db });
    expect(plain.stderr).toContain('give --source NAME with --map');
    expect(JSON.parse(custkit(['mappings', '--json'], { db }).stdout)).toEqual([]);
    expect(custkit(['mappings'], { db: path.join(tempDir(), 'none.db') }).code).toBe(1);
  }, 120_000);

  it('reads the kind from a source\'s remembered columns when the file has them all, and the headers otherwise', () => {
    const db = tempDb();
    const map = 'ref=order_ref,cust=external_id,when=ordered_at,valeur=amount';
    const first = custkit(['import', write('p1.csv', 'ref;cust;when;valeur\nT1;C1;2024-05-01;3,00\n'), '--source', 'pos', '--map', map], { db });
    expect(first.code).toBe(0);
    const next = custkit(['import', write('p2.csv', 'ref;cust;when;valeur\nT2;C1;2024-05-02;4,00\n'), '--source', 'pos', '--json'], { db });
    expect(JSON.parse(next.stdout)).toMatchObject({ kind: 'purchases', imported: 1 });
    // A contacts file of the same source that shares one of those columns stays a contacts file.
    const contacts = custkit(['import', write('c.csv', 'cust;Nom;Email\nC1;Durand;d@free.fr\n'), '--source', 'pos', '--json'], { db });
    expect(JSON.parse(contacts.stdout)).toMatchObject({ kind: 'contacts', imported: 1 });
  });

  it('says what it does with the reject_reason column of a fixed rejects file: ignored, not kept', () => {
    const db = tempDb();
    custkit(['import', fixture('broken-contacts.csv')], { db });
    const out = path.join(tempDir(), 'fix.csv');
    expect(custkit(['rejects', '--import', '1', '--out', out], { db }).code).toBe(0);
    const fixed = fs.readFileSync(out, 'utf8').replace('Blanc;Luc;;;row has 2 columns, the header has 4', 'Blanc;Luc;luc.blanc@free.fr;;')
      .replace(';en trop;encore;row has 6 columns, the header has 4', ';');
    fs.writeFileSync(out, fixed);
    const result = custkit(['import', out], { db });
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/kept in attributes:.*reject_reason/);
    expect(result.stderr).toContain('ignored: reject_reason');
    const json = JSON.parse(custkit(['import', out, '--force', '--json'], { db }).stdout);
    expect(json).toMatchObject({ kept_in_attributes: [], ignored_columns: ['reject_reason'] });
  });

  it('stores a lone "Mobile" column as the mobile, and reads "Opt-in newsletter" as email consent', () => {
    const db = tempDb();
    const file = write('c.csv', 'Nom;Prénom;Mobile;E-mail;Opt-in newsletter\nDurand;Marc;06 12 34 56 78;marc@free.fr;oui\n');
    expect(custkit(['import', file], { db }).code).toBe(0);
    expect(query(db, 'SELECT phone, mobile FROM contacts')).toEqual([{ phone: null, mobile: '06 12 34 56 78' }]);
    expect(query(db, 'SELECT channel, status FROM consents')).toEqual([{ channel: 'email', status: 'granted' }]);
  });

  it('imports the Windows-1252 French file with its mobile column as mobiles', () => {
    const db = tempDb();
    const result = custkit(['import', fixture('clients-fr-cp1252.csv')], { db });
    expect(result.code).toBe(0);
    expect(query(db, "SELECT phone, mobile FROM contacts WHERE external_id = 'C002'")).toEqual([{ phone: null, mobile: '07.81.22.33.44' }]);
  });

  it('imports the tools\' exports end to end: Brevo SMS as mobiles and blocklists as withdrawals, Shopify order lines', () => {
    const db = tempDb();
    const brevo = custkit(['import', fixture('tools/brevo-contacts.csv'), '--source', 'brevo'], { db });
    expect(brevo.code).toBe(0);
    expect(brevo.stderr).toContain('read as a Brevo contacts export');
    expect(query(db, "SELECT mobile, phone FROM contacts WHERE external_id = 'CL-0042'")).toEqual([{ mobile: '33612345678', phone: '33145678901' }]);
    const current = (id: string, channel: string): unknown => query<{ status: string }>(db,
      `SELECT k.status FROM consents k JOIN contacts c ON c.id = k.contact_id WHERE c.external_id = ? AND k.channel = ? ORDER BY k.recorded_at DESC, k.id DESC LIMIT 1`, id, channel)[0]?.status;
    expect(current('CL-0043', 'email')).toBe('withdrawn'); // OPT_IN Yes, but EMAIL_BLACKLISTED Yes
    expect(current('CL-0044', 'sms')).toBe('withdrawn');
    expect(current('CL-0042', 'sms')).toBeUndefined(); // not blocklisted is not a consent
    const shop = custkit(['import', fixture('tools/shopify-orders.csv'), '--source', 'shopify'], { db });
    expect(shop.code).toBe(0);
    expect(query(db, "SELECT order_ref, line_no, amount_minor, product FROM purchases WHERE source = 'shopify' ORDER BY order_ref, line_no")).toEqual([
      { order_ref: '#1001', line_no: 1, amount_minor: 4980, product: 'Savon au lait d\'ânesse' },
      { order_ref: '#1001', line_no: 2, amount_minor: 4000, product: 'Coffret découverte' },
      { order_ref: '#1002', line_no: 1, amount_minor: -5990, product: 'Coffret découverte' },
    ]);
    for (const name of ['hubspot-contacts.csv', 'salesforce-contacts.csv', 'salesforce-leads.csv', 'mailchimp-audience.csv', 'shopify-customers.csv',
      'woocommerce-customers.csv', 'prestashop-customers.csv']) {
      expect(custkit(['import', fixture(`tools/${name}`), '--source', name], { db }).code, name).toBe(0);
    }
  }, 120_000);
});
