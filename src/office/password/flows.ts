import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { OperationContext } from '../context.js';
import {
  CardNotFoundError,
  OfficeArgumentError,
  OfficeError,
  OperationRefusedError,
  RegistryBusyError,
  RegistryStorageError,
} from '../errors.js';
import { findCard } from '../operations/cards.js';
import { MAX_ATTEMPTS } from '../operations/runner.js';
import type { OperationSpec } from '../operations/runner.js';
import { RETRYABLE_SQLSTATES, sqlState } from '../storage/database.js';
import type { Database, Queryable } from '../storage/database.js';
import { hashQueryPassword, needsRehash, queryPasswordMatches } from './hash.js';
import { changeOperation, resetOperation, signInOperation, statusOf } from './operations.js';
import type { Presented, QueryPasswordStatus, SignedIn } from './operations.js';
import { checkNewQueryPassword, initialQueryPassword, passwordBytes, queryPasswordRulesOf } from './rules.js';
import type { QueryPasswordRules } from './rules.js';
import { insertInitialRow, liveCardOf, parseAccount, readPasswordRow, resolveAccount, spendTry } from './store.js';
import type { Account } from './store.js';

/*
 * The query password's flows: what the registry's methods run. Presenting a password follows the
 * PIN engine (src/pin, Pin.verify), with the comparison moved out of the transaction because a
 * scrypt hash takes a good part of a second and a transaction on the embedded store holds the
 * whole store:
 *   1. one short transaction makes the card's row if it is new (initial verifier computed before
 *      it), locks the row and, unless it is locked, spends one try; COMMIT. The try is durable
 *      before anything is compared;
 *   2. the candidate is compared with the verifier the spend returned (constant time);
 *   3. the operation (operations.ts) records the outcome and, on a match, restores the counter.
 * A process that dies between 1 and 3 has lost a try and answered nothing, as a card pulled after
 * the spend. When no card answers to the account, a hash is still computed, so the time taken does
 * not tell a missing account from a wrong password.
 */

export interface PasswordEnv {
  db: Database;
  clock: Clock;
  perform<I, T>(spec: OperationSpec<I, T>, ctx: OperationContext, input: I): Promise<T>;
}

export interface SignInInput {
  /** The card number or the holder's ID number. */
  account: string;
  password: string | Uint8Array;
}

export interface ChangeInput {
  cardNumber: string;
  current: string | Uint8Array;
  next: string | Uint8Array;
}

export interface ResetInput {
  idNumber: string;
  name: string;
  /** The last six characters of the personal number (the ID number; see rules.ts). */
  personalNumberTail: string;
}

const dummyVerifiers = new Map<string, Promise<string>>();

/** A verifier of a random secret under `rules.hash`, made once per parameter set. */
function dummyVerifier(rules: QueryPasswordRules): Promise<string> {
  const key = `${rules.hash.ln},${rules.hash.r},${rules.hash.p}`;
  let v = dummyVerifiers.get(key);
  if (v === undefined) {
    v = hashQueryPassword(randomBytes(16), rules.hash);
    dummyVerifiers.set(key, v);
  }
  return v;
}

/**
 * A plain transaction of the password steps, re-run when it deadlocks (it can with an operation
 * that makes the same card's row: nothing has been compared yet, so running it again is safe),
 * a bounded number of times; driver failures become RegistryStorageError.
 */
async function step<T>(db: Database, what: string, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction('read committed', fn);
    } catch (err) {
      if (
        err instanceof OfficeError ||
        err instanceof TypeError ||
        err instanceof RangeError ||
        err instanceof ReferenceError
      )
        throw err;
      const state = sqlState(err);
      if (state !== undefined && RETRYABLE_SQLSTATES.has(state)) {
        if (attempt >= MAX_ATTEMPTS) throw new RegistryBusyError(what, attempt, { cause: err });
        await new Promise((resolve) => setTimeout(resolve, Math.min(200, 2 ** attempt) + Math.random() * 10));
        continue;
      }
      throw new RegistryStorageError(
        `${what} failed in the store (${err instanceof Error ? err.message : String(err)})`,
        { cause: err },
      );
    }
  }
}

