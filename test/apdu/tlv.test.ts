import { describe as group, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import {
  ApduEncodeError,
  ApduParseError,
  berLengthBytes,
  berTagBytes,
  encodeAn,
  encodeBerTlv,
  encodeBerTlvList,
  encodeSimpleTlv,
  findTlv,
  fromHex,
  isConstructedTag,
  parseBerTlv,
  parseSimpleTlv,
  parseSimpleTlvList,
  toHex,
  type Tlv,
} from '../../src/apdu/index.js';
import { expectThrowsClass } from '../support/throws.js';

const SSSE_NAME = '7378312E73682EC9E7BBE1B1A3D5CF';

/** Tag numbers of 1-3 bytes with the given constructed bit, valid per ISO 7816-4. */
function tagArb(constructed: boolean): fc.Arbitrary<number> {
  const cbit = constructed ? 0x20 : 0x00;
  const one = fc
    .integer({ min: 0, max: 0xff })
    .map((b) => (b & ~0x20) | cbit)
    .filter((b) => (b & 0x1f) !== 0x1f && b !== 0x00 && b !== 0xff);
  // FF may not start a tag (it is padding), so the private constructed class gets no multi-byte tags.
  const classBits = fc
    .constantFrom(0x00, 0x40, 0x80, 0xc0)
    .map((c) => c | cbit | 0x1f)
    .filter((b) => b !== 0xff);
  const two = fc.tuple(classBits, fc.integer({ min: 0x01, max: 0x7f })).map(([a, b]) => a * 256 + b);
  const three = fc
    .tuple(classBits, fc.integer({ min: 0x81, max: 0xff }), fc.integer({ min: 0, max: 0x7f }))
    .map(([a, b, c]) => (a * 256 + b) * 256 + c);
  return fc.oneof(one, two, three);
}

type Tree = { tag: number; value: Uint8Array } | { tag: number; children: Tree[] };

const { tree } = fc.letrec<{ tree: Tree; leaf: Tree; node: Tree }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('leaf'), tie('node')),
  leaf: fc.record({
    tag: tagArb(false),
    value: fc.oneof(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ minLength: 120, maxLength: 300 })),
  }),
  node: fc.record({ tag: tagArb(true), children: fc.array(tie('tree'), { maxLength: 4 }) }),
}));

/** The Tlv a parser must produce for a generated tree. */
function expected(t: Tree): Tlv {
  if ('value' in t) return { tag: t.tag, constructed: false, value: t.value };
  const children = t.children.map(expected);
  return { tag: t.tag, constructed: true, value: encodeBerTlvList(children), children };
}

function plain(t: Tlv): unknown {
  return { tag: t.tag, constructed: t.constructed, value: toHex(t.value), children: t.children?.map(plain) };
}

/** Like plain, but a constructed object is compared by its children only (its raw value may hold padding). */
function structure(t: Tlv): unknown {
  if (t.children === undefined) return { tag: t.tag, value: toHex(t.value) };
  return { tag: t.tag, children: t.children.map(structure) };
}

