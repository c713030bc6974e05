import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { concatBytes, decodeCommand, decodeResponse, encodeCommand, fromHex } from '../../src/apdu/index.js';
import { buildSscCard, samplePerson, type SimulatedCard } from '../../src/card-sim/index.js';

/*
 * ISO 7816-4: a command without an Le field expects no response data (Ne = 0). On T=1 the card
 * answers such a command with the status word alone, whatever the command and the card's state;
 * on T=0 a case 3 command's data is announced with 61xx instead (the protocol cannot tell case 3
 * from case 4 on the wire), which is the one exception.
 */

const PEOPLE = ['zhang-wei', 'wang-yan'] as const;

/** Steps that put the card somewhere with data to give: applications, DFs, EFs, a verified PIN. */
const SETUPS = [
  [],
  ['00A404000F7378312E73682EC9E7BBE1B1A3D5CF'],
  ['00A404000F7378312E73682EC9E7BBE1B1A3D5CF', '0020000003123456', '00A4000C02DF10'],
  ['00A404000F7378312E73682EC9E7BBE1B1A3D5CF', '00A4000C02DF01'],
  ['00A4040008A000000333010101'],
  ['00A404000C504B492EC9E7BBE1B1A3D5CF', '00A404000C53532E434552542E41444631'],
].map((steps) => steps.map((s) => fromHex(s)));

/** Commands that answer data when asked with Le: each is also sent without it. */
const ANSWERING = [
  '00A404000F7378312E73682EC9E7BBE1B1A3D5CF', // SELECT SSSE (FCI)
  '00A404000E315041592E5359532E4444463031', // SELECT PSE (FCI)
  '00A4040008A000000333010101', // SELECT the PBOC application (FCI)
  '00A4000002DF02', // SELECT a DF by FID (FCI)
  '00A4000002EF05', // SELECT an EF by FID (FCI only when asked)
  '00A4000402EF05', // the FCP, asked by P2
  '00A40000023F00', // the MF
  '00880000100102030405060708A1A2A3A4A5A6A7A8', // INTERNAL AUTHENTICATE
  '80A80000028300', // GET PROCESSING OPTIONS
].map((s) => fromHex(s));

function card(person: (typeof PEOPLE)[number]): SimulatedCard {
  return buildSscCard(samplePerson(person), { powered: true });
}

/** Decodes as a command without Le (case 1 or 3), or undefined for bytes that are not one. */
function withoutLe(bytes: Uint8Array): boolean {
  try {
    return decodeCommand(bytes).ne === undefined;
  } catch {
    return false;
  }
}

const anyCommand = fc
  .record({
    cla: fc.constantFrom(0x00, 0x04, 0x80, 0x84, 0x0c, 0x90),
    ins: fc.oneof(
      fc.constantFrom(0xa4, 0xb0, 0xb2, 0xdc, 0x20, 0x24, 0x5e, 0x82, 0x84, 0x88, 0xa8, 0xc0, 0xca, 0xe2),
      fc.integer({ min: 0, max: 255 }),
    ),
    p1: fc.integer({ min: 0, max: 255 }),
    p2: fc.integer({ min: 0, max: 255 }),
    data: fc.uint8Array({ minLength: 0, maxLength: 40 }),
  })
  .map((c) => encodeCommand({ ...c }));

describe('a command without Le', () => {
  test.prop([fc.constantFrom(...PEOPLE), fc.constantFrom(...SETUPS), fc.constantFrom(...ANSWERING)], { numRuns: 40 })(
    'gets data with Le 00 and none without it on T=1 (the commands that answer data)',
    (person, setup, command) => {
      const asked = card(person);
      const bare = card(person);
      for (const step of setup) {
        asked.transmit(step);
        bare.transmit(step);
      }
      const withLe = decodeResponse(asked.transmit(concatBytes(command, Uint8Array.of(0x00))));
      const without = bare.transmit(command);
      if (withLe.sw === 0x9000) expect(withLe.data.length).toBeGreaterThan(0);
      expect(without).toHaveLength(2);
      // The command ran all the same: the same status word as with Le, 61xx aside.
      if (withLe.sw >> 8 !== 0x61) expect(decodeResponse(without).sw).toBe(withLe.sw);
    },
  );

  test.prop([
    fc.constantFrom(...PEOPLE),
    fc.constantFrom(...SETUPS),
    fc.array(anyCommand, { minLength: 1, maxLength: 8 }),
  ])('carries no data on T=1, whatever the command and the card state', (person, setup, commands) => {
    const c = card(person);
    for (const step of setup) c.transmit(step);
    for (const command of commands) {
      const answer = c.transmit(command);
      if (withoutLe(command)) expect(answer).toHaveLength(2);
    }
  });

  test.prop([fc.constantFrom(...PEOPLE), fc.constantFrom(...ANSWERING)])(
    'on T=0 an EF answers SELECT with 9000 alone; other answering commands announce their data with 61xx',
    (person, command) => {
      const c = buildSscCard(samplePerson(person), { powered: true, transmission: 'T=0' });
      c.transmit(fromHex('00A4040C0F7378312E73682EC9E7BBE1B1A3D5CF'));
      const sw = decodeResponse(c.transmit(command)).sw;
      const selectsEf = command[1] === 0xa4 && command[5] === 0xef;
      if (selectsEf) expect(sw).toBe(0x9000);
      else expect([0x61, 0x6a, 0x69]).toContain(sw >> 8);
    },
  );
});
