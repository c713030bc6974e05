import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryPinStore, Pin, PinFormatError, PinRecordError, definePinPolicy } from '../../src/pin/index.js';
import type { PinPolicy, PinRecord } from '../../src/pin/index.js';
import { buffersMadeBy } from '../support/buffers-made.js';
import { expectThrowsClass } from '../support/throws.js';
import { LendingTearableStore, TearError, TearableStore, ascii } from './support.js';

function fresh(policy: Partial<PinPolicy> = {}, pin?: string): { pin: Pin; store: TearableStore } {
  const store = new TearableStore();
  return { pin: Pin.create(definePinPolicy(policy), store, pin), store };
}

describe('Pin.create and status', () => {
  it('personalises a full counter on the initial PIN', () => {
    const { pin, store } = fresh();
    expect(pin.status()).toEqual({ triesLeft: 3, tryLimit: 3, blocked: false, verified: false, initial: true });
    const record = store.peek();
    expect(record.triesLeft).toBe(3);
    expect(record.verifier.salt).toMatch(/^[0-9A-F]{32}$/);
    expect(record.verifier.mac).toMatch(/^[0-9A-F]{64}$/);
  });

  it('marks an issuer-set PIN other than the initial value as not initial', () => {
    const { pin } = fresh({ tryLimit: 6 }, '908172');
    expect(pin.status()).toMatchObject({ initial: false, tryLimit: 6, triesLeft: 6 });
    expect(pin.verify('908172')).toEqual({ ok: true });
  });

  it('reports a missing or damaged record by name instead of starting fresh', () => {
    expectThrowsClass(() => new Pin(definePinPolicy(), new MemoryPinStore()), PinRecordError);
    const { store } = fresh();
    const damaged = { ...store.peek(), triesLeft: 4 };
    const error = expectThrowsClass(
      () => new Pin(definePinPolicy(), { load: () => damaged, save: () => {} }),
      PinRecordError,
    );
    expect(error.field).toBe('triesLeft');
    expect(error.code).toBe('PIN_RECORD');
  });

  it('checks a lent record again whenever the store lends another object', () => {
    const store = new LendingTearableStore();
    const pin = Pin.create(definePinPolicy(), store);
    expect(pin.verify('123456')).toEqual({ ok: true });
    expect(pin.verify('111111')).toEqual({ ok: false, reason: 'incorrect', triesLeft: 2 });
    const damaged = { ...store.borrow(), triesLeft: 9 };
    store.borrow = () => damaged;
    expect(expectThrowsClass(() => pin.verify('123456'), PinRecordError).field).toBe('triesLeft');
  });

  it('treats the record tryLimit as authoritative', () => {
    const { store } = fresh({ tryLimit: 5 });
    const pin = new Pin(definePinPolicy({ tryLimit: 3 }), store);
    expect(pin.verify('000000')).toEqual({ ok: false, reason: 'incorrect', triesLeft: 4 });
    expect(pin.verify('123456')).toEqual({ ok: true });
    expect(pin.status().triesLeft).toBe(5);
  });
});