group('BER-TLV examples', () => {
  it('parses an SSSE FCI: 6F { 84 DF-name, A5 { 9F0C 86 01 03 } }', () => {
    const fci = fromHex(`6F 19 84 0F ${SSSE_NAME} A5 06 9F0C 03 86 01 03`);
    const list = parseBerTlv(fci);
    expect(list).toHaveLength(1);
    const top = list[0] as Tlv;
    expect(top).toMatchObject({ tag: 0x6f, constructed: true });
    expect(top.children?.map((c) => c.tag)).toEqual([0x84, 0xa5]);
    expect(toHex(findTlv(list, 0x84)?.value ?? new Uint8Array(0))).toBe(SSSE_NAME);
    const alg = findTlv(list, 0x9f0c);
    expect(alg).toMatchObject({ constructed: false });
    expect(toHex(alg?.value ?? new Uint8Array(0))).toBe('860103');
    expect(alg?.children).toBeUndefined();
    expect(findTlv(list, 0x86)).toBeUndefined(); // inside a primitive value, not a child
    expect(toHex(encodeBerTlvList(list))).toBe(toHex(fci));
    const rebuilt = encodeBerTlv(0x6f, [
      { tag: 0x84, constructed: false, value: fromHex(SSSE_NAME) },
      {
        tag: 0xa5,
        constructed: true,
        value: new Uint8Array(0),
        children: [{ tag: 0x9f0c, constructed: false, value: fromHex('860103') }],
      },
    ]);
    expect(toHex(rebuilt)).toBe(toHex(fci));
  });

  it('uses long-form lengths 81, 82, 83', () => {
    const v128 = new Uint8Array(128).fill(0xab);
    const enc = encodeBerTlv(0x9f0c, v128);
    expect(toHex(enc.subarray(0, 4))).toBe('9F0C8180');
    expect(enc.length).toBe(4 + 128);
    const back = parseBerTlv(enc);
    expect(back[0]).toMatchObject({ tag: 0x9f0c, constructed: false });
    expect(back[0]?.value.length).toBe(128);

    expect(toHex(encodeBerTlv(0x53, new Uint8Array(127)).subarray(0, 2))).toBe('537F');
    expect(toHex(encodeBerTlv(0x53, new Uint8Array(256)).subarray(0, 4))).toBe('53820100');
    expect(toHex(encodeBerTlv(0x53, new Uint8Array(65536)).subarray(0, 5))).toBe('5383010000');
    expect(parseBerTlv(encodeBerTlv(0x53, new Uint8Array(65536)))[0]?.value.length).toBe(65536);
  });

  it('accepts a non-minimal long-form length on read', () => {
    expect(parseBerTlv(fromHex('5A 81 02 12 34'))[0]).toMatchObject({ tag: 0x5a });
    expect(toHex(parseBerTlv(fromHex('5A 82 00 02 12 34'))[0]?.value ?? new Uint8Array(0))).toBe('1234');
  });

  it('skips 00/FF padding between objects', () => {
    const list = parseBerTlv(fromHex('00 5A 01 11 FF FF 9F17 01 03 00'));
    expect(list.map((t) => t.tag)).toEqual([0x5a, 0x9f17]);
  });

  it('re-encodes a constructed object from its children, dropping inner padding', () => {
    const list = parseBerTlv(fromHex('70 05 00 5A 01 01 FF'));
    expect(toHex(list[0]?.value ?? new Uint8Array(0))).toBe('005A0101FF');
    expect(list[0]?.children?.map((c) => c.tag)).toEqual([0x5a]);
    expect(toHex(encodeBerTlvList(list))).toBe('70035A0101');
  });

  it('finds depth-first: a parent before its children, children before later siblings', () => {
    const list = parseBerTlv(fromHex('70 06 5A 01 01 71 01 00   5A 01 02'));
    expect(toHex(findTlv(list, 0x5a)?.value ?? new Uint8Array(0))).toBe('01');
    expect(findTlv(list, 0x70)?.tag).toBe(0x70);
    expect(findTlv(list, 0x5f20)).toBeUndefined();
  });

  it('reads a bank record template with 5A and 5F20', () => {
    const rec = encodeBerTlv(0x70, [
      { tag: 0x5a, constructed: false, value: fromHex('6210000000000000001F') },
      { tag: 0x5f20, constructed: false, value: new TextEncoder().encode('ZHANG/SAN') },
    ]);
    expect(toHex(rec.subarray(0, 4))).toBe('70185A0A');
    const list = parseBerTlv(rec);
    expect(new TextDecoder().decode(findTlv(list, 0x5f20)?.value)).toBe('ZHANG/SAN');
  });
});

