import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { concatBytes, fromHex } from '../../src/apdu/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SimulatedCard,
  closeCardImage,
  inspectSscTree,
  loadCardImage,
  openCardImage,
  type CardState,
} from '../../src/card-sim/index.js';
import { cli } from '../cli/run-cli.js';
import { reportFigures, soakCount, soakTimeout } from '../soak.js';
import { SSSE_NAME, buildTestTree } from './fixtures.js';
import { saveSampleImage } from '../support/card-image.js';

/*
 * Model-based test of the application PIN and the security state, driven only through APDU bytes
 * (and power/reset), including tears: the persistence hook failing before or after the try is
 * spent, and restarting from the last persisted state.
 *
 * The command mix is weighted so that the interesting orders come up in almost every sequence:
 * the right PIN is presented often (so there is a verified state to lose), and leaving the
 * application and coming back, then probing the security state, is one command. Picked uniformly
 * from plain commands, "verify, select another application, come back, read" needed ~1000 runs
 * to turn up; with this mix a card that keeps the PIN verified across an application change
 * fails within the first few runs.
 */

const TRY_LIMIT = 3;
const PINS = ['123456', '654321', '111111', '909090'] as const;

type App = 'none' | 'ssse' | 'bank';

interface Model {
  pin: string;
  tries: number;
  verified: boolean;
  app: App;
}

class Real {
  card!: SimulatedCard;
  persisted!: CardState;
  calls = 0;
  failAtCall: number | undefined;

  constructor() {
    this.attach(new SimulatedCard({ tree: buildTestTree(), powered: true, onDurableChange: (s) => this.persist(s) }));
  }

  attach(card: SimulatedCard): void {
    this.card = card;
    this.persisted = card.exportState();
  }

  persist(state: CardState): void {
    this.calls += 1;
    if (this.failAtCall !== undefined && this.calls >= this.failAtCall) throw new Error('power lost');
    this.persisted = JSON.parse(JSON.stringify(state)) as CardState;
  }

  sw(hexApdu: string | Uint8Array): number {
    const out = this.card.transmit(typeof hexApdu === 'string' ? fromHex(hexApdu) : hexApdu);
    return ((out[out.length - 2] as number) << 8) | (out[out.length - 1] as number);
  }

  persistedTries(): number {
    return (this.persisted.mf.children[0] as { pins: { record: { triesLeft: number } }[] }).pins[0]!.record.triesLeft;
  }
}

const SELECT_SSSE = concatBytes(fromHex('00A4040C'), Uint8Array.of(SSSE_NAME.length), SSSE_NAME);

function triesSw(n: number): number {
  return 0x63c0 | n;
}

/** What VERIFY / CHANGE do to the model when the PIN is reachable and not blocked. */
function present(m: Model, candidate: string): number {
  if (m.tries === 0) {
    m.verified = false;
    return 0x6983;
  }
  if (candidate === m.pin) {
    m.tries = TRY_LIMIT;
    m.verified = true;
    return 0x9000;
  }
  m.tries -= 1;
  m.verified = false;
  return triesSw(m.tries);
}

function enterApp(m: Model, app: App): void {
  if (m.app !== app) m.verified = false;
  m.app = app;
}

function expectPersistedMatches(m: Model, r: Real): void {
  expect(r.persistedTries()).toBe(m.tries);
}

class SelectSsse implements fc.Command<Model, Real> {
  check = (): boolean => true;
  run(m: Model, r: Real): void {
    enterApp(m, 'ssse');
    expect(r.sw(SELECT_SSSE)).toBe(0x9000);
  }
  toString = (): string => 'SELECT SSSE';
}

class SelectOther implements fc.Command<Model, Real> {
  constructor(readonly target: 'mf' | 'bank') {}
  check = (): boolean => true;
  run(m: Model, r: Real): void {
    enterApp(m, this.target === 'mf' ? 'none' : 'bank');
    expect(r.sw(this.target === 'mf' ? '00A4000C023F00' : '00A4040C08A000000333010101')).toBe(0x9000);
  }
  toString = (): string => `SELECT ${this.target}`;
}

