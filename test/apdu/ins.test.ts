import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { INS, INS_CATALOGUE, SscardError, commandName, fromHex, insInfo, isPinCommand } from '../../src/apdu/index.js';

describe('INS catalogue', () => {
  it('numbers the ISO and SSC commands as card profile §4 and §5 give them', () => {
    expect(INS).toMatchObject({
      SELECT: 0xa4,
      READ_BINARY: 0xb0,
      UPDATE_BINARY: 0xd6,
      READ_RECORD: 0xb2,
      UPDATE_RECORD: 0xdc,
      APPEND_RECORD: 0xe2,
      VERIFY: 0x20,
      CHANGE_REFERENCE_DATA: 0x24,
      PIN_UNBLOCK: 0x24,
      CHANGE_PIN: 0x5e,
      RELOAD_PIN: 0x5e,
      GET_CHALLENGE: 0x84,
      EXTERNAL_AUTHENTICATE: 0x82,
      INTERNAL_AUTHENTICATE: 0x88,
      GET_RESPONSE: 0xc0,
      GET_DATA: 0xca,
      APPLICATION_BLOCK: 0x1e,
      APPLICATION_UNBLOCK: 0x18,
      CARD_BLOCK: 0x16,
    });
  });

  it('has one entry for every INS number, and every entry is a named INS', () => {
    const numbers = new Set(Object.values(INS));
    expect([...INS_CATALOGUE.keys()].sort()).toEqual([...numbers].sort());
    for (const [ins, info] of INS_CATALOGUE) {
      expect(info.ins).toBe(ins);
      expect(info.meanings.length).toBeGreaterThan(0);
    }
  });

  it('marks exactly the PIN-carrying commands', () => {
    const pin = [...INS_CATALOGUE.values()]
      .filter((e) => e.carriesPin)
      .map((e) => e.ins)
      .sort((a, b) => a - b);
    expect(pin).toEqual([0x20, 0x21, 0x24, 0x2c, 0x5e]);
  });

  it('gives the card table its names, one per byte', () => {
    expect(insInfo(0x5e).name).toBe('CHANGE/RELOAD PIN');
    expect(insInfo(0x24).name).toBe('CHANGE REFERENCE DATA/PIN UNBLOCK');
    expect(insInfo(0xa4).name).toBe('SELECT');
  });

  it('refuses a byte it does not know with a coded error', () => {
    expect(() => insInfo(0xee)).toThrow(SscardError);
    expect(() => insInfo(0xee)).toThrow(/INS EE is not in the INS catalogue/);
    expect(() => insInfo(0xee)).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });
});

describe('commandName', () => {
  // 24 and 5E are told apart by class and P1; the other commands have one name whatever the class.
  it.each([
    ['00 24 00', 'CHANGE REFERENCE DATA'],
    ['84 24 00', 'PIN UNBLOCK'],
    ['80 5E 01', 'CHANGE PIN'],
    ['80 5E 00', 'RELOAD PIN'],
    // 5E with an interindustry class is nothing the project knows.
    ['00 5E 01', 'INS 5E'],
    ['00 CA 9F', 'GET DATA'],
    ['80 CA 9F', 'GET DATA'],
    ['84 1E 00', 'APPLICATION BLOCK'],
    ['01 70 00', 'MANAGE CHANNEL'],
    ['00 21 00', 'VERIFY'],
  ])('names CLA INS P1 %s %s', (header, name) => {
    const [cla, ins, p1] = fromHex(header) as unknown as [number, number, number];
    expect(commandName(cla, ins, p1)).toBe(name);
  });

  test.prop([fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })])(
    'names an unknown byte by its hex, and masks by the same catalogue',
    (cla, ins, p1) => {
      const name = commandName(cla, ins, p1);
      if (!INS_CATALOGUE.has(ins)) expect(name).toBe(`INS ${ins.toString(16).toUpperCase().padStart(2, '0')}`);
      expect(isPinCommand(ins)).toBe(INS_CATALOGUE.get(ins)?.carriesPin === true);
    },
  );
});
