import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { codedErrorClass, toHex } from '../apdu/index.js';

/*
 * The issuer's asymmetric signature, for files terminals must trust offline (the blacklist): the
 * issuer signs with its private key, terminals hold only the public key.
 *
 * Project choice: Ed25519 (RFC 8032), from node:crypto. Deterministic signatures (no per-signature
 * random nonce to get wrong, unlike ECDSA P-256 and SM2), 32-byte keys, one fixed encoding for
 * keys and signatures (no DER/P1363 choice), and node:crypto supports it on every Node version
 * the project runs on; SM2 signing is not available through node:crypto's OpenSSL build.
 * Keys travel as the raw 32 bytes (a private key as its 32-byte seed) or as PEM files
 * (PKCS#8 private, SPKI public), as `openssl genpkey -algorithm ed25519` writes them.
 */

/** Ed25519 key and signature lengths. */
export const ED25519_KEY_LENGTH = 32;
export const ED25519_SIGNATURE_LENGTH = 64;

/** A signing key that cannot be used (wrong length, not Ed25519, unreadable PEM). */
export class SigningKeyError extends codedErrorClass('SIGNING_KEY') {}

/** PKCS#8 DER of an Ed25519 private key, without its 32-byte seed (RFC 8410). */
const PKCS8_ED25519_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);
/** SPKI DER of an Ed25519 public key, without its 32 bytes. */
const SPKI_ED25519_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

function checkKeyBytes(key: Uint8Array, what: string): void {
  if (!(key instanceof Uint8Array) || key.length !== ED25519_KEY_LENGTH) {
    throw new SigningKeyError(`${what} must be a ${ED25519_KEY_LENGTH}-byte Uint8Array`);
  }
}

function privateKeyObject(seed: Uint8Array): KeyObject {
  checkKeyBytes(seed, 'Ed25519 private key (seed)');
  const der = Buffer.concat([PKCS8_ED25519_PREFIX, seed]);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  checkKeyBytes(publicKey, 'Ed25519 public key');
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' });
}

function rawPublicKey(key: KeyObject): Uint8Array {
  const der = key.export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(der.length - ED25519_KEY_LENGTH));
}

/** The public key of an Ed25519 private key (its 32-byte seed). */
export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  return rawPublicKey(createPublicKey(privateKeyObject(seed)));
}

/** The 64-byte Ed25519 signature of `message` under the private key `seed`. */
export function ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, message, privateKeyObject(seed)));
}

/** Whether `signature` is a valid Ed25519 signature of `message` under `publicKey`. */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!(signature instanceof Uint8Array) || signature.length !== ED25519_SIGNATURE_LENGTH) return false;
  return verify(null, message, publicKeyObject(publicKey), signature);
}

/**
 * Short name of a public key: the first 8 bytes of its SHA-256, in hex. Files signed with a key
 * name it, so a terminal holding another key says which one was expected.
 */
export function keyFingerprint(publicKey: Uint8Array): string {
  checkKeyBytes(publicKey, 'Ed25519 public key');
  return toHex(new Uint8Array(createHash('sha256').update(publicKey).digest().subarray(0, 8))).toLowerCase();
}

/** An Ed25519 key read from PEM: a private key (with its public key) or a public key alone. */
export interface Ed25519Key {
  /** The 32-byte seed; absent for a public key. */
  privateKey?: Uint8Array;
  publicKey: Uint8Array;
}

/** Reads a PKCS#8 private or SPKI public Ed25519 key in PEM; anything else is SigningKeyError. */
export function ed25519KeyFromPem(pem: string): Ed25519Key {
  if (typeof pem !== 'string' || !pem.includes('-----BEGIN'))
    throw new SigningKeyError('not a PEM key (no -----BEGIN line)');
  let key: KeyObject;
  try {
    key = pem.includes('PRIVATE KEY') ? createPrivateKey(pem) : createPublicKey(pem);
  } catch (err) {
    // node's message never quotes key material.
    throw new SigningKeyError(`unreadable PEM key (${(err as Error).message})`, { cause: err });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new SigningKeyError(`the key is ${key.asymmetricKeyType ?? 'symmetric'}, not Ed25519`);
  }
  if (key.type === 'private') {
    const der = key.export({ format: 'der', type: 'pkcs8' });
    const privateKey = new Uint8Array(der.subarray(der.length - ED25519_KEY_LENGTH));
    der.fill(0);
    return { privateKey, publicKey: rawPublicKey(createPublicKey(key)) };
  }
  return { publicKey: rawPublicKey(key) };
}

/** PEM (PKCS#8) of an Ed25519 private key, e.g. to store a newly made issuer key. */
export function ed25519PrivateKeyPem(seed: Uint8Array): string {
  return privateKeyObject(seed).export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** PEM (SPKI) of an Ed25519 public key, the file a terminal is given. */
export function ed25519PublicKeyPem(publicKey: Uint8Array): string {
  return publicKeyObject(publicKey).export({ format: 'pem', type: 'spki' }).toString();
}

/**
 * TEST-ONLY private key (32-byte Ed25519 seed) of the issuer's blacklist signer, published with
 * the project so the back office, the examples and simulated terminals agree. It is the ASCII
 * text "TEST SSCARD BLACKLIST SIGNER" padded with '-' to 32 bytes. Never use it for real
 * terminals: anyone can sign with it. Returns a fresh copy each call.
 */
export function blacklistTestSigningKey(): Uint8Array {
  return new Uint8Array(Buffer.from('TEST SSCARD BLACKLIST SIGNER'.padEnd(ED25519_KEY_LENGTH, '-'), 'ascii'));
}

/** The public key of blacklistTestSigningKey: what a test terminal trusts by default. */
export function blacklistTestPublicKey(): Uint8Array {
  return ed25519PublicKey(blacklistTestSigningKey());
}
