import { existsSync } from 'node:fs';
import { lockCardImage, validatePersonalization } from '../../card-sim/index.js';
import type { CardSideStep, LossDocument, OperationContext } from '../../office/index.js';
import { ApplicationControl, SoftwarePsam } from '../../terminal/index.js';
import { withSscCard } from '../card-source.js';
import { CliInputError } from '../errors.js';
import { colors, printLine } from '../output.js';
import { withRegistry } from '../registry-options.js';
import { saveNewCardImage } from './card.js';
import { checkSameCard, printStatus } from './office-common.js';
import type { CommonOptions } from './office-common.js';

/*
 * `sscard office replace | activate-bank | reopen-activation | hand-over`: the card that follows a
 * loss or an issue, from the replacement to the holder's hand-over and the bank activation.
 */

export interface ReplaceOptions extends CommonOptions {
  card: string;
  id: string;
  document?: LossDocument;
  proxyId?: string;
  force?: boolean;
}

/** The window's context: at the counter, or by proxy when a proxy's ID number is given. */
function windowContext(opts: { terminal: string; proxyId?: string }): OperationContext {
  return { terminalId: opts.terminal, role: 'window', channel: opts.proxyId === undefined ? 'counter' : 'proxy' };
}

/** Who stands at the window, as the registry's requests name them: the holder, and the proxy when there is one. */
function presentedBy(opts: { id: string; proxyId?: string }): { idNumber: string; proxyIdNumber?: string } {
  return { idNumber: opts.id, ...(opts.proxyId === undefined ? {} : { proxyIdNumber: opts.proxyId }) };
}

export async function replace(cardNumber: string, opts: ReplaceOptions): Promise<void> {
  const ctx = windowContext(opts);
  const lock = lockCardImage(opts.card);
  try {
    if (opts.force !== true && existsSync(opts.card))
      throw new CliInputError(`${opts.card} already exists; use --force to replace it`);
    await withRegistry(opts, async (registry) => {
      const r = await registry.replaceCard(ctx, {
        cardNumber,
        ...presentedBy(opts),
        ...(opts.document === undefined ? {} : { document: opts.document }),
        validate: (d) => void validatePersonalization(d),
      });
      saveNewCardImage(opts.card, r.document, {});
      const n = r.card;
      printStatus(
        n,
        opts,
        `${colors().green('replaced')} card ${cardNumber} by card ${n.cardNumber} (identifier ${n.cardIdentifier}), valid ${n.issueDate} to ${n.expiryDate}; image ${opts.card}` +
          (n.financial
            ? `; activate the bank application at a bank by ${addDays(n.issueDate, registry.lossSettings.bankActivationDays)}`
            : ''),
        { image: opts.card, replaced: r.old.cardNumber },
      );
    });
  } finally {
    lock.release();
  }
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

export interface ActivateOptions extends CommonOptions {
  card: string;
  id: string;
}

export async function activateBank(cardNumber: string, opts: ActivateOptions): Promise<void> {
  const ctx: OperationContext = { terminalId: opts.terminal, role: 'bank', channel: 'counter' };
  const chip: { result?: string } = {};
  const cardSide: CardSideStep = (status) =>
    withSscCard(
      { card: opts.card },
      async (card) => {
        await checkSameCard(card, status, opts.card);
        chip.result = await ApplicationControl.forCard(card, SoftwarePsam.withTestKeys(['BANK_APP_CONTROL'])).unblock(
          'bank',
        );
      },
      { psam: SoftwarePsam.withTestKeys(['RKSSSE']) },
    );
  await withRegistry(opts, async (registry) => {
    const card = await registry.activateBank(ctx, { cardNumber, idNumber: opts.id, cardSide });
    printStatus(
      card,
      opts,
      `${colors().green('activated')} the bank application of card ${cardNumber}${chip.result === 'not_blocked' ? ' (it was already usable on the card)' : ''}`,
      { chip: chip.result ?? null },
    );
  });
}

export async function reopenActivation(cardNumber: string, opts: CommonOptions & { id: string }): Promise<void> {
  const ctx: OperationContext = { terminalId: opts.terminal, role: 'bank', channel: 'counter' };
  await withRegistry(opts, async (registry) => {
    const w = await registry.reopenBankActivation(ctx, { cardNumber, idNumber: opts.id });
    if (opts.json === true) printLine(JSON.stringify(w, null, 2));
    else
      printLine(
        `${colors().green('re-opened')} the bank activation of card ${cardNumber}: from ${w.from} until ${w.until}`,
      );
  });
}

export async function handOver(
  cardNumber: string,
  opts: CommonOptions & { id: string; date?: string; proxyId?: string },
): Promise<void> {
  const ctx = windowContext(opts);
  await withRegistry(opts, async (registry) => {
    const card = await registry.recordHandOver(ctx, {
      cardNumber,
      ...presentedBy(opts),
      ...(opts.date === undefined ? {} : { date: opts.date }),
    });
    printStatus(
      card,
      opts,
      `${colors().green('handed over')} card ${cardNumber}${opts.date === undefined ? '' : ` on ${opts.date}`}`,
    );
  });
}

/** Adds replace, activate-bank, reopen-activation and hand-over to `sscard office`. */
