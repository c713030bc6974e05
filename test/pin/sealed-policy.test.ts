import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import {
  MemoryPinStore,
  Pin,
  PinPolicyError,
  definePinPolicy,
  isSealedPinPolicy,
  matchesInitialPin,
  sealPinPolicy,
  validateSealedPinPolicy,
} from '../../src/pin/index.js';
import type { PinPolicy, SealedPinPolicy } from '../../src/pin/index.js';
import { buffersMadeBy } from '../support/buffers-made.js';
import { expectThrowsClass } from '../support/throws.js';

function policyField(fn: () => unknown): string {
  const error = expectThrowsClass(fn, PinPolicyError);
  return error.field;
}

describe('sealPinPolicy', () => {
  it('keeps the rules, replaces the initial PIN by a salted verifier, and never holds the digits', () => {
    const clear = definePinPolicy({ initialPin: '246810', tryLimit: 6, forbidReturnToInitial: true });
    const sealed = sealPinPolicy(clear);
    expect(isSealedPinPolicy(sealed)).toBe(true);
    expect(isSealedPinPolicy(clear)).toBe(false);
    expect(sealed).toMatchObject({ minLength: 6, maxLength: 6, tryLimit: 6, forbidReturnToInitial: true });
    expect('initialPin' in sealed).toBe(false);
    expect(sealed.initialPinVerifier.salt).toMatch(/^[0-9A-F]{32}$/);
    expect(sealed.initialPinVerifier.mac).toMatch(/^[0-9A-F]{64}$/);
    const json = JSON.stringify(sealed);
    for (const needle of ['246810', '323436383130', Buffer.from('246810').toString('base64')]) {
      expect(json.toUpperCase()).not.toContain(needle.toUpperCase());
    }
    expect(Object.isFrozen(sealed)).toBe(true);
  });

  it('uses a fresh salt each time, so equal initial PINs do not look equal', () => {
    const clear = definePinPolicy();
    expect(sealPinPolicy(clear).initialPinVerifier.mac).not.toBe(sealPinPolicy(clear).initialPinVerifier.mac);
  });

  test.prop([
    fc.record({ len: fc.integer({ min: 4, max: 12 }), digits: fc.stringMatching(/^[0-9]{12}$/) }),
    fc.stringMatching(/^[0-9]{3,13}$/),
  ])('recognises the initial PIN exactly as the clear policy does', ({ len, digits }, candidate) => {
    const clear = definePinPolicy({ minLength: 4, maxLength: 12, initialPin: digits.slice(0, len) });
    const sealed = sealPinPolicy(clear);
    expect(matchesInitialPin(sealed, candidate)).toBe(matchesInitialPin(clear, candidate));
    expect(matchesInitialPin(sealed, clear.initialPin)).toBe(true);
    expect(matchesInitialPin(sealed, new Uint8Array(Buffer.from(clear.initialPin)))).toBe(true);
    expect(matchesInitialPin(sealed, candidate)).toBe(candidate === clear.initialPin);
  });

  it('a value outside the format is simply not the initial PIN', () => {
    const sealed = sealPinPolicy(definePinPolicy());
    expect(matchesInitialPin(sealed, '12345')).toBe(false);
    expect(matchesInitialPin(sealed, '12345a')).toBe(false);
    expect(matchesInitialPin(sealed, 123456 as unknown as string)).toBe(false);
  });
});

