import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { ImageKey } from './image-key.js';

/*
 * Sealing: the one place where card image bytes are encrypted and authenticated. A sealed record
 * is AES-256-GCM under the image key (image-key.ts) with a fresh random 96-bit IV per seal; the
 * associated data is the record's clear header (whatever the caller lists, e.g. the image's
 * format, version, times, spec and protocol), the cipher, the key id and the IV, so the GCM tag is
 * a MAC over everything the record holds: a change to any byte of the header or the ciphertext, or
 * a header or ciphertext taken from another record, fails the tag.
 *
 * Whoever writes sealed bytes (a card image, a log of counter changes) seals through here, so one
 * cipher, one key derivation and one notion of "edited" and "another key" hold for all of them.
 */

/** The authenticated cipher of sealed records (Node's crypto; SM4-GCM is not in Node 20's OpenSSL build). */
export const SEAL_CIPHER = 'aes-256-gcm';
export const SEAL_IV_BYTES = 12;
export const SEAL_TAG_BYTES = 16;

/** What a sealed record keeps in clear besides its header: how to open it. */
export interface Seal {
  cipher: typeof SEAL_CIPHER;
  /** The sealing key's id (ImageKey.id): tells "sealed with another key" from "edited". */
  keyId: string;
  /** 12 bytes, hex. */
  iv: string;
  /** The GCM tag, 16 bytes, hex. */
  tag: string;
}

/** Why a sealed record does not open: sealed under another key (or no key here), or changed since. */
export type UnsealProblem = 'other-key' | 'tampered';

/** The associated data: the header items, then the cipher, key id and IV, as one JSON array. */
function associatedData(header: readonly unknown[], keyId: string, iv: string): Buffer {
  return Buffer.from(JSON.stringify([...header, SEAL_CIPHER, keyId, iv]), 'utf8');
}

/** Encrypts `plaintext` under `key`, binding `header` to it. The ciphertext comes back as base64. */
export function sealBytes(
  key: ImageKey,
  header: readonly unknown[],
  plaintext: Uint8Array,
): { seal: Seal; data: string } {
  const iv = randomBytes(SEAL_IV_BYTES);
  const ivHex = iv.toString('hex');
  const cipher = createCipheriv(SEAL_CIPHER, key.sealingKey(), iv, { authTagLength: SEAL_TAG_BYTES });
  cipher.setAAD(associatedData(header, key.id, ivHex));
  const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return {
    seal: { cipher: SEAL_CIPHER, keyId: key.id, iv: ivHex, tag: cipher.getAuthTag().toString('hex') },
    data: data.toString('base64'),
  };
}

/**
 * Decrypts a sealed record: the plaintext, or why not. `key` undefined (no image key on this
 * machine) is 'other-key'. The seal's fields must already be well-formed (hex of the right sizes).
 */
export function openSealedBytes(
  key: ImageKey | undefined,
  header: readonly unknown[],
  seal: Seal,
  data: string,
): { ok: true; plaintext: Uint8Array } | { ok: false; problem: UnsealProblem } {
  if (key === undefined || seal.keyId !== key.id) return { ok: false, problem: 'other-key' };
  const decipher = createDecipheriv(SEAL_CIPHER, key.sealingKey(), Buffer.from(seal.iv, 'hex'), {
    authTagLength: SEAL_TAG_BYTES,
  });
  decipher.setAAD(associatedData(header, seal.keyId, seal.iv));
  try {
    // A tag of another length throws here: a cut tag is an edit like any other.
    decipher.setAuthTag(Buffer.from(seal.tag, 'hex'));
    const plain = Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]);
    return { ok: true, plaintext: new Uint8Array(plain.buffer, plain.byteOffset, plain.length) };
  } catch {
    // The tag does not match: the header, the IV, the tag or the ciphertext changed.
    return { ok: false, problem: 'tampered' };
  }
}
