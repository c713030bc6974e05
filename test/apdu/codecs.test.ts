import { describe as group, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import {
  ApduEncodeError,
  ApduParseError,
  decodeAn,
  decodeBcd,
  decodeCn,
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
import { gbkChar } from '../support/gbk-text.js';
import { expectThrowsClass, resultOrRefusal } from '../support/throws.js';

const gbk = gbkChar('张', '三', '·', '（', '）', '，', '保', '障');
/** GBK text that does not end in a pad-like space (an fields strip trailing 00/20/FF). */
const gbkText = fc.array(fc.oneof(gbk, fc.constant(' ')), { maxLength: 15 }).map((cs) => cs.join('').trimEnd());

group('cn (BCD, F-padded)', () => {
  it('packs left aligned with F padding', () => {
    expect(toHex(encodeCn('1234567', 4))).toBe('1234567F');
    expect(toHex(encodeCn('12345678', 4))).toBe('12345678');
    expect(toHex(encodeCn('', 2))).toBe('FFFF');
    expect(toHex(encodeCn('110101', 3))).toBe('110101');
  });

  it('decodes up to the first F', () => {
    expect(decodeCn(fromHex('1234567F'))).toBe('1234567');
    expect(decodeCn(fromHex('12FFFFFF'))).toBe('12');
    expect(decodeCn(fromHex('FFFF'))).toBe('');
  });

  it('rejects non-digits before the pad and digits after it', () => {
    expectThrowsClass(() => decodeCn(fromHex('12A4')), ApduParseError, /non-digit nibble A at nibble 2/);
    expectThrowsClass(() => decodeCn(fromHex('12F4')), ApduParseError, /nibble 4 after the F padding/);
  });

  it('refuses values that do not fit or are not digits', () => {
    expectThrowsClass(() => encodeCn('123456789', 4), ApduEncodeError, /9 digits do not fit a 4-byte cn field/);
    expectThrowsClass(() => encodeCn('12a4', 4), ApduEncodeError, /only the digits/);
    expectThrowsClass(() => encodeCn('1', -1), ApduEncodeError, /field length/);
  });

  test.prop([
    fc
      .integer({ min: 0, max: 20 })
      .chain((len) => fc.tuple(fc.constant(len), fc.stringMatching(new RegExp(`^[0-9]{0,${len * 2}}$`)))),
  ])('decodeCn(encodeCn(d, n)) === d', ([len, digits]) => {
    const bytes = encodeCn(digits, len);
    expect(bytes.length).toBe(len);
    expect(decodeCn(bytes)).toBe(digits);
  });

  test.prop([fc.uint8Array({ maxLength: 20 })])('decodeCn on random bytes: digits or ApduParseError', (bytes) => {
    const digits = resultOrRefusal(() => decodeCn(bytes), ApduParseError);
    if (digits !== undefined) expect(toHex(encodeCn(digits, bytes.length))).toBe(toHex(bytes));
  });
});

group('plain BCD', () => {
  it('pads an odd count with one F', () => {
    expect(toHex(encodeBcd('123456'))).toBe('123456');
    expect(toHex(encodeBcd('12345'))).toBe('12345F');
    expect(decodeBcd(fromHex('12345F'))).toBe('12345');
    expect(encodeBcd('').length).toBe(0);
  });

  it('allows F only as the last nibble', () => {
    expectThrowsClass(() => decodeBcd(fromHex('1F23')), ApduParseError, /non-digit nibble F at nibble 1/);
    expectThrowsClass(() => decodeBcd(fromHex('FF')), ApduParseError, /nibble F at nibble 0/);
  });

  test.prop([fc.stringMatching(/^[0-9]{0,40}$/)])('decodeBcd(encodeBcd(d)) === d', (digits) => {
    expect(decodeBcd(encodeBcd(digits))).toBe(digits);
  });
});

group('GBK and an fields', () => {
  it('encodes Chinese names in GBK', () => {
    expect(toHex(encodeGbk('张三'))).toBe('D5C5C8FD');
    expect(toHex(encodeGbk('sx1.sh.社会保障'))).toBe('7378312E73682EC9E7BBE1B1A3D5CF');
    expect(decodeGbk(fromHex('D5C5C8FD'))).toBe('张三');
  });

  it('refuses characters GBK lacks and bytes that are not GBK', () => {
    expectThrowsClass(() => encodeGbk('😀'), ApduEncodeError, /GBK cannot represent/);
    expectThrowsClass(() => decodeGbk(fromHex('D5')), ApduParseError, /not valid GBK/);
    expectThrowsClass(() => decodeGbk(fromHex('41FF')), ApduParseError, /not valid GBK/);
  });

  it('pads an fields with 00 and strips the pad on read', () => {
    const name = encodeAn('张三', 30);
    expect(name.length).toBe(30);
    expect(toHex(name.subarray(0, 6))).toBe('D5C5C8FD0000');
    expect(name.subarray(4).every((b) => b === 0)).toBe(true);
    expect(decodeAn(name)).toBe('张三');
    expect(toHex(encodeAn('2.00', 4))).toBe('322E3030');
  });

  it('tolerates FF and space padding on read', () => {
    expect(decodeAn(fromHex('D5C5C8FD20202020'))).toBe('张三');
    expect(decodeAn(fromHex('31FFFF'))).toBe('1');
    expect(decodeAn(fromHex('310020FF'))).toBe('1');
  });

  it('refuses text that is too long or contains the pad byte', () => {
    expectThrowsClass(() => encodeAn('张三', 3), ApduEncodeError, /4 GBK bytes, too long for a 3-byte an field/);
    expectThrowsClass(() => encodeAn('a\u0000b', 5), ApduEncodeError, /U\+0000/);
  });

  test.prop([gbkText, fc.integer({ min: 0, max: 10 })])('decodeAn(encodeAn(t, n)) === t', (text, extra) => {
    const len = encodeGbk(text).length + extra;
    const bytes = encodeAn(text, len);
    expect(bytes.length).toBe(len);
    expect(decodeAn(bytes)).toBe(text);
  });

  test.prop([gbkText])('decodeGbk(encodeGbk(t)) === t', (text) => {
    expect(decodeGbk(encodeGbk(text))).toBe(text);
  });

  test.prop([fc.uint8Array({ maxLength: 40 })])('decodeAn on random bytes: text or ApduParseError', (bytes) => {
    const text = resultOrRefusal(() => decodeAn(bytes), ApduParseError);
    if (text !== undefined) expect(typeof text).toBe('string');
  });
});

group('dates', () => {
  it('encodes ISO and compact dates as 4-byte cn', () => {
    expect(toHex(encodeDate('2025-01-31'))).toBe('20250131');
    expect(toHex(encodeDate('19991231'))).toBe('19991231');
    expect(toHex(encodeDate('2024-02-29'))).toBe('20240229');
    expect(toHex(encodeDate(null))).toBe('FFFFFFFF');
  });

  it('decodes to ISO, open date to null', () => {
    expect(decodeDate(fromHex('20250131'))).toBe('2025-01-31');
    expect(decodeDate(fromHex('FFFFFFFF'))).toBeNull();
  });

  it('rejects malformed and impossible dates', () => {
    expectThrowsClass(() => encodeDate('2025-02-29'), ApduEncodeError, /not a calendar date/);
    expectThrowsClass(() => encodeDate('2025/01/31'), ApduEncodeError, /YYYY-MM-DD/);
    expectThrowsClass(() => encodeDate('2025-1-31'), ApduEncodeError, /YYYY-MM-DD/);
    expectThrowsClass(() => decodeDate(fromHex('20251301')), ApduParseError, /not a calendar date/);
    expectThrowsClass(() => decodeDate(fromHex('202501')), ApduParseError, /4 bytes/);
    expectThrowsClass(() => decodeDate(fromHex('2025FFFF')), ApduParseError, /4 digits before the F pad/);
  });

  test.prop([
    fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true }),
  ])('decodeDate(encodeDate(iso)) === iso, compact form identical', (date) => {
    const iso = date.toISOString().slice(0, 10);
    expect(decodeDate(encodeDate(iso))).toBe(iso);
    expect(toHex(encodeDate(iso.replace(/-/g, '')))).toBe(iso.replace(/-/g, ''));
  });
});

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

  it('encoded text owns its bytes: no view into a buffer shared with other data', () => {
    const name = encodeGbk('张三');
    expect(toHex(name)).toBe('D5C5C8FD');
    expect(name.byteOffset).toBe(0);
    expect(name.buffer.byteLength).toBe(4);
  });
});

group('cn refusals', () => {
  it('names a nibble after the F padding in upper-case hex, with its position', () => {
    expectThrowsClass(
      () => decodeCn(fromHex('1FA0')),
      ApduParseError,
      /^cn field has nibble A after the F padding at nibble 2$/,
    );
  });
});
