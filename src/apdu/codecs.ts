import { createRequire } from 'node:module';
import type Iconv from 'iconv-lite';
import { ApduEncodeError, ApduParseError } from './errors.js';
import { decodeCommonGbk, encodeCommonGbk } from './gbk-native.js';

/*
 * iconv-lite is loaded on the first text neither ASCII nor made of the characters Node's own GBK
 * decoder handles alike (gbk-native.ts), not with this module: loading it and building its GBK
 * tables is a good part of what a CLI command costs at start-up, and most commands, `--help`
 * first, never meet such a text.
 */
let iconvModule: typeof Iconv | undefined;
function iconv(): typeof Iconv {
  iconvModule ??= createRequire(import.meta.url)('iconv-lite') as typeof Iconv;
  return iconvModule;
}

/** True when every code unit is ASCII (GBK's single bytes 00-7F are ASCII). */
function isAsciiText(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/*
 * Field codecs of the SSC files (card profile §2): `cn` is BCD, left aligned, padded with F
 * nibbles; `an` is ASCII/GBK text, left aligned, padded with 00 bytes; dates are YYYYMMDD cn.
 */

const DIGITS_ONLY = /^[0-9]*$/;

function checkDigits(digits: string): void {
  if (typeof digits !== 'string' || !DIGITS_ONLY.test(digits)) {
    throw new ApduEncodeError(`BCD value must contain only the digits 0-9, got ${JSON.stringify(digits)}`);
  }
}

function checkLength(length: number): void {
  if (!Number.isInteger(length) || length < 0) {
    throw new ApduEncodeError(`field length must be a non-negative integer, got ${String(length)}`);
  }
}

/** Packs digits two per byte, high nibble first, into `length` bytes padded with F nibbles. */
function packBcd(digits: string, length: number): Uint8Array {
  const out = new Uint8Array(length).fill(0xff);
  for (let i = 0; i < digits.length; i++) {
    const d = digits.charCodeAt(i) - 0x30;
    const byte = i >> 1;
    out[byte] = i % 2 === 0 ? (d << 4) | 0x0f : ((out[byte] as number) & 0xf0) | d;
  }
  return out;
}

/** `cn` field: BCD digits, left aligned, F-padded to `length` bytes. encodeCn('1234567', 4) = 12 34 56 7F. */
export function encodeCn(digits: string, length: number): Uint8Array {
  checkDigits(digits);
  checkLength(length);
  if (digits.length > length * 2) {
    throw new ApduEncodeError(`${digits.length} digits do not fit a ${length}-byte cn field`);
  }
  return packBcd(digits, length);
}

/**
 * Reads a `cn` field: digits up to the first F nibble. A nibble A-E before the pad, or anything
 * but F after the pad starts, is an ApduParseError (the field is corrupt, not shorter).
 */
export function decodeCn(bytes: Uint8Array): string {
  let out = '';
  let padded = false;
  for (let i = 0; i < bytes.length * 2; i++) {
    const b = bytes[i >> 1] as number;
    const n = i % 2 === 0 ? b >> 4 : b & 0x0f;
    if (padded) {
      if (n !== 0x0f) {
        throw new ApduParseError(
          `cn field has nibble ${n.toString(16).toUpperCase()} after the F padding at nibble ${i}`,
        );
      }
    } else if (n === 0x0f) {
      padded = true;
    } else if (n > 9) {
      throw new ApduParseError(`cn field has non-digit nibble ${n.toString(16).toUpperCase()} at nibble ${i}`);
    } else {
      out += String.fromCharCode(0x30 + n);
    }
  }
  return out;
}

/** Plain BCD of `digits`; an odd count gets one trailing F nibble ('123' -> 12 3F). */
export function encodeBcd(digits: string): Uint8Array {
  checkDigits(digits);
  return packBcd(digits, Math.ceil(digits.length / 2));
}

/** Reads plain BCD: every nibble must be a digit, except that the very last one may be the F pad. */
export function decodeBcd(bytes: Uint8Array): string {
  let out = '';
  const nibbles = bytes.length * 2;
  for (let i = 0; i < nibbles; i++) {
    const b = bytes[i >> 1] as number;
    const n = i % 2 === 0 ? b >> 4 : b & 0x0f;
    if (n === 0x0f && i === nibbles - 1) break;
    if (n > 9) {
      throw new ApduParseError(`BCD has non-digit nibble ${n.toString(16).toUpperCase()} at nibble ${i}`);
    }
    out += String.fromCharCode(0x30 + n);
  }
  return out;
}

/**
 * GBK bytes of `text` (iconv-lite's GBK/CP936 codec). Characters GBK cannot represent are an
 * ApduEncodeError rather than a silent '?'.
 */
export function encodeGbk(text: string): Uint8Array {
  if (typeof text !== 'string') throw new ApduEncodeError('GBK text must be a string');
  if (isAsciiText(text)) {
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  }
  const common = encodeCommonGbk(text);
  if (common !== undefined) return common;
  const buf = iconv().encode(text, 'gbk');
  if (iconv().decode(buf, 'gbk') !== text) {
    throw new ApduEncodeError(`text ${JSON.stringify(text)} has characters GBK cannot represent`);
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length).slice();
}

/** Text of GBK bytes. Byte sequences that are not GBK are an ApduParseError, never U+FFFD. */
export function decodeGbk(bytes: Uint8Array): string {
  let ascii = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b > 0x7f) return decodeNonAscii(bytes);
    ascii += String.fromCharCode(b);
  }
  return ascii;
}

