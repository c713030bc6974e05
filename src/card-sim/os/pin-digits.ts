import { PIN_MAX_DIGITS } from '../../pin/index.js';

/**
 * Where VERIFY decodes the digits of a presented PIN: one buffer (a view per length), wiped after
 * each try, rather than a new array per try. The card OS runs one command at a time; a buffer
 * asked for while the shared one is in use (a persistence hook that sends a VERIFY to another card
 * while a try is being saved) is a new array, so one try's digits never overwrite another's.
 */
export class PinDigitBuffer {
  readonly #shared = new Uint8Array(PIN_MAX_DIGITS);
  readonly #views: readonly Uint8Array[] = Array.from({ length: PIN_MAX_DIGITS + 1 }, (_, n) =>
    this.#shared.subarray(0, n),
  );
  #inUse = false;

  /** A buffer of `count` bytes for one try's digits; hand it back with release(). */
  take(count: number): Uint8Array {
    if (this.#inUse || count > PIN_MAX_DIGITS) return new Uint8Array(count);
    this.#inUse = true;
    return this.#views[count] as Uint8Array;
  }

  /** Wipes `digits` (from take()); when they were in the shared buffer, the next try may have it. */
  release(digits: Uint8Array): void {
    wipeBytes(digits);
    if (digits.buffer === this.#shared.buffer) this.#inUse = false;
  }
}

/** Zeroes PIN bytes (a loop: for a few bytes, cheaper than a call to `fill`). */
export function wipeBytes(bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i++) bytes[i] = 0;
}
