import { randomFillSync } from 'node:crypto';

/*
 * Salts and reference pads come from one buffer of random bytes filled at a time, as Node's
 * randomUUID does: a call to the generator costs far more than the 16 or 12 bytes a salt or a pad
 * takes (personalising a card takes several). Bytes handed out are wiped from the pool at once.
 */
const POOL_BYTES = 4096;
const pool = new Uint8Array(POOL_BYTES);
let next = POOL_BYTES;

/** `n` (at most 4096) bytes from the system's cryptographic generator, in a new array. */
export function randomBytesFromPool(n: number): Uint8Array {
  if (next + n > POOL_BYTES) {
    randomFillSync(pool);
    next = 0;
  }
  const out = pool.slice(next, next + n);
  pool.fill(0, next, next + n);
  next += n;
  return out;
}
