import { createHash, type Hash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { concatBytes, fromHex } from '../../src/apdu/index.js';
import {
  SimulatedCard,
  buildSscTree,
  exportState,
  importState,
  samplePerson,
  type CardState,
} from '../../src/card-sim/index.js';
import { send } from '../support/card-exchange.js';
import { buildTestTree, hex } from './fixtures.js';
import { reportFigures, soakCount, soakTimeout } from '../soak.js';
import { issuerChoice, sendIssuerCommand, type IssuerChoice } from './fuzz-issuer.js';

/*
 * Fuzzing the card OS through `transmit`, with what happens around a card in the field: resets,
 * power losses, saves that fail (the persistence hook throwing), and restarts from the last state
 * that was saved. APDUS_PER_MODE commands per transmission protocol (10,000 in all under `npm test`;
 * `npm run soak` sends 1,000,000 or more), in this mix:
 * - random bytes (any length up to 280);
 * - structure-aware: a known CLA and INS of the card's command set, random P1 P2 and body;
 * - mutated: a command of a real SSC session (SELECT, READ RECORD, VERIFY, CHANGE PIN, GET
 *   CHALLENGE, EXTERNAL AUTHENTICATE, UPDATE / APPEND RECORD, RELOAD PIN, PIN UNBLOCK, lifecycle,
 *   the PBOC application's PSE, GET PROCESSING OPTIONS, records and GET DATA, the PKI application,
 *   the PIN change script) with bytes flipped, cut or added;
 * - issuer commands with a good MAC (fuzz-issuer.ts): PIN UNBLOCK (MAC only, the project's and the
 *   PBOC PIN block, a block that does not decode), RELOAD PIN (challenge-bound, and the PBOC zero-IV
 *   form on a card that enables it), the PIN change script (and data that does not decode), for
 *   the SSSE and the bank PIN, with known and random PINs, one in ten with its MAC broken after all;
 * and, between commands, wrong PINs until a PIN is blocked, warm and cold resets, power-off, a
 * save that fails (also under a VERIFY in the SSSE, so the failure path is reached in every run),
 * and a restart from the saved state.
 * Checked: no exception ever leaves transmit; every answer is at least 2 bytes with a valid SW1; no
 * handler bug reaches the logger (6F00); after every sequence the card's state is a valid card
 * state (it survives importState and comes back identical), counters stay within their limits,
 * the card in memory is the one it last saved (a failed save rolled it back), and the MF can still
 * be selected (6A81 only on a card that a CARD BLOCK really blocked). After every exchange, on what
 * the card saved: a PIN's counter rises, or its reference data changes, only on a 9000 to VERIFY,
 * CHANGE PIN / CHANGE REFERENCE DATA, PIN UNBLOCK or RELOAD PIN, and a blocked PIN comes back only
 * through PIN UNBLOCK or RELOAD PIN with a good MAC (never through a random or mutated command).
 */

const APDUS_PER_MODE = soakCount(5_000, 500_000, 'fuzz');

/** Sequences per fc.assert call; the calls repeat until APDUS_PER_MODE commands were sent. */
const RUNS_PER_BATCH = 50;

/**
 * Each batch of sequences has its own seed, derived from the run's (FC_SEED, which replays it):
 * with the run's one seed for every batch, fast-check would generate the same sequences again and
 * again, and a million commands would be a few thousand sent many times over.
 */
function batchSeed(transmission: string, batch: number): number {
  const base = fc.readConfigureGlobal().seed ?? 0x5eed;
  return (base + batch * 7919 + (transmission === 'T=0' ? 104_729 : 0)) | 0;
}

/** SW1 values ISO 7816 allows in a response (60 is a procedure byte, not a status). */
function validSw1(sw1: number): boolean {
  return (sw1 >= 0x61 && sw1 <= 0x6f) || (sw1 >= 0x90 && sw1 <= 0x9f);
}

/** APDUs near the card's command set: known CLA/INS mostly, random parameters and bodies. */
const nearApdu = fc
  .tuple(
    fc.constantFrom(0x00, 0x80, 0x84, 0x04, 0x0c, 0xff, 0x10),
    fc.constantFrom(
      0xa4,
      0xb0,
      0xd6,
      0xb2,
      0xdc,
      0xe2,
      0x20,
      0x24,
      0x5e,
      0x84,
      0x82,
      0x88,
      0xca,
      0xa8,
      0xc0,
      0x00,
      0xb1,
      0x1e,
      0x18,
      0x16,
    ),
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 255 }),
    fc.uint8Array({ maxLength: 300 }),
  )
  .map(([cla, ins, p1, p2, tail]) => concatBytes(Uint8Array.of(cla, ins, p1, p2), tail));