group('BER-TLV errors', () => {
  const bad: [string, string, RegExp][] = [
    ['value shorter than its length', '5A 05 12 34', /declares 5 bytes but only 2 remain/],
    ['truncated multi-byte tag', '9F', /tag at offset 0 is truncated/],
    ['tag without length', '5A', /has no length/],
    ['indefinite length', '6F 80 5A 01 01 00 00', /indefinite length/],
    ['truncated long-form length', '5A 82 01', /length at offset 1 is truncated/],
    ['length field of 5 bytes', '5A 85 00 00 00 00 01 AA', /too long/],
    ['tag longer than 4 bytes', '9F 81 81 81 81 01 01 AA', /longer than 4 bytes/],
    ['first subsequent tag byte 80', '9F 80 01 01 AA', /may not be 80/],
    ['child overrunning its parent', '6F 03 5A 05 12 34 56 78 9A', /declares 5 bytes but only 1 remain/],
  ];
  for (const [what, hex, message] of bad) {
    it(what, () => {
      expectThrowsClass(() => parseBerTlv(fromHex(hex)), ApduParseError, message);
    });
  }

  it('refuses nesting deeper than the limit instead of exhausting the stack', () => {
    let bytes: Uint8Array = fromHex('5A 00');
    for (let i = 0; i < 32; i++) bytes = encodeBerTlv(0x70, bytes);
    expect(findTlv(parseBerTlv(bytes), 0x5a)).toBeDefined(); // 32 levels of 70 around 5A are fine
    bytes = encodeBerTlv(0x70, bytes);
    expectThrowsClass(() => parseBerTlv(bytes), ApduParseError, /nested deeper than 32/);
    const deep = new Uint8Array(70000);
    for (let i = 0; i < deep.length; i += 2) {
      deep[i] = 0x70;
      deep[i + 1] = 0x7f;
    }
    expectThrowsClass(() => parseBerTlv(deep), ApduParseError, /.+/);
  });

  it('refuses invalid tags and children under a primitive tag', () => {
    expectThrowsClass(() => encodeBerTlv(0x9f, new Uint8Array(0)), ApduEncodeError, /announces subsequent tag bytes/);
    expectThrowsClass(() => encodeBerTlv(0x5a01, new Uint8Array(0)), ApduEncodeError, /does not announce/);
    expectThrowsClass(() => encodeBerTlv(0x9f8001, new Uint8Array(0)), ApduEncodeError, /may not be 80/);
    expectThrowsClass(() => encodeBerTlv(0xff01, new Uint8Array(0)), ApduEncodeError, /FF cannot start a tag/);
    expect(toHex(encodeBerTlv(0x9f8101, new Uint8Array(0)))).toBe('9F810100');
    expectThrowsClass(() => encodeBerTlv(0x9f0181, new Uint8Array(0)), ApduEncodeError, /b8/);
    expectThrowsClass(() => encodeBerTlv(0, new Uint8Array(0)), ApduEncodeError, /positive integer/);
    expectThrowsClass(() => encodeBerTlv(0x5a, []), ApduEncodeError, /primitive and cannot hold child objects/);
  });
});

