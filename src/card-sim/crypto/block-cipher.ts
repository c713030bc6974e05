import { createCipheriv, createDecipheriv } from 'node:crypto';
import { blockSize, type CardAlgorithm } from '../fs/keys.js';

/*
 * Card cryptography with node:crypto's real ciphers: 3DES ('des-ede-ecb' for 16-byte keys,
 * 'des-ede3-ecb' for 24-byte keys) and SM4 ('sm4-ecb'). Single DES (needed inside the retail MAC)
 * is 'des-ede-ecb' with K||K, which OpenSSL 3 offers without the legacy provider.
 */

function cipherName(algorithm: CardAlgorithm, keyLength: number): string {
  if (algorithm === 'sm4') return 'sm4-ecb';
  return keyLength === 24 ? 'des-ede3-ecb' : 'des-ede-ecb';
}

function run(decrypt: boolean, algorithm: CardAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
  const size = blockSize(algorithm);
  if (data.length % size !== 0) throw new RangeError(`data length ${data.length} is not a multiple of ${size}`);
  const name = cipherName(algorithm, key.length);
  const c = decrypt ? createDecipheriv(name, key, null) : createCipheriv(name, key, null);
  c.setAutoPadding(false);
  const out = Buffer.concat([c.update(data), c.final()]);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** ECB encryption of whole blocks with a card key (3DES 16/24-byte key, or SM4). */
export function encryptEcb(algorithm: CardAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
  return run(false, algorithm, key, data);
}

/** ECB decryption of whole blocks with a card key. */
export function decryptEcb(algorithm: CardAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
  return run(true, algorithm, key, data);
}

/** Single DES encryption of one 8-byte block with an 8-byte key. */
function desEncrypt(key8: Uint8Array, block: Uint8Array): Uint8Array {
  const k = new Uint8Array(16);
  k.set(key8, 0);
  k.set(key8, 8);
  return run(false, '3des', k, block);
}

/** `data` padded with zeros to a multiple of the block size (nothing added when already aligned, except for empty data). */
export function padZeros(data: Uint8Array, size: number): Uint8Array {
  const len = Math.max(size, Math.ceil(data.length / size) * size);
  const out = new Uint8Array(len);
  out.set(data);
  return out;
}

/** ISO/IEC 9797-1 padding method 2: append 80, then zeros to a multiple of the block size. */
export function padIso9797Method2(data: Uint8Array, size: number): Uint8Array {
  const len = (Math.floor(data.length / size) + 1) * size;
  const out = new Uint8Array(len);
  out.set(data);
  out[data.length] = 0x80;
  return out;
}

function xorInto(target: Uint8Array, src: Uint8Array): void {
  for (let i = 0; i < target.length; i++) target[i] = (target[i] as number) ^ (src[i] as number);
}

/**
 * The 4-byte MAC the card checks on RELOAD PIN, PIN UNBLOCK and secure messaging:
 * the data is padded with ISO 9797-1 method 2, then
 * - 3DES: ISO 9797-1 MAC algorithm 3 ("retail MAC"): CBC with single DES under K1 over every
 *   block but the last, the last block with the full 3DES key;
 * - SM4: plain CBC-MAC with SM4;
 * the IV is `iv` zero-padded (or cut) to the block size. The result is the first 4 bytes.
 */
export function cardMac(algorithm: CardAlgorithm, key: Uint8Array, data: Uint8Array, iv: Uint8Array): Uint8Array {
  const size = blockSize(algorithm);
  const padded = padIso9797Method2(data, size);
  const h = new Uint8Array(size);
  h.set(iv.subarray(0, size));
  const blocks = padded.length / size;
  for (let b = 0; b < blocks; b++) {
    xorInto(h, padded.subarray(b * size, (b + 1) * size));
    const last = b === blocks - 1;
    const next = algorithm === 'sm4' || last ? encryptEcb(algorithm, key, h) : desEncrypt(key.subarray(0, 8), h);
    h.set(next);
  }
  return h.slice(0, 4);
}
