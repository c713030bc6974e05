import { randomBytes } from 'node:crypto';
import { CryptoInputError, blockSize, checkKey, decryptEcb, encryptEcb } from './block-cipher.js';
import type { KeyAlgorithm } from './diversify.js';
import { PinBlockError, decodeUnblockPinBlock, encodeUnblockPinBlock } from './pin-block.js';

/*
 * The enciphered PIN data of the issuer's PIN change script `84 5E 01 00 Lc E(...) || MAC4`
 * (project choice, fixed for card and secure module alike). The holder gives the current and the
 * new PIN to the hotline; the office's secure module enciphers them at once under the card's PIN
 * change key (SSC_KEYS.PIN_CHANGE, diversified from its master key); the card deciphers them,
 * checks the current PIN and sets the new one.
 *
 *   plain  = R || PB(current) || PB(new)     three cipher blocks
 *   data   = CBC encipherment of plain, IV all zeros, under the card's PIN change key
 *
 * R is one block of fresh random bytes and PB the PIN block of PIN UNBLOCK (n || BCD digits ||
 * FF.., one block, see pin-block.ts). Because R goes first and the mode chains, the same two PINs
 * never give the same cryptogram twice: a database holding many scripts cannot tell whether two
 * of them carry the same PIN. 24 bytes with 3DES, 48 with SM4.
 */

/** Cipher blocks in the PIN change data: the random block and the two PIN blocks. */
const BLOCKS = 3;

/** Length of the enciphered PIN change data: 24 bytes (3DES) or 48 (SM4). */
export function pinChangeDataLength(algorithm: KeyAlgorithm): number {
  return BLOCKS * blockSize(algorithm);
}

function xorInto(target: Uint8Array, src: Uint8Array): void {
  for (let i = 0; i < target.length; i++) target[i] = (target[i] as number) ^ (src[i] as number);
}

/**
 * E(card's PIN change key, R || PB(current) || PB(new)) in CBC with a zero IV. `random(n)` gives
 * the random block (default node:crypto; tests pass a fixed one for a vector). Throws
 * PinBlockError for a PIN the block cannot carry (the message never holds digits).
 */
export function encipherPinChange(
  algorithm: KeyAlgorithm,
  key: Uint8Array,
  currentPin: string | Uint8Array,
  newPin: string | Uint8Array,
  random: (n: number) => Uint8Array = (n) => new Uint8Array(randomBytes(n)),
): Uint8Array {
  checkKey(algorithm, key);
  const size = blockSize(algorithm);
  const r = random(size);
  if (!(r instanceof Uint8Array) || r.length !== size)
    throw new CryptoInputError(`the random block must be ${size} bytes`);
  const current = encodeUnblockPinBlock(currentPin, algorithm);
  let next: Uint8Array | undefined;
  const out = new Uint8Array(BLOCKS * size);
  const chain = new Uint8Array(size);
  try {
    next = encodeUnblockPinBlock(newPin, algorithm);
    const plain = [r, current, next];
    for (let b = 0; b < BLOCKS; b++) {
      xorInto(chain, plain[b] as Uint8Array);
      const c = encryptEcb(algorithm, key, chain);
      out.set(c, b * size);
      chain.set(c);
    }
    return out;
  } finally {
    current.fill(0);
    next?.fill(0);
    r.fill(0);
    chain.fill(0);
  }
}

/**
 * The two PINs inside enciphered PIN change data; PinBlockError when the length or a deciphered
 * PIN block's layout is wrong (a wrong key shows up here too: its blocks are noise).
 */
export function decipherPinChange(
  algorithm: KeyAlgorithm,
  key: Uint8Array,
  data: Uint8Array,
): { currentPin: string; newPin: string } {
  checkKey(algorithm, key);
  const size = blockSize(algorithm);
  if (!(data instanceof Uint8Array) || data.length !== BLOCKS * size) {
    throw new PinBlockError(`enciphered PIN change data is ${BLOCKS * size} bytes for ${algorithm}`);
  }
  const plain = decryptEcb(algorithm, key, data);
  try {
    // CBC: each plain block is D(C_i) xor C_(i-1); the first (random) block is not needed.
    for (let b = BLOCKS - 1; b >= 1; b--)
      xorInto(plain.subarray(b * size, (b + 1) * size), data.subarray((b - 1) * size, b * size));
    return {
      currentPin: decodeUnblockPinBlock(plain.subarray(size, 2 * size)),
      newPin: decodeUnblockPinBlock(plain.subarray(2 * size, 3 * size)),
    };
  } finally {
    plain.fill(0);
  }
}
