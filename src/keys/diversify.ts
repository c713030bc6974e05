import { SscardError, encodeBcd } from '../apdu/index.js';
import { encryptEcb } from './block-cipher.js';

/** The card's symmetric algorithm (FCI 9F0C 03 86 01 xx: 01 = 3DES on spec 2.00 cards, 03 = SM4 on 3.00). */
export type KeyAlgorithm = '3des' | 'sm4';

/** A key that cannot be diversified (bad master length, unusable card identifier). */
export class KeyDiversificationError extends SscardError {
  constructor(message: string) {
    super('KEY_DIVERSIFICATION', message);
  }
}

function complement(bytes: Uint8Array): Uint8Array {
  return bytes.map((b) => b ^ 0xff);
}

/**
 * Per-card key from an issuer master key and the card identifier (EF05 tag 01), so a terminal's
 * secure module holds master keys only.
 *
 * Project choice (PBOC-style diversification, one level):
 *   data = last 8 bytes of the BCD of the card identifier's digits (an odd count gets an F pad);
 *   3DES: key = 3DES-ECB(master, data) || 3DES-ECB(master, ~data)   (16-byte double-length key)
 *   SM4:  key = SM4-ECB(master, data || ~data)                       (16-byte key)
 * `master` is 16 bytes for both algorithms; `cardIdentifier` must have at least 16 digits.
 */
export function diversifyKey(master: Uint8Array, cardIdentifier: string, algorithm: KeyAlgorithm): Uint8Array {
  if (!(master instanceof Uint8Array) || master.length !== 16) {
    throw new KeyDiversificationError('master key must be a 16-byte Uint8Array');
  }
  if (algorithm !== '3des' && algorithm !== 'sm4') {
    throw new KeyDiversificationError(`algorithm must be '3des' or 'sm4', got ${JSON.stringify(algorithm)}`);
  }
  if (typeof cardIdentifier !== 'string' || !/^[0-9]{16,32}$/.test(cardIdentifier)) {
    throw new KeyDiversificationError('card identifier must be 16 to 32 digits');
  }
  const bcd = encodeBcd(cardIdentifier);
  const data = bcd.subarray(bcd.length - 8);
  if (algorithm === '3des') {
    const left = encryptEcb('3des', master, data);
    const right = encryptEcb('3des', master, complement(data));
    const key = new Uint8Array(16);
    key.set(left, 0);
    key.set(right, 8);
    return key;
  }
  const block = new Uint8Array(16);
  block.set(data, 0);
  block.set(complement(data), 8);
  return encryptEcb('sm4', master, block);
}
