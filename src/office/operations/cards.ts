import { CardNotFoundError, IdMismatchError } from '../errors.js';
import type { Queryable } from '../storage/database.js';
import type { BankState, SscState } from '../states.js';
import type { CardStatus } from '../types.js';

/*
 * The card row as operations and lookups read it: one SELECT for both, so a status lookup and an
 * operation's rule checks see the same fields.
 */

const CARD_SELECT = `
  SELECT c.card_number, c.card_identifier, c.id_number, p.name AS holder_name, c.spec_version, c.financial,
         c.issue_date::text AS issue_date, c.expiry_date::text AS expiry_date, c.ssc_status, c.bank_status,
         c.pin_initial, c.replaces, c.updated_at,
         (SELECT max(v.version) FROM personalizations v WHERE v.card_number = c.card_number) AS personalization_version,
         (SELECT count(*) FROM issuer_scripts s WHERE s.card_number = c.card_number AND s.state = 'pending')::int AS pending_scripts
    FROM cards c JOIN persons p ON p.id_number = c.id_number`;

interface CardRow {
  card_number: string;
  card_identifier: string;
  id_number: string;
  holder_name: string;
  spec_version: '2.00' | '3.00';
  financial: boolean;
  issue_date: string;
  expiry_date: string;
  ssc_status: SscState;
  bank_status: BankState | null;
  pin_initial: boolean;
  replaces: string | null;
  updated_at: Date | string;
  personalization_version: number | null;
  pending_scripts: number;
}

function toStatus(r: CardRow): CardStatus {
  return {
    cardNumber: r.card_number,
    cardIdentifier: r.card_identifier,
    idNumber: r.id_number,
    holderName: r.holder_name,
    specVersion: r.spec_version,
    financial: r.financial,
    issueDate: r.issue_date,
    expiryDate: r.expiry_date,
    ssc: r.ssc_status,
    bank: r.bank_status,
    pinInitial: r.pin_initial,
    replaces: r.replaces,
    personalizationVersion: r.personalization_version ?? 0,
    pendingScripts: Number(r.pending_scripts),
    updatedAt: r.updated_at instanceof Date ? r.updated_at : new Date(r.updated_at),
  };
}

/** The card's status, or undefined when the registry has no such card. */
export async function findCard(q: Queryable, cardNumber: string): Promise<CardStatus | undefined> {
  const r = await q.query<CardRow>(`${CARD_SELECT} WHERE c.card_number = $1`, [cardNumber]);
  const row = r.rows[0];
  return row === undefined ? undefined : toStatus(row);
}

/** Every card of a person, oldest first. */
export async function cardsOfPerson(q: Queryable, idNumber: string): Promise<CardStatus[]> {
  const r = await q.query<CardRow>(`${CARD_SELECT} WHERE c.id_number = $1 ORDER BY c.created_at, c.card_number`, [
    idNumber,
  ]);
  return r.rows.map(toStatus);
}

/**
 * Locks the card's row for the rest of the transaction (concurrent operations on the same card
 * wait here, then see its state as the previous one left it) and returns its status.
 */
export async function lockCard(tx: Queryable, cardNumber: string): Promise<CardStatus> {
  if (typeof cardNumber !== 'string' || cardNumber === '') throw new CardNotFoundError(String(cardNumber));
  const locked = await tx.query('SELECT 1 FROM cards WHERE card_number = $1 FOR UPDATE', [cardNumber]);
  if (locked.rows.length === 0) throw new CardNotFoundError(cardNumber);
  const card = await findCard(tx, cardNumber);
  if (card === undefined) throw new CardNotFoundError(cardNumber);
  return card;
}

/** The holder check of the window: the ID number shown must be the card holder's. */
export function checkHolder(card: CardStatus, idNumber: string): void {
  if (typeof idNumber !== 'string' || idNumber.toUpperCase() !== card.idNumber)
    throw new IdMismatchError(card.cardNumber);
}
