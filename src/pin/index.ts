// The base class of every error this area throws (defined in apdu), so callers of this entry point
// can catch all of them without importing another.
export { SscardError } from '../apdu/index.js';
export { PinFormatError, PinPolicyError, PinRecordError } from './errors.js';
export type { PinFormatProblem } from './errors.js';
export {
  DEFAULT_PIN_POLICY,
  PIN_MIN_DIGITS,
  PIN_MAX_DIGITS,
  PIN_MAX_TRY_LIMIT,
  definePinPolicy,
  validatePinFormat,
} from './policy.js';
export type { PinPolicy, PinPolicyRules, PinLengthRules } from './policy.js';
export { sealPinPolicy, validateSealedPinPolicy, isSealedPinPolicy, matchesInitialPin } from './sealed-policy.js';
export type { SealedPinPolicy, AnyPinPolicy } from './sealed-policy.js';
export { MemoryPinStore, validatePinRecord, PIN_SALT_BYTES, PIN_MAC_BYTES } from './record.js';
export type { PinRecord, PinStore, PinVerifier } from './record.js';
export { Pin } from './engine.js';
export { samePin } from './same-pin.js';
export type { VerifyResult, ChangeResult, PinStatus } from './engine.js';
export {
  encodePinBcd,
  decodePinBcd,
  decodePinBcdDigits,
  decodePinBcdDigitsInto,
  pinBcdDigitCount,
  encodeChangePinData,
  decodeChangePinData,
  encodePinBlockFormat2,
  decodePinBlockFormat2,
  CHANGE_PIN_SEPARATOR,
  PIN_BLOCK_FORMAT2_LENGTH,
} from './encoding.js';
