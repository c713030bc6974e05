import { CryptoInputError, blockSize, checkKey, encryptEcb } from './block-cipher.js';
import type { KeyAlgorithm } from './diversify.js';

/**
 * The EXTERNAL AUTHENTICATE cryptogram over a card challenge (project choice, fixed for card and
 * terminal alike): the challenge zero-padded to one cipher block, enciphered in ECB with the card
 * key. 3DES: 8 bytes = 3DES-ECB(key, challenge || 00..); SM4: 16 bytes = SM4-ECB(key, challenge
 * || 00..). The challenge is 1 byte to one block long (the card sends 4 or 8, or 16 with SM4).
 */
export function authenticationCryptogram(
  algorithm: KeyAlgorithm,
  cardKey: Uint8Array,
  challenge: Uint8Array,
): Uint8Array {
  checkKey(algorithm, cardKey);
  const size = blockSize(algorithm);
  if (!(challenge instanceof Uint8Array) || challenge.length === 0 || challenge.length > size) {
    throw new CryptoInputError(`challenge must be 1..${size} bytes for ${algorithm}`);
  }
  const block = new Uint8Array(size);
  block.set(challenge, 0);
  return encryptEcb(algorithm, cardKey, block);
}
