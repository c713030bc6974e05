import { describe as group, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import {
  ApduEncodeError,
  ApduParseError,
  commandApdu,
  commandCase,
  decodeCommand,
  encodeCommand,
  encodeGbk,
  fromHex,
  toHex,
  type CommandApdu,
} from '../../src/apdu/index.js';
import { expectThrowsClass } from '../support/throws.js';

const byte = fc.integer({ min: 0, max: 255 });

const shortCommand: fc.Arbitrary<CommandApdu> = fc
  .record({
    cla: byte,
    ins: byte,
    p1: byte,
    p2: byte,
    data: fc.uint8Array({ maxLength: 255 }),
    ne: fc.option(fc.integer({ min: 1, max: 256 }), { nil: undefined }),
  })
  .map((c) => (c.ne === undefined ? { cla: c.cla, ins: c.ins, p1: c.p1, p2: c.p2, data: c.data } : c));

const extendedCommand: fc.Arbitrary<CommandApdu> = fc
  .record({
    cla: byte,
    ins: byte,
    p1: byte,
    p2: byte,
    data: fc.oneof(fc.uint8Array({ maxLength: 600 }), fc.constant(new Uint8Array(0))),
    ne: fc.option(fc.oneof(fc.integer({ min: 1, max: 65536 }), fc.constantFrom(1, 255, 256, 257, 65535, 65536)), {
      nil: undefined,
    }),
    extended: fc.boolean(),
  })
  .map((c) => {
    const cmd: CommandApdu = { cla: c.cla, ins: c.ins, p1: c.p1, p2: c.p2, data: c.data, extended: c.extended };
    if (c.ne !== undefined) cmd.ne = c.ne;
    return cmd;
  });

/** Big commands near the extended limits, without generating 65535 random bytes each time. */
const bigCommand: fc.Arbitrary<CommandApdu> = fc
  .record({
    nc: fc.oneof(fc.integer({ min: 256, max: 65535 }), fc.constantFrom(256, 65535)),
    fill: byte,
    ne: fc.option(fc.integer({ min: 1, max: 65536 }), { nil: undefined }),
  })
  .map(({ nc, fill, ne }) => commandApdu(0x00, 0xd6, 0x00, 0x00, new Uint8Array(nc).fill(fill), ne));

function expectedExtended(cmd: CommandApdu): boolean {
  if (cmd.data.length === 0 && cmd.ne === undefined) return false;
  return cmd.extended === true || cmd.data.length > 255 || (cmd.ne ?? 0) > 256;
}

function checkRoundTrip(cmd: CommandApdu): void {
  const bytes = encodeCommand(cmd);
  const d = decodeCommand(bytes);
  expect(d.cla).toBe(cmd.cla);
  expect(d.ins).toBe(cmd.ins);
  expect(d.p1).toBe(cmd.p1);
  expect(d.p2).toBe(cmd.p2);
  expect(toHex(d.data)).toBe(toHex(cmd.data));
  expect(d.ne).toBe(cmd.ne);
  expect(d.case).toBe(commandCase(cmd));
  expect(d.extended).toBe(expectedExtended(cmd));
  expect(toHex(encodeCommand(d))).toBe(toHex(bytes));
}

function expectDecodedOrParseError(bytes: Uint8Array): void {
  let decoded;
  try {
    decoded = decodeCommand(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(ApduParseError);
    expect((e as ApduParseError).code).toBe('APDU_PARSE');
    return;
  }
  // Whatever decodes must re-encode to exactly the same bytes (the encoding is canonical).
  expect(toHex(encodeCommand(decoded))).toBe(toHex(bytes));
}

group('encodeCommand/decodeCommand properties', () => {
  test.prop([shortCommand])('short commands round-trip in every case', (cmd) => {
    checkRoundTrip(cmd);
    expect(encodeCommand(cmd).length).toBe(
      4 + (cmd.data.length > 0 ? 1 + cmd.data.length : 0) + (cmd.ne !== undefined ? 1 : 0),
    );
  });

  test.prop([extendedCommand])('extended and mixed commands round-trip in every case', (cmd) => {
    checkRoundTrip(cmd);
  });

  test.prop([bigCommand], { numRuns: 30 })('commands with Nc up to 65535 round-trip', (cmd) => {
    checkRoundTrip(cmd);
  });

  test.prop([fc.uint8Array({ maxLength: 300 })])('arbitrary bytes decode or throw ApduParseError', (bytes) => {
    expectDecodedOrParseError(bytes);
  });

  test.prop([fc.uint8Array({ minLength: 60000, maxLength: 70000 })], { numRuns: 20 })(
    'arbitrary long byte strings decode or throw ApduParseError',
    (bytes) => {
      expectDecodedOrParseError(bytes);
    },
  );

  // Random bytes rarely hit a valid length layout; these are built around the length fields so
  // valid, off-by-one and extended-looking inputs all occur often.
  const nearValid = fc
    .record({
      header: fc.uint8Array({ minLength: 4, maxLength: 4 }),
      b1: fc.oneof(fc.constant(0), byte),
      ext: fc.uint8Array({ minLength: 0, maxLength: 2 }),
      bodyLength: fc.integer({ min: 0, max: 280 }),
    })
    .map(({ header, b1, ext, bodyLength }) => {
      const out = new Uint8Array(5 + ext.length + bodyLength);
      out.set(header, 0);
      out[4] = b1;
      out.set(ext, 5);
      return out;
    });

  test.prop([nearValid])('inputs around the length fields decode canonically or throw ApduParseError', (bytes) => {
    expectDecodedOrParseError(bytes);
  });

  test.prop([shortCommand, fc.integer({ min: 1, max: 3 })])(
    'appending bytes to a valid command is rejected or re-decoded canonically',
    (cmd, extra) => {
      const bytes = encodeCommand(cmd);
      const longer = new Uint8Array(bytes.length + extra).fill(0x5a);
      longer.set(bytes, 0);
      expectDecodedOrParseError(longer);
    },
  );
});

group('decodeCommand examples', () => {
  it('SELECT SSSE by DF name is a short case 3 command', () => {
    const bytes = fromHex('00 A4 04 00 0F 7378312E73682EC9E7BBE1B1A3D5CF');
    const d = decodeCommand(bytes);
    expect(d).toMatchObject({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, case: 3, extended: false });
    expect(d.ne).toBeUndefined();
    expect(toHex(d.data)).toBe(toHex(encodeGbk('sx1.sh.社会保障')));
    expect(toHex(encodeCommand(commandApdu(0, 0xa4, 4, 0, encodeGbk('sx1.sh.社会保障'))))).toBe(toHex(bytes));
  });

  it('case 1 has no length fields', () => {
    const d = decodeCommand(fromHex('80 16 00 00'));
    expect(d).toMatchObject({ case: 1, extended: false });
    expect('ne' in d).toBe(false);
    expect(d.data.length).toBe(0);
  });

  it('short Le 00 means 256 and short Le 08 means 8', () => {
    expect(decodeCommand(fromHex('00 B2 01 2C 00')).ne).toBe(256);
    expect(decodeCommand(fromHex('00 84 00 00 08'))).toMatchObject({ case: 2, ne: 8 });
    expect(toHex(encodeCommand(commandApdu(0, 0xb2, 1, 0x2c, undefined, 256)))).toBe('00B2012C00');
  });

  it('short case 4 carries Lc, data and Le', () => {
    const d = decodeCommand(fromHex('00 88 00 00 02 AA BB 00'));
    expect(d).toMatchObject({ case: 4, extended: false, ne: 256 });
    expect(toHex(d.data)).toBe('AABB');
  });

  it('extended case 2: Le 00 hh ll, 00 00 00 means 65536', () => {
    expect(decodeCommand(fromHex('00 B0 00 00 00 00 00'))).toMatchObject({ case: 2, extended: true, ne: 65536 });
    expect(decodeCommand(fromHex('00 B0 00 00 00 01 00'))).toMatchObject({ case: 2, extended: true, ne: 256 });
    expect(toHex(encodeCommand(commandApdu(0, 0xb0, 0, 0, undefined, 257)))).toBe('00B00000000101');
    expect(toHex(encodeCommand(commandApdu(0, 0xb0, 0, 0, undefined, 65536)))).toBe('00B00000000000');
  });

  it('extended case 3 and case 4: Lc 00 hh ll, case 4 Le hh ll after the data', () => {
    const data = new Uint8Array(256).fill(0x11);
    const c3 = encodeCommand(commandApdu(0, 0xd6, 0, 0, data));
    expect(toHex(c3.subarray(0, 7))).toBe('00D60000000100');
    expect(c3.length).toBe(7 + 256);
    expect(decodeCommand(c3)).toMatchObject({ case: 3, extended: true });

    const c4 = encodeCommand(commandApdu(0, 0x2a, 0x80, 0x86, data, 65536));
    expect(toHex(c4.subarray(0, 7))).toBe('002A8086000100');
    expect(toHex(c4.subarray(c4.length - 2))).toBe('0000');
    expect(decodeCommand(c4)).toMatchObject({ case: 4, extended: true, ne: 65536 });

    const small = encodeCommand({ ...commandApdu(0, 0x20, 0, 0, fromHex('123456'), 2), extended: true });
    expect(toHex(small)).toBe('00200000000003123456' + '0002');
  });

  it('short data with a large Ne switches both lengths to extended form', () => {
    expect(toHex(encodeCommand(commandApdu(0x80, 0xca, 0x9f, 0x17, fromHex('01'), 300)))).toBe('80CA9F1700000101012C');
  });
});

group('commandApdu', () => {
  it('leaves Ne out when none is given, so the command has no Le field', () => {
    const select = commandApdu(0, 0xa4, 4, 0, fromHex('3F00'));
    expect('ne' in select).toBe(false);
    expect(Object.keys(select)).toEqual(['cla', 'ins', 'p1', 'p2', 'data']);
    expect(commandApdu(0, 0xb0, 0, 0, undefined, 5).ne).toBe(5);
  });
});

group('encodeCommand at the bounds of each field', () => {
  it('header bytes 00 and FF are taken', () => {
    expect(toHex(encodeCommand(commandApdu(0x00, 0x00, 0x00, 0x00)))).toBe('00000000');
    expect(toHex(encodeCommand(commandApdu(0xff, 0xff, 0xff, 0xff)))).toBe('FFFFFFFF');
  });

  it('Nc 255 and Ne 256 stay short; Nc 256 or Ne 257 go extended', () => {
    expect(toHex(encodeCommand(commandApdu(0, 0xb0, 0, 0, undefined, 1)))).toBe('00B0000001');
    expect(toHex(encodeCommand(commandApdu(0, 0xb0, 0, 0, undefined, 256)))).toBe('00B0000000');
    expect(toHex(encodeCommand(commandApdu(0, 0xb0, 0, 0, undefined, 257)))).toBe('00B00000000101');
    expect(toHex(encodeCommand(commandApdu(0, 0xb0, 0, 0, undefined, 65536)))).toBe('00B00000000000');
    expect(toHex(encodeCommand(commandApdu(0, 0xd6, 0, 0, new Uint8Array(255))).subarray(0, 5))).toBe('00D60000FF');
    expect(toHex(encodeCommand(commandApdu(0, 0xd6, 0, 0, new Uint8Array(256))).subarray(0, 7))).toBe('00D60000000100');
    const longest = encodeCommand(commandApdu(0, 0xd6, 0, 0, new Uint8Array(65535), 65536));
    expect(longest.length).toBe(4 + 3 + 65535 + 2);
    expect(toHex(longest.subarray(0, 7))).toBe('00D6000000FFFF');
    expect(toHex(longest.subarray(-2))).toBe('0000');
  });
});

group('decodeCommand rejects what ISO 7816-4 forbids', () => {
  const cases: [string, string, RegExp][] = [
    ['empty', '', /shorter than 4 bytes \(got 0\)/],
    ['three bytes', '00 A4 04', /shorter than 4 bytes \(got 3\)/],
    ['short Lc 00 followed by one byte', '00 A4 04 00 00 3F', /short Lc of 00 is invalid/],
    ['short Lc larger than the data', '00 A4 04 00 05 3F 00', /Lc=5 but only 2 data bytes/],
    ['trailing garbage after short case 4', '00 A4 04 00 01 3F 00 99', /trailing/],
    [
      'two trailing bytes after short case 4, counted',
      '00 A4 04 00 01 3F 00 99 98',
      /^short Lc=1 leaves 2 trailing bytes after the data and Le$/,
    ],
    ['extended Lc of 0', '00 D6 00 00 00 00 00 AA', /extended Lc of 0/],
    ['extended Lc larger than the data', '00 D6 00 00 00 00 05 AA BB', /extended Lc=5 but only 2 data bytes/],
    ['extended data with a 1-byte Le', '00 D6 00 00 00 00 01 AA 00', /1-byte Le/],
    ['trailing garbage after extended case 4', '00 D6 00 00 00 00 01 AA 00 00 77', /trailing/],
    [
      'two trailing bytes after extended case 4, counted',
      '00 D6 00 00 00 00 01 AA 00 00 77 78',
      /^extended Lc=1 leaves 2 trailing bytes after the data and Le$/,
    ],
  ];
  for (const [what, hex, message] of cases) {
    it(what, () => {
      const err = expectThrowsClass(() => decodeCommand(fromHex(hex)), ApduParseError, message);
      expect((err as ApduParseError).code).toBe('APDU_PARSE');
    });
  }

  it('bytes that are not a Uint8Array, even a well-formed array of numbers', () => {
    const array = [0x00, 0xa4, 0x04, 0x00] as unknown as Uint8Array;
    expectThrowsClass(() => decodeCommand(array), ApduParseError, /^command APDU must be a Uint8Array$/);
  });
});

group('encodeCommand rejects out-of-range fields', () => {
  const base = commandApdu(0, 0xa4, 4, 0);
  const bad: [string, CommandApdu, RegExp][] = [
    ['CLA 256', { ...base, cla: 256 }, /CLA must be an integer 0\.\.255/],
    ['INS -1', { ...base, ins: -1 }, /INS must be an integer 0\.\.255/],
    ['P1 1.5', { ...base, p1: 1.5 }, /P1 must be/],
    ['P2 NaN', { ...base, p2: Number.NaN }, /P2 must be/],
    ['Nc 65536', { ...base, data: new Uint8Array(65536) }, /Nc=65536/],
    ['Ne 0', { ...base, ne: 0 }, /Ne must be an integer 1\.\.65536/],
    ['Ne 65537', { ...base, ne: 65537 }, /Ne must be/],
    ['Ne 2.5', { ...base, ne: 2.5 }, /Ne must be/],
    [
      'data that is an array of numbers',
      { ...base, data: [1, 2, 3] as unknown as Uint8Array },
      /^command data must be a Uint8Array$/,
    ],
  ];
  for (const [what, cmd, message] of bad) {
    it(what, () => {
      const err = expectThrowsClass(() => encodeCommand(cmd), ApduEncodeError, message);
      expect((err as ApduEncodeError).code).toBe('APDU_ENCODE');
    });
  }
});