class Verify implements fc.Command<Model, Real> {
  constructor(readonly candidate: string) {}
  check = (): boolean => true;
  run(m: Model, r: Real): void {
    const got = r.sw(`0020000003${this.candidate}`);
    if (m.app !== 'ssse') {
      expect(got).toBe(0x6a88); // no PIN with reference 00 outside SSSE
    } else {
      expect(got).toBe(present(m, this.candidate));
    }
    expectPersistedMatches(m, r);
  }
  toString = (): string =>
    `VERIFY ${this.candidate === '123456' ? 'initial' : 'other'}(${this.candidate.slice(0, 2)}..)`;
}

/** SELECT SSSE (when elsewhere), then VERIFY with the PIN the model says is right now. */
class VerifyRight implements fc.Command<Model, Real> {
  check = (): boolean => true;
  run(m: Model, r: Real): void {
    if (m.app !== 'ssse') {
      enterApp(m, 'ssse');
      expect(r.sw(SELECT_SSSE)).toBe(0x9000);
    }
    expect(r.sw(`0020000003${m.pin}`)).toBe(present(m, m.pin));
    expectPersistedMatches(m, r);
  }
  toString = (): string => 'SELECT SSSE + VERIFY (right PIN)';
}

/**
 * Leave the SSSE for another application (or the MF), come back (by DF name, or by path into
 * DF10), and probe the security state: a PIN-protected read, or an empty VERIFY (9000 only while
 * verified). Leaving must have ended the security state.
 */
class LeaveAndReturn implements fc.Command<Model, Real> {
  constructor(
    readonly away: 'mf' | 'bank',
    readonly back: 'name' | 'path',
    readonly probe: 'read' | 'verify-empty',
  ) {}
  check = (): boolean => true;
  run(m: Model, r: Real): void {
    enterApp(m, this.away === 'mf' ? 'none' : 'bank');
    expect(r.sw(this.away === 'mf' ? '00A4000C023F00' : '00A4040C08A000000333010101')).toBe(0x9000);
    enterApp(m, 'ssse');
    expect(r.sw(this.back === 'name' ? SELECT_SSSE : '00A4080C045353DF10')).toBe(0x9000);
    if (this.probe === 'read') {
      if (this.back === 'name') expect(r.sw('00A4000C02DF10')).toBe(0x9000);
      expect(r.sw('00B2013C00')).toBe(m.verified ? 0x9000 : 0x6982);
    } else {
      expect(r.sw('0020000000')).toBe(m.tries === 0 ? 0x6983 : m.verified ? 0x9000 : triesSw(m.tries));
    }
  }
  toString = (): string => `SELECT ${this.away}, back to SSSE by ${this.back}, ${this.probe}`;
}

class VerifyEmpty implements fc.Command<Model, Real> {
  check = (m: Readonly<Model>): boolean => m.app === 'ssse';
  run(m: Model, r: Real): void {
    const expected = m.tries === 0 ? 0x6983 : m.verified ? 0x9000 : triesSw(m.tries);
    expect(r.sw('0020000000')).toBe(expected);
  }
  toString = (): string => 'VERIFY (empty)';
}

class Change implements fc.Command<Model, Real> {
  constructor(
    readonly oldPin: string,
    readonly newPin: string,
  ) {}
  check = (m: Readonly<Model>): boolean => m.app === 'ssse';
  run(m: Model, r: Real): void {
    const got = r.sw(`805E010007${this.oldPin}FF${this.newPin}`);
    const expected = present(m, this.oldPin);
    if (expected === 0x9000) m.pin = this.newPin;
    expect(got).toBe(expected);
    expectPersistedMatches(m, r);
  }
  toString = (): string => `CHANGE ${this.oldPin.slice(0, 2)}.. -> ${this.newPin.slice(0, 2)}..`;
}

