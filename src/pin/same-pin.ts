import { timingSafeEqual } from 'node:crypto';

/**
 * Constant-time equality of two PINs given as strings or ASCII digit bytes (two entries of a new
 * PIN, a PIN against the initial one). Lengths are not secret (a card sees Lc); only the digits
 * are compared in constant time. The copies made for the comparison are wiped.
 */
export function samePin(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const x = typeof a === 'string' ? Buffer.from(a, 'latin1') : Buffer.from(a);
  const y = typeof b === 'string' ? Buffer.from(b, 'latin1') : Buffer.from(b);
  try {
    return x.length === y.length && timingSafeEqual(x, y);
  } finally {
    x.fill(0);
    y.fill(0);
  }
}
