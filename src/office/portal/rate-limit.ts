/*
 * Fixed-window counters per key (a client address, an account): at most `max` hits in each
 * `windowMs`. Every attempt counts, right or wrong, so neither guessing nor cycling a password
 * through lockouts and resets goes faster than the limit. Memory is bounded: past `maxKeys` the
 * oldest windows are dropped.
 */

export interface RateLimit {
  max: number;
  windowMs: number;
}

export interface RateDecision {
  allowed: boolean;
  /** When a refused caller may try again (ms). */
  retryAfterMs: number;
}

export class RateLimiter {
  readonly #limit: RateLimit;
  readonly #now: () => number;
  readonly #maxKeys: number;
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(limit: RateLimit, now: () => number, maxKeys = 50_000) {
    this.#limit = limit;
    this.#now = now;
    this.#maxKeys = maxKeys;
  }

  /** Counts one attempt for `key` and says whether it may go ahead. */
  hit(key: string): RateDecision {
    const now = this.#now();
    let w = this.#windows.get(key);
    if (w === undefined || now - w.start >= this.#limit.windowMs) {
      this.#prune(now);
      w = { start: now, count: 0 };
      this.#windows.delete(key);
      this.#windows.set(key, w);
    }
    w.count += 1;
    if (w.count <= this.#limit.max) return { allowed: true, retryAfterMs: 0 };
    return { allowed: false, retryAfterMs: w.start + this.#limit.windowMs - now };
  }

  #prune(now: number): void {
    if (this.#windows.size < this.#maxKeys) return;
    for (const [key, w] of this.#windows) {
      if (now - w.start >= this.#limit.windowMs || this.#windows.size >= this.#maxKeys) this.#windows.delete(key);
      else break;
    }
  }
}
