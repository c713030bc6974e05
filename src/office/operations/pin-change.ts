import type { KeyAlgorithm } from '../../keys/index.js';
import {
  CardStateError,
  OfficeArgumentError,
  ScriptNotFoundError,
  ScriptStateError,
  SecureModuleFailedError,
} from '../errors.js';
import type { Queryable } from '../storage/database.js';
import type { CardStatus, IssuerScriptState } from '../types.js';
import { checkHolder, findCard, lockCard } from './cards.js';
import { requireTransition, writeSide } from './pin.js';
import { cardOutcome } from './runner.js';
import { checkScriptId } from './scripts.js';
import type { OperationSpec } from './runner.js';

/*
 * PIN changes given to the hotline, as issuer scripts of kind 'pin_change' (docs/hotline.md).
 * The office never holds the PINs: the caller's `encipher` step (the office's secure module) turns
 * them into the enciphered data of the card's PIN change script `84 5E 01 00` the moment the rules
 * have passed, and only that ciphertext is stored. The card checks the current PIN when a terminal
 * online sends the script; the terminal reports the card's answer here.
 *
 *   queue_pin_change    a new script (ID checked, social-security side active); a pending one is
 *                       replaced (cancelled, outcome { reason: 'replaced', by }), an overdue one expired
 *   pin_change_result   the card's answer: applied (the PIN is no longer the initial one), or failed
 *                       (a wrong current PIN with the tries left; 0 tries: the PIN is now locked)
 */

/** Days a PIN change script stays valid unless the caller says otherwise. */
export const DEFAULT_SCRIPT_DAYS = 30;
/** Most days a PIN change script may be kept (a year). */
export const MAX_SCRIPT_DAYS = 366;

export const PIN_CHANGE_KIND = 'pin_change';

/** The card's algorithm, as its spec version fixes it (FCI 9F0C: 3DES on 2.00 cards, SM4 on 3.00). */
export function cardAlgorithm(card: Pick<CardStatus, 'specVersion'>): KeyAlgorithm {
  return card.specVersion === '2.00' ? '3des' : 'sm4';
}

/** What the script's payload holds: nothing but ciphertext and where it goes. */
export interface PinChangePayload {
  /** CLA INS P1 P2 of the command, hex ('845E0100'). */
  header: string;
  /** E(card's PIN change key, R || PB(current) || PB(new)), hex. */
  cryptogram: string;
  algorithm: KeyAlgorithm;
  /** The identifier the card key was diversified with. */
  cardIdentifier: string;
}

/** How a settled PIN change ended. */
export type PinChangeOutcome =
  | { result: 'applied' }
  | { result: 'failed'; reason: 'pin_incorrect'; triesLeft: number }
  | { result: 'failed'; reason: string; sw?: number }
  | { result: 'replaced'; by: number }
  | { result: 'expired' };

/** A PIN change request as the registry keeps it. */
export interface PinChangeScript {
  id: number;
  cardNumber: string;
  state: IssuerScriptState;
  createdAt: Date;
  expiresAt: Date | null;
  settledAt: Date | null;
  outcome: PinChangeOutcome | null;
  /** When the hotline told the holder how it ended (failed or expired ones). */
  holderToldAt: Date | null;
  payload: PinChangePayload;
}

export interface QueuePinChangeInput {
  cardNumber: string;
  /** The caller's ID number; must be the holder's. */
  idNumber: string;
  /** Days until the script expires (default DEFAULT_SCRIPT_DAYS). */
  validDays?: number;
  /**
   * The office's secure module: the enciphered PIN change data for this card (its key is derived
   * from `cardIdentifier`). Runs inside the operation once its rules have passed.
   */
  encipher: (card: { cardIdentifier: string; algorithm: KeyAlgorithm }) => Promise<Uint8Array>;
}

export interface PinChangeQueued {
  script: PinChangeScript;
  /** Ids of the pending requests this one replaced. */
  replaced: number[];
}

