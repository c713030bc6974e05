import { createRequire } from 'node:module';
import type Iconv from 'iconv-lite';
import { describe as group, expect, it } from 'vitest';
import { ApduEncodeError, ApduParseError, decodeGbk, encodeGbk, fromHex, toHex } from '../../src/apdu/index.js';
import { thrown } from '../support/throws.js';

/*
 * decodeGbk and encodeGbk answer most Chinese text through Node's own GBK decoder and leave the
 * rest to iconv-lite's GBK codec; the text, the bytes and the errors must be iconv-lite's
 * whichever does the work. The reference here is iconv-lite itself, on every byte pair and every
 * UTF-16 code unit.
 */

const iconv = createRequire(import.meta.url)('iconv-lite') as typeof Iconv;

/** iconv-lite's text of `bytes`, or 'refused' where it gives U+FFFD (decodeGbk's error). */
function reference(bytes: Uint8Array): string {
  const text = iconv.decode(Buffer.from(bytes), 'gbk');
  return text.includes('\ufffd') ? 'refused' : text;
}

/** What `codec` answers, or 'refused' where it throws its own error (`refusal`), as iconv-lite refuses. */
function answerOf(codec: () => string, refusal: typeof ApduParseError | typeof ApduEncodeError): string {
  try {
    return codec();
  } catch (err) {
    expect(err).toBeInstanceOf(refusal);
    return 'refused';
  }
}

const decoded = (bytes: Uint8Array): string => answerOf(() => decodeGbk(bytes), ApduParseError);

group('decodeGbk against iconv-lite', () => {
  it('decodes every byte pair with a non-ASCII lead as iconv-lite does, alone and between ASCII', () => {
    const differences: string[] = [];
    for (let lead = 0x80; lead <= 0xff; lead++) {
      for (let trail = 0x00; trail <= 0xff; trail++) {
        for (const bytes of [Uint8Array.of(lead, trail), Uint8Array.of(0x41, lead, trail, 0x42)]) {
          const want = reference(bytes);
          const got = decoded(bytes);
          if (got !== want) differences.push(`${Buffer.from(bytes).toString('hex')}: ${got} / ${want}`);
        }
      }
    }
    expect(differences).toEqual([]);
  });

  it('refuses what iconv-lite refuses, with the same position (four-byte GB18030, a cut character)', () => {
    // 81 30 81 30 is U+0080 to WHATWG's gbk decoder, not GBK to iconv-lite.
    expect((thrown(() => decodeGbk(fromHex('D5C581308130'))) as Error).message).toMatch(/character 1 undecodable/);
    expect((thrown(() => decodeGbk(fromHex('D5C5C8'))) as Error).message).toMatch(/character 1 undecodable/);
    expect(thrown(() => decodeGbk(fromHex('D5C5FF')))).toBeInstanceOf(ApduParseError);
    // A lone 80 is the euro sign in iconv-lite's CP936 table: kept.
    expect(decodeGbk(fromHex('80'))).toBe(reference(fromHex('80')));
  });

  it('decodes a name, with the rows where the two tables differ sent to iconv-lite', () => {
    expect(decodeGbk(fromHex('D5C5C8FD'))).toBe('张三');
    expect(decodeGbk(fromHex('B0A2B2BCB6BCC0ADA1A4C2F2C2F2CCE1'))).toBe(
      reference(fromHex('B0A2B2BCB6BCC0ADA1A4C2F2C2F2CCE1')),
    );
    expect(decodeGbk(fromHex('D5C5A8BF'))).toBe(`张${reference(fromHex('A8BF'))}`);
  });
});

/** iconv-lite's GBK bytes of `text` in hex, or 'refused' where they do not decode back to it. */
function referenceBytes(text: string): string {
  const bytes = iconv.encode(text, 'gbk');
  return iconv.decode(bytes, 'gbk') === text ? toHex(bytes) : 'refused';
}

const encoded = (text: string): string => answerOf(() => toHex(encodeGbk(text)), ApduEncodeError);

group('encodeGbk against iconv-lite', () => {
  it('encodes every UTF-16 code unit as iconv-lite does, alone and between ASCII', () => {
    const differences: string[] = [];
    for (let code = 0x80; code <= 0xffff; code++) {
      const ch = String.fromCharCode(code);
      for (const text of [ch, `A${ch}B`]) {
        const want = referenceBytes(text);
        const got = encoded(text);
        if (got !== want) differences.push(`U+${code.toString(16)}: ${got} / ${want}`);
      }
    }
    expect(differences).toEqual([]);
  });

  it('encodes a name, with characters of the rows where the tables differ left to iconv-lite', () => {
    expect(toHex(encodeGbk('张三'))).toBe('D5C5C8FD');
    for (const text of ['阿卜杜热合曼·买买提', '王（燕），€', '张😀']) expect(encoded(text)).toBe(referenceBytes(text));
  });
});
