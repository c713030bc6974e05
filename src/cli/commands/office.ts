import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
// The loss types' own module (it imports nothing), not the office barrel: `office --help` loads no registry.
import { LOSS_CHANNELS, LOSS_DOCUMENTS } from '../../office/loss/types.js';
import type { CommonOptions } from '../actions/office-common.js';
import type { IssueOptions } from '../actions/office.js';
import type { LossOptions } from '../actions/office-loss.js';
import type { ActivateOptions, ReplaceOptions } from '../actions/office-new-card.js';
import type { ServeOptions } from '../actions/office-serve.js';
import { DEFAULT_PORTAL_PORT, ROLES } from '../help-constants.js';
import { addNewCardOptions } from '../new-card-options.js';
import { wholeNumberOption } from '../number-option.js';
import type { CliIo } from '../pin-input.js';
import { hostTerminalId, registryDbOption, terminalIdOption } from '../registry-options.js';
import type { RegistryDbOptions } from '../registry-options.js';

/*
 * `sscard office …`, defined: the registry, the portal, loss reports, new cards and the blacklist.
 * Each subcommand's implementation loads with its action (actions/office*.ts).
 */

type DbOptions = RegistryDbOptions;

/** Environment variable naming the PEM file of the issuer's blacklist signing key. */
export const BLACKLIST_SIGNING_KEY_ENV = 'SSCARD_BLACKLIST_KEY';

/** The registry database, the terminal's ID and --json, on every such command. */
function common(cmd: Command): Command {
  return cmd
    .addOption(registryDbOption())
    .addOption(terminalIdOption(hostTerminalId('cli')))
    .option('--json', 'print the result as JSON');
}

const parseLimit = wholeNumberOption(1, 100_000);

const parsePort = wholeNumberOption(0, 65535, 'must be a port number from 0 to 65535 (0: any free port)');

function collect(value: string, previous: string[]): string[] {
  if (!/^[A-Za-z0-9.\-[\]:]+:[0-9]+$/.test(value))
    throw new InvalidArgumentError('must be host:port as browsers send it in the Host header');
  return [...previous, value];
}

export function registerOfficeCommands(program: Command, io: () => CliIo): void {
  const office = program
    .command('office')
    .description("the issuer's back office registry (persons, cards, personalizations, history)");
  office
    .command('init')
    .description('create the registry, or bring its schema up to date')
    .addOption(registryDbOption())
    .action(async (opts: DbOptions) => (await import('../actions/office.js')).officeInit(opts));
  office
    .command('status')
    .description("a card's record: holder, both sides' states, PIN-initial flag, personalization version")
    .argument('<card-number>', 'card number, e.g. S00000001')
    .addOption(registryDbOption())
    .option('--json', 'print the record as JSON')
    .action(async (cardNumber: string, opts: DbOptions & { json?: boolean }) =>
      (await import('../actions/office.js')).officeStatus(cardNumber, opts),
    );
  office
    .command('history')
    .description('every operation recorded for a card, refusals included, oldest first')
    .argument('<card-number>', 'card number')
    .addOption(registryDbOption())
    .option('--limit <n>', 'at most n entries', parseLimit)
    .option('--json', 'print the entries as JSON')
    .action(async (cardNumber: string, opts: DbOptions & { json?: boolean; limit?: number }) =>
      (await import('../actions/office.js')).officeHistory(cardNumber, opts),
    );
  addNewCardOptions(
    office
      .command('issue')
      .description(
        'issue a new card: record it in the registry (new card number and identifier) and write its card image',
      ),
  )
    .addOption(terminalIdOption(hostTerminalId('cli')))
    .addOption(registryDbOption())
    .option('--json', 'print the new card record as JSON')
    .action(async (opts: IssueOptions) => (await import('../actions/office.js')).officeIssue(opts));
  registerOfficeServeCommand(office);
  registerLossCommands(office, io);
  registerNewCardCommands(office);
  registerLossListCommands(office);
}

