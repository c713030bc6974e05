import { describe, expect, it } from 'vitest';
import {
  MemoryPinStore,
  PinFormatError,
  PinPolicyError,
  PinRecordError,
  decodePinBcdDigitsInto,
  pinBcdDigitCount,
  validatePinRecord,
  validateSealedPinPolicy,
} from '../../src/pin/index.js';
import { expectThrowsClass } from '../support/throws.js';

/*
 * What the PIN layer's refusals say: the message is the only explanation a caller (a card's
 * log, an office operator) gets, and names the rule, never the digits.
 */

describe('BCD PIN refusals', () => {
  it('name what is wrong with the bytes', () => {
    expect(expectThrowsClass(() => pinBcdDigitCount('1234' as unknown as Uint8Array), PinFormatError)).toMatchObject({
      problem: 'malformed',
      message: 'PIN BCD must be a Uint8Array',
    });
    expect(expectThrowsClass(() => pinBcdDigitCount(new Uint8Array(0)), PinFormatError)).toMatchObject({
      problem: 'length',
      message: 'PIN BCD is empty',
    });
    expect(
      expectThrowsClass(() => decodePinBcdDigitsInto(new Uint8Array([0x12, 0x34]), new Uint8Array(3)), PinFormatError),
    ).toMatchObject({ problem: 'malformed', message: 'PIN digit buffer does not fit the BCD' });
    expect(
      expectThrowsClass(() => decodePinBcdDigitsInto(new Uint8Array([0x12, 0x3a]), new Uint8Array(4)), PinFormatError),
    ).toMatchObject({ problem: 'not-digits', message: 'PIN BCD has a non-digit nibble at position 3' });
  });
});

describe('PIN record refusals', () => {
  const record = {
    tryLimit: 3,
    triesLeft: 3,
    initial: true,
    verifier: { salt: '00'.repeat(16), mac: '11'.repeat(32) },
  };

  it('name the verifier field and its rule', () => {
    expect(expectThrowsClass(() => validatePinRecord({ ...record, verifier: 5 }), PinRecordError)).toMatchObject({
      field: 'verifier',
      message: 'PIN record verifier must be an object',
    });
    expect(
      expectThrowsClass(
        () => validatePinRecord({ ...record, verifier: { ...record.verifier, mac: '11'.repeat(31) } }),
        PinRecordError,
      ),
    ).toMatchObject({ field: 'verifier.mac', message: 'PIN record verifier.mac must be 32 bytes of hex' });
  });

  it('a memory store read before anything was saved says so', () => {
    expect(expectThrowsClass(() => new MemoryPinStore().load(), PinRecordError)).toMatchObject({
      field: 'record',
      message: 'no PIN record has been saved',
    });
  });
});

describe('sealed PIN policy refusals', () => {
  it('a stored policy that is not an object is refused as a whole, whatever its kind', () => {
    for (const value of ['policy', 6, true, null, []])
      expect(expectThrowsClass(() => validateSealedPinPolicy(value), PinPolicyError)).toMatchObject({
        field: 'policy',
        message: 'sealed PIN policy must be an object',
      });
  });
});
