import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex } from '../../src/apdu/index.js';
import {
  PinFormatError,
  decodeChangePinData,
  decodePinBcd,
  decodePinBcdDigits,
  decodePinBcdDigitsInto,
  decodePinBlockFormat2,
  encodeChangePinData,
  encodePinBcd,
  encodePinBlockFormat2,
  pinBcdDigitCount,
} from '../../src/pin/index.js';
import type { PinFormatProblem } from '../../src/pin/index.js';
import { expectThrowsClass, resultOrRefusal } from '../support/throws.js';
import { ascii } from './support.js';

function formatError(fn: () => unknown, problem?: PinFormatProblem): PinFormatError {
  const error = expectThrowsClass(fn, PinFormatError, { code: 'PIN_FORMAT' });
  if (problem !== undefined) expect(error.problem).toBe(problem);
  return error;
}

/**
 * One test per PIN: `encode` gives `hex` for the PIN as text and as ASCII bytes, and `decode`
 * gives the PIN back from it.
 */
function itEncodes(
  encode: (pin: string | Uint8Array) => Uint8Array,
  decode: (bytes: Uint8Array) => string,
  cases: [string, string][],
): void {
  it.each(cases)('encodes %s as %s', (pin, hex) => {
    expect(toHex(encode(pin))).toBe(hex);
    expect(toHex(encode(ascii(pin)))).toBe(hex);
    expect(decode(fromHex(hex))).toBe(pin);
  });
}

/** One test per malformed input: `decode` refuses `hex` with a PinFormatError naming `problem`. */
function itRefusesToDecode(decode: (bytes: Uint8Array) => unknown, cases: [string, PinFormatProblem][]): void {
  it.each(cases)('refuses to decode %s (%s)', (hex, problem) => {
    formatError(() => decode(fromHex(hex)), problem);
  });
}

const digitString = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });

/** decode(encode(pin)) is the PIN again for every PIN of `min`..`max` digits; `size`, if given, is every encoding's. */
function itRoundTrips(
  title: string,
  [min, max]: [number, number],
  encode: (pin: string) => Uint8Array,
  decode: (bytes: Uint8Array) => string,
  size?: number,
): void {
  it(title, () => {
    fc.assert(
      fc.property(digitString(min, max), (pin) => {
        const encoded = encode(pin);
        if (size !== undefined) expect(encoded.length).toBe(size);
        expect(decode(encoded)).toBe(pin);
      }),
      { numRuns: 200 },
    );
  });
}

/** `decode` accepts exactly the encodings: whatever it decodes of `bytes` encodes back to those bytes. */
function itDecodesOnlyEncodings(
  title: string,
  bytes: fc.Arbitrary<Uint8Array>,
  encode: (pin: string) => Uint8Array,
  decode: (bytes: Uint8Array) => string,
): void {
  it(title, () => {
    fc.assert(
      fc.property(bytes, (b) => {
        const pin = resultOrRefusal(() => decode(b), PinFormatError);
        if (pin !== undefined) expect(toHex(encode(pin))).toBe(toHex(b));
      }),
      { numRuns: 300 },
    );
  });
}

describe('PIN BCD', () => {
  itEncodes(encodePinBcd, decodePinBcd, [
    ['123456', '123456'],
    ['12345', '12345F'],
    ['000000', '000000'],
    ['9', '9F'],
    ['123456789012', '123456789012'],
  ]);

  it.each([
    ['12345a', 'not-digits'],
    ['', 'length'],
  ])('refuses to encode %j', (pin, problem) => {
    formatError(() => encodePinBcd(pin), problem as PinFormatProblem);
  });

  itRefusesToDecode(decodePinBcd, [
    ['12A456', 'not-digits'],
    ['F23456', 'not-digits'],
    ['12F456', 'not-digits'],
    ['1234FF', 'not-digits'],
    ['FF', 'not-digits'],
    ['', 'length'],
  ]);

  itRoundTrips('round-trips every digit string', [1, 16], encodePinBcd, decodePinBcd);

  it('never produces an FF byte (so FF can separate two PINs)', () => {
    fc.assert(
      fc.property(digitString(1, 16), (pin) => {
        expect(encodePinBcd(pin)).not.toContain(0xff);
      }),
      { numRuns: 200 },
    );
  });

  itDecodesOnlyEncodings(
    'decodes exactly the byte strings that are some PIN encoding',
    fc.uint8Array({ minLength: 0, maxLength: 7 }),
    encodePinBcd,
    decodePinBcd,
  );
});

