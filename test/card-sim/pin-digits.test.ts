import { describe, expect, it } from 'vitest';
import { PIN_MAX_DIGITS } from '../../src/pin/index.js';
import { PinDigitBuffer, wipeBytes } from '../../src/card-sim/os/pin-digits.js';

// Where VERIFY decodes a presented PIN: one shared buffer, never shared by two tries at once.

describe('PinDigitBuffer', () => {
  it('lends its one buffer to one try at a time, and again once it is handed back', () => {
    const buffer = new PinDigitBuffer();
    const first = buffer.take(6);
    expect(first).toHaveLength(6);
    // A try that starts while the first is under way (a VERIFY from a persistence hook).
    const nested = buffer.take(6);
    expect(nested.buffer).not.toBe(first.buffer);
    buffer.release(nested);
    // Handing back a buffer of its own does not free the shared one.
    const again = buffer.take(6);
    expect(again.buffer).not.toBe(first.buffer);
    buffer.release(again);
    buffer.release(first);
    const next = buffer.take(4);
    expect(next).toHaveLength(4);
    expect(next.buffer).toBe(first.buffer);
    buffer.release(next);
  });

  it('lends the shared buffer for the longest PIN, and a buffer of its own for anything longer', () => {
    const buffer = new PinDigitBuffer();
    const longest = buffer.take(PIN_MAX_DIGITS);
    expect(longest).toHaveLength(PIN_MAX_DIGITS);
    buffer.release(longest);
    const longer = buffer.take(PIN_MAX_DIGITS + 1);
    expect(longer).toHaveLength(PIN_MAX_DIGITS + 1);
    expect(longer.buffer).not.toBe(longest.buffer);
    // The shared buffer was not taken by it.
    expect(buffer.take(2).buffer).toBe(longest.buffer);
  });

  it('wipes the digits handed back, shared or not', () => {
    const buffer = new PinDigitBuffer();
    const shared = buffer.take(6);
    const own = buffer.take(6);
    shared.set([0x31, 0x32, 0x33, 0x34, 0x35, 0x36]);
    own.set([0x36, 0x35, 0x34, 0x33, 0x32, 0x31]);
    buffer.release(own);
    buffer.release(shared);
    expect([...own]).toEqual([0, 0, 0, 0, 0, 0]);
    expect([...shared]).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe('wipeBytes', () => {
  it('zeroes every byte, the last one too', () => {
    const bytes = Uint8Array.of(1, 2, 3, 0xff);
    wipeBytes(bytes);
    expect([...bytes]).toEqual([0, 0, 0, 0]);
  });
});
