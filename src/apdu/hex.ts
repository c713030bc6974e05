import { ApduParseError } from './errors.js';

const HEX_DIGITS = '0123456789ABCDEF';

/** Uppercase hex of `bytes`; with `spaces: true` the bytes are separated by single spaces. */
export function toHex(bytes: Uint8Array, opts?: { spaces?: boolean }): string {
  const parts: string[] = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    parts[i] = (HEX_DIGITS[b >> 4] as string) + (HEX_DIGITS[b & 0x0f] as string);
  }
  return parts.join(opts?.spaces === true ? ' ' : '');
}

function nibble(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  return -1;
}

/** Hex digits alone, an even count of them: what a card image and the card state hold. */
const PLAIN_HEX = /^(?:[0-9A-Fa-f]{2})+$/;

/**
 * Parses hex text. Whitespace and colons between digits are ignored (so "00 A4:04 00" works),
 * case does not matter. Any other character, or an odd digit count, is an ApduParseError.
 */
export function fromHex(text: string): Uint8Array {
  // Plain hex (every record and key of a card image) is decoded by Node's own hex decoder, in place:
  // the loop below costs a command that opens an image a few milliseconds before it is optimised.
  // Only after the pattern has matched, since Node's decoder stops silently at a bad digit.
  if (text.length >= 64 && PLAIN_HEX.test(text)) {
    const out = new Uint8Array(text.length / 2);
    Buffer.from(out.buffer, out.byteOffset, out.length).write(text, 'hex');
    return out;
  }
  const digits: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x20 || ch === 0x3a || ch === 0x09 || ch === 0x0a || ch === 0x0d) continue;
    const v = nibble(ch);
    if (v < 0) {
      throw new ApduParseError(`invalid hex character ${JSON.stringify(text[i])} at position ${i}`);
    }
    digits.push(v);
  }
  if (digits.length % 2 !== 0) {
    throw new ApduParseError(`odd number of hex digits (${digits.length})`);
  }
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = ((digits[2 * i] as number) << 4) | (digits[2 * i + 1] as number);
  }
  return out;
}

/** Concatenates byte arrays into a new Uint8Array. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Byte-wise equality (not constant-time; use crypto.timingSafeEqual for secrets). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
