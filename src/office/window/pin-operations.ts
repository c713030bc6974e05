import type { Role } from '../context.js';
import { CardStateError, IdMismatchError, OperationRefusedError } from '../errors.js';
import { lockCard } from '../operations/cards.js';
import { requireTransition, writeSide } from '../operations/pin.js';
import { cardOutcome } from '../operations/runner.js';
import type { OperationSpec } from '../operations/runner.js';
import type { CardSideState, Side } from '../states.js';
import type { CardStatus } from '../types.js';
import type { ChipPinState } from './chip.js';
import { CardIdentityMismatchError, PinNotLockedError, PinStateChangedError } from './errors.js';
import type { ResetPinRule } from './settings.js';

/*
 * The window's and the bank branch's PIN acts as registry operations: the same names and history
 * entries as the registry's own pin_unlock and pin_reset (so one history tells every story), but
 * with the chip in the loop. Inside the transaction, under the card's row lock:
 *   1. the visit's rules against the registry (the chip is the card the registry knows, the ID
 *      document is the holder's, the side is active or pin_locked);
 *   2. the chip's PIN state, read again (the window looked before; under the lock it is fresh);
 *   3. what to do, from the registry's state and the chip's (see decide());
 *   4. the card command, if one is needed (the runner's cardSide: its failure refuses the
 *      operation, and the transaction is not retried behind the card's back);
 *   5. the new state, and the history entry with what was done.
 */

export type WindowAct = 'unlock' | 'reset';

export interface WindowPinInput {
  act: WindowAct;
  side: Side;
  /** From the chip's EF05. */
  cardNumber: string;
  cardIdentifier: string;
  /** The ID number on the document the holder shows. */
  idNumber: string;
  /** Application PIN reset: whether the PIN the card gets is the initial one, and by which rule. */
  pinInitial?: boolean;
  resetRule?: ResetPinRule;
  /** Reads the chip's PIN state (a failure is already a refusal). */
  readPin: () => Promise<ChipPinState>;
  /** Sends the act's one command to the chip (a failure is already a refusal). */
  command: () => Promise<void>;
  /** The command's name for the history ('PIN UNBLOCK', 'RELOAD PIN', …). */
  commandName: string;
}

export interface WindowPinOutcome {
  card: CardStatus;
  from: CardSideState | null;
  /** The command sent, or null when none was needed. */
  cardCommand: string | null;
  /** True when the registry was brought in line with the chip without a command. */
  reconciled: boolean;
}

/** Which roles act on which side: windows keep the social-security side, banks the bank side. */
export function rolesFor(side: Side): readonly Role[] {
  return side === 'ssc' ? ['window', 'admin'] : ['bank', 'admin'];
}

function stateOf(card: CardStatus, side: Side): CardSideState | null {
  return side === 'ssc' ? card.ssc : card.bank;
}

/**
 * The registry's rules for a PIN act at the counter, checked before the window sends anything to
 * the card and again under the row lock: the chip is the card the registry knows (same
 * identifier), the ID document is its holder's, and the side is active or pin_locked (a lost,
 * blocked or replaced card, a bank side not yet activated, a card without one: CARD_STATE).
 */
export function checkVisit(
  card: CardStatus,
  visit: { side: Side; cardIdentifier: string; idNumber: string },
  operation: string,
): void {
  if (card.cardIdentifier !== visit.cardIdentifier) throw new CardIdentityMismatchError(card.cardNumber);
  if (typeof visit.idNumber !== 'string' || visit.idNumber.trim().toUpperCase() !== card.idNumber)
    throw new IdMismatchError(card.cardNumber);
  const state = stateOf(card, visit.side);
  if (state !== 'active' && state !== 'pin_locked')
    throw new CardStateError(card.cardNumber, visit.side, state, operation);
}

/**
 * What an act does, from the registry's state and the chip's:
 *   unlock, registry pin_locked, chip blocked      -> PIN UNBLOCK (bank: with the holder's bank PIN)
 *   unlock, registry pin_locked, chip not blocked  -> no command: the registry learns the chip is
 *                                                     unlocked (a visit whose commit was lost, see
 *                                                     service-window.ts); at a bank the bank PIN
 *                                                     UNBLOCK is still sent, to check the bank PIN
 *   unlock, registry active, chip not blocked      -> PIN_NOT_LOCKED, nothing to do
 *   unlock, registry active, chip blocked          -> PIN_STATE_CHANGED (the window records a lock
 *                                                     it sees before the act; finding one here
 *                                                     means something changed in between)
 *   reset,  registry active or pin_locked          -> RELOAD PIN (it also restores the counter)
 */
