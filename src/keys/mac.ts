import {
  CryptoInputError,
  blockSize,
  checkKey,
  desEncryptBlock,
  encryptEcb,
  padIso9797Method2,
} from './block-cipher.js';
import type { KeyAlgorithm } from './diversify.js';

/** Length of the MAC the card checks (the first bytes of the last MAC block). */
export const MAC_LENGTH = 4;

function xorInto(target: Uint8Array, src: Uint8Array): void {
  for (let i = 0; i < target.length; i++) target[i] = (target[i] as number) ^ (src[i] as number);
}

/**
 * The 4-byte MAC the card checks on RELOAD PIN, PIN UNBLOCK and secure messaging (project choice,
 * fixed for card and terminal alike): the data is padded with ISO/IEC 9797-1 method 2, then
 * - 3DES: ISO/IEC 9797-1 MAC algorithm 3 ("retail MAC"): CBC with single DES under K1 over every
 *   block but the last, the last block with the full 3DES key;
 * - SM4: plain CBC-MAC with SM4;
 * the IV is `iv` (normally the card's challenge) zero-padded, or cut, to the block size; an empty
 * `iv` means all zeros. The result is the first 4 bytes of the last block.
 */
export function cardMac(algorithm: KeyAlgorithm, key: Uint8Array, data: Uint8Array, iv: Uint8Array): Uint8Array {
  checkKey(algorithm, key);
  if (!(data instanceof Uint8Array) || !(iv instanceof Uint8Array))
    throw new CryptoInputError('data and iv must be Uint8Arrays');
  const size = blockSize(algorithm);
  const padded = padIso9797Method2(data, size);
  const h = new Uint8Array(size);
  h.set(iv.subarray(0, size));
  const blocks = padded.length / size;
  try {
    for (let b = 0; b < blocks; b++) {
      xorInto(h, padded.subarray(b * size, (b + 1) * size));
      const last = b === blocks - 1;
      const next = algorithm === 'sm4' || last ? encryptEcb(algorithm, key, h) : desEncryptBlock(key, h);
      h.set(next);
      next.fill(0);
    }
    return h.slice(0, MAC_LENGTH);
  } finally {
    // The input may hold PIN digits (RELOAD PIN): no copy of it outlives the call.
    padded.fill(0);
    h.fill(0);
  }
}

/**
 * The MAC of a command sent with secure messaging (RELOAD PIN, PIN UNBLOCK, APPLICATION BLOCK /
 * UNBLOCK, CARD BLOCK): cardMac over `CLA INS P1 P2 || Lc || data`, where `header` is the 4 header
 * bytes, `data` the command data without the MAC and Lc the length as sent, MAC included
 * (data.length + 4, short form only). `challenge` is the card's GET CHALLENGE answer (the IV).
 */
export function commandMac(
  algorithm: KeyAlgorithm,
  key: Uint8Array,
  header: Uint8Array,
  data: Uint8Array,
  challenge: Uint8Array,
): Uint8Array {
  if (!(header instanceof Uint8Array) || header.length !== 4)
    throw new CryptoInputError('header must be the 4 bytes CLA INS P1 P2');
  if (!(data instanceof Uint8Array)) throw new CryptoInputError('data must be a Uint8Array');
  const lc = data.length + MAC_LENGTH;
  if (lc > 255) throw new CryptoInputError(`data of ${data.length} bytes does not fit a short Lc with the MAC`);
  const input = new Uint8Array(5 + data.length);
  input.set(header, 0);
  input[4] = lc;
  input.set(data, 5);
  try {
    return cardMac(algorithm, key, input, challenge);
  } finally {
    input.fill(0);
  }
}
