import { describe as group, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import {
  citizenIdBirthDate,
  citizenIdCheckDigit,
  citizenIdSex,
  isValidCitizenId,
  isValidPan,
  luhnCheckDigit,
} from '../../src/records/index.js';

/** 17 digits that make a plausible ID body: province 11..65, a real date, any sequence. */
const idBody = fc
  .record({
    region: fc.constantFrom('110105', '310104', '440305', '650102', '120101', '510104'),
    date: fc.date({
      min: new Date('1900-01-01T00:00:00Z'),
      max: new Date('2024-12-31T00:00:00Z'),
      noInvalidDate: true,
    }),
    seq: fc.integer({ min: 0, max: 999 }),
  })
  .map(
    ({ region, date, seq }) =>
      region + date.toISOString().slice(0, 10).replaceAll('-', '') + String(seq).padStart(3, '0'),
  );

/** Independent oracle: MOD 11-2 computed as the standard writes it, with weights 2^(17-i) mod 11. */
function referenceCheck(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (2 ** (17 - i) % 11);
  const value = (12 - (sum % 11)) % 11;
  return value === 10 ? 'X' : String(value);
}

group('citizen ID check character (GB 11643, ISO 7064 MOD 11-2)', () => {
  it("accepts the standard's published example and rejects it with any other check character", () => {
    expect(isValidCitizenId('11010519491231002X')).toBe(true);
    for (const c of '0123456789') expect(isValidCitizenId(`11010519491231002${c}`)).toBe(false);
  });

  test.prop([idBody])('agrees with the weights-as-powers-of-two formulation', (body) => {
    expect(citizenIdCheckDigit(body)).toBe(referenceCheck(body));
    expect(isValidCitizenId(body + citizenIdCheckDigit(body))).toBe(true);
  });

  test.prop([idBody, fc.nat({ max: 16 }), fc.integer({ min: 1, max: 9 })])(
    'detects every single-digit error',
    (body, pos, delta) => {
      const id = body + citizenIdCheckDigit(body);
      const changed = String((Number(id[pos]) + delta) % 10);
      const bad = id.slice(0, pos) + changed + id.slice(pos + 1);
      // A change may also break the date or province; either way the ID must not validate.
      expect(isValidCitizenId(bad)).toBe(false);
    },
  );

  test.prop([idBody, fc.nat({ max: 15 })])('detects a swap of two different adjacent digits', (body, pos) => {
    fc.pre(body[pos] !== body[pos + 1]);
    const swapped = body.slice(0, pos) + (body[pos + 1] as string) + (body[pos] as string) + body.slice(pos + 2);
    expect(isValidCitizenId(swapped + citizenIdCheckDigit(body))).toBe(false);
  });

  it('rejects wrong length, letters and impossible dates', () => {
    expect(isValidCitizenId('11010519491231002')).toBe(false);
    expect(isValidCitizenId('11010519491231002XX')).toBe(false);
    expect(isValidCitizenId('11010519491231002x')).toBe(false);
    const feb30 = '11010519490230001';
    expect(isValidCitizenId(feb30 + citizenIdCheckDigit(feb30))).toBe(false);
    const noProvince = '99010519490101001';
    expect(isValidCitizenId(noProvince + citizenIdCheckDigit(noProvince))).toBe(false);
  });

  it('reads birth date and sex from the ID', () => {
    expect(citizenIdBirthDate('11010519491231002X')).toBe('1949-12-31');
    expect(citizenIdSex('11010519491231002X')).toBe('2');
    expect(citizenIdSex('110105198503120311')).toBe('1');
  });
});

group('Luhn (bank PAN)', () => {
  it('matches known card numbers', () => {
    expect(luhnCheckDigit('7992739871')).toBe('3');
    expect(isValidPan('4111111111111111')).toBe(true);
    expect(isValidPan('4111111111111112')).toBe(false);
  });
});