function registerOfficeServeCommand(office: Command): void {
  office
    .command('serve')
    .description(
      'serve the self-service portal: sign in with the query password, card status and history, change or reset the password',
    )
    .addOption(registryDbOption())
    .addOption(new Option('--host <address>', 'address to listen on').default('127.0.0.1'))
    .addOption(
      new Option('--port <n>', 'port to listen on (0: any free port)')
        .default(DEFAULT_PORTAL_PORT)
        .argParser(parsePort),
    )
    .addOption(terminalIdOption(hostTerminalId('portal')))
    .addOption(
      new Option('--allow-host <host:port>', 'another Host header value to answer (repeatable)')
        .default([])
        .argParser(collect),
    )
    .option('--over-https', 'browsers reach the portal through an HTTPS proxy (Secure cookie, HSTS)')
    .option(
      '--trust-proxy',
      'take the client address from X-Forwarded-For (rate limits; only behind a proxy that sets it)',
    )
    .action(async (opts: ServeOptions) => (await import('../actions/office-serve.js')).officeServe(opts));
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

function registerLossCommands(office: Command, io: () => CliIo): void {
  lossCommand(
    office.command('report-loss').description('report one side of a card lost (self-service, manual or written)'),
  ).action(async (cardNumber: string, opts: LossOptions) =>
    (await import('../actions/office-loss.js')).reportLoss(cardNumber, opts, io()),
  );
  lossCommand(
    office
      .command('withdraw-loss')
      .description('withdraw a loss report when the card is found (the same checks as the report)'),
  ).action(async (cardNumber: string, opts: LossOptions) =>
    (await import('../actions/office-loss.js')).withdrawLoss(cardNumber, opts, io()),
  );
}

function registerNewCardCommands(office: Command): void {
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
    .action(async (cardNumber: string, opts: ReplaceOptions) =>
      (await import('../actions/office-new-card.js')).replace(cardNumber, opts),
    );
  common(
    office
      .command('activate-bank')
      .description('activate the bank application of a new card at a bank (within 60 days)'),
  )
    .argument('<card-number>', 'card number')
    .requiredOption('--card <image>', 'the card (image): APPLICATION UNBLOCK of its bank application')
    .requiredOption('--id <id-number>', "holder's ID number")
    .action(async (cardNumber: string, opts: ActivateOptions) =>
      (await import('../actions/office-new-card.js')).activateBank(cardNumber, opts),
    );
  common(
    office
      .command('reopen-activation')
      .description('a written request at the bank branch re-opens a closed activation window'),
  )
    .argument('<card-number>', 'card number')
    .requiredOption('--id <id-number>', "holder's ID number")
    .action(async (cardNumber: string, opts: CommonOptions & { id: string }) =>
      (await import('../actions/office-new-card.js')).reopenActivation(cardNumber, opts),
    );
  common(
    office
      .command('hand-over')
      .description('record the day the holder received the card (the bank activation window counts from it)'),
  )
    .argument('<card-number>', 'card number')
    .requiredOption('--id <id-number>', "holder's ID number")
    .option('--date <YYYY-MM-DD>', 'the day of the hand-over (default today)')
    .option('--proxy-id <id-number>', "a proxy's own ID number")
    .action(async (cardNumber: string, opts: CommonOptions & { id: string; date?: string; proxyId?: string }) =>
      (await import('../actions/office-new-card.js')).handOver(cardNumber, opts),
    );
}

function registerLossListCommands(office: Command): void {
  common(
    office
      .command('expire-losses')
      .description('apply the temporary-loss rule to reports past their lapse (run daily)'),
  ).action(async (opts: CommonOptions) => (await import('../actions/office-loss-list.js')).expireLosses(opts));
  common(office.command('loss-status').description("a card's loss reports, chip blocks and bank activation window"))
    .argument('<card-number>', 'card number')
    .action(async (cardNumber: string, opts: CommonOptions) =>
      (await import('../actions/office-loss-list.js')).lossStatus(cardNumber, opts),
    );
  const blacklist = office.command('blacklist').description('the blacklist terminals check');
  common(blacklist.command('export').description('write the signed blacklist file offline POS terminals load'))
    .argument('<file.json>', 'file to write')
    .option(
      '--signing-key <private.pem>',
      `issuer's Ed25519 private key (default: $${BLACKLIST_SIGNING_KEY_ENV}, else the published TEST key)`,
    )
    .action(async (file: string, opts: CommonOptions & { signingKey?: string }) =>
      (await import('../actions/office-loss-list.js')).exportBlacklist(file, opts),
    );
}
