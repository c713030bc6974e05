import { ApduEncodeError, ApduParseError } from './errors.js';
import { concatBytes } from './hex.js';

/** A BER-TLV data object. `value` is the raw value field; constructed objects also get `children`. */
export interface Tlv {
  /** The tag's bytes read as a big-endian number: 0x84, 0x9F0C, 0xBF0C, ... */
  tag: number;
  constructed: boolean;
  value: Uint8Array;
  children?: Tlv[];
}

/** SSC file records: 1-byte tag, 1-byte length, value. */
export interface SimpleTlv {
  tag: number;
  value: Uint8Array;
}

/** Tags longer than this, and nesting deeper than this, are rejected rather than risk the stack. */
export const MAX_TAG_BYTES = 4;
export const MAX_TLV_DEPTH = 32;

/** The bytes of a tag number, validated against the BER tag structure (ISO 7816-4 §5.2.2.1). */
export function berTagBytes(tag: number): Uint8Array {
  if (!Number.isInteger(tag) || tag <= 0 || tag > 0xffffffff) {
    throw new ApduEncodeError(
      `BER tag must be a positive integer of at most ${MAX_TAG_BYTES} bytes, got ${String(tag)}`,
    );
  }
  const bytes: number[] = [];
  for (let t = tag; t > 0; t = Math.floor(t / 256)) bytes.unshift(t % 256);
  const first = bytes[0] as number;
  const bad = (why: string): never => {
    throw new ApduEncodeError(`invalid BER tag ${tag.toString(16).toUpperCase()}: ${why}`);
  };
  if (first === 0xff) bad('FF cannot start a tag');
  const multi = (first & 0x1f) === 0x1f;
  if (!multi) {
    if (bytes.length !== 1) bad('first byte does not announce subsequent tag bytes');
  } else {
    if (bytes.length < 2) bad('first byte announces subsequent tag bytes but none follow');
    if (bytes[1] === 0x80) bad('first subsequent byte may not be 80');
    for (let i = 1; i < bytes.length; i++) {
      const last = i === bytes.length - 1;
      const more = ((bytes[i] as number) & 0x80) !== 0;
      if (more === last) bad(last ? 'last tag byte has b8 set' : 'inner tag byte has b8 clear');
    }
  }
  return Uint8Array.from(bytes);
}

/** Whether a tag number denotes a constructed object (b6 of its first byte). */
export function isConstructedTag(tag: number): boolean {
  const bytes = berTagBytes(tag);
  return ((bytes[0] as number) & 0x20) !== 0;
}

/** BER length field, minimal: < 80 in one byte, else 81/82/83/84 followed by the length. */
export function berLengthBytes(length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > 0xffffffff) {
    throw new ApduEncodeError(`BER length must be an integer 0..FFFFFFFF, got ${String(length)}`);
  }
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Uint8Array.from([0x80 | bytes.length, ...bytes]);
}

function parseList(bytes: Uint8Array, start: number, end: number, depth: number): Tlv[] {
  if (depth > MAX_TLV_DEPTH) {
    throw new ApduParseError(`BER-TLV nested deeper than ${MAX_TLV_DEPTH} levels`);
  }
  const out: Tlv[] = [];
  let off = start;
  while (off < end) {
    const first = bytes[off] as number;
    // ISO 7816-4: 00 and FF may pad before, between and after data objects.
    if (first === 0x00 || first === 0xff) {
      off++;
      continue;
    }
    const tagStart = off;
    let tag = first;
    off++;
    if ((first & 0x1f) === 0x1f) {
      let b: number;
      do {
        if (off >= end) throw new ApduParseError(`BER-TLV tag at offset ${tagStart} is truncated`);
        if (off - tagStart >= MAX_TAG_BYTES) {
          throw new ApduParseError(`BER-TLV tag at offset ${tagStart} is longer than ${MAX_TAG_BYTES} bytes`);
        }
        b = bytes[off] as number;
        if (off === tagStart + 1 && b === 0x80) {
          throw new ApduParseError(`BER-TLV tag at offset ${tagStart}: first subsequent byte may not be 80`);
        }
        tag = tag * 256 + b;
        off++;
      } while ((b & 0x80) !== 0);
    }
    if (off >= end) throw new ApduParseError(`BER-TLV object at offset ${tagStart} has no length`);
    const lenByte = bytes[off] as number;
    off++;
    let length: number;
    if (lenByte < 0x80) {
      length = lenByte;
    } else if (lenByte === 0x80) {
      throw new ApduParseError(`BER-TLV indefinite length (80) at offset ${off - 1} is not allowed`);
    } else {
      const n = lenByte & 0x7f;
      if (n > 4)
        throw new ApduParseError(
          `BER-TLV length field ${lenByte.toString(16).toUpperCase()} at offset ${off - 1} is too long`,
        );
      if (off + n > end) throw new ApduParseError(`BER-TLV length at offset ${off - 1} is truncated`);
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + (bytes[off + i] as number);
      off += n;
    }
    if (length > end - off) {
      throw new ApduParseError(
        `BER-TLV object ${tag.toString(16).toUpperCase()} at offset ${tagStart} declares ${length} bytes but only ${end - off} remain`,
      );
    }
    const constructed = (first & 0x20) !== 0;
    const tlv: Tlv = { tag, constructed, value: bytes.slice(off, off + length) };
    if (constructed) tlv.children = parseList(bytes, off, off + length, depth + 1);
    out.push(tlv);
    off += length;
  }
  return out;
}