describe('CHANGE PIN data', () => {
  it('is old BCD || FF || new BCD', () => {
    expect(toHex(encodeChangePinData('123456', '654321'))).toBe('123456FF654321');
    expect(toHex(encodeChangePinData('12345', ascii('6543210')))).toBe('12345FFF6543210F');
    expect(decodeChangePinData(fromHex('12345FFF6543210F'))).toEqual({ oldPin: '12345', newPin: '6543210' });
  });

  itRefusesToDecode(decodeChangePinData, [
    ['123456654321', 'malformed'],
    ['FF654321', 'length'],
    ['123456FF', 'length'],
    ['123456FF65FF21', 'not-digits'],
    ['12A456FF654321', 'not-digits'],
  ]);

  it('round-trips any two PINs', () => {
    fc.assert(
      fc.property(digitString(1, 12), digitString(1, 12), (oldPin, newPin) => {
        expect(decodeChangePinData(encodeChangePinData(oldPin, newPin))).toEqual({ oldPin, newPin });
      }),
      { numRuns: 200 },
    );
  });
});

describe('ISO 9564 format-2 PIN block', () => {
  itEncodes(encodePinBlockFormat2, decodePinBlockFormat2, [
    ['1234', '241234FFFFFFFFFF'],
    ['12345', '2512345FFFFFFFFF'],
    ['123456', '26123456FFFFFFFF'],
    ['123456789012', '2C123456789012FF'],
  ]);

  it.each(['123', '1234567890123', '12a4'])('refuses to encode %j', (pin) => {
    formatError(() => encodePinBlockFormat2(pin));
  });

  itRefusesToDecode(decodePinBlockFormat2, [
    ['26123456FFFFFF', 'length'],
    ['26123456FFFFFFFFFF', 'length'],
    ['36123456FFFFFFFF', 'malformed'],
    ['23123FFFFFFFFFFF', 'length'],
    ['2D1234567890123F', 'length'],
    ['2612345AFFFFFFFF', 'not-digits'],
    ['26123456FFFFFF0F', 'malformed'],
    ['2612345600000000', 'malformed'],
  ]);

  itRoundTrips('round-trips every 4..12 digit PIN', [4, 12], encodePinBlockFormat2, decodePinBlockFormat2, 8);

  itDecodesOnlyEncodings(
    'accepts exactly the blocks that are some PIN encoding',
    // Biased towards plausible blocks so that both branches are exercised.
    fc.oneof(
      fc.uint8Array({ minLength: 8, maxLength: 8 }),
      fc.tuple(digitString(4, 12), fc.nat({ max: 15 }), fc.nat({ max: 15 })).map(([pin, nibble, at]) => {
        const b = encodePinBlockFormat2(pin);
        const i = at >> 1;
        b[i] = at % 2 === 0 ? (nibble << 4) | ((b[i] as number) & 0x0f) : ((b[i] as number) & 0xf0) | nibble;
        return b;
      }),
    ),
    encodePinBlockFormat2,
    decodePinBlockFormat2,
  );
});

describe('decodePinBcdDigits', () => {
  it('gives the ASCII bytes of what decodePinBcd gives, and refuses exactly what it refuses', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 8 }), (bytes) => {
        let text: string | PinFormatError;
        try {
          text = decodePinBcd(bytes);
        } catch (error) {
          text = error as PinFormatError;
        }
        if (typeof text === 'string') {
          expect(Buffer.from(decodePinBcdDigits(bytes)).toString('latin1')).toBe(text);
        } else {
          expect(expectThrowsClass(() => decodePinBcdDigits(bytes), PinFormatError).problem).toBe(text.problem);
        }
      }),
    );
    expect(toHex(decodePinBcdDigits(fromHex('12345F')))).toBe('3132333435');
  });

  it('decodes into a buffer of the counted size as it decodes into its own, and wipes it on a refusal', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 8 }), (bytes) => {
        const into = new Uint8Array(pinBcdDigitCount(bytes)).fill(0x55);
        let own: Uint8Array | undefined;
        try {
          own = decodePinBcdDigits(bytes);
        } catch {
          own = undefined;
        }
        if (own === undefined) {
          expectThrowsClass(() => decodePinBcdDigitsInto(bytes, into), PinFormatError);
          expect(into.every((b) => b === 0)).toBe(true);
        } else {
          decodePinBcdDigitsInto(bytes, into);
          expect(toHex(into)).toBe(toHex(own));
        }
      }),
    );
    expect(pinBcdDigitCount(fromHex('12345F'))).toBe(5);
    expect(pinBcdDigitCount(fromHex('123456'))).toBe(6);
    formatError(() => pinBcdDigitCount(new Uint8Array(0)), 'length');
    formatError(() => decodePinBcdDigitsInto(fromHex('123456'), new Uint8Array(5)), 'malformed');
  });
});

