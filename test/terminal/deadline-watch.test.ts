import { describe, expect, it, vi } from 'vitest';
import { CardChannel, TimeoutError, type Transport } from '../../src/terminal/index.js';
import { DeadlineWatch } from '../../src/terminal/deadline-watch.js';
import { expectRejectsClass } from '../support/throws.js';

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A transport answering 9000 after `delayMs` (a timer, like a reader's round trip), or never. */
function delayedTransport(delayMs: () => number | undefined): Transport {
  return {
    name: 'delayed',
    protocol: 'T=1',
    atr: () => Uint8Array.of(0x3b, 0x00),
    transmit: () => {
      const ms = delayMs();
      return ms === undefined
        ? new Promise<Uint8Array>(() => {})
        : new Promise<Uint8Array>((resolve) => setTimeout(() => resolve(Uint8Array.of(0x90, 0x00)), ms));
    },
    reset: () => Promise.resolve(Uint8Array.of(0x3b, 0x00)),
    close: () => Promise.resolve(),
    onEvent: () => () => {},
  };
}

describe('DeadlineWatch: one timer for a channel exchanges', () => {
  it('expires an exchange whose deadline passes, and not one that ended first', async () => {
    const watch = new DeadlineWatch();
    const expired: string[] = [];
    watch.start(performance.now() + 10, () => expired.push('first'));
    watch.end();
    await wait(25);
    expect(expired).toEqual([]);
    watch.start(performance.now() + 10, () => expired.push('second'));
    await wait(40);
    expect(expired).toEqual(['second']);
  });

  it('a timer set for an earlier exchange is set again for a later deadline, not fired early', async () => {
    const watch = new DeadlineWatch();
    const expired: number[] = [];
    watch.start(performance.now() + 15, () => expired.push(1));
    watch.end();
    const second = performance.now() + 60;
    let at = 0;
    watch.start(second, () => {
      at = performance.now();
      expired.push(2);
    });
    await wait(35);
    expect(expired).toEqual([]);
    await wait(60);
    expect(expired).toEqual([2]);
    // Timers may fire within a millisecond of the deadline by the performance clock, never sooner.
    expect(at).toBeGreaterThanOrEqual(second - 1);
  });

  it('holds the process open while an exchange is under way, and not once it ended', () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const watch = new DeadlineWatch();
    watch.start(performance.now() + 5000, () => {});
    expect(timers()).toBe(before + 1);
    watch.end();
    expect(timers()).toBe(before);
    watch.start(performance.now() + 6000, () => {});
    expect(timers()).toBe(before + 1);
    watch.end();
    expect(timers()).toBe(before);
  });

  it('does not expire before the deadline when the event loop clock lags behind (a busy tick)', async () => {
    const watch = new DeadlineWatch();
    // Node counts a timer's delay from the time the event loop last read its clock: after 30 ms
    // of work in this tick, a 10 ms timer is due at once.
    const busyUntil = performance.now() + 30;
    while (performance.now() < busyUntil);
    const deadline = performance.now() + 10;
    let at = 0;
    watch.start(deadline, () => {
      at = performance.now();
    });
    await wait(60);
    expect(at).toBeGreaterThanOrEqual(deadline);
  });

  it('keeps one timer: exchanges with the same or a later deadline reuse it, and it does not poll', async () => {
    const realSet = globalThis.setTimeout;
    const setTimer = vi.spyOn(globalThis, 'setTimeout');
    try {
      const watch = new DeadlineWatch();
      const deadline = performance.now() + 5000;
      watch.start(deadline, () => {});
      watch.end();
      watch.start(deadline, () => {});
      watch.end();
      watch.start(deadline + 100, () => {});
      expect(setTimer).toHaveBeenCalledTimes(1);
      await new Promise((resolve) => realSet(resolve, 30));
      watch.end();
      expect(setTimer).toHaveBeenCalledTimes(1);
    } finally {
      setTimer.mockRestore();
    }
  });

  it('a timer replaced by one for a shorter deadline is cleared, not left to fire beside the new one', async () => {
    // The timers set and neither fired nor cleared yet.
    const pending = new Set<unknown>();
    const realSet = globalThis.setTimeout;
    const realClear = globalThis.clearTimeout;
    const setTimer = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      const handle = realSet(() => {
        pending.delete(handle);
        fn();
      }, ms);
      pending.add(handle);
      return handle;
    }) as typeof setTimeout);
    const clearTimer = vi.spyOn(globalThis, 'clearTimeout').mockImplementation(((handle: NodeJS.Timeout) => {
      pending.delete(handle);
      realClear(handle);
    }) as typeof clearTimeout);
    try {
      const watch = new DeadlineWatch();
      watch.start(performance.now() + 40, () => {});
      watch.end();
      watch.start(performance.now() + 10, () => {});
      watch.end();
      const expired: number[] = [];
      watch.start(performance.now() + 200, () => expired.push(1));
      // Both earlier deadlines pass while this exchange is under way: one timer is left, for it.
      await wait(80);
      expect(pending.size).toBe(1);
      watch.end();
      await wait(150);
      expect(expired).toEqual([]);
    } finally {
      setTimer.mockRestore();
      clearTimer.mockRestore();
    }
  });

  it('a shorter deadline than the timer set is kept', async () => {
    const watch = new DeadlineWatch();
    const expired: number[] = [];
    watch.start(performance.now() + 5000, () => expired.push(1));
    watch.end();
    watch.start(performance.now() + 10, () => expired.push(2));
    await wait(40);
    expect(expired).toEqual([2]);
  });

  it('a channel whose commands take turns with changing time limits times out only the one that overran', async () => {
    const delays = [5, 5, 80, 5];
    const channel = new CardChannel(delayedTransport(() => delays.shift()));
    await channel.transmit(Uint8Array.of(0x00, 0xa4, 0x00, 0x0c), { timeoutMs: 50 });
    await channel.transmit(Uint8Array.of(0x00, 0xa4, 0x00, 0x0c), { timeoutMs: 5000 });
    await expectRejectsClass(channel.transmit(Uint8Array.of(0x00, 0xa4, 0x00, 0x0c), { timeoutMs: 30 }), TimeoutError, {
      message: 'command timed out after 30 ms',
    });
    const late = await channel.transmit(Uint8Array.of(0x00, 0xa4, 0x00, 0x0c), { timeoutMs: 50 });
    expect(late.sw).toBe(0x9000);
    await expectRejectsClass(channel.transmit(Uint8Array.of(0x00, 0xa4, 0x00, 0x0c), { timeoutMs: 20 }), TimeoutError, {
      message: 'command timed out after 20 ms',
    });
    await channel.close();
  });
});
