import { describe as group, expect, it } from 'vitest';
import {
  ApduEncodeError,
  ApduParseError,
  decodeResponse,
  encodeResponse,
  fromHex,
  toHex,
} from '../../src/apdu/index.js';
import { expectThrowsClass } from '../support/throws.js';

// Hex digits at the edges of each range (the characters next to 0-9, A-F and a-f are not digits),
// the separators fromHex skips, and the response codec's refusal of values that are not bytes.

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

group('response codec inputs', () => {
  it('decodes only byte arrays', () => {
    expectThrowsClass(
      () => decodeResponse([0x90, 0x00] as unknown as Uint8Array),
      ApduParseError,
      /response must be a Uint8Array/,
    );
  });

  it('encodes only byte arrays and whole status words', () => {
    expectThrowsClass(
      () => encodeResponse([1] as unknown as Uint8Array, 0x9000),
      ApduEncodeError,
      /response data must be a Uint8Array/,
    );
    expectThrowsClass(() => encodeResponse(new Uint8Array(0), 0x9000 + 0.5), ApduEncodeError, /status word/);
    expect(toHex(encodeResponse(new Uint8Array(0), 0xffff))).toBe('FFFF');
    expect(toHex(encodeResponse(new Uint8Array(0), 0))).toBe('0000');
  });
});
