import { describe, expect, it } from 'vitest';
import { buildMapping, detectKind, mapHeaders, readHeader } from '../../src/io/header-map.js';
import { consentHeader, foldHeader, headerWords, moneyHeader } from '../../src/io/header-words.js';

describe('headers read as words', () => {
  it('splits separators and camelCase and folds accents and case', () => {
    expect(headerWords('codePostal')).toEqual(['code', 'postal']);
    expect(headerWords('HasOptedOutOfEmail')).toEqual(['has', 'opted', 'out', 'of', 'email']);
    expect(headerWords('Date_de-naissance.client')).toEqual(['date', 'de', 'naissance', 'client']);
    expect(headerWords('Prénom')).toEqual(['prenom']);
    for (const variant of ['Last name', 'LAST_NAME', 'lastName', 'last-name', 'last.name', 'LASTNAME']) expect(foldHeader(variant)).toBe('lastname');
    expect(buildMapping(['firstName', 'LAST_NAME', 'e-Mail', 'codePostal', 'date.naissance'], 'contacts'))
      .toEqual(['first_name', 'last_name', 'email', 'postal_code', 'birth_date']);
  });

  it('reads amounts and prices behind currency and tax words, and the currency they name', () => {
    expect(moneyHeader('amount_eur')).toEqual({ core: ['amount'], currency: 'EUR', taxExclusive: false });
    expect(moneyHeader('total_ht')).toEqual({ core: ['total'], currency: null, taxExclusive: true });
    expect(moneyHeader('Prix (€)')).toEqual({ core: ['prix'], currency: 'EUR', taxExclusive: false });
    expect(moneyHeader('Nom')).toBeNull();
    for (const header of ['amount_eur', 'Montant TTC', 'total_ht', 'Montant HT (€)', 'AMOUNT_USD', 'totalTTC', 'Total TVA comprise']) {
      expect(readHeader(header, 'purchases')?.field, header).toBe('amount');
    }
    for (const header of ['Prix (€)', 'price_usd', 'Prix unitaire HT', 'unit_price_eur']) expect(readHeader(header, 'purchases')?.field, header).toBe('unit_price');
    expect(mapHeaders(['order_id', 'customer_code', 'order_date', 'amount_usd'], 'purchases')).toMatchObject({
      mapping: ['order_ref', 'external_id', 'ordered_at', 'amount'], currency: 'USD',
    });
    // The amount paid (with tax) is the amount; the tax-exclusive figure is kept in attributes.
    expect(buildMapping(['Commande', 'Date', 'Client', 'Total HT', 'Total TTC'], 'purchases')).toEqual(['order_ref', 'ordered_at', 'external_id', null, 'amount']);
    // A money word alone, or before something that is not an amount, is not an amount.
    expect(readHeader('Refunded Amount', 'purchases')).toBeNull();
    expect(readHeader('TVA', 'purchases')).toBeNull();
    expect(detectKind(['order_id', 'customer_code', 'order_date', 'amount_eur'])).toBe('purchases');
  });

  it('reads consent columns from a consent word and a channel word, in either order', () => {
    const read = (h: string): string | null => {
      const c = consentHeader(h);
      return c ? `${c.optOut ? 'optout' : 'consent'}_${c.channel}` : null;
    };
    const cases: Array<[string, string | null]> = [
      ['Opt-in newsletter', 'consent_email'], ['Newsletter', 'consent_email'], ['optin_sms', 'consent_sms'],
      ['OptIn Email', 'consent_email'], ['Consentement téléphone', 'consent_phone'], ['Abonné courrier', 'consent_post'],
      ['accepte_mail', 'consent_email'], ['Subscribed', 'consent_email'], ['Marketing contact status', 'consent_email'],
      ['Accepts SMS Marketing', 'consent_sms'], ['Newsletter SMS', 'consent_sms'], ['consent.post', 'consent_post'],
      ['HasOptedOutOfEmail', 'optout_email'], ['DoNotCall', 'optout_phone'], ['EMAIL_BLACKLISTED', 'optout_email'],
      ['Unsubscribed from all email', 'optout_email'], ['Opt-out SMS', 'optout_sms'],
      // Dates, counters and other people's offers are not the person's choice.
      ['OPTIN_TIME', null], ['Date d\'abonnement', null], ['Marketing emails opened', null], ['Partner offers', null],
      ['Lead Status', null], ['SMS', null], ['Email', null],
    ];
    for (const [header, expected] of cases) expect(read(header), header).toBe(expected);
    expect(buildMapping(['Email', 'Opt-in newsletter', 'Opt-in SMS'], 'contacts')).toEqual(['email', 'consent_email', 'consent_sms']);
  });

  it('reads a known name behind a qualifier word, below the plain name', () => {
    expect(buildMapping(['Billing City', 'Default Address Zip', 'Customer Email'], 'contacts')).toEqual(['city', 'postal_code', 'email']);
    // "Phone" beats "Default Address Phone" wherever it stands, and the qualified one is not taken for a mobile.
    expect(buildMapping(['Default Address Phone', 'Phone'], 'contacts')).toEqual([null, 'phone']);
    expect(readHeader('Shipping City', 'contacts')).toBeNull();
  });

  it('reads HubSpot\'s created date and marketing status', () => {
    expect(buildMapping(['Email', 'Create Date', 'Marketing contact status'], 'contacts')).toEqual(['email', 'created_at', 'consent_email']);
  });
});
