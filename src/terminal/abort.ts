import { AbortError } from './errors.js';

/*
 * How the SDK's waits honour an AbortSignal: checked before each wait and each command, and raced
 * against the wait itself. A wait that loses to the signal is abandoned, never the command on the
 * wire (see AbortError).
 */

/** The `signal` option of SDK operations that wait. */
export interface AbortOptions {
  /**
   * Stops the operation's waits (for the card lock, for a card, before each further command) with
   * AbortError. A command already sent to the card completes and its result stands.
   */
  signal?: AbortSignal;
}

/** Throws AbortError when `signal` has fired; `what` names the wait in the message. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted === true) throw new AbortError(what, signal.reason);
}

/**
 * `wait`, or AbortError as soon as `signal` fires, whichever comes first. The abandoned wait goes
 * on (the caller arranges what happens when it ends); the listener is removed either way.
 */
export function raceAbort<T>(wait: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (signal === undefined) return wait;
  if (signal.aborted) return Promise.reject(new AbortError(what, signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new AbortError(what, signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    wait.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** One signal that fires when any of `signals` does (undefined entries ignored). */
export function anySignal(...signals: Array<AbortSignal | undefined>): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length <= 1) return present[0];
  return AbortSignal.any(present);
}