function decide(
  act: WindowAct,
  from: CardSideState | null,
  chip: ChipPinState,
  card: CardStatus,
  side: Side,
): { send: boolean; reconciled: boolean } {
  if (act === 'reset') return { send: true, reconciled: false };
  // The bank's rule (the holder's bank PIN, checked by the chip) holds on every path: a PIN
  // UNBLOCK of an unlocked bank PIN checks the PIN and restores a counter that is already full.
  if (from === 'pin_locked') return { send: chip.blocked || side === 'bank', reconciled: !chip.blocked };
  if (chip.blocked) throw new PinStateChangedError(card.cardNumber);
  throw new PinNotLockedError(card.cardNumber, side, chip.triesLeft);
}

function pinOperation(name: 'pin_unlock' | 'pin_reset', side: Side): OperationSpec<WindowPinInput, WindowPinOutcome> {
  return {
    name,
    roles: rolesFor(side),
    subject: (i) => ({ cardNumber: i.cardNumber, idNumber: i.idNumber }),
    async run(tx, env, input) {
      const card = await lockCard(tx, input.cardNumber);
      checkVisit(card, input, name);
      const chip = await input.readPin();
      const from = stateOf(card, side);
      const { send, reconciled } = decide(input.act, from, chip, card, side);
      const to = requireTransition(card, side, input.act === 'unlock' ? 'pin_unlock' : 'pin_reset', name);
      if (send) await env.cardSide(input.command, undefined);
      const pinInitial = side === 'ssc' && input.act === 'reset' ? input.pinInitial === true : undefined;
      const after = await writeSide(tx, card, side, to, env.now, pinInitial);
      return cardOutcome(
        card,
        { card: after, from, cardCommand: send ? input.commandName : null, reconciled },
        {
          side,
          from,
          to,
          ...(side === 'ssc' ? { pinInitial: after.pinInitial } : {}),
          ...(input.resetRule === undefined ? {} : { resetRule: input.resetRule }),
          cardCommand: send ? input.commandName : null,
          chipBlocked: chip.blocked,
          ...(reconciled ? { reconciled: true } : {}),
        },
      );
    },
  };
}

/** The window's and the branch's PIN acts, per side. */
export const WINDOW_PIN_OPERATIONS = {
  ssc: { unlock: pinOperation('pin_unlock', 'ssc'), reset: pinOperation('pin_reset', 'ssc') },
  bank: { unlock: pinOperation('pin_unlock', 'bank'), reset: pinOperation('pin_reset', 'bank') },
} as const;

export interface BankActivationInput {
  cardNumber: string;
  cardIdentifier: string;
  idNumber: string;
}

/** The registry's rules for a bank activation (before the chip is asked, and under the lock); the state it leads to. */
export function checkActivation(card: CardStatus, visit: { cardIdentifier: string; idNumber: string }): CardSideState {
  if (card.cardIdentifier !== visit.cardIdentifier) throw new CardIdentityMismatchError(card.cardNumber);
  if (visit.idNumber !== card.idNumber) throw new IdMismatchError(card.cardNumber);
  return requireTransition(card, 'bank', 'activate', 'activate_bank');
}

export interface RefusalInput {
  cardNumber: string | null;
  idNumber: string | null;
  refusal: OperationRefusedError;
}

const refusals = new Map<string, OperationSpec<RefusalInput, never>>();

/**
 * An operation that only refuses: how the window records a refusal it found before its
 * transaction (a chip that will not answer, a card not in the registry, two new PINs that
 * differ), under the act's own name and roles (a terminal of the wrong role is refused as that).
 */
export function refusalOperation(name: string, roles: readonly Role[]): OperationSpec<RefusalInput, never> {
  const key = `${name}:${roles.join(',')}`;
  let spec = refusals.get(key);
  if (spec === undefined) {
    spec = {
      name,
      roles,
      subject: (i) => ({ cardNumber: i.cardNumber, idNumber: i.idNumber }),
      run: async (_tx, _env, input) => {
        throw input.refusal;
      },
    };
    refusals.set(key, spec);
  }
  return spec;
}
