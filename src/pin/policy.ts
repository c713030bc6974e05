import { PinFormatError, PinPolicyError } from './errors.js';

/** What a PIN must look like and how many wrong tries the card tolerates before it blocks. */
export interface PinPolicy {
  /** Fewest digits accepted (default 6). */
  minLength: number;
  /** Most digits accepted (default 6). */
  maxLength: number;
  /** The value the issuer sets at personalisation (default '123456'). Not a per-card secret. */
  initialPin: string;
  /** Wrong tries allowed before the PIN blocks, 1..15 (default 3). */
  tryLimit: number;
  /** Region flag: the cardholder may not change the PIN back to `initialPin` (default false). */
  forbidReturnToInitial: boolean;
}

/**
 * Project choice: PIN lengths are bounded to 4..12 digits because that is what an ISO 9564
 * format-2 PIN block (used by the issuer's PIN UNBLOCK) can carry; a policy outside it could
 * define PINs the service window cannot set.
 */
export const PIN_MIN_DIGITS = 4;
export const PIN_MAX_DIGITS = 12;
/** 63Cx reports the tries left in one nibble, so a counter above 15 could not be reported. */
export const PIN_MAX_TRY_LIMIT = 15;

export const DEFAULT_PIN_POLICY: PinPolicy = Object.freeze({
  minLength: 6,
  maxLength: 6,
  initialPin: '123456',
  tryLimit: 3,
  forbidReturnToInitial: false,
});

const POLICY_FIELDS: ReadonlySet<string> = new Set(Object.keys(DEFAULT_PIN_POLICY));

/** The part of a policy that says what a PIN must look like (all that format checks need). */
export type PinLengthRules = Pick<PinPolicy, 'minLength' | 'maxLength'>;

/** The policy fields other than the initial PIN, shared by PinPolicy and SealedPinPolicy. */
export type PinPolicyRules = Omit<PinPolicy, 'initialPin'>;

function checkInteger(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new PinPolicyError(field, `PIN policy ${field} must be an integer from ${min} to ${max}`);
  }
  return value;
}

/**
 * Builds a complete, frozen policy from defaults plus `partial`, and checks it. Every problem is a
 * PinPolicyError whose `field` names the bad field; unknown fields are rejected so a misspelt
 * option cannot silently fall back to a default. The initial PIN value never appears in messages.
 */
export function definePinPolicy(partial?: Partial<PinPolicy>): PinPolicy {
  if (partial !== undefined && (partial === null || typeof partial !== 'object')) {
    throw new PinPolicyError('policy', 'PIN policy must be an object');
  }
  const given: Partial<PinPolicy> = partial ?? {};
  for (const key of Object.keys(given)) {
    if (!POLICY_FIELDS.has(key)) {
      throw new PinPolicyError(key, `PIN policy has no field ${JSON.stringify(key)}`);
    }
  }
  const { minLength, maxLength, tryLimit, forbidReturnToInitial } = checkPolicyRules(given);
  const initialPin: unknown = given.initialPin ?? DEFAULT_PIN_POLICY.initialPin;
  if (typeof initialPin !== 'string') {
    throw new PinPolicyError('initialPin', 'PIN policy initialPin must be a string of digits');
  }
  if (initialPin.length < minLength || initialPin.length > maxLength) {
    throw new PinPolicyError('initialPin', `PIN policy initialPin must have ${lengthRule(minLength, maxLength)}`);
  }
  if (!/^[0-9]*$/.test(initialPin)) {
    throw new PinPolicyError('initialPin', 'PIN policy initialPin must contain only the digits 0-9');
  }
  return Object.freeze({ minLength, maxLength, initialPin, tryLimit, forbidReturnToInitial });
}

/**
 * Checks the policy fields other than the initial PIN (defaults filled in); every problem is a
 * PinPolicyError naming the field. Unknown fields are the caller's business.
 */
export function checkPolicyRules(given: Partial<PinPolicyRules>): PinPolicyRules {
  const minLength = checkInteger(
    'minLength',
    given.minLength ?? DEFAULT_PIN_POLICY.minLength,
    PIN_MIN_DIGITS,
    PIN_MAX_DIGITS,
  );
  const maxLength = checkInteger(
    'maxLength',
    given.maxLength ?? DEFAULT_PIN_POLICY.maxLength,
    PIN_MIN_DIGITS,
    PIN_MAX_DIGITS,
  );
  if (maxLength < minLength) {
    throw new PinPolicyError(
      'maxLength',
      `PIN policy maxLength (${maxLength}) must not be below minLength (${minLength})`,
    );
  }
  const tryLimit = checkInteger('tryLimit', given.tryLimit ?? DEFAULT_PIN_POLICY.tryLimit, 1, PIN_MAX_TRY_LIMIT);
  const forbidReturnToInitial = given.forbidReturnToInitial ?? DEFAULT_PIN_POLICY.forbidReturnToInitial;
  if (typeof forbidReturnToInitial !== 'boolean') {
    throw new PinPolicyError('forbidReturnToInitial', 'PIN policy forbidReturnToInitial must be a boolean');
  }
  return { minLength, maxLength, tryLimit, forbidReturnToInitial };
}

function lengthRule(min: number, max: number): string {
  return min === max ? `exactly ${min} digits` : `from ${min} to ${max} digits`;
}

/**
 * Checks `pin` against the policy and returns a fresh buffer of its ASCII digits, owned by the
 * caller, who must wipe it (`fill(0)`) after use. The caller's own Uint8Array is never kept or
 * modified. Length is checked before the characters, as a card checks Lc before the data.
 */
export function pinDigits(pin: string | Uint8Array, policy: PinLengthRules): Uint8Array {
  checkPinDigits(pin, policy);
  return typeof pin === 'string' ? Buffer.from(pin, 'latin1') : Buffer.from(pin);
}

/** pinDigits' checks alone (PinFormatError), without the copy. */
export function checkPinDigits(pin: string | Uint8Array, policy: PinLengthRules): void {
  if (typeof pin !== 'string' && !(pin instanceof Uint8Array)) {
    throw new PinFormatError('malformed', 'PIN must be a string of digits or a Uint8Array of ASCII digit bytes');
  }
  if (pin.length < policy.minLength || pin.length > policy.maxLength) {
    throw new PinFormatError('length', `PIN must have ${lengthRule(policy.minLength, policy.maxLength)}`);
  }
  // Checked on the caller's code units/bytes before any conversion, so no character outside
  // '0'..'9' can be narrowed into a digit on the way in. One loop per kind: a VERIFY on the card
  // checks bytes, and a loop that asks the kind at every digit is the slower one.
  let outside = 0;
  if (typeof pin === 'string') {
    for (let i = 0; i < pin.length; i++) outside |= digitOutside(pin.charCodeAt(i));
  } else {
    for (let i = 0; i < pin.length; i++) outside |= digitOutside(pin[i] as number);
  }
  if (outside !== 0) throw new PinFormatError('not-digits', 'PIN must contain only the digits 0-9');
}

/** 1 for a code unit outside '0'..'9', else 0. */
function digitOutside(unit: number): number {
  return unit < 0x30 || unit > 0x39 ? 1 : 0;
}

/**
 * Throws PinFormatError (code 'PIN_FORMAT', `problem` 'length' | 'not-digits' | 'malformed') when
 * `pin` does not fit the policy: ASCII digits only, length within [minLength, maxLength].
 */
export function validatePinFormat(pin: string | Uint8Array, policy: PinLengthRules): void {
  pinDigits(pin, policy).fill(0);
}
