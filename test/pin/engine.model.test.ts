import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Pin, PinFormatError, definePinPolicy } from '../../src/pin/index.js';
import type { ChangeResult, PinPolicy, VerifyResult } from '../../src/pin/index.js';
import { expectThrowsClass } from '../support/throws.js';
import { LendingTearableStore, TearError, TearableStore, ascii } from './support.js';

/*
 * Model-based test: random command sequences run against the engine and against a small
 * reference model written independently of it (a plain object and the card's rules as stated in
 * the card profile). After every command the invariants are checked against both.
 */

/** The reference model: the PIN in clear, the counter, the flags. */
interface Model {
  policy: PinPolicy;
  pin: string;
  triesLeft: number;
  initial: boolean;
  verified: boolean;
}

interface Real {
  pin: Pin;
  store: TearableStore;
}

type PinCommand = fc.Command<Model, Real>;

/** A PIN drawn independently of the policy, fitted to the policy's bounds when used. */
interface PinSeed {
  digits: string; // 12 digits
  lengthPick: number;
}

function fit(seed: PinSeed, policy: PinPolicy): string {
  const span = policy.maxLength - policy.minLength + 1;
  return seed.digits.slice(0, policy.minLength + (seed.lengthPick % span));
}

/** A valid-format PIN different from the model's current one. */
function wrongPin(model: Model, seed: PinSeed): string {
  const guess = fit(seed, model.policy);
  if (guess !== model.pin) return guess;
  const last = guess.charCodeAt(guess.length - 1) - 0x30;
  return guess.slice(0, -1) + String((last + 1) % 10);
}

type NewPin = { kind: 'initial' } | { kind: 'seed'; seed: PinSeed };

function newPinValue(model: Model, next: NewPin): string {
  return next.kind === 'initial' ? model.policy.initialPin : fit(next.seed, model.policy);
}

function describeNew(next: NewPin): string {
  return next.kind === 'initial' ? 'initial' : `${next.seed.digits}/${next.seed.lengthPick}`;
}

const digits12 = fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 12, maxLength: 12 });
const pinSeed: fc.Arbitrary<PinSeed> = fc.record({ digits: digits12, lengthPick: fc.nat({ max: 8 }) });
const newPinArb: fc.Arbitrary<NewPin> = fc.oneof(
  fc.constant<NewPin>({ kind: 'initial' }),
  pinSeed.map((seed): NewPin => ({ kind: 'seed', seed })),
);

// ---- reference rules (the model's side of every command) ----

function modelVerify(m: Model, candidate: string): VerifyResult {
  m.verified = false;
  if (m.triesLeft === 0) return { ok: false, reason: 'blocked' };
  if (candidate === m.pin) {
    m.triesLeft = m.policy.tryLimit;
    m.verified = true;
    return { ok: true };
  }
  m.triesLeft -= 1;
  return { ok: false, reason: 'incorrect', triesLeft: m.triesLeft };
}

function modelChange(m: Model, oldPin: string, newPin: string): ChangeResult {
  const proof = modelVerify(m, oldPin);
  if (!proof.ok) return proof;
  if (m.policy.forbidReturnToInitial && newPin === m.policy.initialPin) {
    return { ok: false, reason: 'initial-forbidden' };
  }
  m.pin = newPin;
  m.initial = false;
  return { ok: true };
}

function modelReload(m: Model, newPin: string): void {
  m.pin = newPin;
  m.triesLeft = m.policy.tryLimit;
  m.initial = newPin === m.policy.initialPin;
  m.verified = false;
}

// ---- invariants checked after every command ----

function checkInvariants(m: Model, r: Real): void {
  const status = r.pin.status();
  const record = r.store.peek();
  expect(r.store.armed, 'no tear left armed').toBe(false);
  expect(status.tryLimit).toBe(m.policy.tryLimit);
  expect(status.triesLeft).toBeGreaterThanOrEqual(0);
  expect(status.triesLeft).toBeLessThanOrEqual(status.tryLimit);
  expect(status.blocked).toBe(status.triesLeft === 0);
  expect(status.triesLeft, 'reported triesLeft equals the model').toBe(m.triesLeft);
  expect(record.triesLeft, 'durable triesLeft equals the model').toBe(m.triesLeft);
  expect(status.initial, 'initial flag').toBe(m.initial);
  expect(record.initial).toBe(m.initial);
  expect(status.verified, 'verified flag').toBe(m.verified);
  if (status.blocked) expect(status.verified).toBe(false);
}