/** The card's answer to a script, as a terminal reports it (the SDK's ScriptOutcome). */
export type PinChangeReport =
  | { result: 'applied' }
  | { result: 'failed'; reason: 'pin_incorrect'; triesLeft: number }
  | { result: 'failed'; reason: string; sw: number };

export interface PinChangeResultInput {
  scriptId: number;
  report: PinChangeReport;
}

interface ScriptRow {
  id: string | number;
  card_number: string;
  state: IssuerScriptState;
  payload: PinChangePayload;
  created_at: Date | string;
  expires_at: Date | string | null;
  settled_at: Date | string | null;
  outcome: PinChangeOutcome | null;
  holder_told_at: Date | string | null;
}

const COLUMNS = 'id, card_number, state, payload, created_at, expires_at, settled_at, outcome, holder_told_at';

const asDate = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));
const asDateOrNull = (v: Date | string | null): Date | null => (v === null ? null : asDate(v));

function toPinChange(r: ScriptRow): PinChangeScript {
  return {
    id: Number(r.id),
    cardNumber: r.card_number,
    state: r.state,
    createdAt: asDate(r.created_at),
    expiresAt: asDateOrNull(r.expires_at),
    settledAt: asDateOrNull(r.settled_at),
    outcome: r.outcome,
    holderToldAt: asDateOrNull(r.holder_told_at),
    payload: r.payload,
  };
}

/** The card's PIN change requests, newest first. */
export async function pinChangeScripts(q: Queryable, cardNumber: string, limit = 20): Promise<PinChangeScript[]> {
  const r = await q.query<ScriptRow>(
    `SELECT ${COLUMNS} FROM issuer_scripts WHERE card_number = $1 AND kind = $2 ORDER BY id DESC LIMIT $3`,
    [cardNumber, PIN_CHANGE_KIND, limit],
  );
  return r.rows.map(toPinChange);
}

/**
 * Cards whose number, without its letters, is `digits` (callers type it so), live cards first.
 * Several cards can share the digits (numbers taken over from elsewhere); the hotline tells them
 * apart by the holder's ID number.
 */
export async function cardsByNumberDigits(q: Queryable, digits: string): Promise<CardStatus[]> {
  if (!/^[0-9]{1,32}$/.test(digits)) return [];
  const r = await q.query<{ card_number: string }>(
    `SELECT card_number FROM cards WHERE regexp_replace(card_number, '[^0-9]', '', 'g') = $1
      ORDER BY (ssc_status IN ('replaced', 'blocked')), created_at DESC, card_number`,
    [digits],
  );
  const cards: CardStatus[] = [];
  for (const row of r.rows) {
    const card = await findCard(q, row.card_number);
    if (card !== undefined) cards.push(card);
  }
  return cards;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').toUpperCase();
}

