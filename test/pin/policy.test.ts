import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_PIN_POLICY,
  PinFormatError,
  PinPolicyError,
  definePinPolicy,
  validatePinFormat,
} from '../../src/pin/index.js';
import type { PinPolicy } from '../../src/pin/index.js';
import { expectThrowsClass } from '../support/throws.js';
import { ascii } from './support.js';

function policyError(partial: unknown): PinPolicyError {
  return expectThrowsClass(() => definePinPolicy(partial as Partial<PinPolicy>), PinPolicyError, {
    code: 'PIN_POLICY',
  });
}

describe('definePinPolicy', () => {
  it('fills the SSC defaults', () => {
    expect(definePinPolicy()).toEqual({
      minLength: 6,
      maxLength: 6,
      initialPin: '123456',
      tryLimit: 3,
      forbidReturnToInitial: false,
    });
    expect(DEFAULT_PIN_POLICY).toEqual(definePinPolicy({}));
  });

  it('takes overrides and returns a frozen policy', () => {
    const policy = definePinPolicy({
      tryLimit: 6,
      minLength: 4,
      maxLength: 8,
      initialPin: '0000',
      forbidReturnToInitial: true,
    });
    expect(policy).toEqual({
      tryLimit: 6,
      minLength: 4,
      maxLength: 8,
      initialPin: '0000',
      forbidReturnToInitial: true,
    });
    expect(Object.isFrozen(policy)).toBe(true);
  });

  it.each([
    [{ tryLimit: 0 }, 'tryLimit'],
    [{ tryLimit: 16 }, 'tryLimit'],
    [{ tryLimit: 2.5 }, 'tryLimit'],
    [{ tryLimit: '3' }, 'tryLimit'],
    [{ minLength: 3, initialPin: '123' }, 'minLength'],
    [{ minLength: 13 }, 'minLength'],
    [{ maxLength: 13 }, 'maxLength'],
    [{ minLength: 8 }, 'maxLength'],
    [{ forbidReturnToInitial: 'yes' }, 'forbidReturnToInitial'],
    [{ initialPin: '12345' }, 'initialPin'],
    [{ initialPin: '12345a' }, 'initialPin'],
    [{ initialPin: 123456 }, 'initialPin'],
    [{ trylimit: 3 }, 'trylimit'],
  ])('rejects %j naming %s', (partial, field) => {
    const error = policyError(partial);
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
  });

  it('rejects a non-object', () => {
    expect(policyError(42).field).toBe('policy');
  });

  it('accepts exactly the valid tryLimit range 1..15', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 25 }), (tryLimit) => {
        const valid = tryLimit >= 1 && tryLimit <= 15;
        if (valid) expect(definePinPolicy({ tryLimit }).tryLimit).toBe(tryLimit);
        else expect(policyError({ tryLimit }).field).toBe('tryLimit');
      }),
      { numRuns: 60 },
    );
  });
});

describe('validatePinFormat', () => {
  const policy = definePinPolicy({ minLength: 4, maxLength: 8, initialPin: '1234' });

  it('accepts digit strings and ASCII digit bytes within the bounds', () => {
    for (const pin of ['1234', '12345678', '0000']) {
      expect(() => validatePinFormat(pin, policy)).not.toThrow();
      expect(() => validatePinFormat(ascii(pin), policy)).not.toThrow();
    }
  });

  it.each([
    ['123', 'length'],
    ['123456789', 'length'],
    ['', 'length'],
    ['12a4', 'not-digits'],
    ['12 4', 'not-digits'],
    ['１２３４', 'not-digits'],
    // U+0131 narrows to 0x31 ('1') in latin1; it must not pass as a digit.
    ['\u0131\u0132\u0133\u0134', 'not-digits'],
  ])('rejects %j as %s', (pin, problem) => {
    const error = expectThrowsClass(() => validatePinFormat(pin, policy), PinFormatError, { code: 'PIN_FORMAT' });
    expect(error.problem).toBe(problem);
  });

  it('rejects BCD-looking bytes (the engine takes ASCII digits)', () => {
    const error = expectThrowsClass(
      () => validatePinFormat(Uint8Array.of(0x01, 0x02, 0x03, 0x04), policy),
      PinFormatError,
    );
    expect(error.problem).toBe('not-digits');
  });

  it('rejects a value that is neither string nor bytes', () => {
    const error = expectThrowsClass(() => validatePinFormat(1234 as unknown as string, policy), PinFormatError);
    expect(error.problem).toBe('malformed');
  });

  it('accepts exactly the digit strings within the bounds', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('0', '5', '9', 'a', '/', ':'), maxLength: 10 }), (pin) => {
        const ok = /^[0-9]{4,8}$/.test(pin);
        let failed = false;
        try {
          validatePinFormat(pin, policy);
        } catch (error) {
          expect(error).toBeInstanceOf(PinFormatError);
          failed = true;
        }
        expect(failed).toBe(!ok);
      }),
      { numRuns: 200 },
    );
  });
});

describe('what the policy says when refusing', () => {
  it('states the length rule: exactly N digits, or from N to M', () => {
    expect(expectThrowsClass(() => validatePinFormat('12345', definePinPolicy()), PinFormatError).message).toBe(
      'PIN must have exactly 6 digits',
    );
    const range = definePinPolicy({ minLength: 4, maxLength: 8, initialPin: '1234' });
    expect(expectThrowsClass(() => validatePinFormat('123', range), PinFormatError).message).toBe(
      'PIN must have from 4 to 8 digits',
    );
    expect(policyError({ initialPin: '12345' }).message).toBe('PIN policy initialPin must have exactly 6 digits');
    expect(policyError({ minLength: 4, maxLength: 5 }).message).toBe(
      'PIN policy initialPin must have from 4 to 5 digits',
    );
  });

  it('names the broken rule of a PIN and of a policy', () => {
    expect(expectThrowsClass(() => validatePinFormat('12a456', definePinPolicy()), PinFormatError).message).toBe(
      'PIN must contain only the digits 0-9',
    );
    expect(
      expectThrowsClass(() => validatePinFormat(123456 as unknown as string, definePinPolicy()), PinFormatError)
        .message,
    ).toBe('PIN must be a string of digits or a Uint8Array of ASCII digit bytes');
    expect(policyError(42).message).toBe('PIN policy must be an object');
    expect(policyError(null).field).toBe('policy');
    expect(policyError('x').field).toBe('policy');
  });
});
