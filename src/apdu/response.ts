import { ApduEncodeError, ApduParseError } from './errors.js';

export interface ResponseApdu {
  data: Uint8Array;
  sw1: number;
  sw2: number;
  sw: number;
}

/** Splits raw R-APDU bytes into data and SW1 SW2. The data is a copy. */
export function decodeResponse(bytes: Uint8Array): ResponseApdu {
  if (!(bytes instanceof Uint8Array)) {
    throw new ApduParseError('response must be a Uint8Array');
  }
  if (bytes.length < 2) {
    throw new ApduParseError(`response shorter than 2 bytes (got ${bytes.length})`);
  }
  const sw1 = bytes[bytes.length - 2] as number;
  const sw2 = bytes[bytes.length - 1] as number;
  return { data: bytes.slice(0, bytes.length - 2), sw1, sw2, sw: (sw1 << 8) | sw2 };
}

/** data || SW1 SW2. */
export function encodeResponse(data: Uint8Array, sw: number): Uint8Array {
  if (!Number.isInteger(sw) || sw < 0 || sw > 0xffff) {
    throw new ApduEncodeError(`status word must be an integer 0x0000..0xFFFF, got ${String(sw)}`);
  }
  if (!(data instanceof Uint8Array)) {
    throw new ApduEncodeError('response data must be a Uint8Array');
  }
  const out = new Uint8Array(data.length + 2);
  if (data.length > 0) out.set(data, 0);
  out[data.length] = sw >> 8;
  out[data.length + 1] = sw & 0xff;
  return out;
}
