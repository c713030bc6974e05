import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { lockCardImage, validatePersonalization } from '../../card-sim/index.js';
import { ed25519KeyFromPem } from '../../keys/index.js';
import { LOSS_CHANNELS, LOSS_DOCUMENTS, ROLES } from '../../office/index.js';
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
import { colors, printLine } from '../output.js';
import { readPins } from '../pin-input.js';
import type { CliIo } from '../pin-input.js';
import { CliInputError } from '../errors.js';
import { hostTerminalId, registryDbOption, terminalIdOption, withRegistry } from '../registry-options.js';
import { saveNewCardImage } from './card.js';

/*
 * `sscard office report-loss | withdraw-loss | replace | activate-bank | reopen-activation |
 * hand-over | expire-losses | loss-status | blacklist export`: loss reporting, replacement, the
 * bank activation and the blacklist, from the command line (office/loss in the library). The
 * terminal each command plays is derived from the side and channel (the hotline's voice menu or
 * an operator, a service window, a bank) unless --role says otherwise; the history records it.
 *
 * Card-side steps use simulated card images (--card) and the project's published TEST keys: the
 * bank PIN VERIFY of a written bank-side report, the APPLICATION UNBLOCK of a found card a POS
 * had blocked, and the bank activation. PINs come from a hidden prompt or --pin-stdin.
 */

/** Environment variable naming the PEM file of the issuer's blacklist signing key. */
export const BLACKLIST_SIGNING_KEY_ENV = 'SSCARD_BLACKLIST_KEY';

interface CommonOptions {
  db?: string;
  terminal: string;
  json?: boolean;
}

