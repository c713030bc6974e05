import type { Clock } from '../clock.js';
import { checkContext } from '../context.js';
import type { OperationContext, Role } from '../context.js';
import {
  CardSideFailedError,
  OfficeArgumentError,
  OfficeError,
  OperationRefusedError,
  RegistryBusyError,
  RegistryStorageError,
  RoleNotAllowedError,
} from '../errors.js';
import { RETRYABLE_SQLSTATES, sqlState } from '../storage/database.js';
import type { Database, Queryable } from '../storage/database.js';

/*
 * The operation layer. Every operation is one OperationSpec, run by `performOperation` in one
 * transaction:
 *   1. the role check, then the operation's own rules and writes (inside a savepoint);
 *   2. its history entry: `ok` with the operation's details, or, when a rule refused it
 *      (an OperationRefusedError), everything since the savepoint is rolled back and the entry
 *      says `refused` with the error's code;
 *   3. COMMIT, then the result is returned or the refusal thrown.
 * Row locks (SELECT … FOR UPDATE on the card, the person) order concurrent operations on the same
 * card; a deadlock or serialization failure re-runs the whole transaction, a bounded number of
 * times, unless a card-side step has already run (it is not repeated behind the card's back).
 */

export interface OperationEnv {
  ctx: OperationContext;
  /** The one instant of this operation (from the registry's clock). */
  now: Date;
  /** Runs a card-side step, turning its failure into a refusal; marks the operation as not retryable. */
  cardSide<A>(step: ((arg: A) => Promise<void>) | undefined, arg: A): Promise<void>;
}

export interface OperationOutcome<T> {
  value: T;
  cardNumber?: string | null;
  idNumber?: string | null;
  /** Facts for the history entry; never a PIN or a password. */
  details?: Record<string, unknown>;
}

/** The outcome of an operation on `card`: its history entry names the card and the holder. */
export function cardOutcome<T>(
  card: { cardNumber: string; idNumber: string },
  value: T,
  details?: Record<string, unknown>,
): OperationOutcome<T> {
  return { value, cardNumber: card.cardNumber, idNumber: card.idNumber, ...(details === undefined ? {} : { details }) };
}

export interface OperationSpec<I, T> {
  /** snake_case name, as the history records it. */
  name: string;
  roles: readonly Role[];
  /** The card and person the history entry names when the operation is refused. */
  subject(input: I): { cardNumber?: string | null; idNumber?: string | null };
  run(tx: Queryable, env: OperationEnv, input: I): Promise<OperationOutcome<T>>;
}

/** Attempts per operation when transactions conflict (deadlock, serialization failure). */
export const MAX_ATTEMPTS = 8;

export async function performOperation<I, T>(
  db: Database,
  clock: Clock,
  spec: OperationSpec<I, T>,
  ctx: OperationContext,
  input: I,
): Promise<T> {
  checkContext(ctx);
  for (let attempt = 1; ; attempt++) {
    let cardSideRan = false;
    try {
      const outcome = await db.transaction('read committed', async (tx) => {
        const now = clock.now();
        const env: OperationEnv = {
          ctx,
          now,
          async cardSide(step, arg) {
            if (step === undefined) return;
            cardSideRan = true;
            try {
              await step(arg);
            } catch (err) {
              if (err instanceof OperationRefusedError) throw err;
              throw new CardSideFailedError(spec.name, err);
            }
          },
        };
        await tx.exec('SAVEPOINT operation');
        try {
          if (!spec.roles.includes(ctx.role)) throw new RoleNotAllowedError(spec.name, ctx.role, spec.roles);
          const done = await spec.run(tx, env, input);
          await writeHistory(tx, now, ctx, spec.name, {
            cardNumber: done.cardNumber ?? null,
            idNumber: done.idNumber ?? null,
            result: 'ok',
            reason: null,
            details: done.details ?? {},
          });
          return { done };
        } catch (err) {
          if (!(err instanceof OperationRefusedError)) throw err;
          await tx.exec('ROLLBACK TO SAVEPOINT operation');
          const subject = safeSubject(spec, input);
          await writeHistory(tx, now, ctx, spec.name, {
            cardNumber: subject.cardNumber ?? null,
            idNumber: subject.idNumber ?? null,
            result: 'refused',
            reason: err.code,
            details: err.details as Record<string, unknown>,
          });
          return { refused: err };
        }
      });
      if ('refused' in outcome) throw outcome.refused;
      return outcome.done.value;
    } catch (err) {
      if (err instanceof OfficeError) throw err;
      const state = sqlState(err);
      if (state !== undefined && RETRYABLE_SQLSTATES.has(state)) {
        if (cardSideRan || attempt >= MAX_ATTEMPTS) throw new RegistryBusyError(spec.name, attempt, { cause: err });
        await backoff(attempt);
        continue;
      }
      // A bug in the code stays what it is; whatever the store or the driver threw is wrapped.
      if (err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError) throw err;
      throw new RegistryStorageError(
        `${spec.name} failed in the store (${err instanceof Error ? err.message : String(err)})`,
        { cause: err },
      );
    }
  }
}

function safeSubject<I>(
  spec: OperationSpec<I, unknown>,
  input: I,
): { cardNumber?: string | null; idNumber?: string | null } {
  try {
    const s = spec.subject(input);
    return {
      cardNumber: typeof s.cardNumber === 'string' ? s.cardNumber.slice(0, 64) : null,
      idNumber: typeof s.idNumber === 'string' ? s.idNumber.slice(0, 18) : null,
    };
  } catch {
    return {};
  }
}

function backoff(attempt: number): Promise<void> {
  const ms = Math.min(200, 2 ** attempt) + Math.random() * 10;
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface HistoryFields {
  cardNumber: string | null;
  idNumber: string | null;
  result: 'ok' | 'refused';
  reason: string | null;
  details: Record<string, unknown>;
}

async function writeHistory(
  tx: Queryable,
  at: Date,
  ctx: OperationContext,
  operation: string,
  f: HistoryFields,
): Promise<void> {
  assertNoSecrets(f.details, 'history details');
  await tx.query(
    `INSERT INTO history (at, terminal_id, role, channel, operation, card_number, id_number, result, reason, details)
     VALUES ($1::timestamptz, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)`,
    [
      at.toISOString(),
      ctx.terminalId,
      ctx.role,
      ctx.channel,
      operation,
      f.cardNumber,
      f.idNumber,
      f.result,
      f.reason,
      JSON.stringify(f.details),
    ],
  );
}

/** Keys that would hold a PIN or a password: refused anywhere the registry stores free data. */
const SECRET_KEY = /pin$|pinblock|password|passwd|secret/i;

/** Throws when `data` has a key naming a PIN or a password (the registry never stores one). */
export function assertNoSecrets(data: unknown, what: string, path = ''): void {
  if (data === null || typeof data !== 'object') return;
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    const here = path === '' ? key : `${path}.${key}`;
    if (SECRET_KEY.test(key))
      throw new OfficeArgumentError(
        `${what}: field ${here} would hold a PIN or a password, which the registry never stores`,
      );
    assertNoSecrets(value, what, here);
  }
}

/** Refuses when the store answered something impossible (a bug or a hand-edited database). */
export function storeInvariant(ok: boolean, message: string): asserts ok {
  if (!ok) throw new RegistryStorageError(message);
}
