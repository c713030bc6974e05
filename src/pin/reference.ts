import { PIN_MAX_DIGITS } from './policy.js';
import { randomBytesFromPool } from './random.js';

/**
 * The PIN as a chip holds it: the reference digits in memory, compared with a candidate in
 * constant time, so a VERIFY costs a few byte operations instead of a salted HMAC. The digits are
 * kept XOR-ed with a random pad of their own, so they never sit in the heap as they are (a heap
 * dump or an inspected object shows noise); only the image on disk carries the salted verifier.
 */
export class PinReference {
  readonly #pad: Uint8Array;
  readonly #padded: Uint8Array;
  readonly #length: number;

  /** `asciiDigits`: the format-checked PIN ('1' = 0x31), at most PIN_MAX_DIGITS bytes. */
  constructor(asciiDigits: Uint8Array) {
    this.#pad = randomBytesFromPool(PIN_MAX_DIGITS);
    this.#padded = new Uint8Array(PIN_MAX_DIGITS);
    for (let i = 0; i < PIN_MAX_DIGITS; i++) this.#padded[i] = (asciiDigits[i] ?? 0) ^ (this.#pad[i] as number);
    this.#length = asciiDigits.length;
  }

  /**
   * Whether `asciiDigits` is the reference PIN. Every position up to PIN_MAX_DIGITS is looked at
   * whatever the candidate, with no early exit, and the length is folded into the same
   * difference: the time depends on nothing secret.
   */
  matches(asciiDigits: Uint8Array): boolean {
    const pad = this.#pad;
    const padded = this.#padded;
    const length = asciiDigits.length;
    let diff = this.#length ^ length;
    // Positions past the candidate count as 0 through a bound test, not a read past its end: an
    // out-of-bounds typed-array read takes V8's slow path, and would cost more than the compare.
    for (let i = 0; i < PIN_MAX_DIGITS; i++) {
      const digit = i < length ? (asciiDigits[i] as number) : 0;
      diff |= digit ^ (pad[i] as number) ^ (padded[i] as number);
    }
    return diff === 0;
  }
}
