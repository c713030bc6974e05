import { PinFormatError, PinPolicyError } from './errors.js';
import type { PinFormatProblem } from './errors.js';
import { PIN_MAX_TRY_LIMIT, checkPinDigits, definePinPolicy, pinDigits } from './policy.js';
import type { PinPolicy } from './policy.js';
import { assertPinRecord, checkPinRecord } from './record.js';
import type { PinRecord, PinStore } from './record.js';
import { PinReference } from './reference.js';
import { checkAnyPinPolicy, initialPinMatches, isSealedPinPolicy, sealPinPolicy } from './sealed-policy.js';
import type { AnyPinPolicy } from './sealed-policy.js';
import { createPinVerifier, pinMatchesVerifier } from './verifier.js';
import type { PinVerifier } from './record.js';

/** Outcome of presenting a PIN. `triesLeft` 0 on 'incorrect' means this try blocked the PIN (63C0). */
export type VerifyResult =
  { ok: true } | { ok: false; reason: 'incorrect'; triesLeft: number } | { ok: false; reason: 'blocked' };

/** Outcome of a cardholder PIN change. */
export type ChangeResult =
  | VerifyResult
  /** One of the PINs has the wrong shape (`pin` says which); nothing was spent or changed. */
  | { ok: false; reason: 'format'; pin: 'old' | 'new'; problem: PinFormatProblem }
  /** The policy forbids going back to the initial PIN; the old PIN was right and its try restored. */
  | { ok: false; reason: 'initial-forbidden' };

/*
 * The outcomes a verify returns, made once: results are read, never changed (they are frozen), and
 * a VERIFY on the card then allocates nothing for its answer.
 */
const MATCHED: VerifyResult = Object.freeze({ ok: true });
const BLOCKED: VerifyResult = Object.freeze({ ok: false, reason: 'blocked' });
const INCORRECT: readonly VerifyResult[] = Array.from({ length: PIN_MAX_TRY_LIMIT + 1 }, (_, triesLeft) =>
  Object.freeze({ ok: false, reason: 'incorrect', triesLeft } as const),
);

function incorrect(triesLeft: number): VerifyResult {
  return INCORRECT[triesLeft] ?? { ok: false, reason: 'incorrect', triesLeft };
}

export interface PinStatus {
  triesLeft: number;
  tryLimit: number;
  blocked: boolean;
  /** Volatile: the right PIN was presented since the last reset / clearVerified / failed try. */
  verified: boolean;
  initial: boolean;
}

/**
 * One PIN: a pure state machine over a durable record held by a PinStore. No I/O of its own.
 *
 * Rules (the card's observable behaviour):
 * - verify: a malformed candidate (length outside the policy, non-digit) throws PinFormatError
 *   before anything is spent, matching a card that rejects the data with 6700/6A80 without
 *   touching its counter. Format is checked before the blocked state, as a card checks the
 *   command data before acting on it. A blocked PIN answers 'blocked' and saves nothing, even
 *   for the right value. Otherwise the decremented counter is saved first (if that save throws,
 *   the error propagates and the try stays spent: nothing is compared, nothing refunded), then
 *   the candidate is compared in constant time, and only a match saves the full counter back.
 * - verified is volatile (never in the record). It is cleared when a try is spent (so a failed or
 *   torn verify leaves it false), by a blocked answer, by clearVerified(), reload() and unblock();
 *   it is set only after a match whose counter restore has been saved.
 * - The record's tryLimit (fixed at personalisation) is authoritative for the counter; the
 *   policy's tryLimit is what create() personalises with.
 * - initial flag: create() and reload() are issuer-set values and set it to (pin === policy's
 *   initialPin); a successful cardholder change() always clears it, even when the new digits
 *   equal the initial ones (allowed only without forbidReturnToInitial). So it is true exactly
 *   until a successful change, or again after the issuer reloads the initial value.
 * - The policy may be sealed (SealedPinPolicy): the initial PIN is then recognised through its
 *   salted verifier, with the same results; create() then needs the PIN to personalise with.
 * - Comparisons: the record's salted verifier is what the store keeps (and an image writes); the
 *   engine compares against a PinReference held in memory, made when it sets the PIN (create,
 *   change, reload) or learnt at the first match against the verifier (an engine opened over a
 *   saved record). The reference is tied to the verifier it stands for: a record whose verifier
 *   changed behind the engine is compared through the verifier again.
 */
export class Pin {
  readonly policy: AnyPinPolicy;
  readonly #store: PinStore;
  #verified = false;
  #reference: PinReference | undefined;
  /** The verifier MAC (hex) `#reference` stands for. */
  #referenceMac: string | undefined;
  /** The verifier of the last record loaded (its hex already checked). */
  #checkedVerifier: PinVerifier | undefined;
  /** The stored record last checked, for a store that lends its record (PinStore.borrow). */
  #borrowed: Readonly<PinRecord> | undefined;

  constructor(policy: AnyPinPolicy, store: PinStore) {
    this.policy = checkAnyPinPolicy(policy);
    this.#store = store;
    // Fail now, by name, on a missing or damaged record rather than at the first command.
    this.#load();
  }

