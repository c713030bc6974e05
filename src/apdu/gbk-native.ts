/*
 * GBK through Node's own decoder (ICU's, WHATWG's gbk) for the characters where it and
 * iconv-lite's GBK codec agree. iconv-lite builds its GBK tables on first use, 25-50 ms of a CLI
 * command that decodes or encodes one Chinese name; Node's decoder decodes a name in a fraction of
 * a millisecond, and decoding every two-byte character once (23,000 of them, one call) gives the
 * text characters are encoded from (searched in it, or looked up in a reverse table; see below).
 *
 * The two agree on every two-byte character whose lead byte is 81-FD other than A2, A3, A8 and
 * A9 and whose trail byte is 40-7E or 80-FE, both ways (test/apdu/gbk-native.test.ts compares
 * them on every byte pair and every character of that range); the rest (WHATWG's four-byte
 * GB18030 sequences, 80, FF and the rows where the tables differ), every error, and a Node built
 * without full ICU go to iconv-lite (codecs.ts), so the bytes, the text and the errors are those
 * of iconv-lite's GBK codec.
 */

/** The part of a (fatal) TextDecoder used here. */
interface GbkDecoder {
  decode(bytes: Uint8Array): string;
}

let decoder: GbkDecoder | null | undefined;
function nativeDecoder(): GbkDecoder | null {
  if (decoder === undefined) {
    try {
      decoder = new TextDecoder('gbk', { fatal: true });
    } catch {
      decoder = null; // a Node built without full ICU
    }
  }
  return decoder;
}

function isCommonLead(lead: number): boolean {
  return lead >= 0x81 && lead <= 0xfd && lead !== 0xa2 && lead !== 0xa3 && lead !== 0xa8 && lead !== 0xa9;
}

function isCommonTrail(trail: number): boolean {
  return trail >= 0x40 && trail <= 0xfe && trail !== 0x7f;
}

/** The common lead bytes in order, and the 190 trail bytes of each. */
const TRAILS_PER_LEAD = 190;
let leads: number[] | undefined;
function commonLeads(): number[] {
  leads ??= Array.from({ length: 0xfd - 0x81 + 1 }, (_, i) => 0x81 + i).filter(isCommonLead);
  return leads;
}

/** The trail byte at `index` (0..189) of a row: 40-7E, then 80-FE. */
function trailAt(index: number): number {
  return index < 0x3f ? 0x40 + index : 0x80 + (index - 0x3f);
}

/** Text of `bytes` when every non-ASCII character is a common one; undefined otherwise. */
export function decodeCommonGbk(bytes: Uint8Array): string | undefined {
  const native = nativeDecoder();
  if (native === null) return undefined;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b <= 0x7f) continue;
    if (i + 1 >= bytes.length || !isCommonLead(b) || !isCommonTrail(bytes[i + 1] as number)) return undefined;
    i++;
  }
  try {
    return native.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Every common pair, row by row (lead bytes in order, the 190 trail bytes of each), and its text:
 * one UTF-16 unit per pair, so the character at index i is the pair at index i. Made with one call
 * of the decoder; null without it, or if the text does not line up with the pairs.
 */
let common: { bytes: Uint8Array; text: string } | null | undefined;
function commonText(): { bytes: Uint8Array; text: string } | null {
  if (common !== undefined) return common;
  const native = nativeDecoder();
  const rows = commonLeads();
  // One row's trail bytes copied into place, then its lead bytes: fewer steps than writing every
  // byte in turn, which costs a command that encodes one name some milliseconds before it is
  // optimised.
  const row = new Uint8Array(TRAILS_PER_LEAD * 2);
  for (let t = 0; t < TRAILS_PER_LEAD; t++) row[2 * t + 1] = trailAt(t);
  const bytes = new Uint8Array(rows.length * row.length);
  rows.forEach((lead, r) => {
    const at = r * row.length;
    bytes.set(row, at);
    for (let i = at; i < at + row.length; i += 2) bytes[i] = lead;
  });
  let text: string | null = null;
  try {
    text = native === null ? null : native.decode(bytes);
  } catch {
    text = null;
  }
  common = text === null || text.length !== rows.length * TRAILS_PER_LEAD ? null : { bytes, text };
  return common;
}

/*
 * Encoding looks a character up in that text (two native searches: where it is, and that it is
 * nowhere else) while few characters have been encoded, as a command that writes one card does;
 * past SEARCHED_BEFORE_TABLE characters it builds the reverse table once (23,000 characters in a
 * loop, a few milliseconds cold) and looks each one up there, as a process writing many cards
 * does. Both answer from the same decoded text, so they give the same pairs.
 */
const SEARCHED_BEFORE_TABLE = 256;
let searched = 0;

/**
 * The GBK pair (lead << 8 | trail) of each UTF-16 unit that is a common two-byte character: 0 for
 * none, DUPLICATE for a character two pairs decode to (none in ICU's table today; iconv-lite
 * decides those). Null without the decoder.
 */
const DUPLICATE = 0xffff;
let pairOf: Uint16Array | null | undefined;
function commonPairs(): Uint16Array | null {
  if (pairOf !== undefined) return pairOf;
  const decoded = commonText();
  if (decoded === null) {
    pairOf = null;
    return null;
  }
  const { bytes, text } = decoded;
  const pairs = new Uint16Array(0x10000);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    pairs[code] = pairs[code] === 0 ? ((bytes[2 * i] as number) << 8) | (bytes[2 * i + 1] as number) : DUPLICATE;
  }
  pairOf = pairs;
  return pairs;
}

/** The pair of the character at `text[i]` by searching the decoded text; 0 for none or a duplicate. */
function searchedPair(decoded: { bytes: Uint8Array; text: string }, text: string, i: number): number {
  const char = text[i] as string;
  const at = decoded.text.indexOf(char);
  if (at < 0 || decoded.text.indexOf(char, at + 1) >= 0) return 0;
  return ((decoded.bytes[2 * at] as number) << 8) | (decoded.bytes[2 * at + 1] as number);
}

/**
 * GBK bytes of `text` when each of its characters is ASCII or a common two-byte character;
 * undefined otherwise (for iconv-lite to encode, or refuse).
 */
export function encodeCommonGbk(text: string): Uint8Array | undefined {
  // The table once it exists or once enough characters have been searched; else the text.
  const search = pairOf === undefined && searched + text.length <= SEARCHED_BEFORE_TABLE;
  const decoded = search ? commonText() : null;
  const pairs = search ? null : commonPairs();
  if (decoded === null && pairs === null) return undefined;
  if (search) searched += text.length;
  const out = new Uint8Array(text.length * 2);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x7f) {
      out[n++] = code;
      continue;
    }
    const pair = pairs !== null ? (pairs[code] as number) : searchedPair(decoded!, text, i);
    if (pair === 0 || pair === DUPLICATE) return undefined;
    out[n++] = pair >> 8;
    out[n++] = pair & 0xff;
  }
  return out.slice(0, n);
}
