import { CardStateError, OfficeArgumentError, RoleNotAllowedError } from '../errors.js';
import { nextState } from '../states.js';
import type { CardEvent, CardSideState, Side } from '../states.js';
import type { Queryable } from '../storage/database.js';
import type { BlockCardInput, CardSideInput, CardStatus, HolderCheckedInput } from '../types.js';
import { checkHolder, findCard, lockCard } from './cards.js';
import { cardOutcome, storeInvariant } from './runner.js';
import type { OperationSpec } from './runner.js';

/*
 * The PIN acts the office records, per side of the card:
 *   pin_reset    a forgotten PIN replaced: at a window (social-security side) or at the bank (bank
 *                side), with the card and the holder's ID document; the application PIN is
 *                recorded as initial only when the card got the initial PIN (`pinInitial`);
 *   pin_unlock   a locked PIN unlocked, keeping its value, at the same places;
 *   pin_locked   a terminal saw the PIN locked (tries used up) and reports it;
 *   pin_changed  the holder changed the application PIN (POS, hotline, window): no longer initial;
 *   block_card   one side blocked for good (fraud, death, …).
 * Each takes the card's row lock first, checks the rules, runs the caller's card-side step (if
 * any) and only then writes, so the card and the registry change together or not at all.
 */

function sideOf(input: { side?: Side }): Side {
  const side = input.side ?? 'ssc';
  if (side !== 'ssc' && side !== 'bank')
    throw new OfficeArgumentError(`side must be 'ssc' or 'bank', got ${JSON.stringify(side)}`);
  return side;
}

function stateOf(card: CardStatus, side: Side): CardSideState | null {
  return side === 'ssc' ? card.ssc : card.bank;
}

/** The state `event` leads to, or a CARD_STATE refusal. */
export function requireTransition(card: CardStatus, side: Side, event: CardEvent, operation: string): CardSideState {
  const from = stateOf(card, side);
  const to = nextState(side, event, from);
  if (to === undefined) throw new CardStateError(card.cardNumber, side, from, operation);
  return to;
}

/** Writes one side's new state (and, for the social-security side, the PIN-initial flag). */
export async function writeSide(
  tx: Queryable,
  card: CardStatus,
  side: Side,
  to: CardSideState,
  now: Date,
  pinInitial?: boolean,
): Promise<CardStatus> {
  const column = side === 'ssc' ? 'ssc_status' : 'bank_status';
  await tx.query(
    `UPDATE cards SET ${column} = $2, pin_initial = coalesce($3, pin_initial), updated_at = $4::timestamptz WHERE card_number = $1`,
    [card.cardNumber, to, pinInitial ?? null, now.toISOString()],
  );
  const after = await findCard(tx, card.cardNumber);
  storeInvariant(after !== undefined, `card ${card.cardNumber} vanished while locked`);
  return after;
}

function details(card: CardStatus, side: Side, from: CardSideState | null, to: CardSideState): Record<string, unknown> {
  return { side, from, to, ...(side === 'ssc' ? { pinInitial: card.pinInitial } : {}) };
}

/**
 * A PIN act at a window or a bank, on the card with the holder's ID document: the role must keep
 * the side, the holder must match the card, and `event` must be allowed from the side's state.
 */
function holderPinOperation(
  name: 'pin_reset' | 'pin_unlock',
  event: CardEvent,
  pinInitial: (input: HolderCheckedInput, side: Side) => boolean | undefined,
): OperationSpec<HolderCheckedInput, CardStatus> {
  return {
    name,
    roles: ['window', 'bank', 'admin'],
    subject: (i) => ({ cardNumber: i.cardNumber, idNumber: i.idNumber }),
    async run(tx, env, input) {
      const side = sideOf(input);
      sideRole(env.ctx.role, side, name);
      const card = await lockCard(tx, input.cardNumber);
      checkHolder(card, input.idNumber);
      const from = stateOf(card, side);
      const to = requireTransition(card, side, event, name);
      await env.cardSide(input.cardSide, card);
      const after = await writeSide(tx, card, side, to, env.now, pinInitial(input, side));
      return cardOutcome(card, after, details(after, side, from, to));
    },
  };
}