  /**
   * Personalises `store` with a full counter and a verifier for `pin` (default: a clear policy's
   * initialPin; a sealed policy needs `pin`), then returns the engine.
   */
  static create(policy: AnyPinPolicy, store: PinStore, pin?: string | Uint8Array): Pin {
    const checked = checkAnyPinPolicy(policy);
    if (pin === undefined && isSealedPinPolicy(checked)) {
      throw new PinPolicyError(
        'initialPin',
        'a sealed PIN policy holds no initial PIN: give the PIN to personalise with',
      );
    }
    const digits = pinDigits(pin ?? (checked as { initialPin: string }).initialPin, checked);
    try {
      return Pin.#personalize(checked, store, digits, initialPinMatches(checked, digits), createPinVerifier(digits));
    } finally {
      digits.fill(0);
    }
  }

  /**
   * create() for a clear policy kept sealed (sealPinPolicy): the engine's `policy` holds the
   * initial PIN only as its salted verifier. Personalised with the initial PIN (the default), the
   * record's verifier is the policy's own: one salted MAC in all, where sealing and then create()
   * take three (the record's `initial` flag already says that the two PINs are the same).
   */
  static createSealed(policy: Partial<PinPolicy>, store: PinStore, pin?: string | Uint8Array): Pin {
    const clear = definePinPolicy(policy);
    const sealed = sealPinPolicy(clear);
    const digits = pinDigits(pin ?? clear.initialPin, clear);
    try {
      const initial = initialPinMatches(clear, digits);
      const verifier = initial ? sealed.initialPinVerifier : createPinVerifier(digits);
      return Pin.#personalize(sealed, store, digits, initial, verifier);
    } finally {
      digits.fill(0);
    }
  }

