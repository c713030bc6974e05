import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { fromHex, isPinCommand } from '../../src/apdu/index.js';

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

  test.prop([fc.integer({ min: 0, max: 255 }), fc.uint8Array({ minLength: 0, maxLength: 20 }), fc.integer({ min: 0, max: 255 })])(
    'bytes and INS give the same answer',
    (cla, rest, ins) => {
      const bytes = Uint8Array.of(cla, ins, ...rest);
      expect(isPinCommand(bytes)).toBe(isPinCommand(ins));
      expect(isPinCommand(ins)).toBe(PIN_INS.includes(ins));
    },
  );
});