/** Commands of real sessions with the SSC, as the seeds of the mutated ones. */
const SESSION = [
  '00A404000F7378312E73682EC9E7BBE1B1A3D5CF',
  '00A4040C0F7378312E73682EC9E7BBE1B1A3D5CF',
  '00A40000023F00',
  '00A4080C045353DF10',
  '00A4000C02DF02',
  '00A4040008A000000333010101',
  '00B2072C00',
  '00B2013400',
  '00B2013C00',
  '00B0950000',
  '0020000003123456',
  '0020000003999999',
  '0020000000',
  '002000800826123456FFFFFFFF',
  '805E010007123456FF654321',
  '0024000006123456654321',
  '0084000008',
  '0084000004',
  '00820001080102030405060708',
  '00880000080102030405060708',
  '80CA9F1700',
  '00E20038' + '55'.repeat(85),
  '04E2003859' + '55'.repeat(85) + '01020304',
  '805E00000712345601020304',
  '842400000401020304',
  '841E000004AABBCCDD',
  '8418000004AABBCCDD',
  '8416000004AABBCCDD',
  '00C0000006',
  // The PBOC side of a financial card: PSE, the application's processing options and records.
  '00A404000E315041592E5359532E444446303100',
  '00A4040008A00000033301010100',
  '80A8000002830000',
  '00B2010C00',
  '00B2011400',
  '80CA9F1300',
  '80CA9F3600',
  // The PKI application of a 3.00 card and its public key file; the hotline's PIN change script.
  '00A404000C504B492EC9E7BBE1B1A3D5CF',
  '00A404000C53532E434552542E41444631',
  '00A4020C020012',
  '00B0000042',
  '845E01001C' + 'A5'.repeat(24) + '01020304',
  '845E010034' + 'A5'.repeat(48) + '01020304',
].map(fromHex);

const mutatedApdu = fc
  .tuple(
    fc.constantFrom(...SESSION),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
    fc.constantFrom('flip', 'cut', 'add', 'as-is'),
    fc.uint8Array({ minLength: 1, maxLength: 8 }),
  )
  .map(([seed, flips, how, extra]) => {
    let bytes: Uint8Array = new Uint8Array(seed);
    for (const [at, value] of flips) bytes[at % bytes.length] = value;
    if (how === 'cut') bytes = bytes.subarray(0, (flips[0]?.[0] ?? 3) % (bytes.length + 1));
    if (how === 'add') bytes = concatBytes(bytes, extra);
    return bytes;
  });

type Step =
  | { kind: 'apdu'; bytes: Uint8Array }
  | { kind: 'issuer'; choice: IssuerChoice }
  | { kind: 'block'; bank: boolean }
  | { kind: 'warm' | 'cold' | 'power-off' | 'power-on' | 'fail-next-save' | 'restart' | 'torn-verify' };