describe('verify', () => {
  it('accepts the right PIN as a string or as ASCII bytes and sets verified', () => {
    const { pin } = fresh();
    expect(pin.verify('123456')).toEqual({ ok: true });
    expect(pin.status().verified).toBe(true);
    pin.clearVerified();
    expect(pin.status().verified).toBe(false);
    expect(pin.verify(ascii('123456'))).toEqual({ ok: true });
    expect(pin.status().verified).toBe(true);
  });

  it('counts down, blocks on the last try (63C0) and then refuses even the right PIN', () => {
    const { pin, store } = fresh();
    expect(pin.verify('654321')).toEqual({ ok: false, reason: 'incorrect', triesLeft: 2 });
    expect(pin.verify('654321')).toEqual({ ok: false, reason: 'incorrect', triesLeft: 1 });
    expect(pin.verify('654321')).toEqual({ ok: false, reason: 'incorrect', triesLeft: 0 });
    expect(pin.status()).toMatchObject({ triesLeft: 0, blocked: true, verified: false });
    const saves = store.saves;
    expect(pin.verify('123456')).toEqual({ ok: false, reason: 'blocked' });
    expect(pin.verify('654321')).toEqual({ ok: false, reason: 'blocked' });
    expect(store.saves).toBe(saves);
    expect(store.peek().triesLeft).toBe(0);
  });

  it('restores the full counter on success', () => {
    const { pin } = fresh({ tryLimit: 5 });
    pin.verify('111111');
    pin.verify('222222');
    expect(pin.status().triesLeft).toBe(3);
    expect(pin.verify('123456')).toEqual({ ok: true });
    expect(pin.status().triesLeft).toBe(5);
  });

  it('clears verified on a failed try', () => {
    const { pin } = fresh();
    pin.verify('123456');
    expect(pin.verify('123450')).toMatchObject({ ok: false });
    expect(pin.status().verified).toBe(false);
  });

  it.each([
    ['12345', 'length'],
    ['1234567', 'length'],
    ['', 'length'],
    ['12345x', 'not-digits'],
  ])('throws PinFormatError for %j before spending a try', (candidate, problem) => {
    const { pin, store } = fresh();
    const saves = store.saves;
    const error = expectThrowsClass(() => pin.verify(candidate), PinFormatError);
    expect(error.problem).toBe(problem);
    expect(store.saves).toBe(saves);
    expect(pin.status().triesLeft).toBe(3);
  });

  it('spends the try durably before comparing: a torn spend propagates and compares nothing', () => {
    const { pin, store } = fresh();
    pin.verify('123456');
    store.armTear(0);
    expectThrowsClass(() => pin.verify('123456'), TearError);
    // The spend save itself failed, so the record is as before; verified is cleared.
    expect(store.peek().triesLeft).toBe(3);
    expect(pin.status().verified).toBe(false);
  });

  it('does not refund the try when the restore after a match is torn', () => {
    const { pin, store } = fresh();
    store.armTear(1);
    expectThrowsClass(() => pin.verify('123456'), TearError);
    expect(store.peek().triesLeft).toBe(2);
    expect(pin.status()).toMatchObject({ triesLeft: 2, verified: false });
  });

  it('saves the decremented counter before it compares', () => {
    const { pin, store } = fresh();
    const seen: number[] = [];
    const spy = {
      load: () => store.load(),
      save: (r: PinRecord) => {
        seen.push(r.triesLeft);
        store.save(r);
      },
    };
    const watched = new Pin(pin.policy, spy);
    watched.verify('123456');
    watched.verify('000000');
    expect(seen).toEqual([2, 3, 2]);
  });
});

describe('change', () => {
  it('replaces the PIN, clears the initial flag and leaves the PIN verified', () => {
    const { pin } = fresh();
    expect(pin.change('123456', '246810')).toEqual({ ok: true });
    expect(pin.status()).toMatchObject({ initial: false, verified: true, triesLeft: 3 });
    expect(pin.verify('123456')).toMatchObject({ ok: false, reason: 'incorrect' });
    expect(pin.verify('246810')).toEqual({ ok: true });
  });

  it('counts a wrong old PIN as a failed try and keeps the PIN', () => {
    const { pin } = fresh();
    expect(pin.change('000000', '246810')).toEqual({ ok: false, reason: 'incorrect', triesLeft: 2 });
    expect(pin.status()).toMatchObject({ initial: true, triesLeft: 2 });
    expect(pin.verify('123456')).toEqual({ ok: true });
  });

  it('answers blocked when the PIN is blocked, even with the right old PIN', () => {
    const { pin } = fresh({ tryLimit: 1 });
    pin.verify('000000');
    expect(pin.change('123456', '246810')).toEqual({ ok: false, reason: 'blocked' });
    expect(pin.status().initial).toBe(true);
  });

  it('rejects a malformed new or old PIN without spending a try', () => {
    const { pin, store } = fresh();
    const saves = store.saves;
    expect(pin.change('123456', '12345')).toEqual({ ok: false, reason: 'format', pin: 'new', problem: 'length' });
    expect(pin.change('000000', '12a456')).toEqual({ ok: false, reason: 'format', pin: 'new', problem: 'not-digits' });
    expect(pin.change('1234567', '246810')).toEqual({ ok: false, reason: 'format', pin: 'old', problem: 'length' });
    expect(store.saves).toBe(saves);
    expect(pin.status().triesLeft).toBe(3);
  });

  it('refuses a return to the initial PIN when forbidden, restoring the old PIN try', () => {
    const { pin } = fresh({ forbidReturnToInitial: true });
    expect(pin.change('123456', '246810')).toEqual({ ok: true });
    pin.verify('000000');
    expect(pin.status().triesLeft).toBe(2);
    expect(pin.change('246810', '123456')).toEqual({ ok: false, reason: 'initial-forbidden' });
    expect(pin.status()).toMatchObject({ triesLeft: 3, initial: false });
    expect(pin.verify('246810')).toEqual({ ok: true });
  });

  it('still counts a wrong old PIN when the new one is the forbidden initial value', () => {
    const { pin } = fresh({ forbidReturnToInitial: true });
    expect(pin.change('000000', '123456')).toEqual({ ok: false, reason: 'incorrect', triesLeft: 2 });
  });

  it('allows changing to the initial digits when not forbidden, and the flag still clears', () => {
    const { pin } = fresh();
    expect(pin.change('123456', '123456')).toEqual({ ok: true });
    expect(pin.status().initial).toBe(false);
    expect(pin.verify('123456')).toEqual({ ok: true });
  });

  it('keeps the old PIN when the save of the new one is torn', () => {
    const { pin, store } = fresh();
    store.armTear(2);
    expectThrowsClass(() => pin.change('123456', '246810'), TearError);
    expect(pin.status()).toMatchObject({ triesLeft: 3, initial: true });
    expect(pin.verify('123456')).toEqual({ ok: true });
  });
});

