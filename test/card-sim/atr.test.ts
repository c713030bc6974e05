import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex } from '../../src/apdu/index.js';
import { AtrParseError, buildAtr, parseAtr, validateAtr } from '../../src/card-sim/index.js';
import { testCard } from './fixtures.js';

const CARD_BYTES = fromHex('0102030405060708');

describe('ATR', () => {
  it('T=1 ATR: offers T=1, ends with the card bytes (the TCK is the 8th), has a valid TCK', () => {
    const atr = buildAtr('T=1', CARD_BYTES);
    // The balancing byte D4 computed independently: XOR of 9F .. 07 with it 00 is DC; DC ^ 08 = D4,
    // so that the XOR of T0 .. TCK is 0 with TCK = 08.
    expect(toHex(atr)).toBe('3B9F138131FE458031C062534358D40102030405060708');
    expect(toHex(atr.subarray(atr.length - 8))).toBe('0102030405060708');
    const p = parseAtr(atr);
    expect(p.protocols).toEqual([1]);
    expect(p.tck).toBeDefined();
    expect(toHex(p.cardSpecific)).toBe('0102030405060708');
    expect(p.historical.length).toBe(15);
    let x = 0;
    for (const b of atr.subarray(1)) x ^= b;
    expect(x).toBe(0);
  });

  it('T=0 variants: T=0 only has no TCK; T=0+T=1 has one', () => {
    const t0 = parseAtr(buildAtr('T=0', CARD_BYTES));
    expect(t0.protocols).toEqual([0]);
    expect(t0.tck).toBeUndefined();
    expect(toHex(t0.cardSpecific)).toBe('0102030405060708');
    const both = parseAtr(buildAtr('T=0+T=1', CARD_BYTES));
    expect(both.protocols).toEqual([0, 1]);
    expect(both.tck).toBe(0x08);
    expect(toHex(both.cardSpecific)).toBe('0102030405060708');
  });

  it('parses the public example ATRs', () => {
    expect(parseAtr(fromHex('3B 95 13 81 01 80 73 FF 01 00 0B')).protocols).toEqual([1]);
    expect(parseAtr(fromHex('3B FA 18 00 00 81 31 FE 45 4A 43 4F 50 33 31 56 32 33 32 98')).protocols).toEqual([1]);
  });

  it('rejects a wrong or missing TCK, bad TS, truncation', () => {
    const atr = buildAtr('T=1', CARD_BYTES);
    const bad = new Uint8Array(atr);
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 1;
    expect(() => parseAtr(bad)).toThrow(/TCK .* is wrong/);
    expect(() => parseAtr(atr.subarray(0, atr.length - 1))).toThrow(/TCK missing/);
    expect(() => parseAtr(fromHex('3C00'))).toThrow(AtrParseError);
    expect(() => parseAtr(atr.subarray(0, 6))).toThrow(/historical|ends before/);
    expect(validateAtr(bad)).toHaveLength(1);
    expect(validateAtr(atr)).toEqual([]);
  });

  it('any single-byte corruption of a T=1 ATR is detected', () => {
    const atr = buildAtr('T=1', CARD_BYTES);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: atr.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, flip) => {
        const copy = new Uint8Array(atr);
        copy[i] = (copy[i] as number) ^ flip;
        expect(validateAtr(copy).length).toBeGreaterThan(0);
      }),
    );
  });

  it('the card answers its ATR on power-on and reset; the tail is the card identifier tail', () => {
    const card = testCard();
    expect(toHex(card.atr).slice(-16)).toBe('0000000012345678');
    expect(toHex(card.reset('cold'))).toBe(toHex(card.atr));
    const t0 = testCard({ transmission: 'T=0' });
    expect(parseAtr(t0.atr).protocols).toEqual([0]);
  });
});