const SELECT_SSSE = fromHex('00A4040C0F7378312E73682EC9E7BBE1B1A3D5CF');
const SELECT_BANK = fromHex('00A4040C08A000000333010101');
const WRONG_PIN = fromHex('0020000003999999');
const WRONG_BANK_PIN = fromHex('002000800826999999FFFFFFFF');

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.uint8Array({ maxLength: 280 }).map((bytes): Step => ({ kind: 'apdu', bytes })) },
  { weight: 10, arbitrary: nearApdu.map((bytes): Step => ({ kind: 'apdu', bytes })) },
  { weight: 12, arbitrary: mutatedApdu.map((bytes): Step => ({ kind: 'apdu', bytes })) },
  { weight: 3, arbitrary: issuerChoice.map((choice): Step => ({ kind: 'issuer', choice })) },
  // Wrong PINs until the PIN is blocked: the issuer commands then have a blocked PIN to restore.
  { weight: 1, arbitrary: fc.boolean().map((bank): Step => ({ kind: 'block', bank })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Step>({ kind: 'warm' }, { kind: 'cold' }, { kind: 'power-off' }, { kind: 'power-on' }),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Step>({ kind: 'fail-next-save' }, { kind: 'restart' }, { kind: 'torn-verify' }),
  },
);

/** Every counter of a state within its limit. */
function countersWithinLimits(state: CardState): boolean {
  let ok = true;
  const stack = [state.mf];
  for (let df = stack.pop(); df !== undefined; df = stack.pop()) {
    for (const p of df.pins)
      ok &&=
        p.record.triesLeft >= 0 && p.record.triesLeft <= p.record.tryLimit && p.record.tryLimit === p.policy.tryLimit;
    for (const k of df.keys) ok &&= k.triesLeft >= 0 && k.triesLeft <= k.tryLimit;
    for (const c of df.children) if (c.type === 'df') stack.push(c);
  }
  return ok;
}

/** Each PIN of a state: its tries left, and its reference data (what a PIN change changes). */
function pinsOf(state: CardState): Map<string, { triesLeft: number; reference: string }> {
  const pins = new Map<string, { triesLeft: number; reference: string }>();
  const walk = (df: CardState['mf'], path: string): void => {
    for (const p of df.pins) {
      const { triesLeft, verifier, initial } = p.record;
      pins.set(`${path}/${p.reference}`, { triesLeft, reference: JSON.stringify([verifier, initial]) });
    }
    for (const c of df.children) if (c.type === 'df') walk(c, `${path}/${c.fid}`);
  };
  walk(state.mf, '');
  return pins;
}

/**
 * The PIN invariants of one exchange, on what the card saved before and after it: a PIN's counter
 * goes up, or its reference data changes, only on a 9000 to VERIFY, CHANGE PIN or CHANGE
 * REFERENCE DATA, PIN UNBLOCK or RELOAD PIN; and a blocked PIN comes back only through PIN UNBLOCK
 * or RELOAD PIN with a MAC made with the card's key (`authorised`): no random or mutated command
 * ever forges one. Returns how many blocked PINs came back.
 */
function checkPinChange(
  before: CardState,
  after: CardState,
  command: Uint8Array,
  answer: Uint8Array,
  authorised: boolean,
): number {
  let restored = 0;
  if (before === after) return restored;
  const was = pinsOf(before);
  const swIs9000 = answer[answer.length - 2] === 0x90 && answer[answer.length - 1] === 0x00;
  const [cla, ins, p1] = [command[0], command[1], command[2]];
  for (const [where, now] of pinsOf(after)) {
    const old = was.get(where);
    if (old === undefined) continue;
    if (now.triesLeft > old.triesLeft || now.reference !== old.reference) {
      expect(
        swIs9000 && (ins === 0x20 || ins === 0x24 || ins === 0x5e),
        `PIN ${where} changed by ${hex(command)}`,
      ).toBe(true);
    }
    if (old.triesLeft === 0 && now.triesLeft > 0) {
      const issuerCommand = (cla === 0x84 && ins === 0x24) || (cla === 0x80 && ins === 0x5e && p1 === 0x00);
      expect(authorised && issuerCommand, `blocked PIN ${where} unblocked by ${hex(command)}`).toBe(true);
      restored += 1;
    }
  }
  return restored;
}