class ReadProtected implements fc.Command<Model, Real> {
  check = (): boolean => true;
  run(m: Model, r: Real): void {
    // Select DF10 by path (inside SSSE), then read the PIN-protected allergy record.
    enterApp(m, 'ssse');
    expect(r.sw('00A4080C045353DF10')).toBe(0x9000);
    expect(r.sw('00B2013C00')).toBe(m.verified ? 0x9000 : 0x6982);
  }
  toString = (): string => 'READ RECORD (PIN-protected)';
}

class Reset implements fc.Command<Model, Real> {
  constructor(readonly kind: 'warm' | 'cold' | 'power') {}
  check = (): boolean => true;
  run(m: Model, r: Real): void {
    m.verified = false;
    m.app = 'none';
    if (this.kind === 'power') {
      r.card.powerOff();
      r.card.powerOn();
    } else {
      r.card.reset(this.kind);
    }
  }
  toString = (): string => `RESET ${this.kind}`;
}

/** The hook throws at the first (before the spend is durable) or second (after) write of a VERIFY. */
class TornVerify implements fc.Command<Model, Real> {
  constructor(
    readonly candidate: string,
    readonly failAt: 1 | 2,
  ) {}
  check = (m: Readonly<Model>): boolean => m.app === 'ssse';
  run(m: Model, r: Real): void {
    r.calls = 0;
    r.failAtCall = this.failAt;
    const got = r.sw(`0020000003${this.candidate}`);
    r.failAtCall = undefined;
    if (m.tries === 0) {
      expect(got).toBe(0x6983); // nothing is written for a blocked PIN
      m.verified = false;
    } else if (this.failAt === 1) {
      expect(got).toBe(0x6581); // the spend never became durable: nothing compared
      m.verified = false;
      m.app = 'none';
    } else if (this.candidate === m.pin) {
      expect(got).toBe(0x6581); // spent durably, the restore was lost
      m.tries -= 1;
      m.verified = false;
      m.app = 'none';
    } else {
      m.tries -= 1; // a wrong PIN writes once: the second write never comes
      m.verified = false;
      expect(got).toBe(triesSw(m.tries));
    }
    expectPersistedMatches(m, r);
  }
  toString = (): string => `TORN VERIFY ${this.candidate.slice(0, 2)}.. at write ${this.failAt}`;
}

/** Restart from the last persisted image: a new card built from it. */
class Reload implements fc.Command<Model, Real> {
  check = (): boolean => true;
  run(m: Model, r: Real): void {
    r.attach(
      SimulatedCard.fromState(JSON.parse(JSON.stringify(r.persisted)), {
        powered: true,
        onDurableChange: (s) => r.persist(s),
      }),
    );
    m.verified = false;
    m.app = 'none';
    expect(r.sw(SELECT_SSSE)).toBe(0x9000);
    m.app = 'ssse';
    expect(r.sw('0020000000')).toBe(m.tries === 0 ? 0x6983 : triesSw(m.tries));
  }
  toString = (): string => 'RELOAD FROM IMAGE';
}

const pinArb = fc.constantFrom(...PINS);
const leaveAndReturnArb = fc
  .tuple(
    fc.constantFrom('mf' as const, 'bank' as const),
    fc.constantFrom('name' as const, 'path' as const),
    fc.constantFrom('read' as const, 'verify-empty' as const),
  )
  .map(([away, back, probe]) => new LeaveAndReturn(away, back, probe));
/** Each entry is equally likely; repeating one is how it gets more weight. */
const commands = [
  fc.constant(new SelectSsse()),
  fc.constantFrom(new SelectOther('mf'), new SelectOther('bank')),
  fc.constantFrom(new SelectOther('mf'), new SelectOther('bank')),
  pinArb.map((p) => new Verify(p)),
  pinArb.map((p) => new Verify(p)),
  fc.constant(new VerifyRight()),
  fc.constant(new VerifyRight()),
  fc.constant(new VerifyRight()),
  fc.constant(new VerifyEmpty()),
  fc.tuple(pinArb, pinArb).map(([o, n]) => new Change(o, n)),
  fc.constant(new ReadProtected()),
  fc.constant(new ReadProtected()),
  leaveAndReturnArb,
  leaveAndReturnArb,
  leaveAndReturnArb,
  fc.constantFrom(new Reset('warm'), new Reset('cold'), new Reset('power')),
  fc.tuple(pinArb, fc.constantFrom(1 as const, 2 as const)).map(([p, at]) => new TornVerify(p, at)),
  fc.constant(new Reload()),
];

