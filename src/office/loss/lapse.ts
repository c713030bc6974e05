import { CardStateError, OfficeArgumentError, OperationRefusedError } from '../errors.js';
import { lockCard } from '../operations/cards.js';
import { requireTransition, writeSide } from '../operations/pin.js';
import { cardOutcome } from '../operations/runner.js';
import type { OperationSpec } from '../operations/runner.js';
import type { Side } from '../states.js';
import type { Queryable } from '../storage/database.js';
import type { CardStatus } from '../types.js';
import { sideOf } from './checks.js';
import type { LossSettings } from './settings.js';
import { openReport, settleOpenReports } from './store.js';

/*
 * The temporary-loss rule (settings.ts): a self-service or manual report that no written report
 * followed within `lapseDays` lapses. With onLapse 'restore' the side becomes usable again; with
 * 'keep' nothing happens (the report stands until withdrawn or followed up in writing).
 *
 * Applied by an operation per card and side (`expire_temporary_loss`, one history entry each,
 * re-checked under the card's lock), which Registry.expireTemporaryLosses runs for every report
 * due: `sscard office expire-losses`, from a daily cron job.
 */

/** The temporary reports past their lapse at `now`: card and side, oldest first. */
export async function temporaryLossesDue(
  q: Queryable,
  now: Date,
  lapseDays: number,
): Promise<Array<{ cardNumber: string; side: Side }>> {
  const r = await q.query<{ card_number: string; side: Side }>(
    `SELECT card_number, side FROM loss_reports
      WHERE state = 'open' AND channel <> 'written' AND reported_at + make_interval(days => $2::int) <= $1::timestamptz
      ORDER BY reported_at, id`,
    [now.toISOString(), lapseDays],
  );
  return r.rows.map((row) => ({ cardNumber: row.card_number, side: row.side }));
}

export interface LapseInput {
  cardNumber: string;
  side: Side;
}

export function lapseLossOperation(settings: LossSettings): OperationSpec<LapseInput, CardStatus> {
  return {
    name: 'expire_temporary_loss',
    roles: ['admin'],
    subject: (i) => ({ cardNumber: i.cardNumber }),
    async run(tx, env, input) {
      const side = sideOf(input.side);
      if (settings.temporaryLoss.onLapse !== 'restore') {
        throw new OfficeArgumentError("temporary loss reports lapse only under the rule onLapse 'restore'");
      }
      const card = await lockCard(tx, input.cardNumber);
      const report = await openReport(tx, card.cardNumber, side);
      const due =
        report !== undefined &&
        report.channel !== 'written' &&
        report.reportedAt.getTime() + settings.temporaryLoss.lapseDays * 86_400_000 <= env.now.getTime();
      const from = side === 'ssc' ? card.ssc : card.bank;
      if (!due)
        throw new CardStateError(
          card.cardNumber,
          side,
          from,
          'expire_temporary_loss (no temporary report past its lapse)',
        );
      const to = requireTransition(card, side, 'loss_lapse', 'expire_temporary_loss');
      await settleOpenReports(tx, card.cardNumber, side, 'lapsed', env.now);
      const after = await writeSide(tx, card, side, to, env.now);
      return cardOutcome(card, after, {
        side,
        from,
        to,
        reportId: report.id,
        lossChannel: report.channel,
        reportedAt: report.reportedAt.toISOString(),
        lapseDays: settings.temporaryLoss.lapseDays,
      });
    },
  };
}

/**
 * Runs `lapse` (the registry's operation) for every temporary report due at `now`; returns the
 * cards restored. A report withdrawn or followed up in writing since the list was read is refused
 * by its operation (and recorded so); the others go on.
 */
export async function expireTemporaryLosses(
  q: Queryable,
  now: Date,
  settings: LossSettings,
  lapse: (item: LapseInput) => Promise<CardStatus>,
): Promise<CardStatus[]> {
  if (settings.temporaryLoss.onLapse !== 'restore') return [];
  const restored: CardStatus[] = [];
  for (const item of await temporaryLossesDue(q, now, settings.temporaryLoss.lapseDays)) {
    try {
      restored.push(await lapse(item));
    } catch (err) {
      if (!(err instanceof OperationRefusedError)) throw err;
    }
  }
  return restored;
}
