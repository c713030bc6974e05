import { INS, SW, SscardError, swInfo } from '../../apdu/index.js';
import type { SscKeyName } from '../../keys/index.js';
import { errorForStatus, statusErrorClass, type CardStatusError, type StatusContext } from '../errors.js';

/*
 * Refusals of the issuer's card operations (service window, bank branch). Each has a stable code;
 * messages name the operation, the key or the status word, never a PIN, a key or an ID number.
 */

/** The secure module holds no master key for the operation; nothing was sent to the card. */
export class IssuerKeyMissingError extends SscardError {
  declare readonly code: 'ISSUER_KEY_MISSING';
  readonly key: SscKeyName;

  constructor(key: SscKeyName, operation: string) {
    super('ISSUER_KEY_MISSING', `${operation}: this secure module holds no ${key} master key`);
    this.key = key;
  }
}

/**
 * The card did not announce its algorithm (SSSE FCI 9F0C), so the window cannot compute the card's
 * cryptograms; nothing was sent to the card.
 */
export class CardAlgorithmUnknownError extends SscardError {
  declare readonly code: 'CARD_ALGORITHM_UNKNOWN';

  constructor(operation: string) {
    super('CARD_ALGORITHM_UNKNOWN', `${operation}: the card did not announce its algorithm`);
  }
}

/** 6988: the card refused the command's MAC (not this card issuer's keys); it counted a try of its key. */
export class IssuerMacRejectedError extends statusErrorClass('ISSUER_MAC_REJECTED') {}

/** 6983 to an issuer PIN command: the card's key for it is blocked (too many bad MACs). */
export class IssuerKeyBlockedError extends statusErrorClass('ISSUER_KEY_BLOCKED') {}

/** 6A88: the card holds no key for the operation (e.g. an image made before the bank's PIN keys existed). */
export class CardKeyMissingError extends statusErrorClass('CARD_KEY_MISSING') {}

/**
 * 63Cx to the bank's PIN UNBLOCK: the holder's bank PIN was wrong. Nothing changed on the card and
 * no try was spent; `triesLeft` is the unchanged counter (0 while blocked).
 */
export class BankPinMismatchError extends statusErrorClass('BANK_PIN_MISMATCH') {
  readonly triesLeft: number = swInfo(this.sw).triesLeft ?? 0;
}

/** 6A82 to the SELECT of the bank application: the card is not a financial card. */
export class NoBankApplicationError extends statusErrorClass('NO_BANK_APPLICATION') {}

/** The ID number on the holder's document is not the one in the card's EF06. */
export class HolderMismatchError extends SscardError {
  declare readonly code: 'HOLDER_MISMATCH';

  constructor(message = "the ID document does not match the card: its ID number differs from the card's") {
    super('HOLDER_MISMATCH', message);
  }
}

/**
 * The typed error of a status word answering RELOAD PIN or PIN UNBLOCK. These commands are
 * authorised by keys, so 6983 and 63Cx mean something else than after VERIFY: a blocked key, and
 * (bank PIN UNBLOCK only) a wrong holder's PIN.
 */
export function issuerCommandError(sw: number, context: StatusContext): CardStatusError {
  if (sw === SW.SM_INCORRECT) return new IssuerMacRejectedError(sw, context);
  if (sw === SW.AUTH_METHOD_BLOCKED) return new IssuerKeyBlockedError(sw, context);
  if (sw === SW.REFERENCED_DATA_NOT_FOUND) return new CardKeyMissingError(sw, context);
  // A wrong cryptogram in EXTERNAL AUTHENTICATE (63Cx) is a failed authentication; elsewhere 63Cx
  // is the holder's bank PIN presented for the unlock.
  if (swInfo(sw).triesLeft !== undefined && context.ins !== INS.EXTERNAL_AUTHENTICATE)
    return new BankPinMismatchError(sw, context);
  return errorForStatus(sw, context);
}