describe('application PIN and security state (model-based, APDU level)', () => {
  it('the card matches the model through verify, change, reads, resets, tears and reloads', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 20 }), (cmds) => {
        const setup = (): { model: Model; real: Real } => ({
          model: { pin: '123456', tries: TRY_LIMIT, verified: false, app: 'none' },
          real: new Real(),
        });
        fc.modelRun(setup, cmds);
      }),
      { numRuns: 150 },
    );
  });
});

/*
 * Guesses against comparisons: however a PIN is guessed (APDUs on one card across resets and power
 * losses, reopening the image file, restarting from it, the command line), a blocked PIN is never
 * compared again. With a try limit of 3, GUESSES guesses make exactly 3 comparisons: the first three
 * wrong guesses; every later one, the right PIN included, is 6983 without a comparison. A
 * comparison shows as 63Cx or 9000 (the try was spent first); 6983 means none happened.
 */
const GUESSES = soakCount(500, 10_000, 'guesses');

describe('PIN guesses against comparisons', () => {
  it(
    `${GUESSES} guesses across resets, reopened and restarted images and the command line: exactly 3 comparisons`,
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sscard-guesses-'));
      const path = join(dir, 'card.json');
      try {
        saveSampleImage(path, 'zhang-wei');
        let comparisons = 0;
        let blockedAnswers = 0;
        const count = (sw: string): void => {
          if (/^63C.$/.test(sw) || sw === '9000') comparisons += 1;
          else if (sw === '6983') blockedAnswers += 1;
          else throw new Error(`unexpected answer ${sw}`);
        };
        const rng = fc.sample(fc.tuple(fc.nat({ max: 999_999 }), fc.nat({ max: 99 })), {
          numRuns: GUESSES,
          seed: 7305,
        });
        let card = openCardImage(path, { powered: true });
        const selectSsse = (): void => void card.transmit(SELECT_SSSE);
        selectSsse();
        for (let i = 0; i < GUESSES; i++) {
          const [n, event] = rng[i] as [number, number];
          // Wrong guesses first; after three, the right PIN is among them too.
          const guess = i < 3 || n % 10 !== 0 ? String(n === 123456 ? 123457 : n).padStart(6, '0') : '123456';
          if (event < 2) card.reset('warm');
          else if (event < 4) card.reset('cold');
          else if (event < 6) {
            card.powerOff();
            card.powerOn();
          } else if (event < 9) {
            closeCardImage(card);
            card = openCardImage(path, { powered: true });
          } else if (event < 10) {
            closeCardImage(card);
            const run = await cli('apdu', '--card', path, toHexString(SELECT_SSSE), `0020000003${guess}`);
            count(/< ([0-9A-F]{4}) /.exec(run.stdout.split('\n')[3] ?? '')?.[1] ?? `none: ${run.stderr}`);
            card = openCardImage(path, { powered: true });
            selectSsse();
            continue;
          }
          selectSsse();
          const out = card.transmit(fromHex(`0020000003${guess}`));
          count(Buffer.from(out.subarray(-2)).toString('hex').toUpperCase());
        }
        closeCardImage(card);
        expect(comparisons).toBe(3);
        expect(blockedAnswers).toBe(GUESSES - 3);
        reportFigures('pin-guesses', { guesses: GUESSES, comparisons, blockedAnswers });
        expect(inspectSscTree(loadCardImage(path).tree).appPin).toMatchObject({ triesLeft: 0, blocked: true });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    soakTimeout(60_000, 1_200_000),
  );
});

function toHexString(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').toUpperCase();
}
