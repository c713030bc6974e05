import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { INS, INS_CATALOGUE, SscardError, commandName, insInfo, isPinCommand } from '../../src/apdu/index.js';

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
  it('tells the overloaded bytes apart by class and P1', () => {
    expect(commandName(0x00, 0x24, 0x00)).toBe('CHANGE REFERENCE DATA');
    expect(commandName(0x84, 0x24, 0x00)).toBe('PIN UNBLOCK');
    expect(commandName(0x80, 0x5e, 0x01)).toBe('CHANGE PIN');
    expect(commandName(0x80, 0x5e, 0x00)).toBe('RELOAD PIN');
    // 5E with an interindustry class is nothing the project knows.
    expect(commandName(0x00, 0x5e, 0x01)).toBe('INS 5E');
  });

  it('names the single-meaning commands whatever the class', () => {
    expect(commandName(0x00, 0xca, 0x9f)).toBe('GET DATA');
    expect(commandName(0x80, 0xca, 0x9f)).toBe('GET DATA');
    expect(commandName(0x84, 0x1e, 0x00)).toBe('APPLICATION BLOCK');
    expect(commandName(0x01, 0x70, 0x00)).toBe('MANAGE CHANNEL');
    expect(commandName(0x00, 0x21, 0x00)).toBe('VERIFY');
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
