import { describe, expect, it } from 'vitest';
import {
  MemoryPinStore,
  PIN_MAX_TRY_LIMIT,
  Pin,
  PinRecordError,
  definePinPolicy,
  validatePinRecord,
} from '../../src/pin/index.js';
import type { PinRecord } from '../../src/pin/index.js';
import { expectThrowsClass } from '../support/throws.js';

const SALT = '00112233445566778899aabbccddeeff';
const MAC = '0123456789ABCDEF'.repeat(4);

function good(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { tryLimit: 3, triesLeft: 3, initial: true, verifier: { salt: SALT, mac: MAC }, ...overrides };
}

/** The field a PinRecordError names for `value`. */
function badField(value: unknown): string {
  const error = expectThrowsClass(() => validatePinRecord(value), PinRecordError);
  expect(error.code).toBe('PIN_RECORD');
  expect(error.message).toContain(error.field === 'record' ? 'object' : error.field);
  return error.field;
}

describe('validatePinRecord', () => {
  it('accepts a well-formed record, hex in either case, at every bound', () => {
    expect(validatePinRecord(good())).toEqual(good());
    for (const [tryLimit, triesLeft] of [
      [1, 0],
      [1, 1],
      [PIN_MAX_TRY_LIMIT, 0],
      [PIN_MAX_TRY_LIMIT, PIN_MAX_TRY_LIMIT],
    ]) {
      expect(validatePinRecord(good({ tryLimit, triesLeft }))).toMatchObject({ tryLimit, triesLeft });
    }
    expect(validatePinRecord(good({ initial: false })).initial).toBe(false);
    const upper = { salt: SALT.toUpperCase(), mac: MAC.toLowerCase() };
    expect(validatePinRecord(good({ verifier: upper })).verifier).toEqual(upper);
  });

  it('refuses anything but an object', () => {
    for (const value of [null, undefined, 3, 'record', [good()]]) expect(badField(value)).toBe('record');
  });

  it('refuses a tryLimit that is not an integer from 1 to the maximum', () => {
    for (const tryLimit of [0, -1, PIN_MAX_TRY_LIMIT + 1, 2.5, Number.NaN, Number.POSITIVE_INFINITY, '3', undefined]) {
      expect(badField(good({ tryLimit, triesLeft: 0 }))).toBe('tryLimit');
    }
  });

  it('refuses a triesLeft below 0, above tryLimit or not an integer', () => {
    for (const triesLeft of [-1, 4, 1.5, Number.NaN, '3', undefined, null]) {
      expect(badField(good({ triesLeft }))).toBe('triesLeft');
    }
  });

  it('refuses an initial flag that is not a boolean', () => {
    for (const initial of ['true', 1, 0, undefined, null]) expect(badField(good({ initial }))).toBe('initial');
  });

  it('refuses a verifier that is not an object', () => {
    for (const verifier of [undefined, null, 'salt:mac', [SALT, MAC]]) {
      expect(badField(good({ verifier }))).toBe('verifier');
    }
  });

  it('refuses a salt or MAC of the wrong length or with a character that is not hex', () => {
    const notHex = (hex: string, at: number): string => `${hex.slice(0, at)}g${hex.slice(at + 1)}`;
    const salts = [SALT.slice(2), `${SALT}00`, SALT.slice(1), notHex(SALT, 0), notHex(SALT, 31), notHex(SALT, 9), 16];
    for (const salt of salts) expect(badField(good({ verifier: { salt, mac: MAC } }))).toBe('verifier.salt');
    const macs = [MAC.slice(2), `${MAC}00`, SALT, notHex(MAC, 0), notHex(MAC, 63), ` ${MAC.slice(1)}`, undefined];
    for (const mac of macs) expect(badField(good({ verifier: { salt: SALT, mac } }))).toBe('verifier.mac');
  });

  it('returns a detached copy without foreign fields', () => {
    const verifier = { salt: SALT, mac: MAC, digits: '123456' };
    const input: Record<string, unknown> = { ...good({ verifier }), pin: '123456' };
    const checked = validatePinRecord(input);
    expect(checked).toEqual(good());
    verifier.salt = 'changed';
    input['tryLimit'] = 9;
    expect(checked).toEqual(good());
  });
});

describe('MemoryPinStore', () => {
  it('has nothing to load before the first save', () => {
    expect(expectThrowsClass(() => new MemoryPinStore().load(), PinRecordError).field).toBe('record');
  });

  it('validates what it is given and keeps its own copy', () => {
    expect(
      expectThrowsClass(() => new MemoryPinStore(good({ triesLeft: -1 }) as unknown as PinRecord), PinRecordError)
        .field,
    ).toBe('triesLeft');
    const store = new MemoryPinStore();
    expect(
      expectThrowsClass(() => store.save(good({ tryLimit: 16 }) as unknown as PinRecord), PinRecordError).field,
    ).toBe('tryLimit');
    const record = good() as unknown as PinRecord;
    store.save(record);
    record.triesLeft = 0;
    const loaded = store.load();
    expect(loaded.triesLeft).toBe(3);
    loaded.verifier.salt = 'changed';
    expect(store.load()).toEqual(good());
    expect(new MemoryPinStore(good() as unknown as PinRecord).load()).toEqual(good());
  });
});

describe('a damaged record never reaches the counter', () => {
  // A record with triesLeft -1 would never read as blocked (0) and would count down forever: the
  // engine must refuse it as it is read, not treat it as a PIN with unlimited tries.
  it('refuses a negative counter before any try', () => {
    const damaged = good({ triesLeft: -1 });
    const store = { load: () => damaged as unknown as PinRecord, save: () => expect.unreachable('saved') };
    expect(expectThrowsClass(() => new Pin(definePinPolicy(), store), PinRecordError).field).toBe('triesLeft');
  });

  it('refuses a record damaged after the engine opened it, at the next try', () => {
    let record = good() as unknown as PinRecord;
    const pin = new Pin(definePinPolicy(), { load: () => record, save: (r) => (record = r) });
    record = { ...record, triesLeft: -1 };
    expect(expectThrowsClass(() => pin.verify('000000'), PinRecordError).field).toBe('triesLeft');
    record = { ...record, triesLeft: 3, tryLimit: 0 };
    expect(expectThrowsClass(() => pin.verify('000000'), PinRecordError).field).toBe('tryLimit');
  });
});