export const queuePinChangeOperation: OperationSpec<QueuePinChangeInput, PinChangeQueued> = {
  name: 'queue_pin_change',
  roles: ['hotline', 'admin'],
  subject: (i) => ({ cardNumber: i.cardNumber, idNumber: i.idNumber }),
  async run(tx, env, input) {
    const days = input.validDays ?? DEFAULT_SCRIPT_DAYS;
    if (!Number.isInteger(days) || days < 1 || days > MAX_SCRIPT_DAYS) {
      throw new OfficeArgumentError(`validDays must be a whole number of days from 1 to ${MAX_SCRIPT_DAYS}`);
    }
    if (typeof input.encipher !== 'function')
      throw new OfficeArgumentError('queue_pin_change needs the secure module step `encipher`');
    const card = await lockCard(tx, input.cardNumber);
    checkHolder(card, input.idNumber);
    // A locked PIN is unlocked at a window; a lost, replaced or blocked card changes nothing.
    if (card.ssc !== 'active') throw new CardStateError(card.cardNumber, 'ssc', card.ssc, 'queue_pin_change');
    const algorithm = cardAlgorithm(card);
    let cryptogram: Uint8Array;
    try {
      cryptogram = await input.encipher({ cardIdentifier: card.cardIdentifier, algorithm });
    } catch (err) {
      throw new SecureModuleFailedError('queue_pin_change', err);
    }
    const payload: PinChangePayload = {
      header: '845E0100',
      cryptogram: hex(cryptogram),
      algorithm,
      cardIdentifier: card.cardIdentifier,
    };
    const expiresAt = new Date(env.now.getTime() + days * 86_400_000);
    const inserted = await tx.query<ScriptRow>(
      `INSERT INTO issuer_scripts (card_number, kind, payload, created_at, expires_at)
       VALUES ($1, $2, $3::jsonb, $4::timestamptz, $5::timestamptz) RETURNING ${COLUMNS}`,
      [card.cardNumber, PIN_CHANGE_KIND, JSON.stringify(payload), env.now.toISOString(), expiresAt.toISOString()],
    );
    const script = toPinChange(inserted.rows[0]!);
    // Overdue requests are expired (the holder is told on the next call); live ones are replaced.
    await tx.query(
      `UPDATE issuer_scripts SET state = 'expired', settled_at = $2::timestamptz, outcome = '{"result":"expired"}'::jsonb
        WHERE card_number = $1 AND kind = '${PIN_CHANGE_KIND}' AND state = 'pending' AND expires_at <= $2::timestamptz`,
      [card.cardNumber, env.now.toISOString()],
    );
    const replaced = await tx.query<{ id: string | number }>(
      `UPDATE issuer_scripts SET state = 'cancelled', settled_at = $2::timestamptz, outcome = $3::jsonb
        WHERE card_number = $1 AND kind = '${PIN_CHANGE_KIND}' AND state = 'pending' AND id <> $4 RETURNING id`,
      [card.cardNumber, env.now.toISOString(), JSON.stringify({ result: 'replaced', by: script.id }), script.id],
    );
    const replacedIds = replaced.rows.map((r) => Number(r.id)).sort((a, b) => a - b);
    return cardOutcome(
      card,
      { script, replaced: replacedIds },
      { scriptId: script.id, expiresAt: expiresAt.toISOString(), validDays: days, replaced: replacedIds },
    );
  },
};

function checkReport(report: PinChangeReport): void {
  if (report === null || typeof report !== 'object') throw new OfficeArgumentError('report must be an object');
  if (report.result === 'applied') return;
  if (report.result !== 'failed' || typeof report.reason !== 'string' || !/^[a-z_]{1,40}$/.test(report.reason)) {
    throw new OfficeArgumentError("report must be { result: 'applied' } or { result: 'failed', reason, … }");
  }
  if (report.reason === 'pin_incorrect') {
    const t = (report as { triesLeft?: unknown }).triesLeft;
    if (!Number.isInteger(t) || (t as number) < 0 || (t as number) > 15)
      throw new OfficeArgumentError('a pin_incorrect report needs triesLeft 0..15');
  }
}

/** The outcome as stored: only the fields of its kind (nothing else a terminal sent). */
function storedOutcome(report: PinChangeReport): PinChangeOutcome {
  if (report.result === 'applied') return { result: 'applied' };
  if (report.reason === 'pin_incorrect')
    return { result: 'failed', reason: 'pin_incorrect', triesLeft: (report as { triesLeft: number }).triesLeft };
  const sw = (report as { sw?: unknown }).sw;
  return Number.isInteger(sw)
    ? { result: 'failed', reason: report.reason, sw: sw as number }
    : { result: 'failed', reason: report.reason };
}