/** Steps 1 and 2: spend a try and compare; undefined when no card answers (the operation refuses). */
async function present(
  env: PasswordEnv,
  account: Account,
  candidate: Uint8Array,
  rules: QueryPasswordRules,
): Promise<Presented | undefined> {
  let cardNumber: string;
  try {
    cardNumber = (await resolveAccount(env.db, account)).cardNumber;
  } catch (err) {
    if (!(err instanceof OperationRefusedError)) throw err;
    await queryPasswordMatches(candidate, await dummyVerifier(rules));
    return undefined;
  }
  const existing = await readPasswordRow(env.db, cardNumber);
  const initial =
    existing === undefined
      ? await hashQueryPassword(Buffer.from(initialQueryPassword(cardNumber), 'utf8'), rules.hash)
      : undefined;
  const spent = await step(env.db, 'query password try', async (tx) => {
    const now = env.clock.now();
    if (initial !== undefined) await insertInitialRow(tx, cardNumber, initial, rules.tryLimit, now);
    const row = await readPasswordRow(tx, cardNumber, true);
    if (row === undefined) throw new CardNotFoundError(cardNumber);
    if (row.triesLeft === 0) return { verifier: row.verifier, triesLeft: 0, locked: true };
    const after = await spendTry(tx, cardNumber, now);
    return { verifier: after.verifier, triesLeft: after.triesLeft, locked: false };
  });
  if (spent.locked) return { cardNumber, verifier: spent.verifier, outcome: 'locked', triesLeft: 0 };
  const match = await queryPasswordMatches(candidate, spent.verifier);
  return { cardNumber, verifier: spent.verifier, outcome: match ? 'match' : 'mismatch', triesLeft: spent.triesLeft };
}

/** The account `text` names, refused with `refusal` unless it is of `kind`. */
function accountOfKind<K extends Account['kind']>(
  text: string,
  kind: K,
  refusal: string,
): Extract<Account, { kind: K }> {
  const account = parseAccount(text);
  if (account.kind !== kind) throw new OfficeArgumentError(refusal);
  return account as Extract<Account, { kind: K }>;
}

/** Signs in with the card number or ID number and the query password. */
export async function signIn(env: PasswordEnv, ctx: OperationContext, input: SignInInput): Promise<SignedIn> {
  const rules = queryPasswordRulesOf(env.db);
  const account = parseAccount(input?.account);
  const candidate = passwordBytes(input.password);
  try {
    const presented = await present(env, account, candidate, rules);
    const rehashed =
      presented?.outcome === 'match' && needsRehash(presented.verifier, rules.hash)
        ? await hashQueryPassword(candidate, rules.hash)
        : undefined;
    return await env.perform(signInOperation, ctx, {
      account,
      presented,
      rules,
      ...(rehashed === undefined ? {} : { rehashed }),
    });
  } finally {
    candidate.fill(0);
  }
}

/** Changes the card's query password: the current one is presented (a try), then the new one set. */
export async function changePassword(
  env: PasswordEnv,
  ctx: OperationContext,
  input: ChangeInput,
): Promise<QueryPasswordStatus> {
  const rules = queryPasswordRulesOf(env.db);
  const account = accountOfKind(input?.cardNumber, 'card', 'a query password is changed by card number');
  // Both shapes are checked before anything is spent, as a PIN change checks both PINs first.
  const next = passwordBytes(input.next, 'new');
  let current: Buffer | undefined;
  try {
    checkNewQueryPassword(next);
    current = passwordBytes(input.current, 'current');
    const presented = await present(env, account, current, rules);
    const newVerifier = presented?.outcome === 'match' ? await hashQueryPassword(next, rules.hash) : undefined;
    return await env.perform(changeOperation, ctx, { cardNumber: account.cardNumber, presented, newVerifier, rules });
  } finally {
    next.fill(0);
    current?.fill(0);
  }
}

/** Resets a forgotten or locked query password to its initial value, with the holder's identity. */
export async function resetPassword(
  env: PasswordEnv,
  ctx: OperationContext,
  input: ResetInput,
): Promise<QueryPasswordStatus> {
  const rules = queryPasswordRulesOf(env.db);
  const account = accountOfKind(input?.idNumber, 'id', 'a query password is reset with the ID number');
  if (typeof input.name !== 'string' || typeof input.personalNumberTail !== 'string')
    throw new OfficeArgumentError('a reset needs the name and the last six characters of the personal number');
  let prepared: { cardNumber: string; verifier: string } | undefined;
  try {
    const card = await liveCardOf(env.db, account.idNumber);
    prepared = {
      cardNumber: card.cardNumber,
      verifier: await hashQueryPassword(Buffer.from(initialQueryPassword(card.cardNumber), 'utf8'), rules.hash),
    };
  } catch (err) {
    if (!(err instanceof OperationRefusedError)) throw err;
    await dummyVerifier(rules).then((v) => queryPasswordMatches(Buffer.from(input.personalNumberTail, 'utf8'), v));
  }
  return env.perform(resetOperation, ctx, {
    idNumber: account.idNumber,
    name: input.name,
    personalNumberTail: input.personalNumberTail,
    prepared,
    rules,
  });
}

/** The state of the card's query password; CardNotFoundError when the registry has no such card. */
export async function passwordStatus(env: PasswordEnv, cardNumber: string): Promise<QueryPasswordStatus> {
  const card = await findCard(env.db, cardNumber);
  if (card === undefined) throw new CardNotFoundError(cardNumber);
  return statusOf(card.cardNumber, await readPasswordRow(env.db, card.cardNumber), queryPasswordRulesOf(env.db));
}