// ---- commands ----

/**
 * Every command may run in any state (the engine must answer each one as the model does), and
 * the invariants are checked after each.
 */
abstract class ModelCommand implements PinCommand {
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    this.apply(m, r);
    checkInvariants(m, r);
  }
  abstract apply(m: Model, r: Real): void;
  abstract toString(): string;
}

/** A command that presents a PIN: the current one (`right`), or a wrong one made from `seed`. */
abstract class PresentingCommand extends ModelCommand {
  constructor(
    readonly right: boolean,
    readonly seed: PinSeed,
  ) {
    super();
  }
  /** The PIN presented, in the model's state when the command runs. */
  protected presented(m: Model): string {
    return this.right ? m.pin : wrongPin(m, this.seed);
  }
}

class VerifyCommand extends PresentingCommand {
  constructor(
    right: boolean,
    seed: PinSeed,
    readonly asBytes: boolean,
  ) {
    super(right, seed);
  }
  apply(m: Model, r: Real): void {
    const candidate = this.presented(m);
    const expected = modelVerify(m, candidate);
    expect(r.pin.verify(this.asBytes ? ascii(candidate) : candidate)).toEqual(expected);
  }
  toString(): string {
    return `Verify(${this.right ? 'right' : `wrong:${this.seed.digits}/${this.seed.lengthPick}`}${this.asBytes ? ',bytes' : ''})`;
  }
}

/** CHANGE with the right or a wrong old PIN. */
class ChangeCommand extends PresentingCommand {
  constructor(
    right: boolean,
    seed: PinSeed,
    readonly next: NewPin,
  ) {
    super(right, seed);
  }
  apply(m: Model, r: Real): void {
    const oldPin = this.presented(m);
    const newPin = newPinValue(m, this.next);
    const expected = modelChange(m, oldPin, newPin);
    expect(r.pin.change(oldPin, newPin)).toEqual(expected);
  }
  toString(): string {
    return `Change(${this.right ? 'right' : 'wrong'} -> ${describeNew(this.next)})`;
  }
}

class QueryCommand extends ModelCommand {
  apply(m: Model, r: Real): void {
    expect(r.pin.status()).toEqual({
      triesLeft: m.triesLeft,
      tryLimit: m.policy.tryLimit,
      blocked: m.triesLeft === 0,
      verified: m.verified,
      initial: m.initial,
    });
  }
  toString(): string {
    return 'Query';
  }
}

class ClearVerifiedCommand extends ModelCommand {
  apply(m: Model, r: Real): void {
    m.verified = false;
    r.pin.clearVerified();
  }
  toString(): string {
    return 'ClearVerified';
  }
}

class ReloadCommand extends ModelCommand {
  constructor(readonly next: NewPin) {
    super();
  }
  apply(m: Model, r: Real): void {
    const newPin = newPinValue(m, this.next);
    modelReload(m, newPin);
    r.pin.reload(newPin);
  }
  toString(): string {
    return `Reload(${describeNew(this.next)})`;
  }
}

class UnblockCommand extends ModelCommand {
  constructor(readonly next: NewPin | undefined) {
    super();
  }
  apply(m: Model, r: Real): void {
    if (this.next === undefined) {
      m.triesLeft = m.policy.tryLimit;
      m.verified = false;
      r.pin.unblock();
    } else {
      const newPin = newPinValue(m, this.next);
      modelReload(m, newPin);
      r.pin.unblock(newPin);
    }
  }
  toString(): string {
    return `Unblock(${this.next === undefined ? '' : describeNew(this.next)})`;
  }
}

