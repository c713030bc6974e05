import { concatBytes, decodeBcd, encodeBcd } from '../apdu/index.js';
import { PinFormatError } from './errors.js';
import { PIN_MAX_DIGITS, PIN_MIN_DIGITS } from './policy.js';

/*
 * PIN encodings on the wire (card profile §4). Error messages say which rule broke and where,
 * never which digits were offered. Encoders take a string of digits or ASCII digit bytes ('1' =
 * 0x31); how many digits a card accepts is its policy's business, so the BCD encoders only insist
 * on at least one digit (a terminal may send a short PIN and get the card's 6700).
 */

/** Separator between old and new PIN in CHANGE PIN data (80 5E 01 00). */
export const CHANGE_PIN_SEPARATOR = 0xff;
/** ISO 9564 format 2: control nibble 2, then the digit count, then BCD digits, F-filled. */
export const PIN_BLOCK_FORMAT2_LENGTH = 8;

function asciiDigitString(pin: string | Uint8Array, what: string): string {
  if (typeof pin === 'string') {
    if (!/^[0-9]*$/.test(pin)) throw new PinFormatError('not-digits', `${what} must contain only the digits 0-9`);
    if (pin.length === 0) throw new PinFormatError('length', `${what} must have at least one digit`);
    return pin;
  }
  if (!(pin instanceof Uint8Array)) {
    throw new PinFormatError('malformed', `${what} must be a string of digits or a Uint8Array of ASCII digit bytes`);
  }
  if (pin.length === 0) throw new PinFormatError('length', `${what} must have at least one digit`);
  for (const byte of pin) {
    if (byte < 0x30 || byte > 0x39) throw new PinFormatError('not-digits', `${what} must contain only the digits 0-9`);
  }
  return String.fromCharCode(...pin);
}

/** '123456' -> 12 34 56; an odd digit count gets one F pad nibble ('12345' -> 12 34 5F). */
export function encodePinBcd(pin: string | Uint8Array): Uint8Array {
  return encodeBcd(asciiDigitString(pin, 'PIN'));
}

/**
 * Reads BCD PIN bytes back to digits. Every nibble must be 0-9 except the very last, which may be
 * the F pad of an odd count; so a byte FF never occurs inside a PIN (a pad fills only the low
 * nibble of the last byte), which is what lets CHANGE PIN data use FF as its separator.
 */
export function decodePinBcd(bytes: Uint8Array): string {
  return decodePinBcdPart(bytes, 'PIN');
}

/**
 * decodePinBcd, as ASCII digit bytes ('1' = 0x31) instead of a string: what the PIN engine takes,
 * and unlike a string the caller can wipe it (fill(0)) once the PIN has been checked. Same rules
 * and errors as decodePinBcd.
 */
export function decodePinBcdDigits(bytes: Uint8Array): Uint8Array {
  const digits = new Uint8Array(pinBcdDigitCount(bytes));
  decodePinBcdDigitsInto(bytes, digits);
  return digits;
}

/**
 * How many digits BCD PIN bytes carry (an F pad in the last nibble makes the count odd), before
 * they are decoded; PinFormatError when the bytes are no Uint8Array or empty.
 */
export function pinBcdDigitCount(bytes: Uint8Array): number {
  if (!(bytes instanceof Uint8Array)) throw new PinFormatError('malformed', 'PIN BCD must be a Uint8Array');
  if (bytes.length === 0) throw new PinFormatError('length', 'PIN BCD is empty');
  return ((bytes[bytes.length - 1] as number) & 0x0f) === 0x0f ? bytes.length * 2 - 1 : bytes.length * 2;
}

/**
 * decodePinBcdDigits into `digits`, which the caller owns and sized with pinBcdDigitCount: a card
 * decodes a presented PIN into a buffer it wipes, instead of a new one per try. Same rules and
 * errors; `digits` is wiped before a PinFormatError is thrown.
 */
export function decodePinBcdDigitsInto(bytes: Uint8Array, digits: Uint8Array): void {
  const count = pinBcdDigitCount(bytes);
  if (digits.length !== count) throw new PinFormatError('malformed', 'PIN digit buffer does not fit the BCD');
  for (let i = 0; i < count; i++) {
    const byte = bytes[i >> 1] as number;
    const nibble = i % 2 === 0 ? byte >> 4 : byte & 0x0f;
    if (nibble > 9) {
      digits.fill(0);
      throw new PinFormatError('not-digits', `PIN BCD has a non-digit nibble at position ${i}`);
    }
    digits[i] = 0x30 + nibble;
  }
}

