import { describe as group, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import {
  ApduEncodeError,
  ApduParseError,
  decodeResponse,
  encodeResponse,
  fromHex,
  toHex,
} from '../../src/apdu/index.js';
import { expectThrowsClass } from '../support/throws.js';

group('response APDUs', () => {
  it('splits data and status word', () => {
    const r = decodeResponse(fromHex('86 01 03 90 00'));
    expect(toHex(r.data)).toBe('860103');
    expect(r).toMatchObject({ sw1: 0x90, sw2: 0x00, sw: 0x9000 });
    expect(decodeResponse(fromHex('63 C2'))).toMatchObject({ sw: 0x63c2, sw1: 0x63, sw2: 0xc2 });
  });

  it('copies the data rather than aliasing the input', () => {
    const raw = fromHex('AA 90 00');
    const r = decodeResponse(raw);
    raw[0] = 0x00;
    expect(toHex(r.data)).toBe('AA');
  });

  it('rejects a response shorter than 2 bytes', () => {
    expectThrowsClass(() => decodeResponse(new Uint8Array(0)), ApduParseError, /response shorter than 2 bytes/);
    expectThrowsClass(() => decodeResponse(Uint8Array.of(0x90)), ApduParseError, /response shorter than 2 bytes/);
  });

  it('encodes data || SW1 SW2 and rejects impossible status words', () => {
    expect(toHex(encodeResponse(fromHex('0102'), 0x6a82))).toBe('01026A82');
    expectThrowsClass(() => encodeResponse(new Uint8Array(0), 0x10000), ApduEncodeError, /status word/);
    expectThrowsClass(() => encodeResponse(new Uint8Array(0), -1), ApduEncodeError, /status word/);
  });

  test.prop([fc.uint8Array({ maxLength: 300 })])('decodeResponse on random bytes: value or ApduParseError', (bytes) => {
    let r;
    try {
      r = decodeResponse(bytes);
    } catch (e) {
      expect(e).toBeInstanceOf(ApduParseError);
      expect(bytes.length).toBeLessThan(2);
      return;
    }
    expect(r.sw).toBe((r.sw1 << 8) | r.sw2);
    expect(toHex(encodeResponse(r.data, r.sw))).toBe(toHex(bytes));
  });

  test.prop([fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 0xffff })])(
    'encode/decode round trip',
    (data, sw) => {
      const r = decodeResponse(encodeResponse(data, sw));
      expect(r.sw).toBe(sw);
      expect(toHex(r.data)).toBe(toHex(data));
    },
  );
});

// The response codec's refusal of values that are not bytes.

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