/**
 * A forgotten PIN reset. The social-security side's at a window, the bank's at the bank. The
 * application PIN is initial afterwards only if the input says the card got the initial PIN.
 */
export const pinResetOperation: OperationSpec<HolderCheckedInput, CardStatus> = holderPinOperation(
  'pin_reset',
  'pin_reset',
  (input, side) => (side === 'ssc' ? input.pinInitial === true : undefined),
);

/** A locked PIN unlocked (its value kept). */
export const pinUnlockOperation: OperationSpec<HolderCheckedInput, CardStatus> = holderPinOperation(
  'pin_unlock',
  'pin_unlock',
  () => undefined,
);

/** A terminal reports that it saw the PIN locked. */
export const pinLockedOperation: OperationSpec<CardSideInput, CardStatus> = {
  name: 'pin_locked',
  roles: ['window', 'bank', 'hotline', 'pos', 'admin'],
  subject: (i) => ({ cardNumber: i.cardNumber }),
  async run(tx, env, input) {
    const side = sideOf(input);
    const card = await lockCard(tx, input.cardNumber);
    const from = stateOf(card, side);
    const to = requireTransition(card, side, 'pin_lock', 'pin_locked');
    await env.cardSide(input.cardSide, card);
    const after = await writeSide(tx, card, side, to, env.now);
    return cardOutcome(card, after, details(after, side, from, to));
  },
};

/** The holder changed the application PIN: the office no longer knows it as the initial one. */
export const pinChangedOperation: OperationSpec<CardSideInput, CardStatus> = {
  name: 'pin_changed',
  roles: ['window', 'hotline', 'pos', 'portal', 'admin'],
  subject: (i) => ({ cardNumber: i.cardNumber }),
  async run(tx, env, input) {
    if (sideOf(input) !== 'ssc')
      throw new OfficeArgumentError('pin_changed is recorded for the application PIN (side ssc) only');
    const card = await lockCard(tx, input.cardNumber);
    if (card.ssc !== 'active') throw new CardStateError(card.cardNumber, 'ssc', card.ssc, 'pin_changed');
    await env.cardSide(input.cardSide, card);
    const after = await writeSide(tx, card, 'ssc', card.ssc, env.now, false);
    return cardOutcome(card, after, { side: 'ssc', pinInitial: false });
  },
};

/** One side blocked for good. */
export const blockCardOperation: OperationSpec<BlockCardInput, CardStatus> = {
  name: 'block_card',
  roles: ['window', 'bank', 'admin'],
  subject: (i) => ({ cardNumber: i.cardNumber }),
  async run(tx, env, input) {
    const side = sideOf(input);
    sideRole(env.ctx.role, side, 'block_card');
    if (typeof input.reason !== 'string' || input.reason.trim() === '' || input.reason.length > 200) {
      throw new OfficeArgumentError('block_card needs a reason of 1..200 characters');
    }
    const card = await lockCard(tx, input.cardNumber);
    const from = stateOf(card, side);
    const to = requireTransition(card, side, 'block', 'block_card');
    const after = await writeSide(tx, card, side, to, env.now);
    return cardOutcome(card, after, { ...details(after, side, from, to), reason: input.reason });
  },
};

/**
 * Which side a role acts on: windows keep the social-security side, banks the bank side; admin
 * both. A window resetting a bank PIN is refused like any other rule.
 */
function sideRole(role: string, side: Side, operation: string): void {
  if (role === 'admin') return;
  const allowed = side === 'ssc' ? 'window' : 'bank';
  if (role !== allowed)
    throw new RoleNotAllowedError(`${operation} on the ${side === 'ssc' ? 'social security' : 'bank'} side`, role, [
      allowed,
      'admin',
    ]);
}