group('BER-TLV limits, at and just past each bound', () => {
  it('length fields: one byte up to 7F, then 81..84 and the bytes; negative, fractional or over 32 bits is refused', () => {
    const cases: [number, string][] = [
      [0, '00'],
      [0x7f, '7F'],
      [0x80, '8180'],
      [0xff, '81FF'],
      [0x100, '820100'],
      [0xffff, '82FFFF'],
      [0x10000, '83010000'],
      [0xffffff, '83FFFFFF'],
      [0x1000000, '8401000000'],
      [0xffffffff, '84FFFFFFFF'],
    ];
    for (const [length, hex] of cases) expect(toHex(berLengthBytes(length))).toBe(hex);
    for (const length of [-1, -0.5, 1.5, 0x100000000, Number.NaN, Number.POSITIVE_INFINITY]) {
      expectThrowsClass(() => berLengthBytes(length), ApduEncodeError, /BER length must be an integer 0\.\.FFFFFFFF/);
    }
  });

  it('tags: 1 to 4 bytes; 0, fractions and anything past 32 bits are refused before the structure is looked at', () => {
    expect(toHex(berTagBytes(0x01))).toBe('01');
    expect(toHex(berTagBytes(0x9f818101))).toBe('9F818101');
    expect(toHex(berTagBytes(0x5f20))).toBe('5F20');
    for (const tag of [0, -1, 1.5, 0x100000000])
      expectThrowsClass(() => berTagBytes(tag), ApduEncodeError, /positive integer/);
    expectThrowsClass(() => berTagBytes(0xffffffff), ApduEncodeError, /FF cannot start a tag/);
  });

  it('a long-form length may take 4 bytes, not 5, and may end exactly where the input ends', () => {
    expect(toHex(parseBerTlv(fromHex('5A 84 00 00 00 01 AA'))[0]?.value ?? new Uint8Array(0))).toBe('AA');
    expect(parseBerTlv(fromHex('5A 82 00 00'))[0]?.value.length).toBe(0);
    expectThrowsClass(() => parseBerTlv(fromHex('5A 84 00 00 00')), ApduParseError, /length at offset 1 is truncated/);
    expectThrowsClass(() => parseBerTlv(fromHex('5A 85 00 00 00 00 01 AA')), ApduParseError, /too long/);
    // A value that fills the input exactly, and one byte more than it.
    expect(parseBerTlv(fromHex('5A 02 12 34'))[0]?.value.length).toBe(2);
    expectThrowsClass(() => parseBerTlv(fromHex('5A 03 12 34')), ApduParseError, /declares 3 bytes but only 2 remain/);
  });

  it('a 4-byte tag is read, a 5-byte one refused; a tag may end exactly before its length', () => {
    expect(parseBerTlv(fromHex('9F 81 81 01 01 AA'))[0]?.tag).toBe(0x9f818101);
    expectThrowsClass(() => parseBerTlv(fromHex('9F 81 81 81 01 01 AA')), ApduParseError, /longer than 4 bytes/);
    expectThrowsClass(() => parseBerTlv(fromHex('9F 81')), ApduParseError, /truncated/);
    expectThrowsClass(() => parseBerTlv(fromHex('9F 01')), ApduParseError, /has no length/);
  });
});

group('BER-TLV refusals say where and what', () => {
  it('names the tag, in upper-case hex, and the rule it breaks', () => {
    expectThrowsClass(
      () => berTagBytes(0x9f),
      ApduEncodeError,
      /^invalid BER tag 9F: first byte announces subsequent tag bytes but none follow$/,
    );
    expectThrowsClass(
      () => berTagBytes(0x9f0101),
      ApduEncodeError,
      /^invalid BER tag 9F0101: inner tag byte has b8 clear$/,
    );
    expectThrowsClass(() => berTagBytes(0x9f81), ApduEncodeError, /^invalid BER tag 9F81: last tag byte has b8 set$/);
    expectThrowsClass(
      () => encodeBerTlv(0x9f0c, []),
      ApduEncodeError,
      /^tag 9F0C is primitive and cannot hold child objects$/,
    );
  });

  it('gives the offset of the object or length field that is wrong, after a good object', () => {
    const cases: [string, RegExp][] = [
      ['5A 01 01 6F 80 5A 01 01 00 00', /^BER-TLV indefinite length \(80\) at offset 4 is not allowed$/],
      ['5A 01 01 5A 8F 00 00 00 00 01 AA', /^BER-TLV length field 8F at offset 4 is too long$/],
      ['5A 01 01 9F0C 05 12 34', /^BER-TLV object 9F0C at offset 3 declares 5 bytes but only 2 remain$/],
    ];
    for (const [hex, message] of cases) expectThrowsClass(() => parseBerTlv(fromHex(hex)), ApduParseError, message);
  });

  it('refuses input that is not a Uint8Array, even an array of well-formed bytes', () => {
    const array = [0x5a, 0x01, 0x01] as unknown as Uint8Array;
    expectThrowsClass(() => parseBerTlv(array), ApduParseError, /^BER-TLV input must be a Uint8Array$/);
    expectThrowsClass(() => parseSimpleTlv(array), ApduParseError, /^TLV record must be a Uint8Array$/);
  });
});

