import type { PersonalizationJson } from '../document.js';
import type { Side } from '../states.js';
import type { CardSideStep, CardStatus } from '../types.js';

/*
 * Inputs and results of loss reporting, replacement, bank activation and the blacklist.
 */

/**
 * How a loss is reported: 'self' (the 12333 voice menu, the portal, the bank's e-channels; any
 * hour; only once the holder has changed the initial application PIN), 'manual' (a hotline or
 * bank operator in office hours: card number, name and ID number must all match), 'written' (at
 * a service window, or a bank branch for the bank side, with the ID document).
 */
export const LOSS_CHANNELS = ['self', 'manual', 'written'] as const;
export type LossChannel = (typeof LOSS_CHANNELS)[number];

/**
 * The holder's document shown for a written report or a replacement: the ID card, or when that
 * is lost too, the household register, a residence proof or the employer's certificate.
 */
export const LOSS_DOCUMENTS = ['id', 'household', 'residence', 'employer'] as const;
export type LossDocument = (typeof LOSS_DOCUMENTS)[number];

/**
 * The bank PIN check of a written report (or withdrawal) on the bank side. The registry never
 * holds a PIN, so the bank checks it and the registry records where: 'card' when the holder has
 * the card (VERIFY on the chip through the SDK: `card.bank.verifyPin`), 'bank_system' when the
 * card is lost and the bank verifies the PIN against the account in its own systems. `check`
 * runs inside the operation, under the card's lock; if it throws, the report is refused with
 * BANK_PIN_CHECK_FAILED and nothing is recorded but that.
 */
export interface BankPinCheck {
  on: 'card' | 'bank_system';
  check: (card: CardStatus) => Promise<void>;
}

export interface LossReportInput {
  cardNumber: string;
  side: Side;
  channel: LossChannel;
  /** The holder's name as given (manual reports: must be the registry's). */
  name?: string;
  /** The holder's ID number (manual and written: required and must match; self: checked when given). */
  idNumber?: string;
  /** Written: the holder's document shown (default 'id'). */
  document?: LossDocument;
  /** Written by a proxy (who brings both IDs): the proxy's ID number, recorded in the history. */
  proxyIdNumber?: string;
  /** Written, bank side: the bank PIN check (required there). */
  bankPinCheck?: BankPinCheck;
  /** A step on the card, under the lock (a withdrawal at a window: unblock the application a POS blocked). */
  cardSide?: CardSideStep;
}

/** A withdrawal takes the same checks as a report through the same channel. */
export type LossWithdrawalInput = LossReportInput;

export type LossReportState = 'open' | 'superseded' | 'withdrawn' | 'lapsed' | 'replaced';

/** One loss report as the registry keeps it. */
export interface LossReport {
  id: number;
  cardNumber: string;
  side: Side;
  channel: LossChannel;
  document: LossDocument | null;
  proxyIdNumber: string | null;
  reportedAt: Date;
  state: LossReportState;
  settledAt: Date | null;
}

export interface ReplaceCardInput {
  /** The old card, reported lost in writing. */
  cardNumber: string;
  /** The holder's ID number (from the document shown); must be the card holder's. */
  idNumber: string;
  document?: LossDocument;
  /** A proxy brings both IDs: the proxy's ID number. */
  proxyIdNumber?: string;
  /** The card simulator's full check of the new card's document (as for issueCard). */
  validate?: (document: Record<string, unknown>) => void;
}

export interface ReplacedCard {
  /** The old card, now replaced on both sides. */
  old: CardStatus;
  /** The new card: new card number and identifier, application PIN initial, bank side inactive. */
  card: CardStatus;
  /** The new card's personalization document (version 1): personalize the chip with it. */
  document: PersonalizationJson;
}

export interface BankActivationInput {
  cardNumber: string;
  /** The ID number on the holder's document; must be the card holder's. */
  idNumber: string;
  /** The activation on the chip (APPLICATION UNBLOCK of the bank application), under the lock. */
  cardSide?: CardSideStep;
}

export interface HandOverInput {
  cardNumber: string;
  idNumber: string;
  proxyIdNumber?: string;
  /** The day the holder received the card ('YYYY-MM-DD', China time; default today). */
  date?: string;
}

/** The bank activation window of a financial card. */
export interface BankActivationWindow {
  cardNumber: string;
  /** The day it opened: the issue date, a recorded hand-over, or a re-opening at the bank. */
  from: string;
  /** The last day activation is allowed. */
  until: string;
  /** Days since `from` today (day 0 is `from`). */
  day: number;
  open: boolean;
}

/** Why a side of a card is on the blacklist. */
export type BlacklistReason = 'lost' | 'replaced' | 'blocked';

export interface BlacklistRow {
  cardNumber: string;
  cardIdentifier: string;
  side: Side;
  reason: BlacklistReason;
}

export interface ApplicationBlockedInput {
  cardNumber: string;
  side: Side;
  /** The blacklist reason the terminal acted on. */
  reason: BlacklistReason;
}

/** What the blacklist export produced (the signed file's content). */
export interface BlacklistExport {
  version: number;
  issuedAt: Date;
  entries: BlacklistRow[];
}

/** What a card's loss reporting stands at (Registry.lossStatus). */
export interface LossStatus {
  cardNumber: string;
  /** Every report, oldest first. */
  reports: LossReport[];
  /** A terminal blocked the application on the chip (reported); a window or bank lifts it with the card. */
  applicationBlocked: { ssc: boolean; bank: boolean };
  /** The bank activation window while the bank side awaits activation (null otherwise). */
  bankActivation: BankActivationWindow | null;
}
