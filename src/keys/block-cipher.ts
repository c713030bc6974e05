import { createCipheriv, createDecipheriv } from 'node:crypto';
import { SscardError } from '../apdu/index.js';
import type { KeyAlgorithm } from './diversify.js';

/*
 * The block-cipher layer shared by the card and a terminal's secure module, on node:crypto's real
 * ciphers: 3DES ('des-ede-ecb' for 16-byte keys, 'des-ede3-ecb' for 24-byte keys) and SM4
 * ('sm4-ecb'). Single DES (needed inside the retail MAC) is 'des-ede-ecb' with K||K, which
 * OpenSSL 3 offers without the legacy provider.
 */

/** Arguments a cipher function cannot work with (unknown algorithm, wrong key size, ragged data). */
export class CryptoInputError extends SscardError {
  constructor(message: string) {
    super('CRYPTO_INPUT', message);
  }
}

/** Block size in bytes of an algorithm: 8 for 3DES, 16 for SM4. */
export function blockSize(algorithm: KeyAlgorithm): 8 | 16 {
  if (algorithm === 'sm4') return 16;
  if (algorithm === '3des') return 8;
  throw new CryptoInputError(`algorithm must be '3des' or 'sm4', got ${JSON.stringify(algorithm)}`);
}

/** Throws unless `key` fits `algorithm`: 3DES 16 or 24 bytes, SM4 16 bytes. */
export function checkKey(algorithm: KeyAlgorithm, key: Uint8Array): void {
  blockSize(algorithm);
  if (!(key instanceof Uint8Array)) throw new CryptoInputError('key must be a Uint8Array');
  const ok = algorithm === 'sm4' ? key.length === 16 : key.length === 16 || key.length === 24;
  if (!ok) {
    throw new CryptoInputError(
      `${algorithm} key must be ${algorithm === 'sm4' ? '16' : '16 or 24'} bytes, got ${key.length}`,
    );
  }
}

function cipherName(algorithm: KeyAlgorithm, keyLength: number): string {
  if (algorithm === 'sm4') return 'sm4-ecb';
  return keyLength === 24 ? 'des-ede3-ecb' : 'des-ede-ecb';
}

function runEcb(decrypt: boolean, algorithm: KeyAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
  checkKey(algorithm, key);
  const size = blockSize(algorithm);
  if (!(data instanceof Uint8Array)) throw new CryptoInputError('data must be a Uint8Array');
  if (data.length % size !== 0) {
    throw new CryptoInputError(`data length ${data.length} is not a multiple of the ${algorithm} block size ${size}`);
  }
  const name = cipherName(algorithm, key.length);
  const c = decrypt ? createDecipheriv(name, key, null) : createCipheriv(name, key, null);
  c.setAutoPadding(false);
  const out = Buffer.concat([c.update(data), c.final()]);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** ECB encryption of whole blocks: 3DES (2-key 16 bytes or 3-key 24 bytes) or SM4 (16 bytes). */
export function encryptEcb(algorithm: KeyAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
  return runEcb(false, algorithm, key, data);
}

/** ECB decryption of whole blocks (the inverse of encryptEcb). */
export function decryptEcb(algorithm: KeyAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
  return runEcb(true, algorithm, key, data);
}

/** Single DES encryption of one 8-byte block with an 8-byte key (K||K as 2-key 3DES). */
export function desEncryptBlock(key8: Uint8Array, block: Uint8Array): Uint8Array {
  const k = new Uint8Array(16);
  k.set(key8.subarray(0, 8), 0);
  k.set(key8.subarray(0, 8), 8);
  try {
    return runEcb(false, '3des', k, block);
  } finally {
    k.fill(0);
  }
}

function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < 1 || size > 255) {
    throw new CryptoInputError(`block size must be an integer 1..255, got ${String(size)}`);
  }
}

/**
 * `data` padded with zeros to a whole number of `size`-byte blocks; empty data becomes one zero
 * block, aligned data is returned as a copy without an extra block.
 */
export function padZeros(data: Uint8Array, size: number): Uint8Array {
  checkSize(size);
  const len = Math.max(size, Math.ceil(data.length / size) * size);
  const out = new Uint8Array(len);
  out.set(data);
  return out;
}

/** ISO/IEC 9797-1 padding method 2: append 80, then zeros to a multiple of the block size (always adds). */
export function padIso9797Method2(data: Uint8Array, size: number): Uint8Array {
  checkSize(size);
  const len = (Math.floor(data.length / size) + 1) * size;
  const out = new Uint8Array(len);
  out.set(data);
  out[data.length] = 0x80;
  return out;
}