group('BER-TLV tags', () => {
  it('isConstructedTag reads b6 of the first byte, for 1- and 2-byte tags, and refuses an invalid tag', () => {
    for (const tag of [0x6f, 0xa5, 0x70, 0xbf0c, 0x7f49]) expect(isConstructedTag(tag), tag.toString(16)).toBe(true);
    for (const tag of [0x5a, 0x84, 0x9f0c, 0x5f20]) expect(isConstructedTag(tag), tag.toString(16)).toBe(false);
    expectThrowsClass(() => isConstructedTag(0x9f), ApduEncodeError, /announces subsequent tag bytes/);
  });

  it('only the first subsequent tag byte may not be 80: a later one may', () => {
    expect(toHex(berTagBytes(0x9f818001))).toBe('9F818001');
    const [only] = parseBerTlv(fromHex('9F 81 80 01 01 AA'));
    expect(only?.tag).toBe(0x9f818001);
    expect(toHex(only?.value ?? new Uint8Array(0))).toBe('AA');
  });

  it('findTlv goes on to later siblings after a constructed object without the tag', () => {
    const list = parseBerTlv(fromHex('70 03 5A 01 01   9F17 01 03'));
    expect(toHex(findTlv(list, 0x9f17)?.value ?? new Uint8Array(0))).toBe('03');
  });
});

group('BER-TLV properties', () => {
  test.prop([fc.array(tree, { maxLength: 4 })], { numRuns: 200 })(
    'parse(encode(trees)) rebuilds the trees and re-encodes identically',
    (trees) => {
      const want = trees.map(expected);
      const bytes = encodeBerTlvList(want);
      const got = parseBerTlv(bytes);
      expect(got.map(plain)).toEqual(want.map(plain));
      expect(toHex(encodeBerTlvList(got))).toBe(toHex(bytes));
    },
  );

  test.prop([tagArb(false), fc.uint8Array({ maxLength: 400 })])(
    'one primitive object round-trips through encodeBerTlv',
    (tag, value) => {
      const [only, ...rest] = parseBerTlv(encodeBerTlv(tag, value));
      expect(rest).toHaveLength(0);
      expect(only?.tag).toBe(tag);
      expect(toHex(only?.value ?? new Uint8Array(0))).toBe(toHex(value));
    },
  );

  test.prop([fc.uint8Array({ maxLength: 300 })])('random bytes parse or throw ApduParseError', (bytes) => {
    try {
      const list = parseBerTlv(bytes);
      // Whatever parses re-encodes to something that parses to the same objects (padding and
      // non-minimal lengths inside constructed values are normalised away).
      expect(parseBerTlv(encodeBerTlvList(list)).map(structure)).toEqual(list.map(structure));
    } catch (e) {
      expect(e).toBeInstanceOf(ApduParseError);
    }
  });

  test.prop([fc.uint8Array({ minLength: 60000, maxLength: 70000 })], { numRuns: 10 })(
    'long random bytes parse or throw ApduParseError',
    (bytes) => {
      try {
        parseBerTlv(bytes);
      } catch (e) {
        expect(e).toBeInstanceOf(ApduParseError);
      }
    },
  );
});

