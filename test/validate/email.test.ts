import validator from 'validator';
import { describe, expect, it } from 'vitest';
import { checkEmail, isEmailSyntax } from '../../src/validate/email.js';
import { suggestDomain } from '../../src/validate/email-domains.js';

describe('checkEmail', () => {
  const valid: Array<[string, string]> = [
    ['jean.dupont@orange.fr', 'jean.dupont@orange.fr'],
    ['  Jean.Dupont@Orange.FR  ', 'Jean.Dupont@orange.fr'],
    ['mailto:marie@free.fr', 'marie@free.fr'],
    ['Marie Curie <marie.curie@laposte.net>', 'marie.curie@laposte.net'],
    ['"paul@sfr.fr"', 'paul@sfr.fr'],
    ['anne@wanadoo.fr.', 'anne@wanadoo.fr'],
    ['o.brien+promo@gmail.com', 'o.brien+promo@gmail.com'],
    ["o'brien@example.co.uk", "o'brien@example.co.uk"],
    ['luc@sous.domaine.entreprise.fr', 'luc@sous.domaine.entreprise.fr'],
    ['c.yahoo@yahoo.de', 'c.yahoo@yahoo.de'],
  ];
  it.each(valid)('accepts %j as %j', (input, normalised) => {
    const result = checkEmail(input);
    expect(result.ok).toBe(true);
    expect(result.normalised).toBe(normalised);
  });

  const invalid: Array<[string, string]> = [
    ['élodie@free.fr', 'accented_local_part'],
    ['françois.durand@orange.fr', 'accented_local_part'],
    ['jean.dupont.orange.fr', 'missing_at'],
    ['jean@@orange.fr', 'invalid_syntax'],
    ['jean dupont@free.fr', 'invalid_syntax'],
    ['jean..dupont@free.fr', 'invalid_syntax'],
    ['jean@entreprise', 'invalid_syntax'],
    ['jean@orange', 'missing_tld'],
    ['a@free.fr; b@free.fr', 'multiple_addresses'],
    ['a@free.fr, b@orange.fr', 'multiple_addresses'],
    ['@orange.fr', 'invalid_syntax'],
    ['jean@192.168.1.1', 'invalid_syntax'],
  ];
  it.each(invalid)('refuses %j (%s)', (input, code) => {
    const result = checkEmail(input);
    expect(result.ok).toBe(false);
    expect(result.issue?.code).toBe(code);
  });

  const typos: Array<[string, string]> = [
    ['jean@gmial.com', 'jean@gmail.com'],
    ['jean@gmail.con', 'jean@gmail.com'],
    ['jean@gmail.fr', 'jean@gmail.com'],
    ['jean@hotmial.fr', 'jean@hotmail.fr'],
    ['jean@orange.fe', 'jean@orange.fr'],
    ['jean@wanadoo.rf', 'jean@wanadoo.fr'],
    ['jean@laposte.nte', 'jean@laposte.net'],
    ['jean@ornage.fr', 'jean@orange.fr'],
    ['jean@yahooo.fr', 'jean@yahoo.fr'],
    ['jean@gmail', 'jean@gmail.com'],
  ];
  it.each(typos)('suggests a fix for %j', (input, suggestion) => {
    const result = checkEmail(input);
    expect(result.ok).toBe(false);
    expect(result.suggestion).toBe(suggestion);
  });

  it('does not "correct" real domains that look like providers', () => {
    for (const domain of ['yahoo.de', 'outlook.de', 'hotmail.co.uk', 'laposte.fr', 'frees.com', 'mns.com', 'yopmail.com', 'free.fr']) {
      expect(suggestDomain(domain), domain).toBeNull();
    }
  });

  it('flags disposable and role addresses without refusing them', () => {
    const disposable = checkEmail('x@yopmail.com');
    expect(disposable).toMatchObject({ ok: true, disposable: true, issue: { code: 'disposable' } });
    const role = checkEmail('Contact@acme.fr');
    expect(role).toMatchObject({ ok: true, role: true, issue: { code: 'role_address' } });
    expect(checkEmail('contact.jean@acme.fr').role).toBe(false);
  });

  it('treats blank cells as empty, not invalid', () => {
    for (const blank of [null, undefined, '', '   ', '\u00a0']) expect(checkEmail(blank)).toMatchObject({ ok: true, empty: true, normalised: null });
  });
});

describe('isEmailSyntax', () => {
  it('is validator.isEmail on the whole address, though worked out in two halves', () => {
    const options = { allow_utf8_local_part: false, require_tld: true, allow_ip_domain: false, allow_display_name: false };
    const locals = [
      'jean', 'jean.dupont', 'jean..dupont', '.jean', 'jean.', 'jean-dupont', '-jean', 'jean_', 'j+tag', 'j"x', '"quoted user"', '"a\\"b"',
      'a'.repeat(64), 'a'.repeat(65), 'a.'.repeat(32) + 'a', "o'brien", 'jean@dupont', 'x y', '', 'é', 'A1', '1', 'a/b', 'a=b', 'a{b}',
    ];
    const domains = [
      'orange.fr', 'gmail.com', 'gmail', 'sub.domain.co.uk', 'xn--bcher-kva.de', '-bad.fr', 'bad-.fr', 'under_score.fr', 'a.b', 'a.12',
      '[1.2.3.4]', '1.2.3.4', 'orange.fr.', 'ORANGE.FR', 'a'.repeat(63) + '.fr', 'a'.repeat(64) + '.fr', `${'a'.repeat(60)}.`.repeat(4) + 'fr', 'x..fr', '',
    ];
    for (const local of locals) {
      for (const domain of domains) {
        expect([local, domain, isEmailSyntax(local, domain)]).toEqual([local, domain, validator.isEmail(`${local}@${domain}`, options)]);
      }
    }
  });
});
