import { describe, expect, it } from 'vitest';
import { buildMapping } from '../../src/io/header-map.js';
import { RowMapper, splitFullName, type MapSettings } from '../../src/io/record-mapper.js';

function mapper(headers: string[], kind: 'contacts' | 'purchases', extra: Partial<MapSettings> = {}): RowMapper {
  return new RowMapper({ kind, headers, mapping: buildMapping(headers, kind), dateOrder: 'dmy', decimalComma: true, currency: 'EUR', ...extra });
}

describe('RowMapper: contacts', () => {
  const headers = ['Code client', 'Prénom', 'Nom', 'E-mail', 'Téléphone', 'Date de naissance', 'Opt-in email', 'Étiquettes', 'Fidélité'];
  const m = mapper(headers, 'contacts');

  it('keeps raw values, adds cheap keys, keeps unknown columns in attributes', () => {
    const result = m.map(['C1', ' Hélène ', 'Dupont', ' Helene.Dupont@Orange.FR ', '+33 6 12 34 56 78', '14/07/1985', 'oui', 'vip; newsletter', 'or']);
    expect(result.kind).toBe('contact');
    if (result.kind !== 'contact') return;
    expect(result.draft.externalKey).toBe('C1');
    expect(result.draft.values).toMatchObject({
      first_name: 'Hélène', email: 'Helene.Dupont@Orange.FR', email_norm: 'helene.dupont@orange.fr',
      phone_digits: '+33612345678', birth_date: '1985-07-14', tags: '["vip","newsletter"]', attributes: '{"Fidélité":"or"}',
    });
    expect(result.draft.consents).toEqual([{ channel: 'email', granted: true, column: 'Opt-in email' }]);
  });

  it('keeps an unparseable date as written instead of losing it', () => {
    const result = m.map(['C2', 'Paul', 'Bernard', '', '', '31/02/1980', '', '', '']);
    expect(result.kind === 'contact' && result.draft.values.birth_date).toBe('31/02/1980');
  });

  it('keys a contact without a code on its email, else on its content', () => {
    const byEmail = m.map(['', 'Paul', 'Bernard', 'P@X.FR', '', '', '', '', '']);
    expect(byEmail.kind === 'contact' && byEmail.draft.externalKey).toBe('email:p@x.fr');
    const byRow = m.map(['', 'Paul', 'Bernard', '', '', '', '', '', '']);
    expect(byRow.kind === 'contact' && byRow.draft.externalKey).toMatch(/^row:[0-9a-f]{20}$/);
  });

  it('rejects rows with the wrong number of columns or nothing to identify them', () => {
    expect(m.map(['C3', 'a'])).toEqual({ kind: 'reject', reasons: [{ column: null, message: 'row has 2 columns, the header has 9' }] });
    expect(m.map(['', '', '', '', '', '', 'oui', '', 'or']).kind).toBe('reject');
    expect(m.map(['', '', '', '', '', '', '', '', '']).kind).toBe('empty');
    expect(m.map([...new Array(9).fill('x'), '', '']).kind).toBe('contact');
  });

  it('splits full names, surname in capitals first', () => {
    expect(splitFullName('DUPONT Jean')).toEqual({ first: 'Jean', last: 'DUPONT' });
    expect(splitFullName('Jean-Pierre DE LA TOUR')).toEqual({ first: 'Jean-Pierre', last: 'DE LA TOUR' });
    expect(splitFullName('Mary Ann Smith')).toEqual({ first: 'Mary Ann', last: 'Smith' });
  });
});

describe('RowMapper: purchases', () => {
  const headers = ['N° commande', 'Date', 'Code client', 'Quantité', 'Prix unitaire', 'Statut'];
  const m = mapper(headers, 'purchases');

  it('computes line amounts in cents and makes returns negative', () => {
    const line = m.map(['A1', '05/01/2025', 'C1', '2', '12,50 €', 'livrée']);
    expect(line.kind === 'purchase' && line.draft.amountMinor).toBe(2500);
    const ret = m.map(['A1', '05/01/2025', 'C1', '-1', '12,50', 'retour']);
    expect(ret.kind === 'purchase' && ret.draft.amountMinor).toBe(-1250);
    const cancelled = m.map(['A2', '05/01/2025', 'C1', '1', '39,00', 'Annulée']);
    expect(cancelled.kind === 'purchase' && cancelled.draft.amountMinor).toBe(-3900);
  });

  it('names the column of every unreadable value', () => {
    const result = m.map(['A3', '31/13/2025', '', 'deux', 'gratuit', '']);
    expect(result.kind).toBe('reject');
    if (result.kind !== 'reject') return;
    expect(result.reasons.map((r) => r.column)).toEqual(['Code client', 'Date', 'Quantité', 'Prix unitaire']);
  });
});
