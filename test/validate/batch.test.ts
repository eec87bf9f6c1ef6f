import { describe, expect, it } from 'vitest';
import { unpackBatch, validateBatch, WRITTEN_COLUMNS, type Param, type RawRow } from '../../src/validate/batch.js';
import { validateContact } from '../../src/validate/record.js';
import { RAW_CONTACT_COLUMNS, type RawContact } from '../../src/validate/schemas.js';

describe('validateBatch', () => {
  it("packs each contact's written columns and id, and unpacks them exactly", () => {
    const context = { defaultCountry: 'FR', today: '2026-01-15' };
    const contacts: Array<Partial<RawContact>> = [
      { email: 'mailto:Jean.Dupont@Orange.FR', phone: '06 12 34 56 78', postal_code: '1000', country: 'France', first_name: 'JEAN', civility: 'Mlle' },
      { email: 'élodie@free.fr', mobile: '0590 12 34 56', last_name: 'de la tour', birth_date: '2090-01-01', city: '  Saint   Denis ' },
      {},
      { first_name: 'Zoë\u0000', last_name: '😀', city: 'Ħal Tarxien', siret: '732 829 320 00074', email: 'a@gmial.com' },
    ];
    const rows = contacts.map((c, i) => [100 + i, ...RAW_CONTACT_COLUMNS.map((k) => c[k] ?? null)] as RawRow);
    const batch = validateBatch(rows, context);
    const unpacked: Param[][] = [];
    unpackBatch(batch, (params) => unpacked.push([...params]));
    expect(unpacked).toEqual(
      contacts.map((c, i) => {
        const { columns } = validateContact(Object.fromEntries(RAW_CONTACT_COLUMNS.map((k) => [k, c[k] ?? null])) as RawContact, context);
        return [...WRITTEN_COLUMNS.map((k) => columns[k]), 100 + i];
      }),
    );
    expect(batch.norms).toEqual([['jean.dupont@orange.fr', 100]]);
  });
});
