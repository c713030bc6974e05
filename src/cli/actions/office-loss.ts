import type {
  BankPinCheck,
  CardSideStep,
  CardStatus,
  LossChannel,
  LossDocument,
  LossReportInput,
  OperationContext,
  Role,
  Side,
} from '../../office/index.js';
import { ApplicationBlockedError, ApplicationControl, SoftwarePsam, SscCard } from '../../terminal/index.js';
import { openCardFromOptions, withSscCard } from '../card-source.js';
import { colors } from '../output.js';
import { readPins } from '../pin-input.js';
import type { CliIo } from '../pin-input.js';
import { CliInputError } from '../errors.js';
import { withRegistry } from '../registry-options.js';
import { SIDE_NAMES, checkSameCard, printStatus } from './office-common.js';
import type { CommonOptions } from './office-common.js';

/*
 * `sscard office report-loss | withdraw-loss | replace | activate-bank | reopen-activation |
 * hand-over | expire-losses | loss-status | blacklist export`: loss reporting, replacement, the
 * bank activation and the blacklist, from the command line (office/loss in the library). This
 * file holds the reports themselves; office-new-card.ts the card that follows (replace, hand-over,
 * the bank activation), office-loss-list.ts the lapse, the loss status and the blacklist. The
 * terminal each command plays is derived from the side and channel (the hotline's voice menu or
 * an operator, a service window, a bank) unless --role says otherwise; the history records it.
 *
 * Card-side steps use simulated card images (--card) and the project's published TEST keys: the
 * bank PIN VERIFY of a written bank-side report, the APPLICATION UNBLOCK of a found card a POS
 * had blocked, and the bank activation. PINs come from a hidden prompt or --pin-stdin.
 */

export interface LossOptions extends CommonOptions {
  side: string;
  channel: LossChannel;
  name?: string;
  id?: string;
  document?: LossDocument;
  proxyId?: string;
  role?: Role;
  card?: string;
  bankPinChecked?: boolean;
  pinStdin?: boolean;
}

function sideOf(text: string): Side {
  if (text === 'ss' || text === 'ssc') return 'ssc';
  if (text === 'bank') return 'bank';
  throw new CliInputError(`--side must be ss (social security) or bank, got ${JSON.stringify(text)}`);
}

/** The terminal a loss command plays: the hotline, a window or a bank, through the matching channel. */
function lossContext(side: Side, channel: LossChannel, opts: LossOptions): OperationContext {
  const role: Role = opts.role ?? (side === 'bank' ? 'bank' : channel === 'written' ? 'window' : 'hotline');
  const via =
    opts.proxyId !== undefined
      ? 'proxy'
      : channel === 'self'
        ? role === 'hotline'
          ? 'ivr'
          : 'online'
        : channel === 'manual'
          ? 'operator'
          : 'counter';
  return { terminalId: opts.terminal, role, channel: via };
}

function algorithmOf(card: CardStatus): '3des' | 'sm4' {
  return card.specVersion === '2.00' ? '3des' : 'sm4';
}

/** The bank PIN check of a written bank-side act: on the card (--card), or done by the bank's own systems. */
async function bankPinCheck(opts: LossOptions, io: CliIo): Promise<BankPinCheck> {
  if (opts.card !== undefined) {
    const image = opts.card;
    // Asked before the registry is touched: no row lock is held while someone types.
    const [pin = ''] = await readPins(['bank PIN: '], opts.pinStdin === true, io);
    return {
      on: 'card',
      check: (status) =>
        withSscCard({ card: image }, async (card) => {
          await checkSameCard(card, status, image);
          await card.bank.verifyPin(pin);
        }),
    };
  }
  if (opts.bankPinChecked === true) return { on: 'bank_system', check: async () => undefined };
  throw new CliInputError(
    'a written bank-side report needs the bank PIN checked: --card <image> to verify it on the card, ' +
      "or --bank-pin-checked when the card is lost and the bank's own systems verified it",
  );
}

/**
 * The card-side step of a withdrawal with the card in hand: APPLICATION UNBLOCK of the side's
 * application if a POS blocked it. A blocked SSSE cannot be opened as an SscCard, so its
 * identifier and algorithm come from the registry.
 */
function unblockStep(image: string, side: Side, outcome: { result?: string }): CardSideStep {
  return async (status) => {
    const source = await openCardFromOptions({ card: image });
    try {
      const psam = SoftwarePsam.withTestKeys(['RKSSSE', 'APP_CONTROL', 'BANK_APP_CONTROL']);
      const application = side === 'ssc' ? 'ssse' : 'bank';
      let card: SscCard | undefined;
      try {
        card = await SscCard.open(source.channel, { psam });
      } catch (err) {
        if (!(err instanceof ApplicationBlockedError)) throw err;
      }
      if (card !== undefined) await checkSameCard(card, status, image);
      const control =
        card !== undefined
          ? ApplicationControl.forCard(card, psam)
          : ApplicationControl.forChannel(source.channel, psam, {
              cardIdentifier: status.cardIdentifier,
              algorithm: algorithmOf(status),
            });
      outcome.result = await control.unblock(application);
    } finally {
      await source.close();
    }
  };
}

function lossInput(cardNumber: string, side: Side, opts: LossOptions): LossReportInput {
  return {
    cardNumber,
    side,
    channel: opts.channel,
    ...(opts.name === undefined ? {} : { name: opts.name }),
    ...(opts.id === undefined ? {} : { idNumber: opts.id }),
    ...(opts.document === undefined ? {} : { document: opts.document }),
    ...(opts.proxyId === undefined ? {} : { proxyIdNumber: opts.proxyId }),
  };
}

export async function reportLoss(cardNumber: string, opts: LossOptions, io: CliIo): Promise<void> {
  const side = sideOf(opts.side);
  const input = lossInput(cardNumber, side, opts);
  if (opts.channel === 'written' && side === 'bank') input.bankPinCheck = await bankPinCheck(opts, io);
  await withRegistry(opts, async (registry) => {
    const card = await registry.reportLoss(lossContext(side, opts.channel, opts), input);
    const state = side === 'ssc' ? card.ssc : card.bank;
    printStatus(
      card,
      opts,
      `${colors().green('reported')} card ${cardNumber}, ${SIDE_NAMES[side]}: ${state} (${opts.channel})`,
    );
  });
}

export async function withdrawLoss(cardNumber: string, opts: LossOptions, io: CliIo): Promise<void> {
  const side = sideOf(opts.side);
  const input = lossInput(cardNumber, side, opts);
  if (opts.channel === 'written' && side === 'bank') input.bankPinCheck = await bankPinCheck(opts, io);
  const chip: { result?: string } = {};
  if (opts.card !== undefined) input.cardSide = unblockStep(opts.card, side, chip);
  await withRegistry(opts, async (registry) => {
    const card = await registry.withdrawLoss(lossContext(side, opts.channel, opts), input);
    const blocked = (await registry.lossStatus(cardNumber)).applicationBlocked[side];
    const state = side === 'ssc' ? card.ssc : card.bank;
    const note =
      chip.result === 'unblocked'
        ? '; the application on the card was unblocked'
        : blocked
          ? "; the card's application is still blocked: bring the card to a window (--card) to unblock it"
          : '';
    printStatus(
      card,
      opts,
      `${colors().green('withdrawn')} loss report of card ${cardNumber}, ${SIDE_NAMES[side]}: ${state}${note}`,
      { chip: chip.result ?? null },
    );
  });
}

/** Adds the loss commands to `sscard office` (registered once from main.ts). */