function decodeNonAscii(bytes: Uint8Array): string {
  return decodeCommonGbk(bytes) ?? decodeWithIconv(bytes);
}

function decodeWithIconv(bytes: Uint8Array): string {
  const text = iconv().decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), 'gbk');
  const bad = text.indexOf('\ufffd');
  if (bad >= 0) {
    throw new ApduParseError(`bytes are not valid GBK (character ${bad} undecodable)`);
  }
  return text;
}

/** `an` field: GBK text, left aligned, 00-padded to `length` bytes. */
export function encodeAn(text: string, length: number): Uint8Array {
  checkLength(length);
  if (typeof text === 'string' && text.includes('\u0000')) {
    throw new ApduEncodeError('an text may not contain U+0000 (it is the pad byte)');
  }
  const gbk = encodeGbk(text);
  if (gbk.length > length) {
    throw new ApduEncodeError(`text is ${gbk.length} GBK bytes, too long for a ${length}-byte an field`);
  }
  const out = new Uint8Array(length);
  out.set(gbk, 0);
  return out;
}

/**
 * Reads an `an` field: strips the trailing pad and decodes GBK. The pad is 00; FF and 20 are
 * tolerated as pad bytes too because cards in the field use them (none of them can be the
 * second byte of a GBK character, so stripping never cuts a character).
 */
export function decodeAn(bytes: Uint8Array): string {
  let end = bytes.length;
  while (end > 0) {
    const b = bytes[end - 1] as number;
    if (b !== 0x00 && b !== 0xff && b !== 0x20) break;
    end--;
  }
  return decodeGbk(bytes.subarray(0, end));
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const COMPACT_DATE = /^(\d{4})(\d{2})(\d{2})$/;

function isCalendarDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1] as number;
  return d <= days;
}

/**
 * 4-byte cn date YYYYMMDD from '2025-01-31' or '20250131'. `null` encodes the open date
 * FF FF FF FF (e.g. the end date of a current work record).
 */
export function encodeDate(isoOrCompact: string | null): Uint8Array {
  if (isoOrCompact === null) return new Uint8Array(4).fill(0xff);
  const m = typeof isoOrCompact === 'string' ? (ISO_DATE.exec(isoOrCompact) ?? COMPACT_DATE.exec(isoOrCompact)) : null;
  if (m === null) {
    throw new ApduEncodeError(`date must be 'YYYY-MM-DD' or 'YYYYMMDD', got ${JSON.stringify(isoOrCompact)}`);
  }
  const [, y, mo, d] = m as unknown as [string, string, string, string];
  if (!isCalendarDate(Number(y), Number(mo), Number(d))) {
    throw new ApduEncodeError(`${JSON.stringify(isoOrCompact)} is not a calendar date`);
  }
  return packBcd(y + mo + d, 4);
}

/** 'YYYY-MM-DD' from a 4-byte cn date; all F (the open date) gives null. */
export function decodeDate(bytes: Uint8Array): string | null {
  if (bytes.length !== 4) {
    throw new ApduParseError(`a date is 4 bytes, got ${bytes.length}`);
  }
  if (bytes.every((b) => b === 0xff)) return null;
  const digits = decodeCn(bytes);
  if (digits.length !== 8) {
    throw new ApduParseError(`date has ${digits.length} digits before the F pad, expected 8`);
  }
  const y = digits.slice(0, 4);
  const mo = digits.slice(4, 6);
  const d = digits.slice(6, 8);
  if (!isCalendarDate(Number(y), Number(mo), Number(d))) {
    throw new ApduParseError(`date ${digits} is not a calendar date`);
  }
  return `${y}-${mo}-${d}`;
}
