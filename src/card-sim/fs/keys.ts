import type { KeyAlgorithm } from '../../keys/index.js';
import { CardConfigError, CardTreeError } from '../errors.js';

/** Block cipher of a card key: 3DES (2- or 3-key, 16 or 24 bytes) or SM4 (16 bytes). */
export type CardAlgorithm = KeyAlgorithm;

/** Algorithm of a card key: a block cipher, or 'sm2' for the PKI application's signing key (32-byte d). */
export type CardKeyAlgorithm = CardAlgorithm | 'sm2';

/**
 * What a key is for. The OS only uses a key for its own purpose:
 * - 'external-auth': EXTERNAL AUTHENTICATE `00 82 00 kid` (the terminal proves it holds the key),
 *   and the MAC of a file write sent with secure messaging (CLA 04) to a file whose write
 *   condition names the key (see os/handlers/files writableData);
 * - 'internal-auth': INTERNAL AUTHENTICATE `00 88 00 kid` (the card proves it holds the key);
 * - 'reload': the MAC of RELOAD PIN `80 5E 00 00`;
 * - 'unblock': the cryptogram and MAC of PIN UNBLOCK `84 24 00 00`;
 * - 'lifecycle': the MAC of APPLICATION BLOCK `84 1E`, APPLICATION UNBLOCK `84 18` and CARD BLOCK `84 16`;
 * - 'change': the enciphered PINs and the MAC of the issuer's PIN change script `84 5E 01 00`;
 * - 'sign': the SM2 private key of the PKI application (3.00 cards), whose public key EF 0012
 *   holds; an 'sm2' key has this usage and no other key has.
 */
export type KeyUsage = 'external-auth' | 'internal-auth' | 'reload' | 'unblock' | 'lifecycle' | 'change' | 'sign';

export const KEY_USAGES: readonly KeyUsage[] = [
  'external-auth',
  'internal-auth',
  'reload',
  'unblock',
  'lifecycle',
  'change',
  'sign',
];

export interface CardKeyOptions {
  /** Key number 0..255 (P2 of EXTERNAL/INTERNAL AUTHENTICATE); unique within its DF. */
  id: number;
  algorithm: CardKeyAlgorithm;
  /**
   * 16 or 24 bytes for 3DES, 16 for SM4, 32 for SM2 (the private key d), copied; or a function
   * that derives them, called once, at the key's first use (a diversified key: a card that never
   * uses a key never spends the cipher operations on it). Its result is kept as the key (a fresh
   * array it keeps no reference to); a wrong length is then a CardConfigError (6F00).
   */
  key: Uint8Array | (() => Uint8Array);
  usage: KeyUsage;
  /** Failed uses before the key blocks; 1..15, default 3. */
  tryLimit?: number;
  /** Tries left (for restoring a saved card); default tryLimit. */
  triesLeft?: number;
}

const KEY_SIZES = { sm4: '16', sm2: '32', '3des': '16 or 24' } as const;

/** What is wrong with the length of `key` for `algorithm`, or undefined. */
function keyLengthProblem(algorithm: CardKeyAlgorithm, key: Uint8Array): string | undefined {
  const ok =
    algorithm === '3des' ? key.length === 16 || key.length === 24 : key.length === Number(KEY_SIZES[algorithm]);
  return ok ? undefined : `${algorithm} key must be ${KEY_SIZES[algorithm]} bytes, got ${key.length}`;
}

/**
 * A key held by a DF, with its try counter. A failed use (wrong cryptogram, bad MAC) spends a try;
 * at 0 the key is blocked (`6983`). The counter is persistent card state: the owning tree is told
 * through `onChange` whenever it moves.
 */
export class CardKey {
  readonly id: number;
  readonly algorithm: CardKeyAlgorithm;
  readonly usage: KeyUsage;
  readonly tryLimit: number;
  /** The key bytes; undefined until `#derive` has run. */
  #key: Uint8Array | undefined;
  #derive: (() => Uint8Array) | undefined;
  #triesLeft: number;
  /** Set by the owning DF: makes a counter change durable (may throw if persisting fails). */
  onChange: (() => void) | undefined;

