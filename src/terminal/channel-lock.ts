import { throwIfAborted } from './abort.js';
import { AbortError } from './errors.js';

/**
 * A mutex with a queue: callers run in arrival order, one at a time. A caller whose signal fires
 * while it waits leaves the queue with AbortError. An uncontended caller takes the lock at once,
 * without a promise of its own (the channel takes two locks per command).
 */
export class Mutex {
  #locked = false;
  readonly #waiters: Array<() => void> = [];

  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    throwIfAborted(signal, 'waiting for the card');
    if (this.#locked) await this.#wait(signal);
    else this.#locked = true;
    try {
      return await fn();
    } finally {
      // The lock passes straight to the next waiter, or is free.
      const next = this.#waiters.shift();
      if (next !== undefined) next();
      else this.#locked = false;
    }
  }

  #wait(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const at = this.#waiters.indexOf(grant);
        if (at >= 0) this.#waiters.splice(at, 1);
        reject(new AbortError('waiting for the card', signal?.reason));
      };
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.#waiters.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
