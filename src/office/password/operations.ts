import {
  IdentityMismatchError,
  QueryPasswordIncorrectError,
  QueryPasswordLockedError,
  QueryPasswordResetLimitError,
} from '../errors.js';
import { cardOutcome } from '../operations/runner.js';
import type { OperationSpec } from '../operations/runner.js';
import type { Queryable } from '../storage/database.js';
import type { CardStatus } from '../types.js';
import { hashQueryPassword } from './hash.js';
import { initialQueryPassword, personalNumberTailMatches, sameName } from './rules.js';
import type { QueryPasswordRules } from './rules.js';
import { accountSubject, lockAccount, readPasswordRow, restoreTries, writePassword } from './store.js';
import type { Account, PasswordRow } from './store.js';

/*
 * The query password's operations, each one transaction through the registry's runner with its
 * history entry (never the password, never a verifier). The slow work happens before them, outside
 * any transaction (flows.ts): the try is spent and committed, the candidate compared, new
 * verifiers computed; the operation then takes the card's lock, checks that what was compared is
 * still what is stored, and records the outcome. A refusal rolls back only what the operation
 * itself wrote: the try spent before it stays spent.
 */

/** What a presented password came to (flows.ts, before the operation). */
export interface Presented {
  /** The card whose try was spent. */
  cardNumber: string;
  /** The verifier the candidate was compared with. */
  verifier: string;
  outcome: 'match' | 'mismatch' | 'locked';
  /** Tries left right after this try was spent. */
  triesLeft: number;
}

/** The state of a card's query password (never the password). */
export interface QueryPasswordStatus {
  cardNumber: string;
  /** Still the initial value (the last six characters of the card number). */
  initial: boolean;
  triesLeft: number;
  tryLimit: number;
  locked: boolean;
  /** When it was last set (changed or reset); null while it was never used. */
  setAt: Date | null;
}

export interface SignedIn {
  card: CardStatus;
  password: QueryPasswordStatus;
}

export function statusOf(
  cardNumber: string,
  row: PasswordRow | undefined,
  rules: QueryPasswordRules,
): QueryPasswordStatus {
  if (row === undefined)
    return {
      cardNumber,
      initial: true,
      triesLeft: rules.tryLimit,
      tryLimit: rules.tryLimit,
      locked: false,
      setAt: null,
    };
  return {
    cardNumber,
    initial: row.initial,
    triesLeft: row.triesLeft,
    tryLimit: row.tryLimit,
    locked: row.triesLeft === 0,
    setAt: row.setAt,
  };
}

/**
 * The card's row as the presentation left it, or the refusal the presentation earned: locked
 * (nothing compared), or incorrect with the tries left (also when the password was changed or
 * reset between the comparison and this lock: the candidate was not compared with it).
 */
async function settlePresented(
  tx: Queryable,
  card: CardStatus,
  presented: Presented | undefined,
  rules: QueryPasswordRules,
): Promise<PasswordRow> {
  const row = await readPasswordRow(tx, card.cardNumber, true);
  // Locked when the presentation found it locked; a try that ends at 0 is this try's "incorrect, 0 left".
  if (presented?.outcome === 'locked' || (presented === undefined && row?.triesLeft === 0))
    throw new QueryPasswordLockedError(card.cardNumber);
  const matched =
    presented !== undefined &&
    presented.cardNumber === card.cardNumber &&
    presented.outcome === 'match' &&
    row?.verifier === presented.verifier;
  if (!matched || row === undefined) {
    const left = presented?.cardNumber === card.cardNumber ? presented.triesLeft : (row?.triesLeft ?? rules.tryLimit);
    throw new QueryPasswordIncorrectError(card.cardNumber, left);
  }
  return row;
}

export interface SignInStep {
  account: Account;
  presented: Presented | undefined;
  /** A verifier of the same password under the current parameters, when the stored one is older. */
  rehashed?: string;
  rules: QueryPasswordRules;
}

