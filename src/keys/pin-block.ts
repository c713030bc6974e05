import { SscardError } from '../apdu/index.js';
import { blockSize, checkKey, decryptEcb, encryptEcb } from './block-cipher.js';
import type { KeyAlgorithm } from './diversify.js';

/*
 * The PIN block of PIN UNBLOCK `84 24 00 P2 Lc E(block) || MAC4` (project choice, fixed for card
 * and terminal alike): byte 0 = the number of digits n, then the digits as BCD (an odd count ends
 * with an F nibble), then FF up to one cipher block (8 bytes for 3DES, 16 for SM4), enciphered
 * in ECB with the unblock key. Example, 3DES, PIN 123456: 06 12 34 56 FF FF FF FF.
 */

/**
 * A PIN block that does not have that layout. The message names the rule that was broken, never
 * the digits.
 */
export class PinBlockError extends SscardError {
  constructor(message: string) {
    super('PIN_BLOCK_INVALID', message);
  }
}

/** Most digits an unblock PIN block of `algorithm` can carry (14 for 3DES, 30 for SM4). */
export function unblockPinBlockCapacity(algorithm: KeyAlgorithm): number {
  return (blockSize(algorithm) - 1) * 2;
}

/** The plain PIN block for `pin` (ASCII digits, as a string or bytes). The caller wipes it. */
export function encodeUnblockPinBlock(pin: string | Uint8Array, algorithm: KeyAlgorithm): Uint8Array {
  const size = blockSize(algorithm);
  if (typeof pin !== 'string' && !(pin instanceof Uint8Array)) {
    throw new PinBlockError('PIN must be a string of digits or a Uint8Array of ASCII digit bytes');
  }
  const n = pin.length;
  if (n < 1 || n > unblockPinBlockCapacity(algorithm)) {
    throw new PinBlockError(`a ${algorithm} unblock PIN block carries 1..${unblockPinBlockCapacity(algorithm)} digits`);
  }
  const block = new Uint8Array(size).fill(0xff);
  block[0] = n;
  for (let i = 0; i < n; i++) {
    const unit = typeof pin === 'string' ? pin.charCodeAt(i) : (pin[i] as number);
    if (unit < 0x30 || unit > 0x39) {
      block.fill(0);
      throw new PinBlockError('PIN must contain only the digits 0-9');
    }
    const at = 1 + (i >> 1);
    const nibble = unit - 0x30;
    block[at] = i % 2 === 0 ? (nibble << 4) | 0x0f : ((block[at] as number) & 0xf0) | nibble;
  }
  return block;
}

/** The digits of a plain PIN block; PinBlockError when the layout is wrong. */
export function decodeUnblockPinBlock(block: Uint8Array): string {
  if (!(block instanceof Uint8Array) || (block.length !== 8 && block.length !== 16)) {
    throw new PinBlockError('an unblock PIN block is one cipher block (8 or 16 bytes)');
  }
  const n = block[0] as number;
  const bcdLength = Math.ceil(n / 2);
  if (n < 1 || 1 + bcdLength > block.length) throw new PinBlockError('PIN block digit count out of range');
  let digits = '';
  for (let i = 0; i < 2 * bcdLength; i++) {
    const byte = block[1 + (i >> 1)] as number;
    const nibble = i % 2 === 0 ? byte >> 4 : byte & 0x0f;
    if (i < n) {
      if (nibble > 9) throw new PinBlockError('PIN block holds a non-digit');
      digits += String.fromCharCode(0x30 + nibble);
    } else if (nibble !== 0x0f) {
      throw new PinBlockError('PIN block pad nibble must be F');
    }
  }
  for (let i = 1 + bcdLength; i < block.length; i++) {
    if (block[i] !== 0xff) throw new PinBlockError('PIN block fill must be FF');
  }
  return digits;
}

/** E(key, block); the clear block holds PIN digits, so it is wiped afterwards. */
export function encipherPinBlock(algorithm: KeyAlgorithm, key: Uint8Array, block: Uint8Array): Uint8Array {
  try {
    return encryptEcb(algorithm, key, block);
  } finally {
    block.fill(0);
  }
}

/** `decode` of D(key, cryptogram); the clear block holds PIN digits, so it is wiped afterwards. */
export function decipherPinBlock(
  algorithm: KeyAlgorithm,
  key: Uint8Array,
  cryptogram: Uint8Array,
  decode: (block: Uint8Array) => string,
): string {
  const block = decryptEcb(algorithm, key, cryptogram);
  try {
    return decode(block);
  } finally {
    block.fill(0);
  }
}

/** E(unblock key, PIN block): the first part of the PIN UNBLOCK data. */
export function encipherUnblockPin(algorithm: KeyAlgorithm, key: Uint8Array, pin: string | Uint8Array): Uint8Array {
  checkKey(algorithm, key);
  return encipherPinBlock(algorithm, key, encodeUnblockPinBlock(pin, algorithm));
}

/** The digits inside an enciphered PIN block (PinBlockError when the deciphered layout is wrong). */
export function decipherUnblockPin(algorithm: KeyAlgorithm, key: Uint8Array, cryptogram: Uint8Array): string {
  return decipherPinBlock(algorithm, key, cryptogram, (block) => {
    if (block.length !== blockSize(algorithm))
      throw new PinBlockError(`an enciphered unblock PIN block is ${blockSize(algorithm)} bytes`);
    return decodeUnblockPinBlock(block);
  });
}