function decodePinBcdPart(bytes: Uint8Array, what: string): string {
  if (!(bytes instanceof Uint8Array)) throw new PinFormatError('malformed', `${what} BCD must be a Uint8Array`);
  if (bytes.length === 0) throw new PinFormatError('length', `${what} BCD is empty`);
  const nibbles = bytes.length * 2;
  for (let i = 0; i < nibbles; i++) {
    const byte = bytes[i >> 1] as number;
    const nibble = i % 2 === 0 ? byte >> 4 : byte & 0x0f;
    const lastPad = nibble === 0x0f && i === nibbles - 1; // never the only nibble: a byte has two
    if (nibble > 9 && !lastPad) {
      throw new PinFormatError('not-digits', `${what} BCD has a non-digit nibble at position ${i}`);
    }
  }
  return decodeBcd(bytes);
}

/** CHANGE PIN data: old PIN BCD || FF || new PIN BCD. */
export function encodeChangePinData(oldPin: string | Uint8Array, newPin: string | Uint8Array): Uint8Array {
  return concatBytes(encodePinBcd(oldPin), Uint8Array.of(CHANGE_PIN_SEPARATOR), encodePinBcd(newPin));
}

/** Splits CHANGE PIN data at its FF separator and decodes both PINs (PinFormatError otherwise). */
export function decodeChangePinData(bytes: Uint8Array): { oldPin: string; newPin: string } {
  if (!(bytes instanceof Uint8Array)) throw new PinFormatError('malformed', 'CHANGE PIN data must be a Uint8Array');
  const split = bytes.indexOf(CHANGE_PIN_SEPARATOR);
  if (split < 0) throw new PinFormatError('malformed', 'CHANGE PIN data has no FF separator');
  return {
    oldPin: decodePinBcdPart(bytes.subarray(0, split), 'old PIN'),
    newPin: decodePinBcdPart(bytes.subarray(split + 1), 'new PIN'),
  };
}

/**
 * ISO 9564 format-2 PIN block: 8 bytes, first byte 0x2N (N = digit count, 4..12), then the digits
 * as BCD, the rest of the block filled with F nibbles. '1234' -> 24 12 34 FF FF FF FF FF.
 */
export function encodePinBlockFormat2(pin: string | Uint8Array): Uint8Array {
  const digits = asciiDigitString(pin, 'PIN');
  if (digits.length < PIN_MIN_DIGITS || digits.length > PIN_MAX_DIGITS) {
    throw new PinFormatError('length', `a format-2 PIN block holds from ${PIN_MIN_DIGITS} to ${PIN_MAX_DIGITS} digits`);
  }
  const block = new Uint8Array(PIN_BLOCK_FORMAT2_LENGTH).fill(0xff);
  block[0] = 0x20 | digits.length;
  block.set(encodeBcd(digits), 1);
  // encodeBcd pads an odd count with one F nibble, which is also the block's fill value.
  return block;
}

/** Reads a format-2 PIN block, checking its length, control nibble, digit count, digits and fill. */
export function decodePinBlockFormat2(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) throw new PinFormatError('malformed', 'PIN block must be a Uint8Array');
  if (bytes.length !== PIN_BLOCK_FORMAT2_LENGTH) {
    throw new PinFormatError('length', `a format-2 PIN block is ${PIN_BLOCK_FORMAT2_LENGTH} bytes`);
  }
  const head = bytes[0] as number;
  if (head >> 4 !== 0x2) throw new PinFormatError('malformed', 'PIN block control nibble is not 2 (format 2)');
  const count = head & 0x0f;
  if (count < PIN_MIN_DIGITS || count > PIN_MAX_DIGITS) {
    throw new PinFormatError('length', `PIN block digit count must be from ${PIN_MIN_DIGITS} to ${PIN_MAX_DIGITS}`);
  }
  let digits = '';
  for (let i = 2; i < PIN_BLOCK_FORMAT2_LENGTH * 2; i++) {
    const byte = bytes[i >> 1] as number;
    const nibble = i % 2 === 0 ? byte >> 4 : byte & 0x0f;
    if (i < 2 + count) {
      if (nibble > 9) throw new PinFormatError('not-digits', `PIN block has a non-digit nibble at position ${i}`);
      digits += String.fromCharCode(0x30 + nibble);
    } else if (nibble !== 0x0f) {
      throw new PinFormatError('malformed', `PIN block fill nibble at position ${i} is not F`);
    }
  }
  return digits;
}
