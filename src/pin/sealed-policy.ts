import { timingSafeEqual } from 'node:crypto';
import { PinPolicyError } from './errors.js';
import { checkPolicyRules, definePinPolicy, pinDigits } from './policy.js';
import type { PinPolicy, PinPolicyRules } from './policy.js';
import { pinVerifierProblem } from './record.js';
import type { PinVerifier } from './record.js';
import { createPinVerifier, pinMatchesVerifier } from './verifier.js';

/**
 * A PIN policy as a card keeps it once personalised: the same rules as PinPolicy, but the initial
 * PIN only as a salted verifier (HMAC-SHA256 with a random salt, like PinRecord.verifier). A card
 * still has to recognise the initial PIN after a save and a load (to refuse a return to it where
 * the region forbids that, and to set the "initial PIN in effect" flag on an issuer reload), yet
 * a saved image must not hold it in clear: with a custom initial PIN it is a per-card secret.
 * JSON-safe.
 */
export interface SealedPinPolicy extends PinPolicyRules {
  initialPinVerifier: PinVerifier;
}

/** A policy with the initial PIN in clear, or sealed. The PIN engine takes either. */
export type AnyPinPolicy = PinPolicy | SealedPinPolicy;

const SEALED_FIELDS: ReadonlySet<string> = new Set([
  'minLength',
  'maxLength',
  'tryLimit',
  'forbidReturnToInitial',
  'initialPinVerifier',
]);

/*
 * Sealed policies made or checked here: frozen through and through, so one that is passed back
 * (the engine checks its policy at every construction) needs no second check.
 */
const CHECKED: WeakSet<SealedPinPolicy> = new WeakSet();

function checked(policy: SealedPinPolicy): SealedPinPolicy {
  CHECKED.add(policy);
  return policy;
}

/** True for a sealed policy (it has an initial-PIN verifier and no initial PIN). */
export function isSealedPinPolicy(policy: AnyPinPolicy): policy is SealedPinPolicy {
  return typeof policy === 'object' && policy !== null && 'initialPinVerifier' in policy;
}

/**
 * The sealed form of `policy` (checked first): the initial PIN replaced by a verifier with a fresh
 * random salt. Frozen.
 */
export function sealPinPolicy(policy: PinPolicy): SealedPinPolicy {
  const clear = definePinPolicy(policy);
  const digits = Buffer.from(clear.initialPin, 'latin1');
  try {
    return checked(
      Object.freeze({
        minLength: clear.minLength,
        maxLength: clear.maxLength,
        tryLimit: clear.tryLimit,
        forbidReturnToInitial: clear.forbidReturnToInitial,
        initialPinVerifier: Object.freeze(createPinVerifier(digits)),
      }),
    );
  } finally {
    digits.fill(0);
  }
}

/**
 * Checks a sealed policy read back from storage and returns a frozen copy. Every problem is a
 * PinPolicyError whose `field` names it (e.g. 'initialPinVerifier.salt'); unknown fields,
 * including an `initialPin` in clear, are refused. Nothing is defaulted. A policy this module made
 * or checked before (frozen through) is returned as it is.
 */
export function validateSealedPinPolicy(value: unknown): SealedPinPolicy {
  if (CHECKED.has(value as SealedPinPolicy)) return value as SealedPinPolicy;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PinPolicyError('policy', 'sealed PIN policy must be an object');
  }
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!SEALED_FIELDS.has(key)) {
      throw new PinPolicyError(key, `sealed PIN policy has no field ${JSON.stringify(key)}`);
    }
  }
  for (const key of SEALED_FIELDS) {
    if (o[key] === undefined) throw new PinPolicyError(key, `sealed PIN policy needs ${key}`);
  }
  const rules = checkPolicyRules(o as Partial<PinPolicyRules>);
  const problem = pinVerifierProblem(o['initialPinVerifier']);
  if (problem !== undefined) {
    throw new PinPolicyError(
      `initialPinVerifier${problem.field}`,
      `sealed PIN policy initialPinVerifier${problem.field} ${problem.message}`,
    );
  }
  const v = o['initialPinVerifier'] as PinVerifier;
  return checked(Object.freeze({ ...rules, initialPinVerifier: Object.freeze({ salt: v.salt, mac: v.mac }) }));
}

/**
 * A checked, frozen copy of either kind of policy: definePinPolicy for a clear one,
 * validateSealedPinPolicy for a sealed one.
 */
export function checkAnyPinPolicy(policy: AnyPinPolicy): AnyPinPolicy {
  return isSealedPinPolicy(policy) ? validateSealedPinPolicy(policy) : definePinPolicy(policy);
}

/**
 * Whether ASCII digits that already fit the policy are its initial PIN, in constant time for a
 * given length: against the clear value, or against the sealed verifier.
 */
export function initialPinMatches(policy: AnyPinPolicy, asciiDigits: Uint8Array): boolean {
  if (isSealedPinPolicy(policy)) return pinMatchesVerifier(policy.initialPinVerifier, asciiDigits);
  const initial = Buffer.from(policy.initialPin, 'latin1');
  try {
    return initial.length === asciiDigits.length && timingSafeEqual(initial, asciiDigits);
  } finally {
    initial.fill(0);
  }
}

/**
 * Whether `pin` (a string of digits or ASCII digit bytes) is the policy's initial PIN. A value
 * that does not fit the policy's format is simply not the initial PIN (false, nothing thrown).
 */
export function matchesInitialPin(policy: AnyPinPolicy, pin: string | Uint8Array): boolean {
  let digits: Uint8Array;
  try {
    digits = pinDigits(pin, policy);
  } catch {
    return false;
  }
  try {
    return initialPinMatches(policy, digits);
  } finally {
    digits.fill(0);
  }
}
