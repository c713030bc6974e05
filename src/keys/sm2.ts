import { createECDH, generateKeyPairSync } from 'node:crypto';
import { CryptoInputError } from './block-cipher.js';

/*
 * SM2 (GB/T 32918) key pairs for the PKI application of 3.00 cards, on node:crypto: Node's
 * OpenSSL (3.x) knows the SM2 curve, so `generateKeyPairSync('ec', { namedCurve: 'SM2' })` makes
 * a real SM2 key pair (the 'sm2' key type itself is not offered, and no extra library is needed).
 * Keys travel as raw bytes: the private key d (32 bytes) and the public point X || Y (64 bytes).
 */

/** Bytes of an SM2 public key as X || Y (the uncompressed point without its 04 prefix). */
export const SM2_PUBLIC_KEY_LENGTH = 64;

export interface Sm2KeyPair {
  /** The private key d, 32 bytes big-endian. Secret: the card keeps it, callers wipe copies. */
  privateKey: Uint8Array;
  /** X || Y, 64 bytes. */
  publicKey: Uint8Array;
}

/** A fresh SM2 key pair from the platform's random source. */
export function generateSm2KeyPair(): Sm2KeyPair {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'SM2' });
  // SEC1 ECPrivateKey DER: 30 len, 02 01 01 (version), 04 20 <d>, ...
  const der = privateKey.export({ format: 'der', type: 'sec1' });
  if (der[2] !== 0x02 || der[3] !== 0x01 || der[4] !== 0x01 || der[5] !== 0x04 || der[6] !== 0x20) {
    throw new CryptoInputError('unexpected SEC1 encoding of a generated SM2 key');
  }
  const d = Uint8Array.from(der.subarray(7, 39));
  der.fill(0);
  return { privateKey: d, publicKey: sm2PublicKeyOf(d) };
}

/** The public key X || Y of the SM2 private key d (32 bytes); CryptoInputError for a key off the curve's range. */
export function sm2PublicKeyOf(privateKey: Uint8Array): Uint8Array {
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32) {
    throw new CryptoInputError('an SM2 private key is 32 bytes');
  }
  const ecdh = createECDH('SM2');
  try {
    ecdh.setPrivateKey(privateKey);
  } catch {
    throw new CryptoInputError('not a valid SM2 private key');
  }
  const point = ecdh.getPublicKey();
  return Uint8Array.from(point.subarray(1));
}
