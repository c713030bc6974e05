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
  /** The view lent out by take(), until release(); undefined while the buffer is free. */
  #lent: Uint8Array | undefined;

  /** A buffer of `count` bytes for one try's digits; hand it back with release(). */
  take(count: number): Uint8Array {
    if (this.#lent !== undefined || count > PIN_MAX_DIGITS) return new Uint8Array(count);
    const view = this.#views[count] as Uint8Array;
    this.#lent = view;
    return view;
  }

  /**
   * Wipes `digits` (from take()); when they are the shared buffer's view, the next try may have
   * it. (The view is known by identity: reading a typed array's `buffer` costs more than a try.)
   */
  release(digits: Uint8Array): void {
    wipeBytes(digits);
    if (digits === this.#lent) this.#lent = undefined;
  }
}

/** Zeroes PIN bytes (a loop: for a few bytes, cheaper than a call to `fill`). */
export function wipeBytes(bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i++) bytes[i] = 0;
}
