import { CardStateError, OfficeArgumentError, ScriptNotFoundError, ScriptStateError } from '../errors.js';
import { isFinalState } from '../states.js';
import type { Queryable } from '../storage/database.js';
import type { IssuerScript, IssuerScriptState, QueueScriptInput, ScriptAppliedInput } from '../types.js';
import { lockCard } from './cards.js';
import { assertNoSecrets, cardOutcome } from './runner.js';
import type { OperationSpec } from './runner.js';

/*
 * Issuer scripts: commands queued for a card (a hotline PIN change, an application unblock, …)
 * that a terminal applies when it next sees the card online, then reports applied. A script past
 * its expiry is no longer handed out; `expire_scripts` settles those.
 */

interface ScriptRow {
  id: string | number;
  card_number: string;
  kind: string;
  payload: Record<string, unknown>;
  created_at: Date | string;
  expires_at: Date | string | null;
  state: IssuerScriptState;
  settled_at: Date | string | null;
}

const SCRIPT_COLUMNS = 'id, card_number, kind, payload, created_at, expires_at, state, settled_at';

function date(v: Date | string): Date {
  return v instanceof Date ? v : new Date(v);
}

/** Refuses a script id that is not one the registry hands out (a positive integer). */
export function checkScriptId(scriptId: number): void {
  if (!Number.isSafeInteger(scriptId) || scriptId < 1)
    throw new OfficeArgumentError('scriptId must be a positive integer');
}

export function toScript(r: ScriptRow): IssuerScript {
  return {
    id: Number(r.id),
    cardNumber: r.card_number,
    kind: r.kind,
    payload: r.payload,
    createdAt: date(r.created_at),
    expiresAt: r.expires_at === null ? null : date(r.expires_at),
    state: r.state,
    settledAt: r.settled_at === null ? null : date(r.settled_at),
  };
}

/** Pending, unexpired scripts of a card at `now`, oldest first. */
export async function pendingScripts(q: Queryable, cardNumber: string, now: Date): Promise<IssuerScript[]> {
  const r = await q.query<ScriptRow>(
    `SELECT ${SCRIPT_COLUMNS} FROM issuer_scripts
      WHERE card_number = $1 AND state = 'pending' AND (expires_at IS NULL OR expires_at > $2::timestamptz) ORDER BY id`,
    [cardNumber, now.toISOString()],
  );
  return r.rows.map(toScript);
}

export const queueScriptOperation: OperationSpec<QueueScriptInput, IssuerScript> = {
  name: 'queue_script',
  roles: ['window', 'bank', 'hotline', 'admin'],
  subject: (i) => ({ cardNumber: i.cardNumber }),
  async run(tx, env, input) {
    if (typeof input.kind !== 'string' || !/^[a-z][a-z0-9_]{0,39}$/.test(input.kind)) {
      throw new OfficeArgumentError('script kind must be 1..40 lower-case letters, digits or _ starting with a letter');
    }
    if (input.payload === null || typeof input.payload !== 'object' || Array.isArray(input.payload)) {
      throw new OfficeArgumentError('script payload must be an object');
    }
    assertNoSecrets(input.payload, 'script payload');
    if (
      input.expiresAt !== undefined &&
      !(input.expiresAt instanceof Date && input.expiresAt.getTime() > env.now.getTime())
    ) {
      throw new OfficeArgumentError('script expiresAt must be a Date in the future');
    }
    const card = await lockCard(tx, input.cardNumber);
    if (isFinalState(card.ssc)) throw new CardStateError(card.cardNumber, 'ssc', card.ssc, 'queue_script');
    const r = await tx.query<ScriptRow>(
      `INSERT INTO issuer_scripts (card_number, kind, payload, created_at, expires_at)
       VALUES ($1, $2, $3::jsonb, $4::timestamptz, $5::timestamptz) RETURNING ${SCRIPT_COLUMNS}`,
      [
        card.cardNumber,
        input.kind,
        JSON.stringify(input.payload),
        env.now.toISOString(),
        input.expiresAt?.toISOString() ?? null,
      ],
    );
    const script = toScript(r.rows[0]!);
    return cardOutcome(card, script, { scriptId: script.id, kind: script.kind });
  },
};

export const scriptAppliedOperation: OperationSpec<ScriptAppliedInput, IssuerScript> = {
  name: 'script_applied',
  roles: ['window', 'bank', 'hotline', 'pos', 'admin'],
  subject: () => ({}),
  async run(tx, env, input) {
    checkScriptId(input.scriptId);
    const found = await tx.query<ScriptRow>(`SELECT ${SCRIPT_COLUMNS} FROM issuer_scripts WHERE id = $1 FOR UPDATE`, [
      input.scriptId,
    ]);
    const row = found.rows[0];
    if (row === undefined) throw new ScriptNotFoundError(input.scriptId);
    const script = toScript(row);
    if (script.state !== 'pending') throw new ScriptStateError(script.id, script.state);
    if (script.expiresAt !== null && script.expiresAt.getTime() <= env.now.getTime())
      throw new ScriptStateError(script.id, 'expired');
    const r = await tx.query<ScriptRow>(
      `UPDATE issuer_scripts SET state = 'applied', settled_at = $2::timestamptz WHERE id = $1 RETURNING ${SCRIPT_COLUMNS}`,
      [script.id, env.now.toISOString()],
    );
    return {
      value: toScript(r.rows[0]!),
      cardNumber: script.cardNumber,
      details: { scriptId: script.id, kind: script.kind },
    };
  },
};

export const expireScriptsOperation: OperationSpec<Record<string, never>, number> = {
  name: 'expire_scripts',
  roles: ['admin'],
  subject: () => ({}),
  async run(tx, env) {
    const r = await tx.query<{ id: string | number }>(
      `UPDATE issuer_scripts SET state = 'expired', settled_at = $1::timestamptz
        WHERE state = 'pending' AND expires_at IS NOT NULL AND expires_at <= $1::timestamptz RETURNING id`,
      [env.now.toISOString()],
    );
    return { value: r.rows.length, details: { expired: r.rows.length } };
  },
};
