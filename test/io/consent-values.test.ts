import { describe, expect, it } from 'vitest';
import { consentOfCell, isRefusalColumn, readConsent } from '../../src/io/consent-values.js';

describe('readConsent', () => {
  it.each([
    // French, with the spellings a spreadsheet gets: case, accents, trailing punctuation, quotes
    'oui', 'Oui', 'OUI', 'Oui.', 'oui !', '"oui"', 'O', 'vrai', 'VRAI', 'x', 'X', '1', '1.0', '1,00', '✓', 'accepté', 'Acceptée',
    'abonné', 'Abonnée', 'inscrit', 'inscrite', "d'accord", 'opt-in', 'optin', 'OK',
    // English
    'yes', 'Yes.', 'Y', 'true', 'TRUE', 'subscribed', 'Subscribed', 'opted in', 'Opted-In', 'OPTED_IN', 'granted',
    // HubSpot marketing contact status
    'Marketing contact', 'marketing', 'Marketing',
  ])('%j is a grant', (text) => {
    expect(readConsent(text)).toBe('granted');
  });

  it.each([
    'non', 'Non', 'NON', 'Non.', 'N', 'faux', '0', '0.0', 'refusé', 'Refusée', 'désabonné', 'Désabonnée', 'désinscrit', 'opposition',
    'no', 'No.', 'false', 'FALSE', 'unsubscribed', 'Unsubscribed', 'opted out', 'Opted-Out', 'opt-out', 'withdrawn',
    // Mailchimp: a cleaned address bounced for good
    'cleaned',
    // HubSpot
    'Non-marketing contact', 'Non-marketing', 'Set to non-marketing on next update',
    // Shopify
    'not_subscribed', 'NOT_SUBSCRIBED',
  ])('%j is a withdrawal', (text) => {
    expect(readConsent(text)).toBe('withdrawn');
  });

  it.each(['', '  ', '-', '—', 'pending', 'Pending', 'transactional', 'archived', 'Not specified', 'N/A', 'en attente', 'non renseigné'])(
    '%j is no answer (nothing recorded, nothing flagged)', (text) => {
      expect(readConsent(text)).toBe('none');
    },
  );

  it.each(['peut-être', 'maybe', 'oui?', 'bientôt', '2', '10', 'oui non', 'Marketing contact?', '?'])('%j cannot be read', (text) => {
    expect(readConsent(text)).toBe('unreadable');
  });
});

describe('refusal columns', () => {
  it.each(['EMAIL_BLACKLISTED', 'SMS_BLACKLISTED', 'Email Opt Out', 'HasOptedOutOfEmail', 'Unsubscribed from all email', 'Désabonné newsletter', 'Ne pas contacter', 'Opposition SMS'])(
    '%j records refusals', (header) => {
      expect(isRefusalColumn(header)).toBe(true);
    },
  );

  it.each(['Opt-in newsletter', 'Newsletter', 'Accepts Email Marketing', 'Opt-in / opt-out SMS', 'Consentement email', 'Marketing contact status', 'Email Marketing Status'])(
    '%j records answers', (header) => {
      expect(isRefusalColumn(header)).toBe(false);
    },
  );

  it('turns a yes in a refusal column into a withdrawal, and a no into no answer (not being blocklisted is no opt-in)', () => {
    expect(consentOfCell('yes', true)).toBe('withdrawn');
    expect(consentOfCell('true', true)).toBe('withdrawn');
    expect(consentOfCell('no', true)).toBe('none');
    expect(consentOfCell('maybe', true)).toBe('unreadable');
    expect(consentOfCell('yes', false)).toBe('granted');
  });
});
