import { describe as group, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { ApduParseError, bytesEqual, concatBytes, fromHex, toHex } from '../../src/apdu/index.js';
import { expectThrowsClass } from '../support/throws.js';

group('hex', () => {
  it('formats uppercase, optionally spaced', () => {
    expect(toHex(Uint8Array.of(0x00, 0xa4, 0x0f, 0xff))).toBe('00A40FFF');
    expect(toHex(Uint8Array.of(0x00, 0xa4, 0x0f, 0xff), { spaces: true })).toBe('00 A4 0F FF');
    expect(toHex(new Uint8Array(0))).toBe('');
  });

  it('parses with spaces, colons and either case', () => {
    expect(Array.from(fromHex('00 a4:04 0F'))).toEqual([0x00, 0xa4, 0x04, 0x0f]);
    expect(Array.from(fromHex('deadBEEF'))).toEqual([0xde, 0xad, 0xbe, 0xef]);
    expect(fromHex('').length).toBe(0);
  });

  it('names the bad character and its position', () => {
    expectThrowsClass(() => fromHex('00 G4'), ApduParseError, /invalid hex character "G" at position 3/);
    expectThrowsClass(() => fromHex('0x10'), ApduParseError, /"x" at position 1/);
  });

  it('parses long plain hex (a card image record) in either case, into a buffer of its own', () => {
    const upper = '00A40F'.repeat(30);
    const bytes = fromHex(upper.toLowerCase());
    expect(toHex(bytes)).toBe(upper);
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.buffer.byteLength).toBe(90);
  });

  it('refuses a bad character in long hex as in short, with its position', () => {
    const digits = 'AB'.repeat(40);
    expectThrowsClass(() => fromHex(`${digits}G1`), ApduParseError, /invalid hex character "G" at position 80/);
    // A character whose low byte is a hex digit ('帵' is U+5E35) is refused, not read as '5'.
    expectThrowsClass(() => fromHex(`${digits}帵1`), ApduParseError, /invalid hex character "帵" at position 80/);
    expectThrowsClass(() => fromHex(`${digits}A`), ApduParseError, /odd number of hex digits \(81\)/);
  });

  test.prop([fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF :\u5e35\u0130G'), minLength: 60 })])(
    'long text parses to its digits or throws ApduParseError, as short text does',
    (text) => {
      const digits = text.replace(/[ :]/g, '');
      if (/^(?:[0-9a-fA-F]{2})*$/.test(digits)) expect(toHex(fromHex(text))).toBe(digits.toUpperCase());
      else expectThrowsClass(() => fromHex(text), ApduParseError);
    },
  );

  it('rejects an odd digit count', () => {
    expectThrowsClass(() => fromHex('A 4 0'), ApduParseError, /odd number of hex digits \(3\)/);
  });

  it('concatenates and compares', () => {
    const joined = concatBytes(Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3));
    expect(Array.from(joined)).toEqual([1, 2, 3]);
    expect(bytesEqual(joined, Uint8Array.of(1, 2, 3))).toBe(true);
    expect(bytesEqual(joined, Uint8Array.of(1, 2, 4))).toBe(false);
    expect(bytesEqual(joined, Uint8Array.of(1, 2))).toBe(false);
  });

  test.prop([fc.uint8Array({ maxLength: 300 }), fc.boolean()])('fromHex(toHex(b)) === b', (bytes, spaces) => {
    const text = toHex(bytes, { spaces });
    expect(text.replace(/ /g, '')).toMatch(/^[0-9A-F]*$/);
    expect(text.replace(/ /g, '').length).toBe(bytes.length * 2);
    expect(bytesEqual(fromHex(text), bytes)).toBe(true);
  });

  test.prop([fc.stringMatching(/^([0-9a-fA-F]{2})*$/)])('toHex(fromHex(s)) is s uppercased', (text) => {
    expect(toHex(fromHex(text))).toBe(text.toUpperCase());
  });

  test.prop([fc.string({ maxLength: 40 })])('arbitrary text parses or throws ApduParseError', (text) => {
    try {
      const bytes = fromHex(text);
      expect(bytes.length * 2).toBe(text.replace(/[\s:]/g, '').length);
    } catch (e) {
      expect(e).toBeInstanceOf(ApduParseError);
    }
  });

  test.prop([fc.array(fc.uint8Array({ maxLength: 20 }), { maxLength: 6 })])(
    'concatBytes keeps every part in order',
    (parts) => {
      expect(toHex(concatBytes(...parts))).toBe(parts.map((p) => toHex(p)).join(''));
    },
  );
});

group('bytesEqual', () => {
  it('a shorter array is not equal to a longer one it is the start of, either way round', () => {
    expect(bytesEqual(fromHex('0102'), fromHex('010203'))).toBe(false);
    expect(bytesEqual(fromHex('010203'), fromHex('0102'))).toBe(false);
    expect(bytesEqual(new Uint8Array(0), fromHex('00'))).toBe(false);
    expect(bytesEqual(fromHex('0102'), fromHex('0102'))).toBe(true);
  });
});

// Hex digits at the edges of each range (the characters next to 0-9, A-F and a-f are not digits)
// and the separators fromHex skips.

group('hex digit ranges', () => {
  it('reads 0, 9, A, F, a and f', () => {
    expect(toHex(fromHex('09AFaf'))).toBe('09AFAF');
  });

  it.each(['/', '@', 'G', '`', 'g'])('refuses %s, next to a digit range', (ch) => {
    expectThrowsClass(() => fromHex(`0${ch}`), ApduParseError, /invalid hex character .* at position 1/);
  });

  it('skips spaces, colons, tabs, line feeds and carriage returns between digits', () => {
    expect(toHex(fromHex('0A 0B:0C\t0D\n0E\r0F'))).toBe('0A0B0C0D0E0F');
  });
});