  static #personalize(
    policy: AnyPinPolicy,
    store: PinStore,
    digits: Uint8Array,
    initial: boolean,
    verifier: PinVerifier,
  ): Pin {
    store.save({
      tryLimit: policy.tryLimit,
      triesLeft: policy.tryLimit,
      initial,
      verifier: { salt: verifier.salt, mac: verifier.mac },
    });
    const engine = new Pin(policy, store);
    engine.#learn(digits, verifier);
    return engine;
  }

  status(): PinStatus {
    const record = this.#load();
    return {
      triesLeft: record.triesLeft,
      tryLimit: record.tryLimit,
      blocked: record.triesLeft === 0,
      verified: this.#verified,
      initial: record.initial,
    };
  }

  verify(candidate: string | Uint8Array): VerifyResult {
    // Digit bytes are compared where the caller holds them (checked, never kept, never wiped:
    // they are the caller's; a VERIFY on the card spares a copy per try); a string is copied into
    // bytes that are wiped afterwards.
    if (candidate instanceof Uint8Array) {
      checkPinDigits(candidate, this.policy);
      return this.#verifyDigits(candidate);
    }
    const digits = pinDigits(candidate, this.policy);
    try {
      return this.#verifyDigits(digits);
    } finally {
      digits.fill(0);
    }
  }

  /**
   * Cardholder change. The new PIN's format is checked first, then the old one's (a 'format'
   * answer spends nothing). The old PIN then goes through exactly the verify path: a wrong old PIN
   * spends a try, a blocked PIN answers 'blocked'. A forbidden return to the initial PIN is
   * checked after that verify, so the right old PIN has already had its try restored and the
   * refusal costs the cardholder nothing; verified stays set by that successful comparison.
   */
  change(oldPin: string | Uint8Array, newPin: string | Uint8Array): ChangeResult {
    let next: Uint8Array;
    try {
      next = pinDigits(newPin, this.policy);
    } catch (error) {
      if (error instanceof PinFormatError) return { ok: false, reason: 'format', pin: 'new', problem: error.problem };
      throw error;
    }
    let old: Uint8Array | undefined;
    try {
      try {
        old = pinDigits(oldPin, this.policy);
      } catch (error) {
        if (error instanceof PinFormatError) return { ok: false, reason: 'format', pin: 'old', problem: error.problem };
        throw error;
      }
      const proof = this.#verifyDigits(old);
      if (!proof.ok) return proof;
      if (this.policy.forbidReturnToInitial && initialPinMatches(this.policy, next)) {
        return { ok: false, reason: 'initial-forbidden' };
      }
      const record = this.#load();
      const verifier = createPinVerifier(next);
      this.#store.save({ tryLimit: record.tryLimit, triesLeft: record.tryLimit, initial: false, verifier });
      this.#learn(next, verifier);
      return { ok: true };
    } finally {
      next.fill(0);
      old?.fill(0);
    }
  }

  /**
   * Service-window reload (the caller has checked the issuer's authorisation): sets `newPin`,
   * restores the counter (unblocking), and marks the PIN initial iff it equals the policy's
   * initialPin. forbidReturnToInitial binds the cardholder only, not the issuer.
   */
  reload(newPin: string | Uint8Array): void {
    const digits = pinDigits(newPin, this.policy);
    try {
      const record = this.#load();
      this.#verified = false;
      const verifier = createPinVerifier(digits);
      this.#store.save({
        tryLimit: record.tryLimit,
        triesLeft: record.tryLimit,
        initial: initialPinMatches(this.policy, digits),
        verifier,
      });
      this.#learn(digits, verifier);
    } finally {
      digits.fill(0);
    }
  }

  /**
   * Service-window unblock (issuer-authorised by the caller): restores the counter; with `newPin`
   * it also sets a new PIN exactly as reload() does, without it the PIN and initial flag stay.
   */
  unblock(newPin?: string | Uint8Array): void {
    if (newPin !== undefined) {
      this.reload(newPin);
      return;
    }
    const record = this.#load();
    this.#verified = false;
    this.#store.save({ ...record, verifier: { ...record.verifier }, triesLeft: record.tryLimit });
  }

  /**
   * Issuer-authorised unblock that also needs the holder's current PIN (the bank PIN at a branch):
   * `candidate` is format-checked (PinFormatError, nothing spent), then compared in constant time
   * with the reference, blocked or not. A match restores the counter (saved) and keeps the PIN; a
   * mismatch saves nothing and spends no try: the answer carries the unchanged counter. Unlike
   * verify this is no cardholder path (the caller has checked the issuer's MAC first), so a wrong
   * PIN here cannot block anything; verified stays false either way.
   */
  unblockWithPin(candidate: string | Uint8Array): VerifyResult {
    const digits = pinDigits(candidate, this.policy);
    try {
      const record = this.#load();
      this.#verified = false;
      if (!this.#matches(record.verifier, digits)) {
        return { ok: false, reason: 'incorrect', triesLeft: record.triesLeft };
      }
      if (record.triesLeft !== record.tryLimit) {
        this.#store.save({ ...record, verifier: { ...record.verifier }, triesLeft: record.tryLimit });
      }
      return { ok: true };
    } finally {
      digits.fill(0);
    }
  }

  /**
   * Whether `candidate` is the PIN now set, compared in constant time, spending and restoring
   * nothing. Issuer-authorised only (the caller has checked the issuer's MAC): it lets a PIN
   * change script that was already applied be applied again as a no-op, so a terminal that lost
   * the card's answer can resend it. A malformed candidate is PinFormatError.
   */
  isCurrent(candidate: string | Uint8Array): boolean {
    const digits = pinDigits(candidate, this.policy);
    try {
      return this.#matches(this.#load().verifier, digits);
    } finally {
      digits.fill(0);
    }
  }

  /** Ends the security state (reset, power-off, selection of another application). */
  clearVerified(): void {
    this.#verified = false;
  }

  #load(): Readonly<PinRecord> {
    const store = this.#store;
    if (store.borrow !== undefined) {
      // The store's own record, read and never changed here: checked once per object it stores.
      const stored = store.borrow();
      if (stored !== this.#borrowed) {
        assertPinRecord(stored, this.#checkedVerifier);
        this.#borrowed = stored;
        this.#checkedVerifier = stored.verifier;
      }
      return stored;
    }
    // The verifier's hex is checked once: a record carrying the strings already checked needs
    // only its counter and flag checked again.
    const record = checkPinRecord(this.#store.load(), this.#checkedVerifier);
    this.#checkedVerifier = record.verifier;
    return record;
  }

  /** Constant-time comparison with the PIN the record's verifier stands for. */
  #matches(verifier: PinVerifier, digits: Uint8Array): boolean {
    if (this.#reference !== undefined && verifier.mac === this.#referenceMac) return this.#reference.matches(digits);
    if (!pinMatchesVerifier(verifier, digits)) return false;
    this.#learn(digits, verifier);
    return true;
  }

  #learn(digits: Uint8Array, verifier: PinVerifier): void {
    this.#reference = new PinReference(digits);
    this.#referenceMac = verifier.mac;
  }

  #verifyDigits(digits: Uint8Array): VerifyResult {
    const record = this.#load();
    this.#verified = false;
    if (record.triesLeft === 0) return BLOCKED;
    const triesLeft = record.triesLeft - 1;
    // Durable before the comparison: a card pulled after this line has lost the try.
    this.#saveTriesLeft(record, triesLeft);
    if (!this.#matches(record.verifier, digits)) return incorrect(triesLeft);
    this.#saveTriesLeft(record, record.tryLimit);
    this.#verified = true;
    return MATCHED;
  }

  /** Saves `record` with another counter: as a counter delta when the store takes one. */
  #saveTriesLeft(record: Readonly<PinRecord>, triesLeft: number): void {
    if (this.#store.saveTriesLeft === undefined) {
      this.#store.save({ ...record, verifier: { ...record.verifier }, triesLeft });
      return;
    }
    const saved = this.#store.saveTriesLeft(triesLeft);
    // The record this store now lends: the one last checked, with a counter in its range.
    if (saved !== undefined && this.#borrowed !== undefined) this.#borrowed = saved;
  }
}