/** A candidate of the wrong shape: nothing may be spent or changed. */
class MalformedCommand extends ModelCommand {
  constructor(
    readonly op: 'verify' | 'change-old' | 'change-new' | 'reload',
    readonly shape: 'short' | 'long' | 'letter',
  ) {
    super();
  }
  apply(m: Model, r: Real): void {
    const { minLength, maxLength } = m.policy;
    const bad =
      this.shape === 'short'
        ? m.pin.slice(0, minLength - 1)
        : this.shape === 'long'
          ? m.pin + '0'.repeat(maxLength + 1 - m.pin.length)
          : 'x' + m.pin.slice(1);
    const problem = this.shape === 'letter' ? 'not-digits' : 'length';
    const before = r.store.saves;
    if (this.op === 'verify' || this.op === 'reload') {
      const error = expectThrowsClass(
        () => (this.op === 'verify' ? r.pin.verify(bad) : r.pin.reload(bad)),
        PinFormatError,
      );
      expect(error.problem).toBe(problem);
    } else {
      const result = this.op === 'change-new' ? r.pin.change(m.pin, bad) : r.pin.change(bad, m.pin);
      expect(result).toEqual({ ok: false, reason: 'format', pin: this.op === 'change-new' ? 'new' : 'old', problem });
    }
    expect(r.store.saves, 'a malformed PIN saves nothing').toBe(before);
  }
  toString(): string {
    return `Malformed(${this.op},${this.shape})`;
  }
}

/**
 * The card is pulled during the `atSave`-th save of a verify: with `durable` just after the
 * write completed, otherwise during it (nothing written).
 */
class TearVerifyCommand extends PresentingCommand {
  constructor(
    right: boolean,
    seed: PinSeed,
    readonly atSave: 1 | 2,
    readonly durable: boolean,
  ) {
    super(right, seed);
  }
  apply(m: Model, r: Real): void {
    const candidate = this.presented(m);
    const durableBefore = r.store.peek().triesLeft;
    r.store.armTear(this.atSave - 1, this.durable);
    if (m.triesLeft === 0 || (this.atSave === 2 && !this.right)) {
      // Blocked: nothing is saved. Wrong PIN: only the spend is saved. Either way the tear never fires.
      expect(r.pin.verify(candidate)).toEqual(modelVerify(m, candidate));
      r.store.disarm();
    } else if (this.atSave === 1) {
      expectThrowsClass(() => r.pin.verify(candidate), TearError);
      m.verified = false;
      if (this.durable) {
        // The spend reached the store before the tear: the try is gone, right PIN or not.
        m.triesLeft -= 1;
        expect(r.store.peek().triesLeft, 'try spent before the compare and not refunded').toBe(durableBefore - 1);
      } else {
        expect(r.store.peek().triesLeft, 'a spend that never landed changes nothing').toBe(durableBefore);
      }
    } else {
      // Right PIN, torn at the restore: without the restore landing, the try stays spent.
      expectThrowsClass(() => r.pin.verify(candidate), TearError);
      m.verified = false;
      m.triesLeft = this.durable ? m.policy.tryLimit : m.triesLeft - 1;
      if (!this.durable) {
        expect(r.store.peek().triesLeft, 'try spent and not refunded').toBe(durableBefore - 1);
      }
    }
  }
  toString(): string {
    return `TearVerify(${this.right ? 'right' : 'wrong'},save#${this.atSave},${this.durable ? 'after-write' : 'in-write'})`;
  }
}

/** The card is pulled during the `atSave`-th save of a change with the right old PIN. */
class TearChangeCommand extends ModelCommand {
  constructor(
    readonly atSave: 1 | 2 | 3,
    readonly durable: boolean,
    readonly next: NewPin,
  ) {
    super();
  }
  apply(m: Model, r: Real): void {
    const newPin = newPinValue(m, this.next);
    const forbidden = m.policy.forbidReturnToInitial && newPin === m.policy.initialPin;
    r.store.armTear(this.atSave - 1, this.durable);
    if (m.triesLeft === 0 || (this.atSave === 3 && forbidden)) {
      expect(r.pin.change(m.pin, newPin)).toEqual(modelChange(m, m.pin, newPin));
      r.store.disarm();
    } else {
      expectThrowsClass(() => r.pin.change(m.pin, newPin), TearError);
      if (this.atSave === 1) {
        m.verified = false;
        if (this.durable) m.triesLeft -= 1;
      } else if (this.atSave === 2) {
        m.verified = false;
        m.triesLeft = this.durable ? m.policy.tryLimit : m.triesLeft - 1;
      } else {
        // Old PIN verified and its try restored; the new PIN is in effect only if its write landed.
        m.triesLeft = m.policy.tryLimit;
        m.verified = true;
        if (this.durable) {
          m.pin = newPin;
          m.initial = false;
        }
      }
    }
    checkInvariants(m, r);
    // Whatever tore, the PIN in effect is the model's: present the model's PIN and see the same answer.
    expect(r.pin.verify(m.pin)).toEqual(modelVerify(m, m.pin));
  }
  toString(): string {
    return `TearChange(save#${this.atSave},${this.durable ? 'after-write' : 'in-write'} -> ${describeNew(this.next)})`;
  }
}

