import { CardStateError, LossChannelNotAllowedError } from '../errors.js';
import { lockCard } from '../operations/cards.js';
import { requireTransition, writeSide } from '../operations/pin.js';
import { cardOutcome } from '../operations/runner.js';
import type { OperationEnv, OperationOutcome, OperationSpec } from '../operations/runner.js';
import type { CardEvent, CardSideState, Side } from '../states.js';
import type { Queryable } from '../storage/database.js';
import type { CardStatus } from '../types.js';
import {
  ANY_LOSS_ROLE,
  cardHolderSubject,
  channelOf,
  checkReporter,
  requireLossRole,
  runBankPinCheck,
  sideOf,
} from './checks.js';
import type { ReporterFacts } from './checks.js';
import type { LossSettings } from './settings.js';
import { applicationBlocked, insertReport, openReport, setApplicationBlocked, settleOpenReports } from './store.js';
import type { LossChannel, LossReportInput, LossWithdrawalInput } from './types.js';

/*
 * Loss reports, per side of the card (the social-security side and the bank side are reported
 * separately), and their withdrawal when the card is found.
 *
 * A self-service or manual report is temporary (state lost_temporary): it stands for
 * `temporaryLoss.lapseDays` and then follows the region's rule (see settings.ts, lapse.ts). A
 * written report (lost_written) is what a replacement needs. A written report after a temporary
 * one supersedes it. Each report is kept in loss_reports with its channel, the kind of document
 * shown and a proxy's ID number; the history entry carries the same facts.
 *
 * A withdrawal takes the checks of its channel again. A written report is withdrawn only in
 * writing (at a window; the bank side at a bank, with the bank PIN, now checked on the found
 * card). The withdrawal may carry a card-side step: with the card in hand the window (or bank)
 * unblocks the application a POS blocked while the card was listed; when that step ran, the
 * registry's note of the block is cleared.
 */

function sideState(card: CardStatus, side: 'ssc' | 'bank'): string | null {
  return side === 'ssc' ? card.ssc : card.bank;
}

/** The side and channel of a loss act, and the card it acts on (locked). */
interface LossAct {
  side: Side;
  channel: LossChannel;
  card: CardStatus;
}

/** What a report and a withdrawal do first: read the side and channel, check the role for them, lock the card. */
async function startLossAct(tx: Queryable, env: OperationEnv, input: LossReportInput, what: string): Promise<LossAct> {
  const side = sideOf(input.side);
  const channel = channelOf(input.channel);
  requireLossRole(env.ctx.role, channel, side, what);
  const card = await lockCard(tx, input.cardNumber);
  return { side, channel, card };
}

/** What a report and a withdrawal do after their own checks: the side's next state, and the bank PIN check of a written act on the bank side. */
async function nextSideState(
  env: OperationEnv,
  act: LossAct,
  input: LossReportInput,
  event: CardEvent,
  operation: string,
): Promise<{ to: CardSideState; pinCheckedOn: 'card' | 'bank_system' | undefined }> {
  const { side, channel, card } = act;
  const to = requireTransition(card, side, event, operation);
  const pinCheckedOn =
    channel === 'written' && side === 'bank' ? await runBankPinCheck(env, card, input.bankPinCheck) : undefined;
  return { to, pinCheckedOn };
}

/** The history details of a report or withdrawal: the move, who acted and how (the document shown, the proxy, where the bank PIN was checked). */
function lossDetails(
  act: LossAct,
  from: string,
  to: CardSideState,
  facts: ReporterFacts,
  pinCheckedOn: 'card' | 'bank_system' | undefined,
): Record<string, unknown> {
  return {
    side: act.side,
    lossChannel: act.channel,
    from,
    to,
    ...(facts.document === null ? {} : { document: facts.document }),
    ...(facts.proxyIdNumber === null ? {} : { proxyIdNumber: facts.proxyIdNumber }),
    ...(pinCheckedOn === undefined ? {} : { bankPinCheckedOn: pinCheckedOn }),
  };
}

/** A loss operation: any loss role may try it; it starts with startLossAct. */
function lossOperation(
  name: string,
  what: string,
  run: (
    tx: Queryable,
    env: OperationEnv,
    input: LossReportInput,
    act: LossAct,
  ) => Promise<OperationOutcome<CardStatus>>,
): OperationSpec<LossReportInput, CardStatus> {
  return {
    name,
    roles: ANY_LOSS_ROLE,
    subject: cardHolderSubject,
    run: async (tx, env, input) => run(tx, env, input, await startLossAct(tx, env, input, what)),
  };
}

export function reportLossOperation(settings: LossSettings): OperationSpec<LossReportInput, CardStatus> {
  return lossOperation('report_loss', 'loss report', async (tx, env, input, act) => {
    const { side, channel, card } = act;
    const facts = checkReporter(card, channel, input, env, settings, 'a written loss report');
    const from = sideState(card, side);
    if (from === null) throw new CardStateError(card.cardNumber, side, null, 'report_loss');
    const event = channel === 'written' ? 'loss_written' : 'loss_temporary';
    const { to, pinCheckedOn } = await nextSideState(env, act, input, event, 'report_loss');
    const superseded = await settleOpenReports(tx, card.cardNumber, side, 'superseded', env.now);
    const reportId = await insertReport(tx, { cardNumber: card.cardNumber, side, channel, ...facts }, env.now);
    const after = await writeSide(tx, card, side, to, env.now);
    return cardOutcome(card, after, {
      ...lossDetails(act, from, to, facts, pinCheckedOn),
      reportId,
      ...(superseded > 0 ? { superseded: true } : {}),
    });
  });
}

export function withdrawLossOperation(settings: LossSettings): OperationSpec<LossWithdrawalInput, CardStatus> {
  return lossOperation('withdraw_loss', 'loss withdrawal', async (tx, env, input, act) => {
    const { side, channel, card } = act;
    const from = sideState(card, side);
    if (from !== 'lost_temporary' && from !== 'lost_written')
      throw new CardStateError(card.cardNumber, side, from, 'withdraw_loss');
    if (from === 'lost_written' && channel !== 'written') {
      throw new LossChannelNotAllowedError(
        `card ${card.cardNumber}: a written loss report is withdrawn in writing, ${side === 'ssc' ? 'at a service window' : 'at a bank branch'}`,
        { side, state: from, lossChannel: channel },
      );
    }
    const facts = checkReporter(card, channel, input, env, settings, 'a written withdrawal');
    const event = from === 'lost_written' ? 'loss_withdraw' : 'loss_cancel';
    const { to, pinCheckedOn } = await nextSideState(env, act, input, event, 'withdraw_loss');
    // With the card in hand the step makes the chip usable (it unblocks what a POS blocked).
    await env.cardSide(input.cardSide, card);
    const chipBlocked = input.cardSide === undefined && (await applicationBlocked(tx, card.cardNumber, side));
    if (input.cardSide !== undefined) await setApplicationBlocked(tx, card.cardNumber, side, false);
    const report = await openReport(tx, card.cardNumber, side);
    await settleOpenReports(tx, card.cardNumber, side, 'withdrawn', env.now);
    const after = await writeSide(tx, card, side, to, env.now);
    return cardOutcome(card, after, {
      ...lossDetails(act, from, to, facts, pinCheckedOn),
      ...(report === undefined ? {} : { reportId: report.id }),
      // The chip still refuses until a window (or bank) unblocks the application with the card.
      ...(chipBlocked ? { applicationBlocked: true } : {}),
    });
  });
}
