import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { toHex } from '../../src/apdu/index.js';
import {
  MemoryPinStore,
  Pin,
  decodeChangePinData,
  decodePinBcd,
  decodePinBlockFormat2,
  definePinPolicy,
  encodePinBcd,
  encodePinBlockFormat2,
  validatePinFormat,
} from '../../src/pin/index.js';
import { thrown } from '../support/throws.js';
import { ascii } from './support.js';

/** Every textual face of an error: message, String(), inspect() (stack, own fields), JSON. */
function errorText(fn: () => unknown): string {
  const error = thrown(fn);
  return [String(error), inspect(error, { depth: 5 }), JSON.stringify(error)].join('\n');
}

function forms(pin: string): string[] {
  return [pin, toHex(ascii(pin)), toHex(ascii(pin), { spaces: true })];
}

const digits = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });

describe('PIN digits stay out of errors and records', () => {
  it('no error caused by a PIN value mentions it', () => {
    fc.assert(
      fc.property(digits(6, 11), (pin) => {
        const exact = definePinPolicy({ minLength: 12, maxLength: 12, initialPin: '000000000000' });
        const short = pin.slice(0, 5);
        const long = `${pin}0000000`;
        // [the digits offered, an operation that must reject them]
        const cases: [string, () => unknown][] = [
          [pin, () => validatePinFormat(pin, exact)],
          [pin, () => validatePinFormat(`${pin}x`, definePinPolicy({ minLength: 4, maxLength: 12 }))],
          [pin, () => Pin.create(exact, new MemoryPinStore(), pin)],
          [short, () => Pin.create(definePinPolicy(), new MemoryPinStore()).verify(short)],
          [long, () => Pin.create(definePinPolicy(), new MemoryPinStore()).reload(long)],
          [pin, () => encodePinBcd(`${pin}a`)],
          [pin, () => encodePinBcd(ascii(`${pin}a`))],
          [long, () => encodePinBlockFormat2(long)],
          [pin, () => decodePinBcd(Uint8Array.of(...encodePinBcd(pin), 0xab))],
          [pin, () => decodeChangePinData(Uint8Array.of(...encodePinBcd(pin), ...encodePinBcd(pin)))],
          [pin, () => decodePinBlockFormat2(Uint8Array.of(0x2d, ...encodePinBcd(`${pin}00`).subarray(0, 7)))],
          [short, () => definePinPolicy({ initialPin: `${short}a` })],
          [long, () => definePinPolicy({ initialPin: long })],
        ];
        for (const [offered, fn] of cases) {
          const text = errorText(fn);
          for (const form of forms(offered)) expect(text).not.toContain(form);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('a saved record of a long PIN does not contain it in any form', () => {
    // 10..12 digits: a chance match inside the random 96 hex characters is below 1e-9.
    fc.assert(
      fc.property(digits(10, 12), (pin) => {
        const store = new MemoryPinStore();
        const policy = definePinPolicy({ minLength: 10, maxLength: 12, initialPin: '0000000000' });
        const engine = Pin.create(policy, store, '0000000000');
        engine.reload(pin);
        engine.verify(pin);
        engine.change(pin, pin.split('').reverse().join(''));
        const json = JSON.stringify(store.load());
        for (const form of forms(pin)) expect(json).not.toContain(form);
      }),
      { numRuns: 100 },
    );
  });

  it('a record holds only the counter, the flag and a salted HMAC of the PIN', () => {
    const store = new MemoryPinStore();
    Pin.create(definePinPolicy(), store, '482916');
    const record = store.load();
    expect(Object.keys(record).sort()).toEqual(['initial', 'triesLeft', 'tryLimit', 'verifier']);
    expect(Object.keys(record.verifier).sort()).toEqual(['mac', 'salt']);
    // Recomputed here independently: the mac is exactly HMAC-SHA256(key = salt, ASCII digits).
    const mac = createHmac('sha256', Buffer.from(record.verifier.salt, 'hex')).update('482916', 'ascii').digest('hex');
    expect(record.verifier.mac.toLowerCase()).toBe(mac);
    const { verifier: _verifier, ...rest } = record;
    expect(JSON.stringify(rest)).not.toContain('482916');
  });

  it('salts every verifier afresh, so equal PINs do not give equal records', () => {
    const a = new MemoryPinStore();
    const b = new MemoryPinStore();
    Pin.create(definePinPolicy(), a);
    Pin.create(definePinPolicy(), b);
    expect(a.load().verifier.salt).not.toBe(b.load().verifier.salt);
    expect(a.load().verifier.mac).not.toBe(b.load().verifier.mac);
  });
});