describe('what the encoders and decoders say when refusing', () => {
  const notBytes = 123456 as unknown as Uint8Array;

  it('names the value and the rule, for strings and for ASCII bytes alike', () => {
    expect(formatError(() => encodePinBcd('12a4'), 'not-digits').message).toBe('PIN must contain only the digits 0-9');
    expect(formatError(() => encodePinBcd(''), 'length').message).toBe('PIN must have at least one digit');
    expect(formatError(() => encodePinBcd(ascii('12a4')), 'not-digits').message).toBe(
      'PIN must contain only the digits 0-9',
    );
    expect(formatError(() => encodePinBcd(Uint8Array.of(0x31, 0x2f)), 'not-digits').message).toMatch(/only the digits/);
    expect(formatError(() => encodePinBcd(Uint8Array.of(0x3a)), 'not-digits').message).toMatch(/only the digits/);
    expect(formatError(() => encodePinBcd(new Uint8Array(0)), 'length').message).toBe(
      'PIN must have at least one digit',
    );
    expect(formatError(() => encodePinBcd(notBytes), 'malformed').message).toBe(
      'PIN must be a string of digits or a Uint8Array of ASCII digit bytes',
    );
    expect(toHex(encodePinBcd(ascii('0919')))).toBe('0919');
  });

  it('says which PIN of CHANGE PIN data is wrong, and where', () => {
    expect(formatError(() => decodePinBcd(fromHex('1A')), 'not-digits').message).toBe(
      'PIN BCD has a non-digit nibble at position 1',
    );
    expect(formatError(() => decodePinBcd(new Uint8Array(0)), 'length').message).toBe('PIN BCD is empty');
    expect(formatError(() => decodePinBcd(notBytes), 'malformed').message).toBe('PIN BCD must be a Uint8Array');
    expect(formatError(() => decodeChangePinData(fromHex('12A4FF1234')), 'not-digits').message).toMatch(/^old PIN BCD/);
    expect(formatError(() => decodeChangePinData(fromHex('1234FF12A4')), 'not-digits').message).toMatch(/^new PIN BCD/);
    expect(formatError(() => decodeChangePinData(fromHex('1234')), 'malformed').message).toBe(
      'CHANGE PIN data has no FF separator',
    );
    expect(formatError(() => decodeChangePinData(notBytes), 'malformed').message).toBe(
      'CHANGE PIN data must be a Uint8Array',
    );
    expect(formatError(() => encodeChangePinData('12a4', '1234'), 'not-digits').message).toMatch(/^PIN must contain/);
    expect(formatError(() => encodeChangePinData('1234', ''), 'length').message).toMatch(/^PIN must have/);
  });

  it('explains a refused format-2 block', () => {
    expect(formatError(() => encodePinBlockFormat2('123'), 'length').message).toBe(
      'a format-2 PIN block holds from 4 to 12 digits',
    );
    expect(formatError(() => encodePinBlockFormat2('12a4'), 'not-digits').message).toMatch(/^PIN must contain/);
    expect(formatError(() => decodePinBlockFormat2(notBytes), 'malformed').message).toBe(
      'PIN block must be a Uint8Array',
    );
    expect(formatError(() => decodePinBlockFormat2(fromHex('2412')), 'length').message).toBe(
      'a format-2 PIN block is 8 bytes',
    );
    expect(formatError(() => decodePinBlockFormat2(fromHex('141234FFFFFFFFFF')), 'malformed').message).toBe(
      'PIN block control nibble is not 2 (format 2)',
    );
    expect(formatError(() => decodePinBlockFormat2(fromHex('231234FFFFFFFFFF')), 'length').message).toBe(
      'PIN block digit count must be from 4 to 12',
    );
    expect(formatError(() => decodePinBlockFormat2(fromHex('24123AFFFFFFFFFF')), 'not-digits').message).toBe(
      'PIN block has a non-digit nibble at position 5',
    );
    expect(formatError(() => decodePinBlockFormat2(fromHex('241234F0FFFFFFFF')), 'malformed').message).toBe(
      'PIN block fill nibble at position 7 is not F',
    );
  });
});