  constructor(options: CardKeyOptions) {
    const { id, algorithm, key, usage } = options;
    if (!Number.isInteger(id) || id < 0 || id > 0xff) {
      throw new CardTreeError(`key id must be an integer 0..255, got ${String(id)}`);
    }
    if (algorithm !== '3des' && algorithm !== 'sm4' && algorithm !== 'sm2') {
      throw new CardTreeError(`key ${id}: algorithm must be '3des', 'sm4' or 'sm2', got ${String(algorithm)}`);
    }
    if (typeof key !== 'function') {
      if (!(key instanceof Uint8Array)) throw new CardTreeError(`key ${id}: key bytes must be a Uint8Array`);
      const problem = keyLengthProblem(algorithm, key);
      if (problem !== undefined) throw new CardTreeError(`key ${id}: ${problem}`);
    }
    if (!KEY_USAGES.includes(usage)) {
      throw new CardTreeError(`key ${id}: usage must be one of ${KEY_USAGES.join(', ')}, got ${String(usage)}`);
    }
    if ((algorithm === 'sm2') !== (usage === 'sign')) {
      throw new CardTreeError(`key ${id}: an sm2 key is a 'sign' key and a 'sign' key is an sm2 key`);
    }
    const tryLimit = options.tryLimit ?? 3;
    if (!Number.isInteger(tryLimit) || tryLimit < 1 || tryLimit > 15) {
      throw new CardTreeError(`key ${id}: tryLimit must be an integer 1..15, got ${String(tryLimit)}`);
    }
    const triesLeft = options.triesLeft ?? tryLimit;
    if (!Number.isInteger(triesLeft) || triesLeft < 0 || triesLeft > tryLimit) {
      throw new CardTreeError(`key ${id}: triesLeft must be an integer 0..${tryLimit}, got ${String(triesLeft)}`);
    }
    this.id = id;
    this.algorithm = algorithm;
    this.usage = usage;
    this.tryLimit = tryLimit;
    if (typeof key === 'function') this.#derive = key;
    else this.#key = new Uint8Array(key);
    this.#triesLeft = triesLeft;
  }

  /**
   * The block cipher of a symmetric key. The OS only asks this of keys it found by a symmetric
   * usage, so an SM2 key here is a broken card (CardConfigError: 6F00 and a logged bug).
   */
  get cipher(): CardAlgorithm {
    if (this.algorithm === 'sm2') throw new CardConfigError(`key ${this.id} is an SM2 key, not a block cipher key`);
    return this.algorithm;
  }

  /** A copy of the key bytes. */
  get key(): Uint8Array {
    return new Uint8Array(this.#bytes());
  }

  /** The key bytes, derived at the first call for a key given as a derivation. */
  #bytes(): Uint8Array {
    if (this.#key !== undefined) return this.#key;
    const derived = (this.#derive as () => Uint8Array)();
    const problem = derived instanceof Uint8Array ? keyLengthProblem(this.algorithm, derived) : 'not a Uint8Array';
    if (problem !== undefined) throw new CardConfigError(`key ${this.id}: derived key ${problem}`);
    this.#key = derived;
    this.#derive = undefined;
    return derived;
  }

  /** Runs `use` with a copy of the key bytes and the key's cipher; the copy is wiped afterwards. */
  withKey<T>(use: (cipher: CardAlgorithm, keyBytes: Uint8Array) => T): T {
    const keyBytes = this.key;
    try {
      return use(this.cipher, keyBytes);
    } finally {
      keyBytes.fill(0);
    }
  }

  get triesLeft(): number {
    return this.#triesLeft;
  }

  get blocked(): boolean {
    return this.#triesLeft === 0;
  }

  /** Spends one try durably (before the caller checks the cryptogram). */
  spendTry(): void {
    if (this.#triesLeft === 0) return;
    this.#triesLeft -= 1;
    this.onChange?.();
  }

  /** Restores the counter after a successful use (durably, when it moved). */
  restoreTries(): void {
    if (this.#triesLeft === this.tryLimit) return;
    this.#triesLeft = this.tryLimit;
    this.onChange?.();
  }

  /** Sets the counter without telling the tree (used when rolling back to a persisted state). */
  setTriesLeftSilently(n: number): void {
    this.#triesLeft = Math.max(0, Math.min(this.tryLimit, n));
  }
}
