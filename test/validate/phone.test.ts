import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { checkMobile, checkPhone, frenchVerdict, smsNumber } from '../../src/validate/phone.js';
import { adoptPhonePrefixTable, computePrefixTable, phonePrefixTable } from '../../src/validate/phone-prefixes.js';
import { PREFIX_VERDICTS_LIBRARY } from '../../src/validate/phone-prefix-runs.js';

describe('checkPhone', () => {
  const valid: Array<[string, string, string, string?]> = [
    ['06 12 34 56 78', '+33612345678', 'mobile'],
    ['06.12.34.56.78', '+33612345678', 'mobile'],
    ['06-12-34-56-78', '+33612345678', 'mobile'],
    ['0612345678', '+33612345678', 'mobile'],
    ['+33 6 12 34 56 78', '+33612345678', 'mobile'],
    ['0033 6 12 34 56 78', '+33612345678', 'mobile'],
    ['+33 (0)6 12 34 56 78', '+33612345678', 'mobile'],
    ['(06) 12 34 56 78', '+33612345678', 'mobile'],
    ['612345678', '+33612345678', 'mobile'], // a spreadsheet dropped the 0
    ['6.12345678E8', '+33612345678', 'mobile'], // ... and took it for a float
    ['Tél : 06 12 34 56 78', '+33612345678', 'mobile'],
    ['06 12 34 56 78 poste 12', '+33612345678', 'mobile'],
    ['07 81 22 33 44', '+33781223344', 'mobile'],
    ['01 42 68 53 00', '+33142685300', 'fixed'],
    ['09 72 12 34 56', '+33972123456', 'voip'],
    ['0800 123 456', '+33800123456', 'toll_free'],
    ['0590 12 34 56', '+590590123456', 'fixed'], // Guadeloupe, written nationally
    ['0692 12 34 56', '+262692123456', 'mobile'], // Réunion mobile
    ['+32 470 12 34 56', '+32470123456', 'mobile'],
    ['0470 12 34 56', '+32470123456', 'mobile', 'BE'],
  ];
  it.each(valid)('reads %j as %s (%s)', (input, e164, type, country) => {
    const result = checkPhone(input, country ?? 'FR');
    expect(result.ok).toBe(true);
    expect(result.normalised).toBe(e164);
    expect(result.type).toBe(type);
  });

  const invalid: Array<[string, string]> = [
    ['07 01 23 45 67', 'invalid_number'], // accepted by the min metadata, not in service
    ['07 10 12 34 56', 'invalid_number'],
    ['04 00 12 34 56', 'invalid_number'],
    ['07 00 00 00 00', 'placeholder'],
    ['0000000000', 'placeholder'],
    ['06 00 00 00 00', 'placeholder'],
    ['inconnu', 'not_a_number'],
    ['n/c', 'too_short'],
    ['12', 'too_short'],
    ['06 12 34 56', 'invalid_number'],
    ['06 12 34 56 78 90 12', 'invalid_number'],
  ];
  it.each(invalid)('refuses %j (%s)', (input, code) => {
    const result = checkPhone(input);
    expect(result.ok).toBe(false);
    expect(result.issue?.code).toBe(code);
    expect(result.normalised).toBeNull();
  });

  it('uses the max metadata: a number the min metadata accepts is refused', async () => {
    const { parsePhoneNumberFromString: parseMin } = await import('libphonenumber-js/min');
    expect(parseMin('07 01 23 45 67', 'FR')?.isValid()).toBe(true);
    expect(checkPhone('07 01 23 45 67').ok).toBe(false);
  });

  it('warns when the mobile column holds a landline, and picks the SMS number', () => {
    const mobile = checkMobile('01 42 68 53 00');
    expect(mobile).toMatchObject({ ok: true, issue: { code: 'not_a_mobile' } });
    const phone = checkPhone('06 12 34 56 78');
    expect(smsNumber(phone, mobile)).toBe('+33612345678');
    expect(smsNumber(checkPhone('01 42 68 53 00'), checkMobile('07 81 22 33 44'))).toBe('+33781223344');
    expect(smsNumber(checkPhone('01 42 68 53 00'), checkMobile(null))).toBeNull();
  });

  it('the French fast path agrees with libphonenumber for every five-digit prefix', () => {
    const overseas = ['GP', 'MQ', 'GF', 'RE', 'YT', 'PM', 'BL', 'MF'] as const;
    // Every prefix written internationally; every third one written nationally (each of those costs
    // nine parses, one per overseas region).
    for (let prefix = 10000; prefix <= 99999; prefix += 1) {
      for (const nationalForm of prefix % 3 === 0 ? [false, true] : [false]) {
        const verdict = frenchVerdict(`${prefix}0000`, nationalForm);
        for (const suffix of ['0000', '9999']) {
          const national = `${prefix}${suffix}`;
          const candidates = [parsePhoneNumberFromString(`+33${national}`)];
          if (nationalForm) for (const region of overseas) candidates.push(parsePhoneNumberFromString(`0${national}`, region));
          const found = candidates.find((p) => p !== undefined && p.isValid());
          const library = found ? `+${found.countryCallingCode}${national}` : null;
          const fast = verdict.valid ? `+${verdict.callingCode}${national}` : null;
          if (library !== fast) throw new Error(`${nationalForm ? '0' : '+33'}${national}: fast path says ${fast}, library ${library}`);
        }
      }
    }
  });

  it('starts from the verdicts computed for the installed libphonenumber-js (else: npx tsx scripts/phone-prefix-runs.ts)', () => {
    const installed = (createRequire(import.meta.url)('libphonenumber-js/package.json') as { version: string }).version;
    expect(PREFIX_VERDICTS_LIBRARY).toBe(installed);
    const computed = computePrefixTable();
    const shipped = new Uint8Array(phonePrefixTable());
    const differing = computed.findIndex((byte, slot) => byte !== shipped[slot]);
    expect(differing, `slot ${differing}: the library says ${computed[differing]}, phone-prefix-runs.ts ${shipped[differing]}`).toBe(-1);
  });

  it('keeps prefix verdicts in a byte table that worker threads adopt', () => {
    const own = phonePrefixTable();
    const shared = new SharedArrayBuffer(own.byteLength);
    adoptPhonePrefixTable(shared);
    try {
      expect(frenchVerdict('612345678', false)).toMatchObject({ valid: true, type: 'mobile', callingCode: '33' });
      expect(new Uint8Array(shared)[61234]).toBeGreaterThan(1);
    } finally {
      adoptPhonePrefixTable(own);
    }
  });
});
