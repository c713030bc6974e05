import { SW, SscardError } from '../../apdu/index.js';
import { PinFormatError, samePin, validatePinFormat } from '../../pin/index.js';
import type { PinLengthRules, PinPolicy } from '../../pin/index.js';
import {
  ApplicationBlockedError,
  BankPinMismatchError,
  CardStatusError,
  HolderMismatchError,
  NewPinRejectedError,
  NoBankApplicationError,
  validateNewPin,
} from '../../terminal/index.js';
import type { IssuerTerminal, SscCard } from '../../terminal/index.js';
import { CardSideFailedError, CardStateError, OfficeError } from '../errors.js';
import type { Side } from '../states.js';
import {
  BankPinRefusedError,
  CardApplicationBlockedError,
  CardHolderMismatchError,
  NewPinRefusedError,
} from './errors.js';

/*
 * What the window asks the chip, and how the chip's answers become refusals. Every step here
 * either reads (EF05, EF06, the PIN's state) or is the one command of an act; each turns the
 * SDK's typed errors into the registry's refusals, so a refusal is recorded with a reason code that
 * says what happened at the card (CARD_APPLICATION_BLOCKED, BANK_PIN_MISMATCH, …) and any other
 * card failure (card removed, timeout, a key the module lacks) is CARD_SIDE_FAILED with the SDK's
 * code as its cause.
 */

/** The card as its EF05 names it. */
export interface ChipIdentity {
  cardNumber: string;
  cardIdentifier: string;
}

/** A PIN's state as the chip answers it (an empty VERIFY, or GET DATA 9F17 for the bank PIN). */
export interface ChipPinState {
  blocked: boolean;
  /** Tries left; null while the application PIN is verified in this session. */
  triesLeft: number | null;
}

/**
 * The refusal a card failure is recorded as. The registry's own errors and bugs (not SDK errors)
 * are returned as they are.
 */
export function cardRefusal(operation: string, error: unknown, cardNumber = '?'): unknown {
  if (error instanceof OfficeError) return error;
  if (error instanceof ApplicationBlockedError) return new CardApplicationBlockedError(error.permanent);
  // A card blocked after it was opened answers 6A81 (9303 for good) to reads too, not only to SELECT.
  if (
    error instanceof CardStatusError &&
    (error.sw === SW.FUNCTION_NOT_SUPPORTED || error.sw === SW.APP_PERMANENTLY_BLOCKED)
  ) {
    return new CardApplicationBlockedError(error.sw === SW.APP_PERMANENTLY_BLOCKED);
  }
  if (error instanceof BankPinMismatchError) return new BankPinRefusedError(cardNumber, 'mismatch', error.triesLeft);
  if (error instanceof NoBankApplicationError) return new CardStateError(cardNumber, 'bank', null, operation);
  if (error instanceof HolderMismatchError) return new CardHolderMismatchError(cardNumber);
  if (error instanceof NewPinRejectedError) return new NewPinRefusedError(error.problem, error.message);
  if (error instanceof SscardError) return new CardSideFailedError(operation, error);
  return error;
}

/** Runs one chip step, its failure turned into the refusal it is recorded as. */
export async function onChip<T>(operation: string, cardNumber: string | undefined, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw cardRefusal(operation, error, cardNumber);
  }
}

/** EF05: which card this is. */
export async function readIdentity(card: SscCard): Promise<ChipIdentity> {
  const info = await card.readCardInfo();
  return { cardNumber: info.cardNumber, cardIdentifier: info.cardIdentifier };
}

/** The PIN's state on `side`, spending no try. */
export async function readPinState(card: SscCard, side: Side): Promise<ChipPinState> {
  if (side === 'bank') {
    const triesLeft = await card.bank.pinTriesLeft();
    return { blocked: triesLeft === 0, triesLeft };
  }
  const s = await card.pinStatus();
  return { blocked: s.blocked, triesLeft: s.triesLeft };
}

/** The holder's ID document against EF06 (CARD_HOLDER_MISMATCH when it differs). */
export async function checkChipHolder(terminal: IssuerTerminal, idNumber: string, cardNumber: string): Promise<void> {
  try {
    await terminal.checkHolder(idNumber);
  } catch (error) {
    if (error instanceof HolderMismatchError) throw new CardHolderMismatchError(cardNumber);
    throw error;
  }
}

/**
 * A new application PIN typed twice: the entries match, the PIN has the card's format, and it is
 * not the initial PIN (a holder-chosen PIN equal to 123456 would leave the registry wrong about
 * the PIN being initial). Refusals name the problem, never a digit.
 */
export function checkNewAppPin(newPin: string | Uint8Array, again: string | Uint8Array, policy: PinPolicy): void {
  try {
    validateNewPin(newPin, again, policy);
  } catch (error) {
    if (error instanceof NewPinRejectedError) throw new NewPinRefusedError(error.problem, newPinMessage(error.problem));
    throw error;
  }
}

/** A new bank PIN typed twice: the entries match and the PIN has the bank PIN's format. */
export function checkNewBankPin(newPin: string | Uint8Array, again: string | Uint8Array, rules: PinLengthRules): void {
  if (!samePin(newPin, again)) throw new NewPinRefusedError('mismatch', newPinMessage('mismatch'));
  try {
    validatePinFormat(newPin, rules);
  } catch (error) {
    if (error instanceof PinFormatError)
      throw new NewPinRefusedError('format', `${newPinMessage('format')} (${error.message})`);
    throw error;
  }
}

/** The holder's current bank PIN as typed for the unlock: its format only (the chip judges the value). */
export function checkPresentedBankPin(pin: string | Uint8Array, rules: PinLengthRules, cardNumber: string): void {
  try {
    validatePinFormat(pin, rules);
  } catch (error) {
    if (error instanceof PinFormatError) throw new BankPinRefusedError(cardNumber, 'format');
    throw error;
  }
}

function newPinMessage(problem: string): string {
  if (problem === 'mismatch') return 'the two entries of the new PIN differ';
  if (problem === 'initial') return 'the new PIN may not be the initial PIN';
  return 'the new PIN does not have the PIN format';
}
