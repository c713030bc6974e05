/*
 * The two sides of a card have their own states, kept apart: the social-security side (the SSSE
 * application and the office's record of it) and the bank side of a financial card. One table of
 * events says which state each event leads from and to; every operation that changes a state goes
 * through it, so a rule lives in one place.
 *
 *   ssc side:   active <-> pin_locked; active|pin_locked -> lost_temporary -> active (cancelled)
 *               any live state -> lost_written -> replaced (a new card was issued); any live -> blocked
 *   bank side:  inactive -> active (activation at the bank, within 60 days of issue), then as above
 *
 * replaced and blocked are final. Loss reporting (office/loss) adds: lost_written -> active (a written
 * report withdrawn), lost_temporary -> active (a temporary report lapsed), and on the bank side
 * inactive -> replaced (a card replaced before its bank application was activated).
 */

export type Side = 'ssc' | 'bank';

export const SSC_STATES = ['active', 'pin_locked', 'lost_temporary', 'lost_written', 'replaced', 'blocked'] as const;
export type SscState = (typeof SSC_STATES)[number];

export const BANK_STATES = [
  'inactive',
  'active',
  'pin_locked',
  'lost_temporary',
  'lost_written',
  'replaced',
  'blocked',
] as const;
export type BankState = (typeof BANK_STATES)[number];

export type CardSideState = SscState | BankState;

export const CARD_EVENTS = [
  'pin_lock',
  'pin_unlock',
  'pin_reset',
  'loss_temporary',
  'loss_cancel',
  'loss_written',
  'replace',
  'block',
  'activate',
  'loss_withdraw',
  'loss_lapse',
  'replace_inactive',
] as const;
export type CardEvent = (typeof CARD_EVENTS)[number];

/** States in which the card may still be used or recovered (not final). */
const LIVE = ['active', 'pin_locked', 'lost_temporary', 'lost_written'] as const;

/** One event of the transition table: the states it leads from, where to, on which sides. */
export interface CardTransition {
  from: readonly CardSideState[];
  to: CardSideState | 'same';
  sides: readonly Side[];
}

/** The one transition table. `to: 'same'` keeps the state (a PIN reset on an active card). */
export const CARD_TRANSITIONS: Readonly<Record<CardEvent, CardTransition>> = {
  pin_lock: { from: ['active'], to: 'pin_locked', sides: ['ssc', 'bank'] },
  pin_unlock: { from: ['pin_locked'], to: 'active', sides: ['ssc', 'bank'] },
  pin_reset: { from: ['active', 'pin_locked'], to: 'active', sides: ['ssc', 'bank'] },
  loss_temporary: { from: ['active', 'pin_locked'], to: 'lost_temporary', sides: ['ssc', 'bank'] },
  loss_cancel: { from: ['lost_temporary'], to: 'active', sides: ['ssc', 'bank'] },
  loss_written: { from: LIVE, to: 'lost_written', sides: ['ssc', 'bank'] },
  replace: { from: ['lost_written'], to: 'replaced', sides: ['ssc', 'bank'] },
  block: { from: LIVE, to: 'blocked', sides: ['ssc', 'bank'] },
  activate: { from: ['inactive'], to: 'active', sides: ['bank'] },
  // A written report withdrawn when the card is found (at a window or the bank, with the ID).
  loss_withdraw: { from: ['lost_written'], to: 'active', sides: ['ssc', 'bank'] },
  // A temporary report that no written one followed, where the region's rule restores the card.
  loss_lapse: { from: ['lost_temporary'], to: 'active', sides: ['ssc', 'bank'] },
  // A bank side never activated needs no loss report to be replaced along with the card.
  replace_inactive: { from: ['inactive'], to: 'replaced', sides: ['bank'] },
};

/** The state `event` leads to from `from` on `side`, or undefined when the event is not allowed there. */
export function nextState(side: Side, event: CardEvent, from: CardSideState | null): CardSideState | undefined {
  const t = CARD_TRANSITIONS[event];
  if (from === null || !t.sides.includes(side) || !t.from.includes(from)) return undefined;
  return t.to === 'same' ? from : t.to;
}

/** True for the states from which nothing leads on. */
export function isFinalState(state: CardSideState): boolean {
  return state === 'replaced' || state === 'blocked';
}
