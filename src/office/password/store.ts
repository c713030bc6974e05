import {
  CardNotFoundError,
  CardStateError,
  NoLiveCardError,
  OfficeArgumentError,
  PersonNotFoundError,
} from '../errors.js';
import { cardsOfPerson, findCard, lockCard } from '../operations/cards.js';
import { storeInvariant } from '../operations/runner.js';
import type { Queryable } from '../storage/database.js';
import type { CardStatus } from '../types.js';

/*
 * The query_passwords rows (see schema.ts) and how a sign-in names its card: by card number, or
 * by ID number for the person's live card.
 */

export interface PasswordRow {
  cardNumber: string;
  verifier: string;
  initial: boolean;
  tryLimit: number;
  triesLeft: number;
  setAt: Date;
}

interface Row {
  card_number: string;
  verifier: string;
  initial: boolean;
  try_limit: number;
  tries_left: number;
  set_at: Date | string;
}

const COLUMNS = 'card_number, verifier, initial, try_limit, tries_left, set_at';

function toRow(r: Row): PasswordRow {
  return {
    cardNumber: r.card_number,
    verifier: r.verifier,
    initial: r.initial,
    tryLimit: Number(r.try_limit),
    triesLeft: Number(r.tries_left),
    setAt: r.set_at instanceof Date ? r.set_at : new Date(r.set_at),
  };
}

/** The card's row (locked for the transaction with `forUpdate`), or undefined before its first use. */
export async function readPasswordRow(
  q: Queryable,
  cardNumber: string,
  forUpdate = false,
): Promise<PasswordRow | undefined> {
  const r = await q.query<Row>(
    `SELECT ${COLUMNS} FROM query_passwords WHERE card_number = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [cardNumber],
  );
  return r.rows[0] === undefined ? undefined : toRow(r.rows[0]);
}

/** Makes the card's row with its initial password, unless another transaction made it first. */
export async function insertInitialRow(
  q: Queryable,
  cardNumber: string,
  verifier: string,
  tryLimit: number,
  now: Date,
): Promise<void> {
  await q.query(
    `INSERT INTO query_passwords (card_number, verifier, initial, try_limit, tries_left, set_at, updated_at)
     VALUES ($1, $2, true, $3, $3, $4::timestamptz, $4::timestamptz) ON CONFLICT (card_number) DO NOTHING`,
    [cardNumber, verifier, tryLimit, now.toISOString()],
  );
}

/** Spends one try of an unlocked password and returns the row as it now is. */
export async function spendTry(q: Queryable, cardNumber: string, now: Date): Promise<PasswordRow> {
  const r = await q.query<Row>(
    `UPDATE query_passwords SET tries_left = tries_left - 1, updated_at = $2::timestamptz WHERE card_number = $1 AND tries_left > 0 RETURNING ${COLUMNS}`,
    [cardNumber, now.toISOString()],
  );
  storeInvariant(r.rows[0] !== undefined, `query password of card ${cardNumber}: no try to spend`);
  return toRow(r.rows[0]);
}

/** A match: the full counter back. */
export async function restoreTries(q: Queryable, cardNumber: string, now: Date): Promise<void> {
  await q.query(
    'UPDATE query_passwords SET tries_left = try_limit, updated_at = $2::timestamptz WHERE card_number = $1',
    [cardNumber, now.toISOString()],
  );
}

/** Sets a new verifier with a full counter (a change, a reset, or a stronger hash of the same password). */
export async function writePassword(
  q: Queryable,
  cardNumber: string,
  fields: { verifier: string; initial: boolean; tryLimit: number; setAt: Date | null },
  now: Date,
): Promise<void> {
  const setAt = (fields.setAt ?? now).toISOString();
  await q.query(
    `INSERT INTO query_passwords (card_number, verifier, initial, try_limit, tries_left, set_at, updated_at)
     VALUES ($1, $2, $3, $4, $4, $5::timestamptz, $6::timestamptz)
     ON CONFLICT (card_number) DO UPDATE SET verifier = $2, initial = $3, try_limit = $4, tries_left = $4, set_at = $5::timestamptz, updated_at = $6::timestamptz`,
    [cardNumber, fields.verifier, fields.initial, fields.tryLimit, setAt, now.toISOString()],
  );
}

// ---- accounts --------------------------------------------------------------------------------

/** What a holder signs in with. */
export type Account = { kind: 'card'; cardNumber: string } | { kind: 'id'; idNumber: string };

const CARD_NUMBER = /^[0-9A-Z]{9}$/;
const ID_NUMBER = /^[0-9]{17}[0-9X]$/;

/** A card number (9 characters) or an ID number (18), blanks and letter case ignored. */
export function parseAccount(text: string): Account {
  const t = typeof text === 'string' ? text.replace(/\s+/g, '').toUpperCase() : '';
  if (CARD_NUMBER.test(t)) return { kind: 'card', cardNumber: t };
  if (ID_NUMBER.test(t)) return { kind: 'id', idNumber: t };
  throw new OfficeArgumentError('the account must be a card number (9 characters) or an ID number (18 characters)');
}

/** The history's subject for an account. */
export function accountSubject(account: Account): { cardNumber?: string; idNumber?: string } {
  return account.kind === 'card' ? { cardNumber: account.cardNumber } : { idNumber: account.idNumber };
}

/**
 * The card an account names: the card itself (refused when it was replaced: the new card has a
 * password of its own), or the person's live card (not replaced or blocked).
 */
export async function resolveAccount(q: Queryable, account: Account): Promise<CardStatus> {
  if (account.kind === 'card') {
    const card = await findCard(q, account.cardNumber);
    if (card === undefined) throw new CardNotFoundError(account.cardNumber);
    if (card.ssc === 'replaced') throw new CardStateError(card.cardNumber, 'ssc', card.ssc, 'query password');
    return card;
  }
  return liveCardOf(q, account.idNumber);
}

/** The person's live card; PersonNotFoundError or NoLiveCardError. */
export async function liveCardOf(q: Queryable, idNumber: string): Promise<CardStatus> {
  const cards = await cardsOfPerson(q, idNumber);
  if (cards.length === 0) {
    const person = await q.query('SELECT 1 FROM persons WHERE id_number = $1', [idNumber]);
    throw person.rows.length === 0 ? new PersonNotFoundError(idNumber) : new NoLiveCardError(idNumber);
  }
  const live = cards.filter((c) => c.ssc !== 'replaced' && c.ssc !== 'blocked');
  const card = live[live.length - 1];
  if (card === undefined) throw new NoLiveCardError(idNumber);
  return card;
}

/** As resolveAccount, holding the card's row lock for the rest of the transaction. */
export async function lockAccount(tx: Queryable, account: Account): Promise<CardStatus> {
  // A card replaced or blocked between the lookup and the lock: look again under the lock (a
  // person's new card is committed by then), a bounded number of times.
  for (let attempt = 0; attempt < 3; attempt++) {
    const card = await resolveAccount(tx, account);
    const locked = await lockCard(tx, card.cardNumber);
    if (account.kind === 'card') {
      if (locked.ssc === 'replaced') throw new CardStateError(locked.cardNumber, 'ssc', locked.ssc, 'query password');
      return locked;
    }
    if (locked.ssc !== 'replaced' && locked.ssc !== 'blocked') return locked;
  }
  throw account.kind === 'id' ? new NoLiveCardError(account.idNumber) : new CardNotFoundError(account.cardNumber);
}
