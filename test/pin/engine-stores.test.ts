import { describe, expect, it } from 'vitest';
import { MemoryPinStore, Pin, PinRecordError, definePinPolicy } from '../../src/pin/index.js';
import type { PinRecord, PinStore } from '../../src/pin/index.js';
import { expectThrowsClass } from '../support/throws.js';

/*
 * The engine against what a store may offer besides load and save: a counter-only save and a
 * borrowed record. And what an engine knows of the PIN when another engine on the same store
 * changed it.
 */

/** A store that lends its record and takes counter deltas, counting what it is asked. */
class RecordingStore implements PinStore {
  record: PinRecord | undefined;
  saves = 0;
  counterSaves: number[] = [];

  load(): PinRecord {
    return structuredClone(this.record as PinRecord);
  }

  save(record: PinRecord): void {
    this.saves += 1;
    this.record = structuredClone(record);
  }

  saveTriesLeft(triesLeft: number): void {
    this.counterSaves.push(triesLeft);
    this.record = { ...(this.record as PinRecord), triesLeft };
  }

  borrow(): Readonly<PinRecord> {
    return this.record as PinRecord;
  }
}

describe('stores that take counter deltas and lend their record', () => {
  it('a try is saved as the counter alone when the store takes it', () => {
    const store = new RecordingStore();
    const pin = Pin.create(definePinPolicy(), store, '123456');
    const saves = store.saves;
    expect(pin.verify('000000')).toEqual({ ok: false, reason: 'incorrect', triesLeft: 2 });
    expect(pin.verify('123456')).toEqual({ ok: true });
    expect(store.counterSaves).toEqual([2, 1, 3]);
    expect(store.saves).toBe(saves);
  });

  it('a borrowed record is checked before it is used, and again when the store lends another one', () => {
    const store = new RecordingStore();
    const pin = Pin.create(definePinPolicy(), store, '123456');
    expect(pin.verify('123456').ok).toBe(true);
    store.record = { ...(store.record as PinRecord), triesLeft: -1 };
    expect(expectThrowsClass(() => pin.verify('123456'), PinRecordError)).toMatchObject({ field: 'triesLeft' });
    const fresh = new RecordingStore();
    fresh.record = { ...(store.record as PinRecord), tryLimit: 16, triesLeft: 3 };
    expect(expectThrowsClass(() => new Pin(definePinPolicy(), fresh).verify('123456'), PinRecordError)).toMatchObject({
      field: 'tryLimit',
    });
  });

  it('a stored verifier whose salt or MAC changed is checked again, not taken as the one already checked', () => {
    const good = new MemoryPinStore();
    Pin.create(definePinPolicy(), good, '123456');
    const record = good.load();
    for (const field of ['salt', 'mac'] as const) {
      const bad = { ...record, verifier: { ...record.verifier, [field]: `zz${record.verifier[field].slice(2)}` } };
      let stored: PinRecord = record;
      const store: PinStore = { load: () => structuredClone(stored), save: () => undefined };
      const pin = new Pin(definePinPolicy(), store);
      expect(pin.verify('123456').ok).toBe(true);
      stored = bad;
      expect(expectThrowsClass(() => pin.verify('123456'), PinRecordError)).toMatchObject({
        field: `verifier.${field}`,
      });
    }
  });

  it('an engine whose PIN another engine on the same store changed takes the new PIN, not the one it knew', () => {
    const store = new MemoryPinStore();
    const a = Pin.create(definePinPolicy(), store, '123456');
    const b = new Pin(definePinPolicy(), store);
    expect(b.verify('123456').ok).toBe(true);
    expect(a.change('123456', '654321').ok).toBe(true);
    expect(b.verify('123456')).toEqual({ ok: false, reason: 'incorrect', triesLeft: 2 });
    expect(b.verify('654321')).toEqual({ ok: true });
  });

  it('isCurrent says whether a PIN is the one set, spending and restoring nothing', () => {
    const store = new MemoryPinStore();
    const pin = Pin.create(definePinPolicy(), store, '123456');
    expect(pin.verify('000000').ok).toBe(false);
    expect(pin.isCurrent('123456')).toBe(true);
    expect(pin.isCurrent('654321')).toBe(false);
    expect(pin.status().triesLeft).toBe(2);
  });

  it('verify results are frozen', () => {
    const pin = Pin.create(definePinPolicy(), new MemoryPinStore(), '123456');
    expect(Object.isFrozen(pin.verify('000000'))).toBe(true);
    expect(Object.isFrozen(pin.verify('123456'))).toBe(true);
  });
});
