import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { Option } from 'commander';
import { lockCardImage, validatePersonalization } from '../../card-sim/index.js';
import { LOSS_DOCUMENTS } from '../../office/index.js';
import type { CardSideStep, LossDocument, OperationContext } from '../../office/index.js';
import { ApplicationControl, SoftwarePsam } from '../../terminal/index.js';
import { withSscCard } from '../card-source.js';
import { CliInputError } from '../errors.js';
import { colors, printLine } from '../output.js';
import { withRegistry } from '../registry-options.js';
import { saveNewCardImage } from './card.js';
import { checkSameCard, common, printStatus } from './office-common.js';
import type { CommonOptions } from './office-common.js';

/*
 * `sscard office replace | activate-bank | reopen-activation | hand-over`: the card that follows a
 * loss or an issue, from the replacement to the holder's hand-over and the bank activation.
 */

interface ReplaceOptions extends CommonOptions {
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

async function replace(cardNumber: string, opts: ReplaceOptions): Promise<void> {
  const ctx = windowContext(opts);
  const lock = lockCardImage(opts.card);
  try {
    if (opts.force !== true && existsSync(opts.card))
      throw new CliInputError(`${opts.card} already exists; use --force to replace it`);
    await withRegistry(opts, async (registry) => {
      const r = await registry.replaceCard(ctx, {
        cardNumber,
        idNumber: opts.id,
        ...(opts.document === undefined ? {} : { document: opts.document }),
        ...(opts.proxyId === undefined ? {} : { proxyIdNumber: opts.proxyId }),
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

interface ActivateOptions extends CommonOptions {
  card: string;
  id: string;
}

async function activateBank(cardNumber: string, opts: ActivateOptions): Promise<void> {
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

async function reopenActivation(cardNumber: string, opts: CommonOptions & { id: string }): Promise<void> {
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

async function handOver(
  cardNumber: string,
  opts: CommonOptions & { id: string; date?: string; proxyId?: string },
): Promise<void> {
  const ctx = windowContext(opts);
  await withRegistry(opts, async (registry) => {
    const card = await registry.recordHandOver(ctx, {
      cardNumber,
      idNumber: opts.id,
      ...(opts.date === undefined ? {} : { date: opts.date }),
      ...(opts.proxyId === undefined ? {} : { proxyIdNumber: opts.proxyId }),
    });
    printStatus(
      card,
      opts,
      `${colors().green('handed over')} card ${cardNumber}${opts.date === undefined ? '' : ` on ${opts.date}`}`,
    );
  });
}

/** Adds replace, activate-bank, reopen-activation and hand-over to `sscard office`. */
export function registerNewCardCommands(office: Command): void {
  common(
    office
      .command('replace')
      .description('replace a card reported lost in writing: a new card from the registry, its image written'),
  )
    .argument('<card-number>', 'the lost card')
    .requiredOption('--card <new.json>', 'card image file to write for the new card')
    .requiredOption('--id <id-number>', "holder's ID number")
    .addOption(new Option('--document <kind>', "holder's document shown (default id)").choices([...LOSS_DOCUMENTS]))
    .option('--proxy-id <id-number>', "a proxy's own ID number")
    .option('--force', 'replace an existing image file')
    .action((cardNumber: string, opts: ReplaceOptions) => replace(cardNumber, opts));
  common(
    office
      .command('activate-bank')
      .description('activate the bank application of a new card at a bank (within 60 days)'),
  )
    .argument('<card-number>', 'card number')
    .requiredOption('--card <image>', 'the card (image): APPLICATION UNBLOCK of its bank application')
    .requiredOption('--id <id-number>', "holder's ID number")
    .action((cardNumber: string, opts: ActivateOptions) => activateBank(cardNumber, opts));
  common(
    office
      .command('reopen-activation')
      .description('a written request at the bank branch re-opens a closed activation window'),
  )
    .argument('<card-number>', 'card number')
    .requiredOption('--id <id-number>', "holder's ID number")
    .action((cardNumber: string, opts: CommonOptions & { id: string }) => reopenActivation(cardNumber, opts));
  common(
    office
      .command('hand-over')
      .description('record the day the holder received the card (the bank activation window counts from it)'),
  )
    .argument('<card-number>', 'card number')
    .requiredOption('--id <id-number>', "holder's ID number")
    .option('--date <YYYY-MM-DD>', 'the day of the hand-over (default today)')
    .option('--proxy-id <id-number>', "a proxy's own ID number")
    .action((cardNumber: string, opts: CommonOptions & { id: string; date?: string; proxyId?: string }) =>
      handOver(cardNumber, opts),
    );
}
