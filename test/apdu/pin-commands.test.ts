import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import {
  commandParts,
  concatBytes,
  encodeCommand,
  fromHex,
  isPinCommand,
  mustMaskCommand,
  toHex,
} from '../../src/apdu/index.js';

const PIN_INS = [0x20, 0x21, 0x24, 0x2c, 0x5e];

describe('isPinCommand', () => {
  it('names VERIFY, CHANGE REFERENCE DATA / PIN UNBLOCK, RESET RETRY COUNTER, CHANGE / RELOAD PIN', () => {
    for (const ins of PIN_INS) expect(isPinCommand(ins)).toBe(true);
    for (const ins of [0xa4, 0xb0, 0xb2, 0xdc, 0x84, 0x82, 0x88, 0xca, 0xc0]) expect(isPinCommand(ins)).toBe(false);
  });

  it('hides what it cannot tell apart: fewer than 2 bytes count as PIN-carrying', () => {
    expect(isPinCommand(new Uint8Array(0))).toBe(true);
    expect(isPinCommand(Uint8Array.of(0x00))).toBe(true);
  });

  test.prop([
    fc.integer({ min: 0, max: 255 }),
    fc.uint8Array({ minLength: 0, maxLength: 20 }),
    fc.integer({ min: 0, max: 255 }),
  ])('bytes and INS give the same answer', (cla, rest, ins) => {
    const bytes = Uint8Array.of(cla, ins, ...rest);
    expect(isPinCommand(bytes)).toBe(isPinCommand(ins));
    expect(isPinCommand(ins)).toBe(PIN_INS.includes(ins));
  });
});

describe('mustMaskCommand', () => {
  test.prop([
    fc.record({
      cla: fc.constantFrom(0x00, 0x80, 0x84, 0x04),
      ins: fc.constantFrom(0xa4, 0xb0, 0xb2, 0xdc, 0xe2, 0x84, 0x82, 0x88, 0xca),
      p1: fc.integer({ min: 0, max: 255 }),
      p2: fc.integer({ min: 0, max: 255 }),
      data: fc.uint8Array({ maxLength: 40 }),
    }),
    fc.constantFrom(0x20, 0x24, 0x2c, 0x5e),
    fc.uint8Array({ minLength: 1, maxLength: 12 }),
  ])('a harmless command with a PIN command joined after it is always masked', (first, pinIns, pin) => {
    const blob = concatBytes(encodeCommand(first), encodeCommand({ cla: 0x00, ins: pinIns, p1: 0, p2: 0, data: pin }));
    expect(mustMaskCommand(blob)).toBe(true);
    expect(mustMaskCommand(encodeCommand(first))).toBe(false);
  });
});

// isPinCommand reads the INS of command bytes, whatever the class; mustMaskCommand masks a PIN
// command, or bytes that are not exactly one well-formed APDU, whatever their first INS.
describe('isPinCommand and mustMaskCommand on command bytes', () => {
  it.each([
    ['0020000003123456', true, true],
    ['805E010007123456FF654321', true, true],
    ['8424000014', true, true],
    ['00A4000C023F00', false, false],
    ['00A404000F7378312E73682EC9E7BBE1B1A3D5CF', false, false],
    ['00B2072C00', false, false],
    // A SELECT with a VERIFY joined to it, a case-1 command with one, trailing bytes, truncation.
    ['00A404000F7378312E73682EC9E7BBE1B1A3D5CF0020000003730519', false, true],
    ['00B000000020000003730519', false, true],
    ['00B2072C00730519', false, true],
    ['00A4040009A0000003', false, true],
    ['00A4', false, true],
  ])('%s: PIN command %s, masked %s', (hex, pinCommand, masked) => {
    expect(isPinCommand(fromHex(hex))).toBe(pinCommand);
    expect(mustMaskCommand(fromHex(hex))).toBe(masked);
  });
});

describe('commandParts', () => {
  /** What commandParts gives, in hex: the four header bytes, the data, Ne where it has one, and `malformed`. */
  function partsOf(command: Uint8Array): Record<string, unknown> {
    const { cla, ins, p1, p2, data, malformed, ...rest } = commandParts(command);
    return { header: toHex(Uint8Array.of(cla, ins, p1, p2)), data: toHex(data), malformed, ...rest };
  }

  it.each([
    [
      'splits one well-formed command into its header, data and Ne',
      '00 B2 07 2C 02 AA BB 1E',
      { header: '00B2072C', data: 'AABB', ne: 0x1e, malformed: false },
    ],
    [
      'has no ne at all for a command without Le',
      '00 A4 00 0C 02 3F 00',
      { header: '00A4000C', data: '3F00', malformed: false },
    ],
    [
      'gives a malformed command as its header and all the rest as data',
      '84 24 00 00 10 11 22',
      { header: '84240000', data: '101122', malformed: true },
    ],
    [
      'gives 0 for the header bytes a malformed command lacks',
      '80 5E 01',
      { header: '805E0100', data: '', malformed: true },
    ],
    ['gives no bytes as a malformed command of zeros', '', { header: '00000000', data: '', malformed: true }],
  ])('%s (%s)', (_, hex, expected) => {
    expect(partsOf(fromHex(hex))).toEqual(expected);
  });
});
