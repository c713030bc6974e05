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
   * Whether `asciiDigits` is the reference PIN. Every position of the candidate is looked at, with
   * no early exit, and the length is folded into the same difference: the time depends on the
   * candidate's length alone (the terminal's, not a secret), never on the reference. A candidate
   * longer than the reference differs in the length; past the reference its digits meet the bare
   * pad (the reference is zero there), so they differ too.
   */
  matches(asciiDigits: Uint8Array): boolean {
    const pad = this.#pad;
    const padded = this.#padded;
    const length = Math.min(asciiDigits.length, PIN_MAX_DIGITS);
    let diff = this.#length ^ asciiDigits.length;
    for (let i = 0; i < length; i++) diff |= (asciiDigits[i] as number) ^ (pad[i] as number) ^ (padded[i] as number);
    return diff === 0;
  }
}
