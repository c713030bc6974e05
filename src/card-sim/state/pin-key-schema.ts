import * as v from 'valibot';
import {
  PinPolicyError,
  PinRecordError,
  definePinPolicy,
  sealPinPolicy,
  validatePinRecord,
  validateSealedPinPolicy,
  type PinPolicy,
  type PinRecord,
  type SealedPinPolicy,
} from '../../pin/index.js';
import { KEY_USAGES } from '../fs/keys.js';
import { pathBelow } from '../validation.js';
import { hex, integer, looseObject, object, oneOf, text, type StateVersion } from './fields.js';

/*
 * The PINs and keys of a card state. The PIN engine owns the rules of PIN records and policies:
 * these schemas give them their shape (refusing unknown fields) and the path of a problem.
 */

const verifier = object({ salt: v.unknown(), mac: v.unknown() });

/** Where a PIN rule's own field name points below the value it checked ('record', 'policy': the value). */
function pinRulePath(value: unknown, field: string) {
  return field === 'record' || field === 'policy' ? undefined : pathBelow(value, field);
}

/**
 * Runs a PIN engine rule on a checked shape, turning its PinRecordError or PinPolicyError into an
 * issue at the field the error names.
 */
function pinRule<T, R>(rule: (value: T) => R) {
  return ({ dataset, addIssue, NEVER }: v.RawTransformContext<T>): R => {
    try {
      return rule(dataset.value);
    } catch (err) {
      if (!(err instanceof PinRecordError || err instanceof PinPolicyError)) throw err;
      addIssue({ message: err.message, path: pinRulePath(dataset.value, err.field) });
      return NEVER;
    }
  };
}

const pinRecordShape = object({ tryLimit: v.unknown(), triesLeft: v.unknown(), initial: v.unknown(), verifier });
type PinRecordShape = v.InferOutput<typeof pinRecordShape>;

/** The PIN engine owns the rules of a PIN record; this schema gives it the shape and the path. */
const pinRecord = v.pipe(
  pinRecordShape,
  v.rawTransform<PinRecordShape, PinRecord>(pinRule<PinRecordShape, PinRecord>(validatePinRecord)),
);

const sealedPolicyShape = object({
  initialPin: v.optional(v.never('a version 2 state keeps the initial PIN only as initialPinVerifier, never in clear')),
  minLength: v.unknown(),
  maxLength: v.unknown(),
  tryLimit: v.unknown(),
  forbidReturnToInitial: v.unknown(),
  initialPinVerifier: verifier,
});
type SealedPolicyShape = v.InferOutput<typeof sealedPolicyShape>;

/** Version 2: the initial PIN only as a salted verifier. */
const sealedPolicy = v.pipe(
  sealedPolicyShape,
  v.rawTransform<SealedPolicyShape, SealedPinPolicy>(
    pinRule<SealedPolicyShape, SealedPinPolicy>(validateSealedPinPolicy),
  ),
);

const clearPolicyShape = looseObject({});
type ClearPolicyShape = v.InferOutput<typeof clearPolicyShape>;

/** Version 1: the initial PIN in clear (definePinPolicy refuses unknown fields), sealed here: the migration to version 2. */
const clearPolicy = v.pipe(
  clearPolicyShape,
  v.rawTransform<ClearPolicyShape, SealedPinPolicy>(
    pinRule<ClearPolicyShape, SealedPinPolicy>((value) => sealPinPolicy(definePinPolicy(value as Partial<PinPolicy>))),
  ),
);

export function pinState(version: StateVersion) {
  return v.pipe(
    object({
      id: text,
      reference: integer(0, 255),
      format: oneOf(['bcd', 'iso9564-format2'] as const),
      /** The policy with the initial PIN as a salted verifier, never in clear. */
      policy: version >= 2 ? sealedPolicy : clearPolicy,
      record: pinRecord,
    }),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const { record, policy } = dataset.value;
      if (record.tryLimit !== policy.tryLimit) {
        addIssue({
          message: `differs from policy.tryLimit ${policy.tryLimit}`,
          path: pathBelow(dataset.value, 'record.tryLimit'),
        });
      }
    }),
  );
}

export const keyState = v.pipe(
  object({
    id: integer(0, 255),
    algorithm: oneOf(['3des', 'sm4', 'sm2'] as const),
    usage: oneOf(KEY_USAGES as readonly (typeof KEY_USAGES)[number][]),
    /** Key bytes, hex (test keys; see the project docs on key handling); an SM2 key: its private key d. */
    key: hex,
    tryLimit: integer(1, 15),
    triesLeft: integer(0, 15),
  }),
  v.forward(
    v.check(
      (key) => key.triesLeft <= key.tryLimit,
      (issue) => {
        const { tryLimit, triesLeft } = issue.input as { tryLimit: number; triesLeft: number };
        return `expected an integer 0..${tryLimit}, got ${triesLeft}`;
      },
    ),
    ['triesLeft'],
  ),
);
