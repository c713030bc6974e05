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

  it('reads the INS from command bytes, whatever the class', () => {
    expect(isPinCommand(fromHex('0020000003123456'))).toBe(true);
    expect(isPinCommand(fromHex('805E010007123456FF654321'))).toBe(true);
    expect(isPinCommand(fromHex('8424000014'))).toBe(true);
    expect(isPinCommand(fromHex('00A4000C023F00'))).toBe(false);
    expect(isPinCommand(fromHex('00B2072C00'))).toBe(false);
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
  it('a PIN command, or bytes that are not exactly one well-formed APDU, whatever their first INS', () => {
    expect(mustMaskCommand(fromHex('0020000003730519'))).toBe(true);
    expect(mustMaskCommand(fromHex('00A404000F7378312E73682EC9E7BBE1B1A3D5CF'))).toBe(false);
    expect(mustMaskCommand(fromHex('00B2072C00'))).toBe(false);
    // A SELECT with a VERIFY joined to it, a case-1 command with one, trailing bytes, truncation.
    expect(mustMaskCommand(fromHex('00A404000F7378312E73682EC9E7BBE1B1A3D5CF0020000003730519'))).toBe(true);
    expect(mustMaskCommand(fromHex('00B000000020000003730519'))).toBe(true);
    expect(mustMaskCommand(fromHex('00B2072C00730519'))).toBe(true);
    expect(mustMaskCommand(fromHex('00A4040009A0000003'))).toBe(true);
    expect(mustMaskCommand(fromHex('00A4'))).toBe(true);
  });

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

describe('commandParts', () => {
  it('splits one well-formed command into its header, data and Ne', () => {
    const parts = commandParts(fromHex('00 B2 07 2C 02 AA BB 1E'));
    expect({ ...parts, data: toHex(parts.data) }).toEqual({
      cla: 0x00,
      ins: 0xb2,
      p1: 0x07,
      p2: 0x2c,
      data: 'AABB',
      ne: 0x1e,
      malformed: false,
    });
  });

  it('has no ne at all for a command without Le', () => {
    const parts = commandParts(fromHex('00 A4 00 0C 02 3F 00'));
    expect('ne' in parts).toBe(false);
    expect(toHex(parts.data)).toBe('3F00');
    expect(parts.malformed).toBe(false);
  });

  it('gives malformed bytes as the header bytes that exist, 0 for the missing ones, and all the rest as data', () => {
    const joined = commandParts(fromHex('84 24 00 00 10 11 22'));
    expect({ ...joined, data: toHex(joined.data) }).toEqual({
      cla: 0x84,
      ins: 0x24,
      p1: 0x00,
      p2: 0x00,
      data: '101122',
      malformed: true,
    });
    const short = commandParts(fromHex('80 5E 01'));
    expect({ ...short, data: toHex(short.data) }).toEqual({
      cla: 0x80,
      ins: 0x5e,
      p1: 0x01,
      p2: 0x00,
      data: '',
      malformed: true,
    });
    const none = commandParts(new Uint8Array(0));
    expect({ ...none, data: none.data.length }).toEqual({ cla: 0, ins: 0, p1: 0, p2: 0, data: 0, malformed: true });
  });
});