interface LossOptions extends CommonOptions {
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

function common(cmd: Command): Command {
  return cmd
    .addOption(registryDbOption())
    .addOption(terminalIdOption(hostTerminalId('cli')))
    .option('--json', 'print the result as JSON');
}

function sideOf(text: string): Side {
  if (text === 'ss' || text === 'ssc') return 'ssc';
  if (text === 'bank') return 'bank';
  throw new CliInputError(`--side must be ss (social security) or bank, got ${JSON.stringify(text)}`);
}

const SIDE_NAMES: Record<Side, string> = { ssc: 'social security side', bank: 'bank side' };

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

/** The image must be the registry's card: its EF05 card number is compared. */
async function checkSameCard(card: SscCard, status: CardStatus, image: string): Promise<void> {
  const info = await card.readCardInfo();
  if (info.cardNumber !== status.cardNumber)
    throw new CliInputError(`${image} holds card ${info.cardNumber}, not ${status.cardNumber}`);
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

function printStatus(
  card: CardStatus,
  opts: { json?: boolean },
  line: string,
  extra: Record<string, unknown> = {},
): void {
  if (opts.json === true) printLine(JSON.stringify({ ...card, ...extra }, null, 2));
  else printLine(line);
}

async function reportLoss(cardNumber: string, opts: LossOptions, io: CliIo): Promise<void> {
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

async function withdrawLoss(cardNumber: string, opts: LossOptions, io: CliIo): Promise<void> {
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

interface ReplaceOptions extends CommonOptions {
  card: string;
  id: string;
  document?: LossDocument;
  proxyId?: string;
  force?: boolean;
}

async function replace(cardNumber: string, opts: ReplaceOptions): Promise<void> {
  const ctx: OperationContext = {
    terminalId: opts.terminal,
    role: 'window',
    channel: opts.proxyId === undefined ? 'counter' : 'proxy',
  };
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
  const ctx: OperationContext = {
    terminalId: opts.terminal,
    role: 'window',
    channel: opts.proxyId === undefined ? 'counter' : 'proxy',
  };
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

async function expireLosses(opts: CommonOptions): Promise<void> {
  const ctx: OperationContext = { terminalId: opts.terminal, role: 'admin', channel: 'batch' };
  await withRegistry(opts, async (registry) => {
    const restored = await registry.expireTemporaryLosses(ctx);
    if (opts.json === true) printLine(JSON.stringify(restored.map((c) => c.cardNumber)));
    else
      printLine(
        `${restored.length} temporary loss report${restored.length === 1 ? '' : 's'} lapsed${restored.length === 0 ? '' : `: ${restored.map((c) => c.cardNumber).join(', ')}`}`,
      );
  });
}

async function lossStatus(cardNumber: string, opts: CommonOptions): Promise<void> {
  await withRegistry(opts, async (registry) => {
    const s = await registry.lossStatus(cardNumber);
    if (opts.json === true) {
      printLine(JSON.stringify(s, null, 2));
      return;
    }
    printLine(colors().bold(`card ${cardNumber}`));
    for (const r of s.reports) {
      const who = [r.document === null ? '' : `document ${r.document}`, r.proxyIdNumber === null ? '' : 'by proxy']
        .filter((x) => x !== '')
        .join(', ');
      printLine(
        `  report ${r.id}: ${SIDE_NAMES[r.side]}, ${r.channel}${who === '' ? '' : ` (${who})`}, ${r.reportedAt.toISOString()}: ${r.state}`,
      );
    }
    if (s.reports.length === 0) printLine('  no loss reports');
    const blocked = (['ssc', 'bank'] as const).filter((side) => s.applicationBlocked[side]);
    if (blocked.length > 0)
      printLine(`  blocked on the card by a terminal: ${blocked.map((side) => SIDE_NAMES[side]).join(', ')}`);
    const w = s.bankActivation;
    if (w !== null)
      printLine(`  bank activation window: ${w.from} to ${w.until} (day ${w.day}, ${w.open ? 'open' : 'closed'})`);
  });
}

async function exportBlacklist(file: string, opts: CommonOptions & { signingKey?: string }): Promise<void> {
  const keyFile = opts.signingKey ?? process.env[BLACKLIST_SIGNING_KEY_ENV];
  let signingKey: Uint8Array | undefined;
  if (keyFile !== undefined && keyFile !== '') {
    const key = ed25519KeyFromPem(readFileSync(keyFile, 'utf8'));
    if (key.privateKey === undefined)
      throw new CliInputError(`${keyFile} holds a public key; signing needs the private key`);
    signingKey = key.privateKey;
  }
  const ctx: OperationContext = { terminalId: opts.terminal, role: 'admin', channel: 'batch' };
  await withRegistry(opts, async (registry) => {
    // Temporary reports past their lapse are settled first, so the file follows the rule.
    const lapsed = await registry.expireTemporaryLosses(ctx);
    const signed = await registry.exportBlacklist(ctx, signingKey === undefined ? {} : { signingKey });
    writeFileSync(file, `${JSON.stringify(signed, null, 2)}\n`);
    if (opts.json === true)
      printLine(
        JSON.stringify({
          file,
          version: signed.version,
          issuedAt: signed.issuedAt,
          entries: signed.entries.length,
          keyId: signed.keyId,
          lapsed: lapsed.length,
        }),
      );
    else {
      printLine(
        `${colors().green('exported')} blacklist version ${signed.version} (${signed.entries.length} entr${signed.entries.length === 1 ? 'y' : 'ies'}, ` +
          `issued ${signed.issuedAt}, key ${signed.keyId}${keyFile === undefined || keyFile === '' ? ' = the published TEST key' : ''}) to ${file}`,
      );
    }
  });
}

function lossCommand(cmd: Command): Command {
  return common(cmd)
    .argument('<card-number>', 'card number')
    .requiredOption('--side <side>', 'ss (social security) or bank')
    .addOption(
      new Option(
        '--channel <channel>',
        'self (any hour, PIN changed), manual (operator, office hours), written (window or bank)',
      )
        .choices([...LOSS_CHANNELS])
        .makeOptionMandatory(),
    )
    .option('--name <name>', "holder's name (manual)")
    .option('--id <id-number>', "holder's ID number (manual, written)")
    .addOption(
      new Option('--document <kind>', "holder's document shown (written; default id)").choices([...LOSS_DOCUMENTS]),
    )
    .option('--proxy-id <id-number>', "a proxy's own ID number (written, with both IDs)")
    .addOption(
      new Option('--role <role>', 'the terminal role to act as (default from side and channel)').choices([...ROLES]),
    )
    .option(
      '--card <image>',
      'card image: bank PIN VERIFY for a written bank-side act; with withdraw-loss, unblocks the application a POS blocked',
    )
    .option('--bank-pin-checked', "written bank side without the card: the bank's own systems verified the bank PIN")
    .option('--pin-stdin', 'read the bank PIN line from stdin instead of prompting');
}

/** Adds the loss commands to `sscard office` (registered once from main.ts). */
export function registerOfficeLossCommands(program: Command, io: () => CliIo): void {
  const office = program.commands.find((c) => c.name() === 'office');
  if (office === undefined) throw new Error('register the office commands before the loss commands');
  lossCommand(
    office.command('report-loss').description('report one side of a card lost (self-service, manual or written)'),
  ).action((cardNumber: string, opts: LossOptions) => reportLoss(cardNumber, opts, io()));
  lossCommand(
    office
      .command('withdraw-loss')
      .description('withdraw a loss report when the card is found (the same checks as the report)'),
  ).action((cardNumber: string, opts: LossOptions) => withdrawLoss(cardNumber, opts, io()));
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
  common(
    office
      .command('expire-losses')
      .description('apply the temporary-loss rule to reports past their lapse (run daily)'),
  ).action((opts: CommonOptions) => expireLosses(opts));
  common(office.command('loss-status').description("a card's loss reports, chip blocks and bank activation window"))
    .argument('<card-number>', 'card number')
    .action((cardNumber: string, opts: CommonOptions) => lossStatus(cardNumber, opts));
  const blacklist = office.command('blacklist').description('the blacklist terminals check');
  common(blacklist.command('export').description('write the signed blacklist file offline POS terminals load'))
    .argument('<file.json>', 'file to write')
    .option(
      '--signing-key <private.pem>',
      `issuer's Ed25519 private key (default: $${BLACKLIST_SIGNING_KEY_ENV}, else the published TEST key)`,
    )
    .action((file: string, opts: CommonOptions & { signingKey?: string }) => exportBlacklist(file, opts));
}
