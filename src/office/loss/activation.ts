import { chinaDate, daysBetween } from '../clock.js';
import { ActivationWindowClosedError, CardStateError, OfficeArgumentError } from '../errors.js';
import { checkHolder, findCard, lockCard } from '../operations/cards.js';
import { requireTransition, writeSide } from '../operations/pin.js';
import { cardOutcome, storeInvariant } from '../operations/runner.js';
import type { OperationEnv, OperationOutcome, OperationSpec } from '../operations/runner.js';
import { isFinalState } from '../states.js';
import type { Queryable } from '../storage/database.js';
import type { CardStatus } from '../types.js';
import { cardHolderSubject, proxyOf } from './checks.js';
import type { LossSettings } from './settings.js';
import type { BankActivationInput, BankActivationWindow, HandOverInput } from './types.js';

/*
 * The financial activation of a new (or replacement) financial card. The bank side starts
 * inactive in the registry and on the chip (the bank application personalized blocked), and is
 * activated at a bank branch with the card and the holder's ID document: the registry checks the
 * holder and the window, the bank terminal's card-side step sends APPLICATION UNBLOCK under
 * BANK_APP_CONTROL (terminal/application-control.ts), both in one operation.
 *
 * The window: `bankActivationDays` (default 60) days from the day the holder received the card,
 * which is the issue date unless a hand-over was recorded (`record_hand_over`). Day 0 is that
 * day; activation is allowed through day 60 and refused from day 61 (ACTIVATION_WINDOW_CLOSED).
 * What the holder does then (project choice): a written request at the bank branch, with the ID
 * document, re-opens the window from that day (`reopen_bank_activation`); a new replacement is
 * not needed, since nothing is wrong with the card.
 */

/** 'YYYY-MM-DD' plus `days`. */
function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** The day the card's activation window opened (a hand-over or re-opening, else the issue date). */
export async function activationFrom(q: Queryable, cardNumber: string): Promise<string | undefined> {
  const r = await q.query<{ from: string }>(
    'SELECT coalesce(bank_activation_from, issue_date)::text AS from FROM cards WHERE card_number = $1',
    [cardNumber],
  );
  return r.rows[0]?.from;
}

export function activationWindow(
  card: CardStatus,
  from: string,
  now: Date,
  settings: LossSettings,
): BankActivationWindow {
  const day = Math.max(0, daysBetween(from, chinaDate(now)));
  return {
    cardNumber: card.cardNumber,
    from,
    until: addDays(from, settings.bankActivationDays),
    day,
    open: card.bank === 'inactive' && day <= settings.bankActivationDays,
  };
}

/**
 * An act at the bank branch on a live financial card: the card locked, the holder's ID checked,
 * the card a financial one whose social security side is not final, before `act` runs.
 */
function bankBranchOperation<T>(
  name: string,
  act: (tx: Queryable, env: OperationEnv, input: BankActivationInput, card: CardStatus) => Promise<OperationOutcome<T>>,
): OperationSpec<BankActivationInput, T> {
  return {
    name,
    roles: ['bank', 'admin'],
    subject: cardHolderSubject,
    async run(tx, env, input) {
      const card = await lockCard(tx, input.cardNumber);
      checkHolder(card, input.idNumber);
      if (card.bank === null) throw new CardStateError(card.cardNumber, 'bank', null, name);
      if (isFinalState(card.ssc)) throw new CardStateError(card.cardNumber, 'ssc', card.ssc, name);
      return act(tx, env, input, card);
    },
  };
}

/** Opens the card's activation window on `date` (a hand-over, or a re-opening). */
async function setActivationFrom(tx: Queryable, cardNumber: string, date: string, now: Date): Promise<void> {
  await tx.query(
    'UPDATE cards SET bank_activation_from = $2::date, updated_at = $3::timestamptz WHERE card_number = $1',
    [cardNumber, date, now.toISOString()],
  );
}

export function activateBankOperation(settings: LossSettings): OperationSpec<BankActivationInput, CardStatus> {
  return bankBranchOperation('activate_bank', async (tx, env, input, card) => {
    const to = requireTransition(card, 'bank', 'activate', 'activate_bank');
    const from = await activationFrom(tx, card.cardNumber);
    const window = activationWindow(card, from!, env.now, settings);
    if (!window.open)
      throw new ActivationWindowClosedError(card.cardNumber, window.from, window.day, settings.bankActivationDays);
    await env.cardSide(input.cardSide, card);
    const after = await writeSide(tx, card, 'bank', to, env.now);
    return cardOutcome(card, after, {
      side: 'bank',
      from: card.bank,
      to,
      windowFrom: window.from,
      day: window.day,
      chip: input.cardSide !== undefined,
    });
  });
}

export function reopenActivationOperation(
  settings: LossSettings,
): OperationSpec<BankActivationInput, BankActivationWindow> {
  return bankBranchOperation('reopen_bank_activation', async (tx, env, _input, card) => {
    if (card.bank !== 'inactive')
      throw new CardStateError(card.cardNumber, 'bank', card.bank, 'reopen_bank_activation');
    const previous = await activationFrom(tx, card.cardNumber);
    const today = chinaDate(env.now);
    await setActivationFrom(tx, card.cardNumber, today, env.now);
    const window = activationWindow(card, today, env.now, settings);
    return cardOutcome(card, window, { previousFrom: previous, from: today, until: window.until });
  });
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export const handOverOperation: OperationSpec<HandOverInput, CardStatus> = {
  name: 'record_hand_over',
  roles: ['window', 'bank', 'admin'],
  subject: cardHolderSubject,
  async run(tx, env, input) {
    const card = await lockCard(tx, input.cardNumber);
    const proxyIdNumber = proxyOf(card, 'written', env.ctx.channel, input.proxyIdNumber, 'a hand-over');
    checkHolder(card, input.idNumber);
    if (isFinalState(card.ssc)) throw new CardStateError(card.cardNumber, 'ssc', card.ssc, 'record_hand_over');
    const today = chinaDate(env.now);
    const date = input.date ?? today;
    if (typeof date !== 'string' || !ISO_DATE.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) {
      throw new OfficeArgumentError("the hand-over date must be 'YYYY-MM-DD'");
    }
    if (date < card.issueDate || date > today) {
      throw new OfficeArgumentError(
        `the hand-over date must be from the issue date ${card.issueDate} to today ${today}`,
      );
    }
    const opensWindow = card.bank === 'inactive';
    if (opensWindow) {
      await setActivationFrom(tx, card.cardNumber, date, env.now);
    }
    const after = await findCard(tx, card.cardNumber);
    storeInvariant(after !== undefined, `card ${card.cardNumber} vanished while locked`);
    return cardOutcome(card, after, {
      date,
      ...(proxyIdNumber === null ? {} : { proxyIdNumber }),
      ...(opensWindow ? { bankActivationFrom: date } : {}),
    });
  },
};