describe('issuer operations', () => {
  it('reload sets a new PIN, unblocks, and clears verified', () => {
    const { pin } = fresh();
    pin.verify('123456');
    pin.reload('555555');
    expect(pin.status()).toEqual({ triesLeft: 3, tryLimit: 3, blocked: false, verified: false, initial: false });
    for (let i = 0; i < 3; i++) pin.verify('000000');
    expect(pin.status().blocked).toBe(true);
    pin.reload('123456');
    expect(pin.status()).toMatchObject({ blocked: false, triesLeft: 3, initial: true });
    expect(pin.verify('555555')).toMatchObject({ ok: false, reason: 'incorrect' });
    expect(pin.verify('123456')).toEqual({ ok: true });
  });

  it('reload to the initial value is allowed even when the cardholder may not return to it', () => {
    const { pin } = fresh({ forbidReturnToInitial: true }, '778899');
    pin.reload('123456');
    expect(pin.status().initial).toBe(true);
  });

  it('reload rejects a malformed PIN and changes nothing', () => {
    const { pin, store } = fresh();
    const before = store.peek();
    expectThrowsClass(() => pin.reload('12345'), PinFormatError);
    expect(store.peek()).toEqual(before);
  });

  it('unblock restores the counter and keeps the PIN and flag', () => {
    const { pin } = fresh({ tryLimit: 2 });
    pin.change('123456', '135790');
    pin.verify('000000');
    pin.verify('000000');
    expect(pin.status().blocked).toBe(true);
    pin.unblock();
    expect(pin.status()).toMatchObject({ blocked: false, triesLeft: 2, initial: false, verified: false });
    expect(pin.verify('135790')).toEqual({ ok: true });
  });

  it('unblock with a new PIN sets it', () => {
    const { pin } = fresh({ tryLimit: 1 });
    pin.verify('000000');
    pin.unblock('864200');
    expect(pin.status()).toMatchObject({ blocked: false, triesLeft: 1, initial: false });
    expect(pin.verify('864200')).toEqual({ ok: true });
  });

  it('unblockWithPin restores the counter only for the right PIN, which stays', () => {
    const { pin, store } = fresh({}, '246810');
    for (let i = 0; i < 3; i++) pin.verify('000000');
    expect(pin.status().blocked).toBe(true);
    const saves = store.saves;
    expect(pin.unblockWithPin('246810')).toEqual({ ok: true });
    expect(store.saves).toBe(saves + 1);
    expect(pin.status()).toMatchObject({ blocked: false, triesLeft: 3, verified: false });
    expect(pin.verify('246810')).toEqual({ ok: true });
  });

  it('unblockWithPin with a wrong PIN saves nothing, spends nothing and reports the unchanged counter', () => {
    const { pin, store } = fresh({}, '246810');
    pin.verify('000000');
    const before = store.peek();
    const saves = store.saves;
    expect(pin.unblockWithPin('246811')).toEqual({ ok: false, reason: 'incorrect', triesLeft: 2 });
    pin.verify('000000');
    pin.verify('000000');
    const blocked = store.peek();
    expect(pin.unblockWithPin('000000')).toEqual({ ok: false, reason: 'incorrect', triesLeft: 0 });
    expect(store.peek()).toEqual(blocked);
    expect(store.saves).toBe(saves + 2);
    expect(before.triesLeft).toBe(2);
  });

  it('unblockWithPin rejects a malformed PIN before comparing, and a full counter needs no save', () => {
    const { pin, store } = fresh({}, '246810');
    expectThrowsClass(() => pin.unblockWithPin('2468'), PinFormatError);
    const saves = store.saves;
    expect(pin.unblockWithPin('246810')).toEqual({ ok: true });
    expect(store.saves).toBe(saves);
  });
});

