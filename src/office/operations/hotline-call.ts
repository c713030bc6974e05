import { OfficeArgumentError } from '../errors.js';
import { findCard } from './cards.js';
import { markHolderTold } from './pin-change.js';
import type { OperationSpec } from './runner.js';

/*
 * One entry in the history per call to the hotline's voice menu, whatever happened in it: where
 * the caller went, how the call ended, how many entries were wrong, which card (once a card was
 * identified) and which PIN change results the caller was told. Never a PIN: the menu keeps PIN
 * entries out of the record it hands over, and the runner refuses any field named like one.
 */

/** How a call ended. */
export const HOTLINE_OUTCOMES = [
  'pin_change_queued',
  'loss_reported',
  'loss_refused',
  'hung_up',
  'too_many_errors',
  'operator',
  'card_not_usable',
  'refused',
  'service_error',
] as const;
export type HotlineOutcome = (typeof HOTLINE_OUTCOMES)[number];

export interface HotlineCallRecord {
  /** The card the caller identified (number and holder's ID number matched), else null. */
  cardNumber: string | null;
  /** The card number's digits as typed, when no card was identified (for the operators' follow-up). */
  cardDigits?: string | null;
  lang: 'zh' | 'en';
  outcome: HotlineOutcome;
  /** The menu nodes the caller went through, in order ('main', 'card_services', 'pin_change', …). */
  path: string[];
  /** Wrong entries per prompt ('card_number', 'id_number', 'new_pin', …). */
  wrongEntries: Record<string, number>;
  /** Keys pressed in the call. */
  keys: number;
  /** Ids of the failed or expired PIN changes the caller was told about. */
  told: number[];
}

export interface HotlineCallRecorded {
  /** The told requests now marked as told (overdue pending ones settled as expired). */
  told: number[];
}

function checkRecord(r: HotlineCallRecord): void {
  if (r === null || typeof r !== 'object') throw new OfficeArgumentError('call record must be an object');
  if (!(HOTLINE_OUTCOMES as readonly string[]).includes(r.outcome))
    throw new OfficeArgumentError(`call outcome must be one of ${HOTLINE_OUTCOMES.join(', ')}`);
  if (r.lang !== 'zh' && r.lang !== 'en') throw new OfficeArgumentError("call lang must be 'zh' or 'en'");
  if (
    !Array.isArray(r.path) ||
    r.path.length > 100 ||
    !r.path.every((p) => typeof p === 'string' && /^[a-z_]{1,40}$/.test(p))
  ) {
    throw new OfficeArgumentError('call path must be up to 100 menu node names');
  }
  if (!Array.isArray(r.told) || !r.told.every((id) => Number.isSafeInteger(id) && id > 0))
    throw new OfficeArgumentError('told must be script ids');
  if (r.cardDigits != null && !/^[0-9]{0,32}$/.test(r.cardDigits))
    throw new OfficeArgumentError('cardDigits must be up to 32 digits');
}

export const hotlineCallOperation: OperationSpec<HotlineCallRecord, HotlineCallRecorded> = {
  name: 'hotline_call',
  roles: ['hotline'],
  subject: (r) => ({ cardNumber: r.cardNumber }),
  async run(tx, env, record) {
    checkRecord(record);
    const card = record.cardNumber === null ? undefined : await findCard(tx, record.cardNumber);
    if (record.cardNumber !== null && card === undefined)
      throw new OfficeArgumentError(`call record names card ${record.cardNumber}, which the registry lacks`);
    const told = card === undefined ? [] : await markHolderTold(tx, card.cardNumber, record.told, env.now);
    const details: Record<string, unknown> = {
      lang: record.lang,
      outcome: record.outcome,
      path: record.path,
      wrongEntries: record.wrongEntries,
      keys: record.keys,
      ...(told.length > 0 ? { told } : {}),
      ...(card === undefined && record.cardDigits != null && record.cardDigits !== ''
        ? { cardDigits: record.cardDigits }
        : {}),
    };
    return { value: { told }, cardNumber: card?.cardNumber ?? null, idNumber: card?.idNumber ?? null, details };
  },
};