group('SSC simple TLV records', () => {
  it('reads and writes a name record (tag 09, 30 bytes)', () => {
    const rec = encodeSimpleTlv(0x09, encodeAn('张三', 30));
    expect(toHex(rec.subarray(0, 6))).toBe('091ED5C5C8FD');
    expect(rec.length).toBe(32);
    const back = parseSimpleTlv(rec);
    expect(back.tag).toBe(0x09);
    expect(back.value.length).toBe(30);
  });

  it('demands exactly one record', () => {
    expectThrowsClass(() => parseSimpleTlv(fromHex('01')), ApduParseError, /shorter than 2 bytes/);
    expectThrowsClass(() => parseSimpleTlv(fromHex('01 03 AA BB')), ApduParseError, /says 3 but 2 value bytes follow/);
    expectThrowsClass(() => parseSimpleTlv(fromHex('01 01 AA BB')), ApduParseError, /says 1 but 2/);
  });

  it('reads back-to-back records', () => {
    const list = parseSimpleTlvList(fromHex('03 04 322E3030 07 01 41'));
    expect(list.map((r) => [r.tag, toHex(r.value)])).toEqual([
      [3, '322E3030'],
      [7, '41'],
    ]);
    expectThrowsClass(
      () => parseSimpleTlvList(fromHex('03 04 32')),
      ApduParseError,
      /declares 4 bytes but only 1 remain/,
    );
  });

  it('a record that overruns the input names its offset and the bytes left after its length', () => {
    expectThrowsClass(
      () => parseSimpleTlvList(fromHex('07 01 41 03 04 32')),
      ApduParseError,
      /^TLV record at offset 3 declares 4 bytes but only 1 remain$/,
    );
  });

  it('a lone tag byte after the last record has no length: refused, not dropped', () => {
    expectThrowsClass(
      () => parseSimpleTlvList(fromHex('07 01 41 09')),
      ApduParseError,
      /record at offset 3 has no length byte/,
    );
    expectThrowsClass(() => parseSimpleTlvList(fromHex('09')), ApduParseError, /record at offset 0 has no length byte/);
    expect(parseSimpleTlvList(fromHex('07 01 41 09 00')).map((r) => [r.tag, r.value.length])).toEqual([
      [7, 1],
      [9, 0],
    ]);
    expect(parseSimpleTlvList(new Uint8Array(0))).toEqual([]);
    expectThrowsClass(
      () => parseSimpleTlvList(fromHex('07 02 41')),
      ApduParseError,
      /declares 2 bytes but only 1 remain/,
    );
  });

  it('encodes tags 00..FF and values up to 255 bytes, at the bounds', () => {
    expect(toHex(encodeSimpleTlv(0, new Uint8Array(0)))).toBe('0000');
    expect(toHex(encodeSimpleTlv(0xff, Uint8Array.of(0xaa)))).toBe('FF01AA');
    expect(encodeSimpleTlv(1, new Uint8Array(255))[1]).toBe(0xff);
    for (const tag of [-1, 1.5, 0x100])
      expectThrowsClass(() => encodeSimpleTlv(tag, new Uint8Array(1)), ApduEncodeError, /0\.\.255/);
  });

  it('refuses a value over 255 bytes or a tag over FF', () => {
    expectThrowsClass(() => encodeSimpleTlv(1, new Uint8Array(256)), ApduEncodeError, /at most 255/);
    expectThrowsClass(() => encodeSimpleTlv(0x100, new Uint8Array(1)), ApduEncodeError, /0\.\.255/);
  });

  test.prop([fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 255 })])(
    'parseSimpleTlv(encodeSimpleTlv(t, v)) round-trips',
    (tag, value) => {
      const back = parseSimpleTlv(encodeSimpleTlv(tag, value));
      expect(back.tag).toBe(tag);
      expect(toHex(back.value)).toBe(toHex(value));
    },
  );

  test.prop([fc.uint8Array({ maxLength: 300 })])('random bytes: one record or ApduParseError', (bytes) => {
    try {
      const r = parseSimpleTlv(bytes);
      expect(toHex(encodeSimpleTlv(r.tag, r.value))).toBe(toHex(bytes));
    } catch (e) {
      expect(e).toBeInstanceOf(ApduParseError);
    }
  });
});
