import { describe, expect, it } from 'vitest';
import { buildMapping } from '../../src/io/header-map.js';
import { RowMapper } from '../../src/io/record-mapper.js';

describe('refusal columns (EMAIL_BLACKLISTED, HasOptedOutOfEmail, DoNotCall)', () => {
  const headers = ['EMAIL', 'OPT_IN', 'EMAIL_BLACKLISTED', 'DoNotCall'];
  const m = new RowMapper({ kind: 'contacts', headers, mapping: buildMapping(headers, 'contacts'), dateOrder: 'dmy', decimalComma: false, currency: 'EUR' });
  const consents = (row: string[]): unknown => {
    const result = m.map(row);
    return result.kind === 'contact' ? result.draft.consents.map((c) => `${c.channel}:${c.granted ? 'granted' : 'withdrawn'}`) : result;
  };

  it('record a withdrawal for yes, and nothing for no (not being blocklisted is not a consent)', () => {
    expect(consents(['a@b.fr', '', 'Yes', 'false'])).toEqual(['email:withdrawn']);
    expect(consents(['a@b.fr', '', 'No', 'true'])).toEqual(['phone:withdrawn']);
    expect(consents(['a@b.fr', '', 'No', 'false'])).toEqual([]);
  });

  it('win over a grant of the same channel in the same row', () => {
    expect(consents(['a@b.fr', 'Yes', 'Yes', ''])).toEqual(['email:withdrawn']);
    expect(consents(['a@b.fr', 'Yes', 'No', ''])).toEqual(['email:granted']);
  });
});
