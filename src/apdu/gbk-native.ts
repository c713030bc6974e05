/*
 * GBK through Node's own decoder (ICU's, WHATWG's gbk) for the characters where it and
 * iconv-lite's GBK codec agree. iconv-lite builds its GBK tables on first use, 25-50 ms of a CLI
 * command that decodes or encodes one Chinese name; Node's decoder decodes a name in a fraction of
 * a millisecond, and decoding every two-byte character once (23,000 of them, a few milliseconds
 * with the reverse table) gives the table text is encoded with.
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
 * The GBK pair (lead << 8 | trail) of each UTF-16 unit that is a common two-byte character, by
 * decoding every common pair once: 0 for none, DUPLICATE for a character two pairs decode to
 * (none in ICU's table today; iconv-lite decides those). Null without the decoder.
 */
const DUPLICATE = 0xffff;
let pairOf: Uint16Array | null | undefined;
function commonPairs(): Uint16Array | null {
  if (pairOf !== undefined) return pairOf;
  const native = nativeDecoder();
  const rows = commonLeads();
  const bytes = new Uint8Array(rows.length * TRAILS_PER_LEAD * 2);
  let at = 0;
  for (const lead of rows) {
    for (let t = 0; t < TRAILS_PER_LEAD; t++) {
      bytes[at++] = lead;
      bytes[at++] = trailAt(t);
    }
  }
  let text: string | null = null;
  try {
    text = native === null ? null : native.decode(bytes);
  } catch {
    text = null;
  }
  // One UTF-16 unit per pair, or the characters would not line up with their pairs.
  if (text === null || text.length !== rows.length * TRAILS_PER_LEAD) {
    pairOf = null;
    return null;
  }
  const pairs = new Uint16Array(0x10000);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    pairs[code] = pairs[code] === 0 ? ((bytes[2 * i] as number) << 8) | (bytes[2 * i + 1] as number) : DUPLICATE;
  }
  pairOf = pairs;
  return pairs;
}

/**
 * GBK bytes of `text` when each of its characters is ASCII or a common two-byte character;
 * undefined otherwise (for iconv-lite to encode, or refuse).
 */
export function encodeCommonGbk(text: string): Uint8Array | undefined {
  const pairs = commonPairs();
  if (pairs === null) return undefined;
  const out = new Uint8Array(text.length * 2);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x7f) {
      out[n++] = code;
      continue;
    }
    const pair = pairs[code] as number;
    if (pair === 0 || pair === DUPLICATE) return undefined;
    out[n++] = pair >> 8;
    out[n++] = pair & 0xff;
  }
  return out.slice(0, n);
}
