import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';
import { reimportRules } from '../../src/validate/reimport.js';
import { tempDir } from '../helpers/cli.js';

describe('reimportRules: which differing cells leave the stored value as it is', () => {
  const db = openStore(path.join(tempDir(), 'reimport.db'));
  const rules = reimportRules(db);

  it.each([
    ['phone', '06.98.76.54.32', '+33698765432', null],
    ['phone', '0698765432', '+33698765432', 'France'],
    ['mobile', '+33 (0)6 11 22 33 44', '+33611223344', 'FR'],
    ['last_name', 'DUPONT', 'Dupont', null],
    ['first_name', 'marie', 'Marie', null],
    ['civility', 'Mlle', 'Mme', null],
    ['civility', 'Mademoiselle', 'Mme', null],
    ['email', 'marie.dupont@hotmial.fr', 'marie.dupont@hotmail.fr', null],
    ['email', 'Marie.Dupont@Hotmail.FR', 'marie.dupont@hotmail.fr', null],
    ['postal_code', '1000', '01000', 'FR'],
    ['country', 'France', 'FR', null],
    ['city', 'Lyon  ', 'Lyon', null],
    ['gender', 'F', 'female', null],
    ['siret', '732 829 320 00074', '73282932000074', null],
  ])('%s: %j is the stored %j', (field, file, stored, country) => {
    expect(rules.keepsStored(1, field, file, stored, country)).toBe(true);
  });

  it.each([
    ['phone', '06 11 11 11 11', '+33698765432'],
    ['last_name', 'Durand', 'Dupont'],
    ['email', 'marie.dupont@gmail.com', 'marie.dupont@hotmail.fr'],
    ['civility', 'M.', 'Mme'],
    ['postal_code', '69002', '69001'],
    ['address_line1', '12 RUE DE LA PAIX', '12 rue de la Paix'],
  ])('%s: %j is a new value, not %j', (field, file, stored) => {
    expect(rules.keepsStored(1, field, file, stored, 'FR')).toBe(false);
  });
});
