import { blockSize, checkKey, CryptoInputError } from './block-cipher.js';
import type { KeyAlgorithm } from './diversify.js';
import { cardMac } from './mac.js';
import { PinBlockError, decipherPinBlock, encipherPinBlock } from './pin-block.js';

/*
 * The PBOC formats of the issuer's PIN commands, as PBOC issuer software computes them (card
 * profile §7), beside the project's own (pin-block.ts, mac.ts commandMac):
 *
 * - PIN UNBLOCK `84 24 00 00 0C E(PIN data) || MAC4`: PIN data = LV(PIN) || 80 00.. to one cipher
 *   block, i.e. L = the number of BCD bytes, the PIN as BCD (an odd count ends with an F nibble),
 *   then 80 and zeros; enciphered in ECB with the unblock key (8 bytes with 3DES, 16 with SM4).
 *   Example, PIN 123456: 03 12 34 56 80 00 00 00. The MAC is the project's commandMac (over
 *   `84 24 00 00 0C` || the enciphered block, IV = the card challenge): both forms share it.
 * - RELOAD PIN `80 5E 00 00 Lc PIN || MAC4`: the MAC covers the PIN data alone (no header), with
 *   an IV of zeros and, for 3DES, the single-DES key made by XOR-ing the two 8-byte halves of the
 *   reload key: a DES CBC-MAC with ISO 9797-1 method 2 padding, first 4 bytes. Project choice for
 *   SM4 cards (the PBOC form is a DES one): the SM4 reload key as is, in the same CBC-MAC.
 *   Without a challenge this MAC can be replayed, so a card accepts it only when personalized to.
 */

/** Most PIN digits the PBOC PIN data of `algorithm` carries (12 for 3DES, 28 for SM4). */
export function pbocPinDataCapacity(algorithm: KeyAlgorithm): number {
  return (blockSize(algorithm) - 2) * 2;
}

function pinUnits(pin: string | Uint8Array): number[] {
  if (typeof pin !== 'string' && !(pin instanceof Uint8Array)) {
    throw new PinBlockError('PIN must be a string of digits or a Uint8Array of ASCII digit bytes');
  }
  const units: number[] = [];
  for (let i = 0; i < pin.length; i++) {
    const unit = typeof pin === 'string' ? pin.charCodeAt(i) : (pin[i] as number);
    if (unit < 0x30 || unit > 0x39) throw new PinBlockError('PIN must contain only the digits 0-9');
    units.push(unit - 0x30);
  }
  return units;
}

/** The plain PBOC PIN data `LV(PIN BCD) || 80 00..` (one cipher block). The caller wipes it. */
export function encodePbocPinData(pin: string | Uint8Array, algorithm: KeyAlgorithm): Uint8Array {
  const size = blockSize(algorithm);
  const digits = pinUnits(pin);
  if (digits.length < 1 || digits.length > pbocPinDataCapacity(algorithm)) {
    digits.fill(0);
    throw new PinBlockError(`a ${algorithm} PBOC PIN data block carries 1..${pbocPinDataCapacity(algorithm)} digits`);
  }
  const bcdLength = Math.ceil(digits.length / 2);
  const block = new Uint8Array(size);
  block[0] = bcdLength;
  for (let i = 0; i < 2 * bcdLength; i++) {
    const nibble = digits[i] ?? 0x0f;
    const at = 1 + (i >> 1);
    block[at] = i % 2 === 0 ? nibble << 4 : (block[at] as number) | nibble;
  }
  block[1 + bcdLength] = 0x80;
  digits.fill(0);
  return block;
}

/** The digits of a plain PBOC PIN data block; PinBlockError (naming the rule, never the digits). */
export function decodePbocPinData(block: Uint8Array): string {
  if (!(block instanceof Uint8Array) || (block.length !== 8 && block.length !== 16)) {
    throw new PinBlockError('PBOC PIN data is one cipher block (8 or 16 bytes)');
  }
  const bcdLength = block[0] as number;
  if (bcdLength < 1 || 2 + bcdLength > block.length) throw new PinBlockError('PBOC PIN data length out of range');
  let digits = '';
  for (let i = 0; i < 2 * bcdLength; i++) {
    const byte = block[1 + (i >> 1)] as number;
    const nibble = i % 2 === 0 ? byte >> 4 : byte & 0x0f;
    if (nibble <= 9) {
      digits += String.fromCharCode(0x30 + nibble);
    } else if (nibble !== 0x0f || i !== 2 * bcdLength - 1) {
      throw new PinBlockError('PBOC PIN data holds a non-digit');
    }
  }
  if (block[1 + bcdLength] !== 0x80) throw new PinBlockError('PBOC PIN data must end with 80 00..');
  for (let i = 2 + bcdLength; i < block.length; i++) {
    if (block[i] !== 0x00) throw new PinBlockError('PBOC PIN data must end with 80 00..');
  }
  return digits;
}

/** E(unblock key, LV(PIN) || 80 00..): the first part of the PBOC PIN UNBLOCK data. */
export function encipherPbocUnblockPin(algorithm: KeyAlgorithm, key: Uint8Array, pin: string | Uint8Array): Uint8Array {
  checkKey(algorithm, key);
  return encipherPinBlock(algorithm, key, encodePbocPinData(pin, algorithm));
}

/** The digits inside an enciphered PBOC PIN data block (PinBlockError when its layout is wrong). */
export function decipherPbocUnblockPin(algorithm: KeyAlgorithm, key: Uint8Array, cryptogram: Uint8Array): string {
  if (!(cryptogram instanceof Uint8Array) || cryptogram.length !== blockSize(algorithm)) {
    throw new PinBlockError(`an enciphered PBOC PIN data block is ${blockSize(algorithm)} bytes`);
  }
  return decipherPinBlock(algorithm, key, cryptogram, decodePbocPinData);
}

/**
 * The MAC of the PBOC RELOAD PIN `80 5E 00 00 Lc PIN || MAC4`: over `pinData` (the new PIN as the
 * card's VERIFY takes it, e.g. BCD 12 34 56) alone, IV zeros; 3DES: single DES under
 * K = left half XOR right half of the 16-byte reload key; SM4: the key as is.
 */
export function pbocReloadMac(algorithm: KeyAlgorithm, reloadKey: Uint8Array, pinData: Uint8Array): Uint8Array {
  checkKey(algorithm, reloadKey);
  if (!(pinData instanceof Uint8Array)) throw new CryptoInputError('PIN data must be a Uint8Array');
  if (algorithm === 'sm4') return cardMac('sm4', reloadKey, pinData, new Uint8Array(0));
  if (reloadKey.length !== 16)
    throw new CryptoInputError('the PBOC reload MAC folds a 16-byte (double-length) 3DES key');
  // Single DES as 2-key 3DES with K || K: the retail MAC of cardMac then is a plain DES CBC-MAC.
  const folded = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const b = (reloadKey[i] as number) ^ (reloadKey[i + 8] as number);
    folded[i] = b;
    folded[i + 8] = b;
  }
  try {
    return cardMac('3des', folded, pinData, new Uint8Array(0));
  } finally {
    folded.fill(0);
  }
}