// ---- arbitraries ----

const policyArb: fc.Arbitrary<PinPolicy> = fc
  .record({
    minLength: fc.integer({ min: 4, max: 12 }),
    extra: fc.integer({ min: 0, max: 3 }),
    tryLimit: fc.integer({ min: 1, max: 15 }),
    forbidReturnToInitial: fc.boolean(),
    initial: pinSeed,
  })
  .map(({ minLength, extra, tryLimit, forbidReturnToInitial, initial }) => {
    const maxLength = Math.min(12, minLength + extra);
    const initialPin = initial.digits.slice(0, minLength + (initial.lengthPick % (maxLength - minLength + 1)));
    return definePinPolicy({ minLength, maxLength, tryLimit, forbidReturnToInitial, initialPin });
  });

const commandArbs: fc.Arbitrary<PinCommand>[] = [
  fc.tuple(fc.boolean(), pinSeed, fc.boolean()).map(([right, seed, bytes]) => new VerifyCommand(right, seed, bytes)),
  pinSeed.map((seed) => new VerifyCommand(false, seed, false)),
  fc.tuple(fc.boolean(), pinSeed, newPinArb).map(([right, seed, next]) => new ChangeCommand(right, seed, next)),
  fc.constant(new QueryCommand()),
  fc.constant(new ClearVerifiedCommand()),
  newPinArb.map((next) => new ReloadCommand(next)),
  fc.option(newPinArb, { nil: undefined }).map((next) => new UnblockCommand(next)),
  fc
    .tuple(
      fc.constantFrom('verify' as const, 'change-old' as const, 'change-new' as const, 'reload' as const),
      fc.constantFrom('short' as const, 'long' as const, 'letter' as const),
    )
    .map(([op, shape]) => new MalformedCommand(op, shape)),
  fc
    .tuple(fc.boolean(), pinSeed, fc.constantFrom(1 as const, 2 as const), fc.boolean())
    .map(([right, seed, atSave, durable]) => new TearVerifyCommand(right, seed, atSave, durable)),
  fc
    .tuple(fc.constantFrom(1 as const, 2 as const, 3 as const), fc.boolean(), newPinArb)
    .map(([atSave, durable, next]) => new TearChangeCommand(atSave, durable, next)),
];

describe('Pin engine against the reference model', () => {
  // 'lending': a store that saves counters alone and lends its record, as the card's store does.
  it.each(['copying', 'lending'])(
    'keeps every invariant over random command sequences and policies (%s store)',
    (kind) => {
      fc.assert(
        fc.property(
          policyArb,
          fc.option(pinSeed, { nil: undefined }),
          fc.commands(commandArbs, { maxCommands: 40 }),
          (policy, startSeed, commands) => {
            const startPin = startSeed === undefined ? policy.initialPin : fit(startSeed, policy);
            const store = kind === 'lending' ? new LendingTearableStore() : new TearableStore();
            const setup = () => ({
              model: {
                policy,
                pin: startPin,
                triesLeft: policy.tryLimit,
                initial: startPin === policy.initialPin,
                verified: false,
              },
              real: { pin: Pin.create(policy, store, startPin), store },
            });
            fc.modelRun(setup, commands);
          },
        ),
        { numRuns: 300 },
      );
    },
  );
});