describe('secret hygiene', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('wipes its own copies of the digits after verify and change', () => {
    const { pin } = fresh();
    const candidate = ascii('123456');
    const made = buffersMadeBy(() => {
      pin.verify(candidate);
      pin.verify('654321');
      pin.change('123456', '246810');
    });
    const copies = made.filter((b) => b.length === 6);
    // verify('654321') and the two PINs of change(): digit bytes given to verify are compared
    // where the caller holds them, not copied.
    expect(copies.length).toBeGreaterThanOrEqual(3);
    for (const copy of copies) expect([...copy].every((b) => b === 0)).toBe(true);
    // The caller's own array is the caller's: it is neither kept nor wiped.
    expect(new TextDecoder().decode(candidate)).toBe('123456');
  });

  /** The 6-byte copies of PIN digits `run` makes, each checked to be wiped once it returns or throws. */
  function expectCopiesWiped(run: () => unknown): void {
    const made = buffersMadeBy(() => {
      try {
        run();
      } catch (error) {
        expect(error).toBeInstanceOf(TearError);
      }
    });
    const copies = made.filter((b) => b.length === 6);
    expect(copies.length).toBeGreaterThanOrEqual(1);
    for (const copy of copies) expect([...copy]).toEqual([0, 0, 0, 0, 0, 0]);
  }

  it('wipes its copies of the digits after create, reload, unblock, unblockWithPin and isCurrent', () => {
    const store = new TearableStore();
    let pin: Pin | undefined;
    expectCopiesWiped(() => (pin = Pin.create(definePinPolicy(), store, ascii('135790'))));
    if (pin === undefined) return expect.unreachable('created');
    const created = pin;
    expectCopiesWiped(() => created.reload('246802'));
    expectCopiesWiped(() => created.unblock(ascii('112233')));
    expectCopiesWiped(() => created.unblockWithPin('112233'));
    expectCopiesWiped(() => created.isCurrent('998877'));
    expect(created.verify('112233')).toEqual({ ok: true });
  });

  it('wipes the digits even when the save in create or reload is torn', () => {
    const store = new TearableStore();
    store.armTear();
    expectCopiesWiped(() => Pin.create(definePinPolicy(), store, '135790'));
    const { pin, store: other } = fresh();
    other.armTear();
    expectCopiesWiped(() => pin.reload('246802'));
    expect(pin.verify('123456')).toEqual({ ok: true });
  });
});

describe('Pin comparison against the PIN held in memory', () => {
  it('follows a verifier replaced behind the engine instead of the PIN it held', () => {
    const { pin, store } = fresh({}, '123456');
    expect(pin.verify('123456')).toEqual({ ok: true });
    // Another engine over the same store changes the PIN: the first one must not keep accepting
    // the old PIN from memory.
    const other = new Pin(definePinPolicy(), store);
    expect(other.change('123456', '654321')).toEqual({ ok: true });
    expect(pin.verify('123456')).toEqual({ ok: false, reason: 'incorrect', triesLeft: 2 });
    expect(pin.verify('654321')).toEqual({ ok: true });
  });

  it('learns the PIN of a saved record at its first match and keeps the answers the same', () => {
    const policy = { minLength: 4, maxLength: 8 };
    const { store } = fresh(policy, '123456');
    const reopened = new Pin(definePinPolicy(policy), store);
    expect(reopened.verify('12345')).toEqual({ ok: false, reason: 'incorrect', triesLeft: 2 });
    expect(reopened.verify('123456')).toEqual({ ok: true });
    expect(reopened.verify('1234567')).toEqual({ ok: false, reason: 'incorrect', triesLeft: 2 });
    expect(reopened.verify('123450')).toEqual({ ok: false, reason: 'incorrect', triesLeft: 1 });
    expect(reopened.verify('123456')).toEqual({ ok: true });
    expect(store.peek().triesLeft).toBe(3);
  });
});
