import type { NewPinProblem } from '../../terminal/index.js';
import { OfficeError, OperationRefusedError } from '../errors.js';

/*
 * Refusals of the service window and the bank branch that the registry's own rules do not have:
 * what the chip answered, and what the holder typed. Each is recorded in the history with its code
 * as the reason, like every other refusal; messages never carry a PIN.
 */

/** The ID number shown is the registry's holder's, but not the one in the card's EF06. */
export class CardHolderMismatchError extends OperationRefusedError {
  constructor(cardNumber: string) {
    super(
      'CARD_HOLDER_MISMATCH',
      `the ID number given is not the one stored on card ${cardNumber} (EF06); the card's data may need a correction`,
    );
  }
}

/** The chip's card identifier (EF05) is not the one the registry has for its card number. */
export class CardIdentityMismatchError extends OperationRefusedError {
  constructor(cardNumber: string) {
    super(
      'CARD_IDENTITY_MISMATCH',
      `the card presented says it is ${cardNumber}, but its card identifier is not the registry's for that card`,
    );
  }
}

/** The card at the counter is not the card the operation names. */
export class OtherCardPresentedError extends OperationRefusedError {
  constructor(cardNumber: string, presented: string) {
    super('OTHER_CARD_PRESENTED', `the operation is for card ${cardNumber}, but the card presented is ${presented}`, {
      presented,
    });
  }
}

/** The chip's social security application (or the whole card) is blocked. */
export class CardApplicationBlockedError extends OperationRefusedError {
  readonly permanent: boolean;

  constructor(permanent: boolean) {
    super(
      'CARD_APPLICATION_BLOCKED',
      `the card's application is ${permanent ? 'permanently ' : ''}blocked on the chip; the window cannot work with it`,
      { permanent },
    );
    this.permanent = permanent;
  }
}

const NEW_PIN_CODES: Readonly<Record<NewPinProblem, string>> = {
  mismatch: 'NEW_PIN_MISMATCH',
  format: 'NEW_PIN_FORMAT',
  initial: 'NEW_PIN_INITIAL',
};

/** The two entries of a new PIN differ, or the PIN breaks the format rules; nothing was sent. */
export class NewPinRefusedError extends OperationRefusedError {
  readonly problem: NewPinProblem;

  constructor(problem: NewPinProblem, message: string) {
    super(NEW_PIN_CODES[problem], message, { problem });
    this.problem = problem;
  }
}

/** The bank PIN the holder typed for the unlock is not the card's; nothing changed on the card. */
export class BankPinRefusedError extends OperationRefusedError {
  constructor(cardNumber: string, problem: 'mismatch' | 'format', triesLeft?: number) {
    super(
      problem === 'mismatch' ? 'BANK_PIN_MISMATCH' : 'BANK_PIN_FORMAT',
      problem === 'mismatch'
        ? `card ${cardNumber}: the bank PIN given is not the card's; the bank PIN stays locked`
        : `card ${cardNumber}: the bank PIN given does not have the bank PIN's format`,
      triesLeft === undefined ? {} : { triesLeft },
    );
  }
}

/** An unlock asked for a PIN that neither the chip nor the registry has locked. */
export class PinNotLockedError extends OperationRefusedError {
  constructor(cardNumber: string, side: 'ssc' | 'bank', triesLeft: number | null) {
    super(
      'PIN_NOT_LOCKED',
      `card ${cardNumber}: the ${side === 'ssc' ? 'application' : 'bank'} PIN is not locked${triesLeft === null ? '' : ` (${triesLeft} tries left)`}; nothing to unlock`,
      { side, triesLeft },
    );
  }
}

/** The chip's PIN state and the registry's changed under the window between its look and its act. */
export class PinStateChangedError extends OperationRefusedError {
  constructor(cardNumber: string) {
    super('PIN_STATE_CHANGED', `card ${cardNumber}: the PIN's state changed during the visit; start again`);
  }
}

/** The personalization changed (another correction) since the window read it; nothing stored. */
export class PersonalizationChangedError extends OperationRefusedError {
  constructor(cardNumber: string, expected: number, found: number) {
    super(
      'PERSONALIZATION_CHANGED',
      `card ${cardNumber}: the personalization is at version ${found}, not ${expected} as read; read it again and correct that`,
      { expected, found },
    );
  }
}

/**
 * The card was changed (the card step succeeded) but the registry could not record it (the
 * commit failed, or its outcome is unknown). `remedy` says what the clerk does next: for a PIN
 * act, repeat it (an unlock then reconciles from what the chip answers, a reset is done again);
 * for a card made at the window, discard it (the registry does not know it).
 */
export class CardChangedNotRecordedError extends OfficeError {
  readonly cardNumber: string;

  constructor(operation: string, cardNumber: string, remedy: string, options?: { cause?: unknown }) {
    super(
      'CARD_CHANGED_NOT_RECORDED',
      `${operation}: card ${cardNumber} was changed, but the registry could not record it; ${remedy}`,
      options,
    );
    this.cardNumber = cardNumber;
  }
}
