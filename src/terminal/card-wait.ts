import { raceAbort, throwIfAborted, type AbortOptions } from './abort.js';
import { InvalidArgumentError, TimeoutError } from './errors.js';
import { watchReaders, type ReaderEvent, type ReaderWatch, type WatchReadersOptions } from './pcsc/index.js';

/*
 * Waiting for a card in a PC/SC reader, on the reader watch (pcscd's own change notifications, no
 * polling): what a POS does between customers. Connect to the card once this resolves.
 */

/** Options of waitForCard. */
export interface WaitForCardOptions extends AbortOptions {
  /** Reader name (exact, as listed). Default: any reader. */
  reader?: string;
  /** Gives up with TimeoutError after this many ms. Default: no limit (pass a signal to stop it). */
  timeoutMs?: number;
}

/** A card found in a reader. */
export interface CardInReader {
  reader: string;
  /** The card's ATR, when pcscd has read it. */
  atr?: Uint8Array;
}

/** The watch waitForCard runs on (watchReaders; tests pass their own). */
export type ReaderWatcher = (
  listener: (event: ReaderEvent) => void,
  opts?: WatchReadersOptions,
) => Promise<ReaderWatch>;

/**
 * Resolves as soon as a card is in the reader (`opts.reader`, or any): at once when one is already
 * there, else when one is inserted. Abort (`opts.signal`) and the time limit end the wait with
 * AbortError or TimeoutError; nothing has been sent to any card, and the watch is stopped
 * whichever way the wait ends. While pcscd cannot be asked the wait goes on (a TimeoutError then
 * names pcscd's last error). Needs the optional `smartcard` binding (PcscBindingMissingError).
 */
export function waitForCard(opts: WaitForCardOptions = {}): Promise<CardInReader> {
  return waitForCardOn(watchReaders, opts);
}

/** waitForCard on a given reader watch. */
export async function waitForCardOn(watch: ReaderWatcher, opts: WaitForCardOptions = {}): Promise<CardInReader> {
  const { reader, timeoutMs, signal } = opts;
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs >= 0)) {
    throw new InvalidArgumentError(`timeoutMs must be a number >= 0, got ${String(timeoutMs)}`);
  }
  throwIfAborted(signal, 'waiting for a card');
  let settle: { resolve(card: CardInReader): void; reject(error: unknown): void } | undefined;
  const found = new Promise<CardInReader>((resolve, reject) => {
    settle = { resolve, reject };
  });
  let lastError: string | undefined;
  const starting = watch(
    (event) => {
      if (event.type === 'error') lastError = event.error.message;
      if (event.type !== 'card-inserted' || (reader !== undefined && event.reader !== reader)) return;
      settle?.resolve(event.atr === undefined ? { reader: event.reader } : { reader: event.reader, atr: event.atr });
    },
    { initial: true },
  );
  let w: ReaderWatch;
  try {
    w = await raceAbort(starting, signal, 'waiting for a card');
  } catch (error) {
    // Aborted while the watch was starting: stop it once it stands.
    starting.then(
      (late) => late.close(),
      () => {},
    );
    throw error;
  }
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          const where = reader === undefined ? 'in any reader' : `in reader '${reader}'`;
          settle?.reject(
            new TimeoutError(
              timeoutMs,
              `waiting for a card ${where}${lastError === undefined ? '' : ` (pcscd: ${lastError})`}`,
            ),
          );
        }, timeoutMs);
  try {
    return await raceAbort(found, signal, 'waiting for a card');
  } finally {
    clearTimeout(timer);
    w.close();
  }
}