/**
 * Parses a sequence of BER-TLV data objects; constructed objects are parsed recursively into
 * `children`. Truncated tags/lengths/values and indefinite lengths are ApduParseErrors.
 */
export function parseBerTlv(bytes: Uint8Array): Tlv[] {
  if (!(bytes instanceof Uint8Array)) throw new ApduParseError('BER-TLV input must be a Uint8Array');
  return parseList(bytes, 0, bytes.length, 0);
}

/**
 * Encodes one data object. `value` is either the raw value field or, for a constructed tag,
 * the list of children (each encoded from its children when it has them, else from its value).
 */
export function encodeBerTlv(tag: number, value: Uint8Array | Tlv[]): Uint8Array {
  const tagBytes = berTagBytes(tag);
  let body: Uint8Array;
  if (value instanceof Uint8Array) {
    body = value;
  } else {
    if (((tagBytes[0] as number) & 0x20) === 0) {
      throw new ApduEncodeError(`tag ${tag.toString(16).toUpperCase()} is primitive and cannot hold child objects`);
    }
    body = encodeBerTlvList(value);
  }
  const lenBytes = berLengthBytes(body.length);
  const out = new Uint8Array(tagBytes.length + lenBytes.length + body.length);
  out.set(tagBytes, 0);
  out.set(lenBytes, tagBytes.length);
  out.set(body, tagBytes.length + lenBytes.length);
  return out;
}

/**
 * Encodes a list of data objects back to back. An object with `children` is encoded from them
 * (its raw `value` is ignored), so padding or non-minimal lengths inside a parsed constructed
 * value are normalised away.
 */
export function encodeBerTlvList(list: Tlv[]): Uint8Array {
  return concatBytes(...list.map((t) => encodeBerTlv(t.tag, t.children ?? t.value)));
}

/** First object with `tag`, searching depth-first (an object before its children, children before later siblings). */
export function findTlv(list: Tlv[], tag: number): Tlv | undefined {
  for (const t of list) {
    if (t.tag === tag) return t;
    if (t.children !== undefined) {
      const hit = findTlv(t.children, tag);
      if (hit !== undefined) return hit;
    }
  }
  return undefined;
}

/** Parses exactly one SSC record `tag len value`; the length byte must match the rest exactly. */
export function parseSimpleTlv(bytes: Uint8Array): SimpleTlv {
  if (!(bytes instanceof Uint8Array)) throw new ApduParseError('TLV record must be a Uint8Array');
  if (bytes.length < 2) {
    throw new ApduParseError(`TLV record shorter than 2 bytes (got ${bytes.length})`);
  }
  const length = bytes[1] as number;
  if (length !== bytes.length - 2) {
    throw new ApduParseError(`TLV record length byte says ${length} but ${bytes.length - 2} value bytes follow`);
  }
  return { tag: bytes[0] as number, value: bytes.slice(2) };
}

/** Parses back-to-back SSC records `tag len value ...`. */
export function parseSimpleTlvList(bytes: Uint8Array): SimpleTlv[] {
  const out: SimpleTlv[] = [];
  let off = 0;
  while (off < bytes.length) {
    if (off + 2 > bytes.length) throw new ApduParseError(`TLV record at offset ${off} has no length byte`);
    const length = bytes[off + 1] as number;
    if (off + 2 + length > bytes.length) {
      throw new ApduParseError(
        `TLV record at offset ${off} declares ${length} bytes but only ${bytes.length - off - 2} remain`,
      );
    }
    out.push({ tag: bytes[off] as number, value: bytes.slice(off + 2, off + 2 + length) });
    off += 2 + length;
  }
  return out;
}

/** One SSC record: tag (0..255), length (0..255), value. */
export function encodeSimpleTlv(tag: number, value: Uint8Array): Uint8Array {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xff) {
    throw new ApduEncodeError(`simple TLV tag must be an integer 0..255, got ${String(tag)}`);
  }
  if (value.length > 0xff) {
    throw new ApduEncodeError(`simple TLV value is ${value.length} bytes, at most 255`);
  }
  const out = new Uint8Array(2 + value.length);
  out[0] = tag;
  out[1] = value.length;
  out.set(value, 2);
  return out;
}