interface Rig {
  card: SimulatedCard;
  saved: CardState;
  failNext: boolean;
  bugs: string[];
}

function newRig(
  tree: () => ReturnType<typeof buildTestTree>,
  transmission: 'T=0' | 'T=1',
  extendedLength: boolean,
): Rig {
  const rig: Rig = {
    card: undefined as unknown as SimulatedCard,
    saved: undefined as unknown as CardState,
    failNext: false,
    bugs: [],
  };
  const attach = (card: SimulatedCard): void => {
    rig.card = card;
    rig.saved = card.exportState();
  };
  const options = {
    transmission,
    extendedLength,
    powered: true,
    logger: { error: (m: string) => rig.bugs.push(m) },
    onDurableChange: (state: CardState) => {
      if (rig.failNext) {
        rig.failNext = false;
        throw new Error('power lost while saving');
      }
      rig.saved = JSON.parse(JSON.stringify(state)) as CardState;
    },
  };
  attach(new SimulatedCard({ ...options, tree: tree() }));
  (rig as Rig & { restart: () => void }).restart = () =>
    attach(SimulatedCard.fromState(JSON.parse(JSON.stringify(rig.saved)), options));
  return rig;
}

describe('fuzzing transmit', () => {
  for (const transmission of ['T=1', 'T=0'] as const) {
    it(
      `${APDUS_PER_MODE} random, structure-aware and mutated APDUs with resets, power losses, failed saves and restarts (${transmission})`,
      () => {
        let sent = 0;
        let answered6581 = 0;
        // Issuer commands with a good MAC: how many, and how many the card carried out (9000).
        let issuerSent = 0;
        let issuerDone = 0;
        let blockedPinsRestored = 0;
        // What each batch generated, hashed: the batches must all differ.
        let batchDigest: Hash | undefined;
        const batches: string[] = [];
        // Each card is built once and every sequence starts from a copy of its state: personalizing
        // (an SM2 key pair for the 3.00 card) per sequence would cost more than the commands. The
        // last card takes the PBOC zero-IV RELOAD PIN (its personalization enables it).
        const zeroIv = samplePerson('wang-yan');
        zeroIv.pin = { ...zeroIv.pin, zeroIvReload: true };
        const states = [
          buildTestTree(),
          buildTestTree({ algorithm: 'sm4' }),
          buildSscTree(samplePerson('wang-yan')),
          buildSscTree(samplePerson('zhang-wei')),
          buildSscTree(zeroIv),
        ].map((tree) => JSON.stringify(exportState(tree)));
        const trees = states.map((state) => () => importState(JSON.parse(state) as CardState));
        const property = fc.property(
          fc.nat({ max: trees.length - 1 }),
          fc.boolean(),
          fc.array(step, { minLength: 1, maxLength: 60, size: 'max' }),
          (which, extendedLength, steps) => {
            const rig = newRig(
              trees[which] as () => ReturnType<typeof buildTestTree>,
              transmission,
              extendedLength,
            ) as Rig & { restart: () => void };
            const exchange = (bytes: Uint8Array, authorised: boolean): Uint8Array => {
              const before = rig.saved;
              const out = rig.card.transmit(bytes);
              sent += 1;
              expect(out).toBeInstanceOf(Uint8Array);
              expect(out.length).toBeGreaterThanOrEqual(2);
              expect(validSw1(out[out.length - 2] as number)).toBe(true);
              if (out[out.length - 2] === 0x65 && out[out.length - 1] === 0x81) answered6581 += 1;
              blockedPinsRestored += checkPinChange(before, rig.saved, bytes, out, authorised);
              return out;
            };
            for (const s of steps) {
              batchDigest?.update(s.kind === 'apdu' ? s.bytes : s.kind);
              if (s.kind === 'apdu') exchange(s.bytes, false);
              else if (s.kind === 'issuer') {
                if (!rig.card.powered) rig.card.powerOn();
                const state = rig.card.exportState();
                sendIssuerCommand(state, s.choice, {
                  transmit: (bytes, authorised) => {
                    const out = exchange(bytes, authorised);
                    if (authorised) {
                      issuerSent += 1;
                      if (out.length === 2 && out[0] === 0x90 && out[1] === 0x00) issuerDone += 1;
                    }
                    return out;
                  },
                  warmReset: () => rig.card.reset('warm'),
                });
              } else if (s.kind === 'block') {
                if (!rig.card.powered) rig.card.powerOn();
                exchange(s.bank ? SELECT_BANK : SELECT_SSSE, false);
                for (let i = 0; i < 4; i++) exchange(s.bank ? WRONG_BANK_PIN : WRONG_PIN, false);
              } else if (s.kind === 'warm' || s.kind === 'cold') rig.card.reset(s.kind);
              else if (s.kind === 'power-off') rig.card.powerOff();
              else if (s.kind === 'power-on') rig.card.powerOn();
              else if (s.kind === 'fail-next-save') rig.failNext = true;
              else if (s.kind === 'restart') rig.restart();
              else {
                // A VERIFY whose spent try cannot be saved: the power fails under the write.
                if (!rig.card.powered) rig.card.powerOn();
                rig.card.transmit(SELECT_SSSE);
                rig.failNext = true;
                const out = rig.card.transmit(fromHex('0020000003999999'));
                sent += 2;
                if (out[0] === 0x65 && out[1] === 0x81) answered6581 += 1;
              }
            }
            expect(rig.bugs).toEqual([]);
            const state = rig.card.exportState();
            // What the card holds is what it last saved: a failed save was rolled back.
            expect(state).toEqual(rig.saved);
            expect(exportState(importState(JSON.parse(JSON.stringify(state))))).toEqual(state);
            expect(countersWithinLimits(state)).toBe(true);
            if (!rig.card.powered) rig.card.powerOn();
            const mf = send(rig.card, '00A40000023F0000');
            if (state.cardBlocked) expect(mf.sw).toBe(0x6a81);
            else if (transmission === 'T=1') {
              expect(mf.sw).toBe(0x9000);
              expect(hex(mf.data)).toBe('6F0483023F00');
            } else {
              expect(mf.sw).toBe(0x6106);
              expect(hex(send(rig.card, '00C0000006').data)).toBe('6F0483023F00');
            }
          },
        );
        for (let batch = 0; sent < APDUS_PER_MODE; batch++) {
          batchDigest = createHash('sha256');
          fc.assert(property, { numRuns: RUNS_PER_BATCH, seed: batchSeed(transmission, batch) });
          batches.push(batchDigest.digest('hex'));
        }
        expect(sent).toBeGreaterThanOrEqual(APDUS_PER_MODE);
        // Every batch sent other commands (not the same sequences again under one seed).
        expect(batches.length).toBeGreaterThan(1);
        expect(new Set(batches).size).toBe(batches.length);
        // The mix did reach the failed-save path.
        expect(answered6581).toBeGreaterThan(0);
        // ... and past the MAC of the issuer's PIN commands.
        expect(issuerDone).toBeGreaterThan(0);
        // ... and blocked PINs restored by them (the rule on blocked PINs was put to the test).
        expect(blockedPinsRestored).toBeGreaterThan(0);
        reportFigures(`fuzz-${transmission}`, {
          apdus: sent,
          failedSaves: answered6581,
          issuerCommands: issuerSent,
          issuerCommandsDone: issuerDone,
          blockedPinsRestored,
          batches: batches.length,
        });
      },
      soakTimeout(120_000, 3_600_000),
    );
  }

  it('non-Uint8Array input from untyped callers is answered, not thrown', () => {
    const card = new SimulatedCard({ tree: buildTestTree(), powered: true });
    expect(Array.from(card.transmit(undefined as unknown as Uint8Array))).toEqual([0x67, 0x00]);
    expect(Array.from(card.transmit([0, 0xa4, 0, 0] as unknown as Uint8Array))).toEqual([0x67, 0x00]);
  });
});