export const signInOperation: OperationSpec<SignInStep, SignedIn> = {
  name: 'query_password_sign_in',
  roles: ['portal', 'admin'],
  subject: (i) => accountSubject(i.account),
  async run(tx, env, input) {
    const card = await lockAccount(tx, input.account);
    const row = await settlePresented(tx, card, input.presented, input.rules);
    await restoreTries(tx, card.cardNumber, env.now);
    if (input.rehashed !== undefined) {
      await writePassword(
        tx,
        card.cardNumber,
        { verifier: input.rehashed, initial: row.initial, tryLimit: row.tryLimit, setAt: row.setAt },
        env.now,
      );
    }
    const password = statusOf(card.cardNumber, { ...row, triesLeft: row.tryLimit }, input.rules);
    return {
      value: { card, password },
      cardNumber: card.cardNumber,
      idNumber: card.idNumber,
      details: { initial: row.initial },
    };
  },
};

export interface ChangeStep {
  cardNumber: string;
  presented: Presented | undefined;
  /** The new password's verifier (computed only after the current one matched). */
  newVerifier: string | undefined;
  rules: QueryPasswordRules;
}

export const changeOperation: OperationSpec<ChangeStep, QueryPasswordStatus> = {
  name: 'query_password_change',
  roles: ['portal', 'admin'],
  subject: (i) => ({ cardNumber: i.cardNumber }),
  async run(tx, env, input) {
    const card = await lockAccount(tx, { kind: 'card', cardNumber: input.cardNumber });
    const row = await settlePresented(tx, card, input.presented, input.rules);
    if (input.newVerifier === undefined) throw new QueryPasswordIncorrectError(card.cardNumber, row.triesLeft);
    await writePassword(
      tx,
      card.cardNumber,
      { verifier: input.newVerifier, initial: false, tryLimit: row.tryLimit, setAt: env.now },
      env.now,
    );
    const after = await readPasswordRow(tx, card.cardNumber);
    return cardOutcome(card, statusOf(card.cardNumber, after, input.rules), { initial: false });
  },
};

export interface ResetStep {
  idNumber: string;
  name: string;
  personalNumberTail: string;
  /** The initial value's verifier, computed beforehand for the card the lookup found. */
  prepared: { cardNumber: string; verifier: string } | undefined;
  rules: QueryPasswordRules;
}

const DAY_MS = 86_400_000;

export const resetOperation: OperationSpec<ResetStep, QueryPasswordStatus> = {
  name: 'query_password_reset',
  roles: ['portal', 'window', 'admin'],
  subject: (i) => ({ idNumber: i.idNumber }),
  async run(tx, env, input) {
    const card = await lockAccount(tx, { kind: 'id', idNumber: input.idNumber });
    const person = await tx.query<{ name: string }>('SELECT name FROM persons WHERE id_number = $1', [card.idNumber]);
    // Both facts are checked before either answers, and the refusal does not say which failed.
    const nameOk = sameName(person.rows[0]?.name ?? '', input.name);
    const tailOk = personalNumberTailMatches(card.idNumber, input.personalNumberTail);
    if (!nameOk || !tailOk) throw new IdentityMismatchError(card.idNumber);
    const since = new Date(env.now.getTime() - DAY_MS).toISOString();
    const resets = await tx.query<{ n: number | string }>(
      `SELECT count(*)::int AS n FROM history WHERE card_number = $1 AND operation = 'query_password_reset' AND result = 'ok' AND at > $2::timestamptz`,
      [card.cardNumber, since],
    );
    if (Number(resets.rows[0]?.n ?? 0) >= input.rules.resetsPerDay)
      throw new QueryPasswordResetLimitError(card.cardNumber, input.rules.resetsPerDay);
    // The card may have changed since the lookup (a replacement): then its own initial value, here.
    const verifier =
      input.prepared?.cardNumber === card.cardNumber
        ? input.prepared.verifier
        : await hashQueryPassword(Buffer.from(initialQueryPassword(card.cardNumber), 'utf8'), input.rules.hash);
    await writePassword(
      tx,
      card.cardNumber,
      { verifier, initial: true, tryLimit: input.rules.tryLimit, setAt: env.now },
      env.now,
    );
    const after = await readPasswordRow(tx, card.cardNumber);
    return cardOutcome(card, statusOf(card.cardNumber, after, input.rules), { initial: true });
  },
};
