import { describe, expect, it } from 'vitest';
import { buildMapping, detectKind, foldHeader, MappingError, parseMapOption } from '../../src/io/header-map.js';

describe('header mapping', () => {
  it('folds case, accents and punctuation', () => {
    expect(foldHeader('Code postal')).toBe(foldHeader('CODE_POSTAL'));
    expect(foldHeader('Prénom')).toBe('prenom');
    expect(foldHeader("Date d'inscription")).toBe('datedinscription');
    expect(foldHeader('N° commande')).toBe('ncommande');
  });

  it('maps French export headers', () => {
    const headers = ['Code client', 'Civilité', 'Prénom', 'NOM', 'E-mail', 'Tél.', 'Portable', 'Adresse', 'CP', 'Ville', 'Pays', 'Date de naissance', 'Société', 'SIRET', 'Newsletter', 'Divers'];
    expect(buildMapping(headers, 'contacts')).toEqual([
      'external_id', 'civility', 'first_name', 'last_name', 'email', 'phone', 'mobile', 'address_line1', 'postal_code', 'city',
      'country', 'birth_date', 'company', 'siret', 'consent_email', null,
    ]);
  });

  it('maps English headers and keeps unknown ones for attributes', () => {
    expect(buildMapping(['Last name', 'First Name', 'Email Address', 'Zip', 'DOB', 'Loyalty tier'], 'contacts')).toEqual([
      'last_name', 'first_name', 'email', 'postal_code', 'birth_date', null,
    ]);
  });

  it('reads a CRM record id as the customer code of a contacts file that has no customer-code column', () => {
    expect(buildMapping(['Id', 'Email'], 'contacts')).toEqual(['external_id', 'email']);
    expect(buildMapping(['Record ID', 'First Name'], 'contacts')).toEqual(['external_id', 'first_name']);
    // A real customer-code column wins, wherever it stands; the record id is kept in attributes.
    expect(buildMapping(['ID', 'Email', 'Code client'], 'contacts')).toEqual([null, 'email', 'external_id']);
    // --map "Id=-" keeps it out; in an orders export it is the order's id, not the customer's.
    expect(buildMapping(['Id', 'Email'], 'contacts', parseMapOption('Id=-'))).toEqual([null, 'email']);
    expect(buildMapping(['Id', 'Order', 'Date', 'Total', 'Email'], 'purchases')).toEqual([null, 'order_ref', 'ordered_at', 'amount', 'email']);
    expect(detectKind(['Id', 'Email', 'Nom'])).toBe('contacts');
  });

  it('takes a lone mobile column as the mobile (never the landline), and a second phone column as the mobile', () => {
    expect(buildMapping(['Nom', 'Mobile'], 'contacts')).toEqual(['last_name', 'mobile']);
    expect(buildMapping(['Nom', 'Portable'], 'contacts')).toEqual(['last_name', 'mobile']);
    expect(buildMapping(['Nom', 'Mobile Phone'], 'contacts')).toEqual(['last_name', 'mobile']);
    expect(buildMapping(['Nom', 'Téléphone', 'Mobile'], 'contacts')).toEqual(['last_name', 'phone', 'mobile']);
    expect(buildMapping(['Nom', 'Téléphone', 'Téléphone 1'], 'contacts')).toEqual(['last_name', 'phone', 'mobile']);
  });

  it('detects purchases from order, date and amount columns', () => {
    expect(detectKind(['Invoice', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'Price', 'Customer ID', 'Country'])).toBe('purchases');
    expect(detectKind(['Date', 'Client', 'Montant TTC'])).toBe('purchases');
    expect(detectKind(['Nom', 'Prénom', 'Date de naissance'])).toBe('contacts');
    expect(buildMapping(['Invoice', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'Price', 'Customer ID', 'Country'], 'purchases')).toEqual([
      'order_ref', 'product_ref', 'product', 'quantity', 'ordered_at', 'unit_price', 'external_id', 'country',
    ]);
  });

  it('applies --map overrides first and reports mistakes', () => {
    const overrides = parseMapOption('given_name=first_name, surname=last_name, soc_sec_id=-');
    expect(buildMapping(['rec_id', 'given_name', 'surname', 'soc_sec_id', 'Nom'], 'contacts', overrides)).toEqual([null, 'first_name', 'last_name', null, null]);
    expect(() => buildMapping(['a'], 'contacts', parseMapOption('b=email'))).toThrow(/no column "b"/);
    expect(() => buildMapping(['a'], 'contacts', parseMapOption('a=emial'))).toThrow(MappingError);
    expect(() => parseMapOption('justtext')).toThrow(/Column=field/);
  });
});
