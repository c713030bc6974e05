import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { concatBytes, encodeCommand, fromHex, isPinCommand, mustMaskCommand } from '../../src/apdu/index.js';

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
