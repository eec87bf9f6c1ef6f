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

  it('never stores a date that is not one: the field stays empty and the cell is listed with its column and value', () => {
    const result = m.map(['C2', 'Paul', 'Bernard', '', '', '31/02/1980', '', '', '']);
    expect(result.kind).toBe('contact');
    if (result.kind !== 'contact') return;
    expect(result.draft.values.birth_date).toBeNull();
    expect(result.draft.issues).toEqual([{ column: 'Date de naissance', value: '31/02/1980', message: expect.stringContaining('"31/02/1980" is not a date') }]);
  });

  it('flags a created date with an impossible month instead of keeping it as text', () => {
    const created = mapper(['Email', 'Create Date'], 'contacts', { mapping: ['email', 'created_at'] });
    const result = created.map(['a@b.fr', '2024-13-01 10:00']);
    expect(result.kind === 'contact' && result.draft.values.created_at).toBeNull();
    expect(result.kind === 'contact' && result.draft.issues.map((i) => [i.column, i.value])).toEqual([['Create Date', '2024-13-01 10:00']]);
    const fine = created.map(['a@b.fr', '2024-12-01 10:00']);
    expect(fine.kind === 'contact' && [fine.draft.values.created_at, fine.draft.issues]).toEqual(['2024-12-01 10:00:00', []]);
  });

  it('reads consent answers in any documented spelling, records nothing for an unreadable one and lists it', () => {
    const answers = ['Oui.', 'NON', 'peut-être', 'Opted in', 'unsubscribed', 'pending', ''];
    const results = answers.map((answer) => m.map(['C9', 'Paul', 'Bernard', '', '', '', answer, '', '']));
    const drafts = results.map((r) => (r.kind === 'contact' ? r.draft : null));
    expect(drafts.map((d) => d?.consents.map((c) => c.granted))).toEqual([[true], [false], [], [true], [false], [], []]);
    expect(drafts.map((d) => d?.issues.length)).toEqual([0, 0, 1, 0, 0, 0, 0]);
    expect(drafts[2]!.issues[0]).toMatchObject({ column: 'Opt-in email', value: 'peut-être' });
  });

  it('reads a blocklist column the other way round: EMAIL_BLACKLISTED = yes is a withdrawal, no is not a grant', () => {
    const brevo = mapper(['EMAIL', 'EMAIL_BLACKLISTED'], 'contacts', { mapping: ['email', 'consent_email'] });
    const yes = brevo.map(['a@b.fr', 'Yes']);
    const no = brevo.map(['a@b.fr', 'No']);
    expect(yes.kind === 'contact' && yes.draft.consents).toEqual([{ channel: 'email', granted: false, column: 'EMAIL_BLACKLISTED' }]);
    expect(no.kind === 'contact' && no.draft.consents).toEqual([]);
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

describe('cellText: the spreadsheet guard apostrophe', () => {
  it("drops a leading ' before a digit or = + - @ (Shopify's '+33… phones), keeps it before a letter", async () => {
    const { cellText } = await import('../../src/io/record-mapper.js');
    expect(cellText("'+33687654321")).toBe('+33687654321');
    expect(cellText(" '0612345678 ")).toBe('0612345678');
    expect(cellText("'-leroy@gmail.com")).toBe('-leroy@gmail.com');
    expect(cellText("'t Hooft")).toBe("'t Hooft");
    expect(cellText("'")).toBe("'");
  });

  it('imports a guarded phone and email without the apostrophe', () => {
    const m = mapper(['E-mail', 'Téléphone'], 'contacts');
    const result = m.map(["'-leroy@gmail.com", "'+33687654321"]);
    expect(result.kind).toBe('contact');
    if (result.kind !== 'contact') return;
    expect(result.draft.values).toMatchObject({ email: '-leroy@gmail.com', email_norm: '-leroy@gmail.com', phone_digits: '+33687654321' });
  });
});