export const pinChangeResultOperation: OperationSpec<PinChangeResultInput, PinChangeScript> = {
  name: 'pin_change_result',
  roles: ['pos', 'window', 'bank', 'hotline', 'admin'],
  subject: () => ({}),
  async run(tx, env, input) {
    checkScriptId(input.scriptId);
    checkReport(input.report);
    const outcome = storedOutcome(input.report);
    const head = await tx.query<{ card_number: string; kind: string }>(
      'SELECT card_number, kind FROM issuer_scripts WHERE id = $1',
      [input.scriptId],
    );
    const found = head.rows[0];
    if (found === undefined || found.kind !== PIN_CHANGE_KIND) throw new ScriptNotFoundError(input.scriptId);
    // The card's row first, as queue_pin_change takes it: a report and a replacement are ordered.
    const card = await lockCard(tx, found.card_number);
    const r = await tx.query<ScriptRow>(`SELECT ${COLUMNS} FROM issuer_scripts WHERE id = $1 FOR UPDATE`, [
      input.scriptId,
    ]);
    const script = toPinChange(r.rows[0]!);
    const newState = outcome.result === 'applied' ? 'applied' : 'failed';
    if (script.state === 'applied' || script.state === 'failed') {
      // A terminal repeating its report (the first answer was lost) changes nothing.
      if (script.state === newState && JSON.stringify(script.outcome) === JSON.stringify(outcome)) {
        return cardOutcome(card, script, { scriptId: script.id, ...outcome, repeated: true });
      }
      throw new ScriptStateError(script.id, script.state);
    }
    // Pending, or already replaced or expired here while a terminal was sending it: the card's
    // answer is what happened, so it is recorded whatever the office had decided meanwhile.
    const settled = await tx.query<ScriptRow>(
      `UPDATE issuer_scripts SET state = $2, settled_at = $3::timestamptz, outcome = $4::jsonb, holder_told_at = NULL
        WHERE id = $1 RETURNING ${COLUMNS}`,
      [script.id, newState, env.now.toISOString(), JSON.stringify(outcome)],
    );
    const extra: Record<string, unknown> = { scriptId: script.id, ...outcome, wasState: script.state };
    if (outcome.result === 'applied') {
      await tx.query('UPDATE cards SET pin_initial = false, updated_at = $2::timestamptz WHERE card_number = $1', [
        card.cardNumber,
        env.now.toISOString(),
      ]);
    } else if (
      input.report.result === 'failed' &&
      input.report.reason === 'pin_incorrect' &&
      (input.report as { triesLeft: number }).triesLeft === 0 &&
      card.ssc === 'active'
    ) {
      // The wrong current PIN used the last try: the card's PIN is locked now.
      await writeSide(tx, card, 'ssc', requireTransition(card, 'ssc', 'pin_lock', 'pin_change_result'), env.now);
      extra['pinLocked'] = true;
    }
    return cardOutcome(card, toPinChange(settled.rows[0]!), extra);
  },
};

/** Marks failed or expired requests as told to the holder; settles overdue pending ones as expired first. */
export async function markHolderTold(
  tx: Queryable,
  cardNumber: string,
  ids: readonly number[],
  now: Date,
): Promise<number[]> {
  if (ids.length === 0) return [];
  await tx.query(
    `UPDATE issuer_scripts SET state = 'expired', settled_at = $3::timestamptz, outcome = '{"result":"expired"}'::jsonb
      WHERE card_number = $1 AND kind = '${PIN_CHANGE_KIND}' AND id = ANY($2::bigint[]) AND state = 'pending' AND expires_at <= $3::timestamptz`,
    [cardNumber, ids, now.toISOString()],
  );
  const r = await tx.query<{ id: string | number }>(
    `UPDATE issuer_scripts SET holder_told_at = $3::timestamptz
      WHERE card_number = $1 AND kind = '${PIN_CHANGE_KIND}' AND id = ANY($2::bigint[]) AND state IN ('failed', 'expired') AND holder_told_at IS NULL
      RETURNING id`,
    [cardNumber, ids, now.toISOString()],
  );
  return r.rows.map((x) => Number(x.id)).sort((a, b) => a - b);
}
