import { describe, expect, it } from 'vitest';
import { SscardError } from '../../src/apdu/index.js';
import { waitForCardOn, type ReaderWatcher } from '../../src/terminal/card-wait.js';
import { AbortError, InvalidArgumentError, TimeoutError, type ReaderEvent } from '../../src/terminal/index.js';

/*
 * waitForCard on a scripted reader watch: the same events watchReaders reports from pcscd, driven
 * by the test (the PC/SC lab suites cover watchReaders itself).
 */

interface FakeWatch {
  watcher: ReaderWatcher;
  emit(event: ReaderEvent): void;
  started: number;
  closed: number;
}

function fakeWatch(initial: ReaderEvent[] = [], startDelayMs = 0): FakeWatch {
  let listener: ((event: ReaderEvent) => void) | undefined;
  const fake: FakeWatch = {
    started: 0,
    closed: 0,
    emit: (event) => listener?.(event),
    watcher: async (l, opts) => {
      expect(opts?.initial).toBe(true);
      fake.started++;
      listener = l;
      if (startDelayMs > 0) await new Promise((r) => setTimeout(r, startDelayMs));
      for (const event of initial) l(event);
      return {
        readers: () => [],
        close: () => {
          fake.closed++;
          listener = undefined;
        },
      };
    },
  };
  return fake;
}

const ATR = Uint8Array.of(0x3b, 0x9f, 0x13);

describe('waitForCard', () => {
  it("resolves at once with a card already in a reader (the watch's initial report), and stops the watch", async () => {
    const w = fakeWatch([
      { type: 'reader-attached', reader: 'R0', cardPresent: false },
      { type: 'reader-attached', reader: 'R1', cardPresent: true, atr: ATR },
      { type: 'card-inserted', reader: 'R1', atr: ATR },
    ]);
    expect(await waitForCardOn(w.watcher)).toEqual({ reader: 'R1', atr: ATR });
    expect(w.closed).toBe(1);
  });

  it('waits for the named reader and ignores cards elsewhere', async () => {
    const w = fakeWatch();
    const waiting = waitForCardOn(w.watcher, { reader: 'R1' });
    await new Promise((r) => setTimeout(r, 5));
    w.emit({ type: 'card-inserted', reader: 'R0', atr: ATR });
    w.emit({ type: 'card-removed', reader: 'R1' });
    w.emit({ type: 'card-inserted', reader: 'R1' });
    expect(await waiting).toEqual({ reader: 'R1' });
    expect(w.closed).toBe(1);
  });

  it('abort ends the wait with AbortError and stops the watch', async () => {
    const w = fakeWatch();
    const controller = new AbortController();
    const waiting = waitForCardOn(w.watcher, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(AbortError);
    expect(w.closed).toBe(1);
  });

  it('abort while the watch is still starting stops it once it stands', async () => {
    const w = fakeWatch([], 30);
    const controller = new AbortController();
    const waiting = waitForCardOn(w.watcher, { signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(AbortError);
    await new Promise((r) => setTimeout(r, 50));
    expect(w.closed).toBe(1);
  });

  it('an aborted signal starts no watch; a bad time limit is refused', async () => {
    const w = fakeWatch();
    await expect(waitForCardOn(w.watcher, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    await expect(waitForCardOn(w.watcher, { timeoutMs: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(w.started).toBe(0);
  });

  it("the time limit is a TimeoutError naming the reader and pcscd's last error", async () => {
    const w = fakeWatch();
    const waiting = waitForCardOn(w.watcher, { reader: 'R1', timeoutMs: 30 });
    w.emit({ type: 'error', error: new SscardError('PCSC_SERVICE', 'pcscd is not running') });
    const e = await waiting.catch((error: unknown) => error);
    expect(e).toBeInstanceOf(TimeoutError);
    expect((e as TimeoutError).message).toBe(
      "waiting for a card in reader 'R1' (pcscd: pcscd is not running) timed out after 30 ms",
    );
    expect(w.closed).toBe(1);
  });
});
