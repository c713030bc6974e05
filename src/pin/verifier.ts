import { createHmac, timingSafeEqual } from 'node:crypto';
import { fromHex, toHex } from '../apdu/index.js';
import { PIN_MAC_BYTES, PIN_SALT_BYTES } from './record.js';
import type { PinVerifier } from './record.js';
import { randomBytesFromPool } from './random.js';

function macOf(salt: Uint8Array, asciiDigits: Uint8Array): Buffer {
  return createHmac('sha256', salt).update(asciiDigits).digest();
}

/** A new verifier with a fresh random salt for `asciiDigits` (already format-checked). */
export function createPinVerifier(asciiDigits: Uint8Array): PinVerifier {
  const salt = randomBytesFromPool(PIN_SALT_BYTES);
  const mac = macOf(salt, asciiDigits);
  return { salt: toHex(salt), mac: toHex(mac) };
}

/** Constant-time check of `asciiDigits` against a (validated) verifier. */
export function pinMatchesVerifier(verifier: PinVerifier, asciiDigits: Uint8Array): boolean {
  const expected = fromHex(verifier.mac);
  const actual = macOf(fromHex(verifier.salt), asciiDigits);
  try {
    return expected.length === PIN_MAC_BYTES && timingSafeEqual(actual, expected);
  } finally {
    actual.fill(0);
  }
}
