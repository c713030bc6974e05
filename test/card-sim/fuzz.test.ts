import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { concatBytes } from '../../src/apdu/index.js';
import { SimulatedCard } from '../../src/card-sim/index.js';
import { send } from '../support/card-exchange.js';
import { buildTestTree, hex } from './fixtures.js';

/** SW1 values ISO 7816 allows in a response (60 is a procedure byte, not a status). */
function validSw1(sw1: number): boolean {
  return (sw1 >= 0x61 && sw1 <= 0x6f) || (sw1 >= 0x90 && sw1 <= 0x9f);
}

/** APDUs near the card's command set: known CLA/INS mostly, random parameters and bodies. */
const nearApdu = fc
  .tuple(
    fc.constantFrom(0x00, 0x80, 0x84, 0x04, 0x0c, 0xff, 0x10),
    fc.constantFrom(0xa4, 0xb0, 0xd6, 0xb2, 0xdc, 0xe2, 0x20, 0x24, 0x5e, 0x84, 0x82, 0x88, 0xca, 0xc0, 0x00, 0xb1),
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 255 }),
    fc.uint8Array({ maxLength: 300 }),
  )
  .map(([cla, ins, p1, p2, tail]) => concatBytes(Uint8Array.of(cla, ins, p1, p2), tail));

const anyApdu = fc.oneof(fc.uint8Array({ maxLength: 280 }), nearApdu);

describe('fuzzing transmit', () => {
  for (const transmission of ['T=1', 'T=0'] as const) {
    it(`random APDU bytes never throw, always get a valid SW, and SELECT MF still works (${transmission})`, () => {
      fc.assert(
        fc.property(fc.array(anyApdu, { maxLength: 25 }), fc.boolean(), (apdus, extendedLength) => {
          const bugs: string[] = [];
          const card = new SimulatedCard({
            tree: buildTestTree(),
            transmission,
            extendedLength,
            powered: true,
            logger: { error: (m) => bugs.push(m) },
          });
          for (const a of apdus) {
            const out = card.transmit(a);
            expect(out).toBeInstanceOf(Uint8Array);
            expect(out.length).toBeGreaterThanOrEqual(2);
            expect(validSw1(out[out.length - 2] as number)).toBe(true);
          }
          expect(bugs).toEqual([]);
          const mf = send(card, '00A40000023F0000');
          if (transmission === 'T=1') {
            expect(mf.sw).toBe(0x9000);
            expect(hex(mf.data)).toBe('6F0483023F00');
          } else {
            expect(mf.sw).toBe(0x6106);
            expect(hex(send(card, '00C0000006').data)).toBe('6F0483023F00');
          }
        }),
        { numRuns: 150 },
      );
    });
  }

  it('non-Uint8Array input from untyped callers is answered, not thrown', () => {
    const card = new SimulatedCard({ tree: buildTestTree(), powered: true });
    expect(Array.from(card.transmit(undefined as unknown as Uint8Array))).toEqual([0x67, 0x00]);
    expect(Array.from(card.transmit([0, 0xa4, 0, 0] as unknown as Uint8Array))).toEqual([0x67, 0x00]);
  });
});
