import { detailErrorClass } from '../apdu/index.js';

/**
 * Why a PIN value was rejected before it reached the counter. The card OS maps `length` to 6700
 * and the other two to 6A80, so the distinction is kept as data rather than in the message.
 */
export type PinFormatProblem = 'length' | 'not-digits' | 'malformed';

/**
 * A PIN (or PIN encoding) with the wrong shape. Messages name the rule that was broken and never
 * carry the offered digits, their count, or their bytes.
 */
export class PinFormatError extends detailErrorClass('PIN_FORMAT', 'problem')<PinFormatProblem> {}

/** A PIN policy that cannot be used; `field` names the offending policy field. */
export class PinPolicyError extends detailErrorClass('PIN_POLICY', 'field')<string> {}

/**
 * A stored PIN record that is missing or malformed (for example read back from a damaged card
 * image). It is reported, never silently replaced by a fresh record; `field` names the bad part.
 */
export class PinRecordError extends detailErrorClass('PIN_RECORD', 'field')<string> {}
