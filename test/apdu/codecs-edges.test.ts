import { describe as group, expect, it } from 'vitest';
import {
  ApduEncodeError,
  ApduParseError,
  decodeDate,
  decodeGbk,
  encodeAn,
  encodeBcd,
  encodeCn,
  encodeDate,
  encodeGbk,
  fromHex,
  toHex,
} from '../../src/apdu/index.js';
import { expectThrowsClass } from '../support/throws.js';

// The codecs' checks at their edges: values that are not strings (a number of digits passes a
// digits-only pattern once turned into text), lengths of 0 and fractions, the calendar's month
// and day bounds and its century rule, a bad GBK byte in the very first place.

group('codec arguments of the wrong type', () => {
  it('refuses a number where the digits of a cn or BCD field or a date are expected', () => {
    const digits = 1234 as unknown as string;
    expectThrowsClass(() => encodeCn(digits, 4), ApduEncodeError, /only the digits 0-9, got 1234/);
    expectThrowsClass(() => encodeBcd(digits), ApduEncodeError, /only the digits 0-9/);
    expectThrowsClass(() => encodeDate(20250131 as unknown as string), ApduEncodeError, /YYYY-MM-DD/);
  });

  it('refuses text that is not a string for GBK and an fields', () => {
    expectThrowsClass(() => encodeGbk(12 as unknown as string), ApduEncodeError, /GBK text must be a string/);
    expectThrowsClass(() => encodeAn(12 as unknown as string, 4), ApduEncodeError, /GBK text must be a string/);
  });

  it('takes a field length of 0 and refuses a fractional one', () => {
    expect(encodeCn('', 0).length).toBe(0);
    expect(encodeAn('', 0).length).toBe(0);
    expectThrowsClass(
      () => encodeCn('1', 1.5),
      ApduEncodeError,
      /field length must be a non-negative integer, got 1.5/,
    );
    expectThrowsClass(() => encodeAn('1', 1.5), ApduEncodeError, /field length/);
  });
});

group('calendar dates at their bounds', () => {
  it.each(['2025-01-01', '2025-12-31', '2025-04-30', '2000-02-29', '2024-02-29', '1999-02-28'])(
    'takes %s both ways',
    (iso) => {
      expect(decodeDate(encodeDate(iso))).toBe(iso);
    },
  );

  it.each([
    '2025-00-10',
    '2025-13-01',
    '2025-01-00',
    '2025-01-32',
    '2025-04-31',
    '1900-02-29',
    '2100-02-29',
    '2023-02-29',
  ])('refuses %s when encoding and decoding', (iso) => {
    expectThrowsClass(() => encodeDate(iso), ApduEncodeError, /not a calendar date/);
    expectThrowsClass(() => decodeDate(fromHex(iso.replace(/-/g, ''))), ApduParseError, /not a calendar date/);
  });
});

group('GBK bytes', () => {
  it('refuses a byte that is not GBK in the first place too', () => {
    expectThrowsClass(() => decodeGbk(fromHex('FF41')), ApduParseError, /character 0 undecodable/);
    expectThrowsClass(() => decodeGbk(fromHex('41FF')), ApduParseError, /character 1 undecodable/);
    expect(toHex(encodeGbk(''))).toBe('');
  });
});