describe('validateSealedPinPolicy', () => {
  const good = (): Record<string, unknown> =>
    JSON.parse(JSON.stringify(sealPinPolicy(definePinPolicy({ initialPin: '246810' }))));

  it('accepts what sealPinPolicy made (after JSON) and returns a frozen copy', () => {
    const v = validateSealedPinPolicy(good());
    expect(Object.isFrozen(v)).toBe(true);
    expect(matchesInitialPin(v, '246810')).toBe(true);
  });

  it('names the bad field, refuses a clear initial PIN and defaults nothing', () => {
    expect(policyField(() => validateSealedPinPolicy({ ...good(), initialPin: '246810' }))).toBe('initialPin');
    const missing = good();
    delete missing['tryLimit'];
    expect(policyField(() => validateSealedPinPolicy(missing))).toBe('tryLimit');
    expect(policyField(() => validateSealedPinPolicy({ ...good(), maxLength: 13 }))).toBe('maxLength');
    const salt = good();
    (salt['initialPinVerifier'] as Record<string, unknown>)['salt'] = 'XYZ';
    expect(policyField(() => validateSealedPinPolicy(salt))).toBe('initialPinVerifier.salt');
    expect(policyField(() => validateSealedPinPolicy({ ...good(), initialPinVerifier: 'x' }))).toBe(
      'initialPinVerifier',
    );
    expect(policyField(() => validateSealedPinPolicy(null))).toBe('policy');
  });
});

describe('the PIN engine over a sealed policy', () => {
  it('needs the PIN to personalise with, since the policy has none in clear', () => {
    const sealed = sealPinPolicy(definePinPolicy());
    expect(policyField(() => Pin.create(sealed, new MemoryPinStore()))).toBe('initialPin');
    expect(expectThrowsClass(() => Pin.create(sealed, new MemoryPinStore()), PinPolicyError).message).toBe(
      'a sealed PIN policy holds no initial PIN: give the PIN to personalise with',
    );
    expect(Pin.create(sealed, new MemoryPinStore(), '123456').status().initial).toBe(true);
    expect(Pin.create(sealed, new MemoryPinStore(), '654321').status().initial).toBe(false);
  });

  it('createSealed seals a clear policy and personalises with one salted MAC for the initial PIN', () => {
    const clear = definePinPolicy({ initialPin: '246810', tryLimit: 5 });
    const store = new MemoryPinStore();
    const pin = Pin.createSealed(clear, store);
    expect(isSealedPinPolicy(pin.policy)).toBe(true);
    expect(JSON.stringify(pin.policy)).not.toContain('246810');
    const sealed = pin.policy as SealedPinPolicy;
    expect(store.load()).toEqual({ tryLimit: 5, triesLeft: 5, initial: true, verifier: sealed.initialPinVerifier });
    expect(pin.verify('246810')).toEqual({ ok: true });
    // Another PIN gets a verifier of its own.
    const other = new MemoryPinStore();
    const own = Pin.createSealed(clear, other, '135790');
    expect(other.load().initial).toBe(false);
    expect(other.load().verifier.salt).not.toBe((own.policy as SealedPinPolicy).initialPinVerifier.salt);
    expect(own.verify('246810')).toEqual({ ok: false, reason: 'incorrect', triesLeft: 4 });
    expect(own.verify('135790')).toEqual({ ok: true });
    expect(new Pin(JSON.parse(JSON.stringify(sealed)) as SealedPinPolicy, store).verify('246810')).toEqual({
      ok: true,
    });
  });

  it('refuses a return to the initial PIN and flags an issuer reload of it', () => {
    const sealed = sealPinPolicy(definePinPolicy({ initialPin: '246810', forbidReturnToInitial: true }));
    const store = new MemoryPinStore();
    const pin = Pin.create(sealed, store, '246810');
    expect(pin.change('246810', '135790')).toEqual({ ok: true });
    expect(pin.status().initial).toBe(false);
    // A second engine over the stored record and the sealed policy: the situation after loading an image.
    const restored = new Pin(JSON.parse(JSON.stringify(sealed)) as SealedPinPolicy, store);
    expect(restored.change('135790', '246810')).toEqual({ ok: false, reason: 'initial-forbidden' });
    restored.reload('246810');
    expect(restored.status().initial).toBe(true);
  });

  type Op =
    | { kind: 'verify'; pin: number }
    | { kind: 'change'; old: number; next: number }
    | { kind: 'reload'; pin: number }
    | { kind: 'unblock'; pin: number | undefined };
  const pinIndex = fc.integer({ min: 0, max: 3 });
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('verify' as const), pin: pinIndex }),
    fc.record({ kind: fc.constant('change' as const), old: pinIndex, next: pinIndex }),
    fc.record({ kind: fc.constant('reload' as const), pin: pinIndex }),
    fc.record({ kind: fc.constant('unblock' as const), pin: fc.option(pinIndex, { nil: undefined }) }),
  );

  test.prop([fc.boolean(), fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 30 }), fc.constantFrom(0, 1)], {
    numRuns: 60,
  })(
    'gives the same answers and status as the clear policy over any command sequence',
    (forbidReturnToInitial, tryLimit, ops, start) => {
      const pins = ['246810', '135790', '000000', '999999'];
      const clear: PinPolicy = definePinPolicy({ initialPin: '246810', forbidReturnToInitial, tryLimit });
      const a = Pin.create(clear, new MemoryPinStore(), pins[start]);
      const b = Pin.create(sealPinPolicy(clear), new MemoryPinStore(), pins[start]);
      const c = Pin.createSealed(clear, new MemoryPinStore(), pins[start]);
      const p = (i: number): string => pins[i] as string;
      for (const o of ops) {
        switch (o.kind) {
          case 'verify': {
            const expected = a.verify(p(o.pin));
            expect(b.verify(p(o.pin))).toEqual(expected);
            expect(c.verify(p(o.pin))).toEqual(expected);
            break;
          }
          case 'change': {
            const expected = a.change(p(o.old), p(o.next));
            expect(b.change(p(o.old), p(o.next))).toEqual(expected);
            expect(c.change(p(o.old), p(o.next))).toEqual(expected);
            break;
          }
          case 'reload':
            for (const e of [a, b, c]) e.reload(p(o.pin));
            break;
          case 'unblock':
            for (const e of [a, b, c]) e.unblock(o.pin === undefined ? undefined : p(o.pin));
            break;
        }
        expect(b.status()).toEqual(a.status());
        expect(c.status()).toEqual(a.status());
      }
    },
  );
});

describe('sealed policy edges', () => {
  it('only an object with an initial-PIN verifier is sealed', () => {
    for (const value of [null, undefined, 'initialPinVerifier', 7]) {
      expect(isSealedPinPolicy(value as unknown as PinPolicy)).toBe(false);
    }
    expect(isSealedPinPolicy(definePinPolicy())).toBe(false);
    expect(isSealedPinPolicy(sealPinPolicy(definePinPolicy()))).toBe(true);
  });

  it('says what is wrong with a sealed policy read back', () => {
    const sealed = JSON.parse(JSON.stringify(sealPinPolicy(definePinPolicy()))) as Record<string, unknown>;
    const message = (value: unknown): string =>
      expectThrowsClass(() => validateSealedPinPolicy(value), PinPolicyError).message;
    expect(message(null)).toBe('sealed PIN policy must be an object');
    expect(message([sealed])).toBe('sealed PIN policy must be an object');
    expect(message({ ...sealed, initialPin: '123456' })).toBe('sealed PIN policy has no field "initialPin"');
    expect(message({ ...sealed, tryLimit: undefined })).toBe('sealed PIN policy needs tryLimit');
    expect(message({ ...sealed, initialPinVerifier: { salt: 'AB', mac: '00' } })).toBe(
      'sealed PIN policy initialPinVerifier.salt must be 16 bytes of hex',
    );
    for (const field of ['minLength', 'maxLength', 'tryLimit', 'forbidReturnToInitial', 'initialPinVerifier']) {
      expect(policyField(() => validateSealedPinPolicy({ ...sealed, [field]: undefined }))).toBe(field);
    }
  });

  it('wipes its copies of the initial PIN after sealing and after comparing', () => {
    const made = buffersMadeBy(() => {
      const clear = definePinPolicy({ initialPin: '975310' });
      sealPinPolicy(clear);
      expect(matchesInitialPin(clear, '975310')).toBe(true);
      expect(matchesInitialPin(clear, '975311')).toBe(false);
    });
    const copies = made.filter((b) => b.length === 6);
    expect(copies.length).toBeGreaterThanOrEqual(3);
    for (const copy of copies) expect([...copy]).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
