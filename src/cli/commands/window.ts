import { existsSync, renameSync, rmSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { SscardError } from '../../apdu/index.js';
import { buildAtr, lockCardImage, parseAtr, validatePersonalization } from '../../card-sim/index.js';
import { DEFAULT_RESET_PIN_RULE, OperationRefusedError, RESET_PIN_RULES, ServiceWindow } from '../../office/index.js';
import type { MakeCard, OperationContext, PinActResult, ResetPinRule } from '../../office/index.js';
import { SoftwarePsam } from '../../terminal/index.js';
import { openCardFromOptions } from '../card-source.js';
import type { CardSource, CardSourceOptions } from '../card-source.js';
import { readPins } from '../pin-input.js';
import type { CliIo } from '../pin-input.js';
import { colors, printLine } from '../output.js';
import { CliInputError } from '../errors.js';
import { addNewCardOptions } from '../new-card-options.js';
import type { NewCardOptions } from '../new-card-options.js';
import { registryDbOption, terminalIdOption, withRegistry } from '../registry-options.js';
import { documentFor, saveNewCardImage } from './card.js';

/*
 * `sscard window …` and the bank branch's `sscard window bank-…`: the service window's acts from
 * the command line (ServiceWindow in sscard/office), on a card image (--card) or a card in a
 * reader (--reader), recorded in the registry (--db, as `sscard office`). PINs come from a hidden
 * prompt or stdin lines (--pin-stdin), never from the command line. A refusal is one line on
 * stderr with its reason code and exit code 1; nothing is written to the card.
 *
 * The issuer keys are the project's published TEST master keys (SoftwarePsam.withTestKeys). On a
 * card in a reader they are used only when the card's ATR is the simulator's: a real card would
 * refuse their MACs and count a try of its key each time.
 */

const WINDOW_KEYS = ['RKSSSE', 'PIN_UNBLOCK', 'PIN_RELOAD'] as const;
const BANK_KEYS = ['RKSSSE', 'BANK_PIN_UNBLOCK', 'BANK_PIN_RELOAD', 'BANK_APP_CONTROL'] as const;

interface CommonOptions {
  db?: string;
  terminalId: string;
}

interface ActOptions extends CommonOptions, CardSourceOptions {
  id: string;
  pinStdin?: boolean;
  /** Set when someone wrote --pin <value>: refused. */
  pin?: string;
  resetRule?: ResetPinRule;
}

/** The historical bytes the simulator's ATR starts with (before its 8 card-specific bytes). */
const SIMULATOR_HISTORICAL = parseAtr(buildAtr('T=1', new Uint8Array(8))).historical.subarray(0, 7);

/** True when the test keys may be used on the card: a card image, or a reader holding a simulated card. */
export function testKeysFit(source: Pick<CardSource, 'simulated' | 'channel'>): boolean {
  if (source.simulated) return true;
  try {
    const historical = parseAtr(source.channel.atr()).historical;
    return (
      historical.length >= SIMULATOR_HISTORICAL.length && SIMULATOR_HISTORICAL.every((b, i) => historical[i] === b)
    );
  } catch {
    return false;
  }
}

/** A refusal as the command line reports it: one line, its reason code, exit code 1. */
function refused(error: unknown): unknown {
  if (error instanceof OperationRefusedError)
    return new SscardError(error.code, `refused: ${error.message}`, { cause: error });
  return error;
}

function refusePinArgument(opts: ActOptions, args: readonly string[]): void {
  if (opts.pin !== undefined || args.length > 0) {
    throw new CliInputError(
      'a PIN is never taken from the command line (it would stay in shell history and process lists); type it at the prompt, or pipe it in with --pin-stdin',
    );
  }
}

type Role = 'window' | 'bank';

/**
 * Opens the registry and the card, checks the keys fit the card, reads the PINs the act needs
 * (after the card is open, so a missing card is reported before anyone types), runs the act.
 */
async function act(
  role: Role,
  opts: ActOptions,
  io: CliIo,
  prompts: readonly string[],
  run: (desk: ServiceWindow, source: CardSource, pins: string[]) => Promise<void>,
): Promise<void> {
  if (typeof opts.id !== 'string' || opts.id.trim() === '')
    throw new CliInputError("--id <ID number>: the ID number on the holder's document is required");
  const ctx: OperationContext = { terminalId: opts.terminalId, role, channel: 'counter' };
  await withRegistry(opts, async (registry) => {
    const source = await openCardFromOptions(opts);
    try {
      if (!testKeysFit(source)) {
        throw new CliInputError(
          `${source.label}: not a simulated card (its ATR is not the simulator's); the window holds only the project's test keys, which a real card refuses, counting a try of its key`,
        );
      }
      if (prompts.length === 0 && opts.pinStdin === true) throw new CliInputError('--pin-stdin: this act takes no PIN');
      const pins = prompts.length === 0 ? [] : await readPins(prompts, opts.pinStdin === true, io);
      const psam = SoftwarePsam.withTestKeys(role === 'window' ? WINDOW_KEYS : BANK_KEYS);
      const desk = new ServiceWindow(
        registry,
        ctx,
        psam,
        opts.resetRule === undefined ? {} : { resetPinRule: opts.resetRule },
      );
      await run(desk, source, pins).catch((error: unknown) => {
        throw refused(error);
      });
    } finally {
      await source.close();
    }
  });
}

function describeAct(what: string, r: PinActResult): string {
  const c = colors();
  const note = r.lockRecorded ? ' (the registry learned of the lock the card showed)' : '';
  if (r.reconciled && r.cardCommand === null) {
    return `${c.green('unlocked')}: the ${what} of card ${r.card.cardNumber} was already unlocked on the card; the registry is brought up to date (nothing sent to the card)`;
  }
  return `${c.green('done')}: ${r.cardCommand ?? 'no command'} on card ${r.card.cardNumber} (${r.card.holderName})${note}`;
}

// ---- issue and correct: cards made as images ---------------------------------------------------------

interface IssueOptions extends CommonOptions, NewCardOptions {}

/**
 * A card image made inside the registry's operation: written to a temporary file beside `image`,
 * renamed into place only once the registry has recorded it, removed if it did not (so a card the
 * registry does not know is never left behind, nor an earlier image lost).
 */
async function withImage<T>(
  image: string,
  force: boolean | undefined,
  fn: (makeCard: MakeCard) => Promise<T>,
): Promise<T> {
  const lock = lockCardImage(image);
  // Staged and renamed beside the real file: an image path that is a symbolic link stays one.
  const staged = `${lock.realPath}.${process.pid}.new`;
  try {
    if (force !== true && existsSync(image))
      throw new CliInputError(`${image} already exists; use --force to replace it`);
    const value = await fn((document) => void saveNewCardImage(staged, document, {}));
    if (existsSync(staged)) renameSync(staged, lock.realPath);
    return value;
  } finally {
    rmSync(staged, { force: true });
    lock.release();
  }
}

async function windowIssue(opts: IssueOptions): Promise<void> {
  if ((opts.sample === undefined) === (opts.from === undefined))
    throw new CliInputError('window issue needs one of --sample NAME or --from person.json');
  const doc = documentFor(opts);
  await withRegistry(opts, async (registry) => {
    const desk = new ServiceWindow(
      registry,
      { terminalId: opts.terminalId, role: 'window', channel: 'counter' },
      SoftwarePsam.withTestKeys(WINDOW_KEYS),
    );
    const issued = await withImage(opts.card, opts.force, (makeCard) =>
      desk
        .issueCard({ document: doc, validate: (d) => void validatePersonalization(d), makeCard })
        .catch((e: unknown) => {
          throw refused(e);
        }),
    );
    const card = issued.card;
    printLine(
      `${colors().green('issued')} card ${card.cardNumber} (identifier ${card.cardIdentifier}) to ${card.holderName}, ` +
        `spec ${card.specVersion}${card.financial ? ', financial' : ''}, valid ${card.issueDate} to ${card.expiryDate}; image ${opts.card}`,
    );
  });
}

interface CorrectOptions extends CommonOptions {
  set: Record<string, string>;
  reason?: string;
  card?: string;
  reader?: string;
  force?: boolean;
  inPlace?: boolean;
  id?: string;
}

function collectSet(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected path=value, e.g. person.name=张伟');
  const path = value.slice(0, eq);
  if (path in previous) throw new InvalidArgumentError(`${path} is set twice`);
  return { ...previous, [path]: value.slice(eq + 1) };
}

async function windowCorrect(cardNumber: string, opts: CorrectOptions): Promise<void> {
  const reason = opts.reason ?? `corrected at the window: ${Object.keys(opts.set).join(', ')}`;
  if (opts.reader !== undefined || opts.inPlace === true) return windowCorrectInPlace(cardNumber, reason, opts);
  if (opts.id !== undefined)
    throw new CliInputError(
      '--id: only a correction written on the card (--reader, or --card with --in-place) checks the holder',
    );
  await withRegistry(opts, async (registry) => {
    const desk = new ServiceWindow(
      registry,
      { terminalId: opts.terminalId, role: 'window', channel: 'counter' },
      SoftwarePsam.withTestKeys(WINDOW_KEYS),
    );
    const correct = (makeCard?: MakeCard) =>
      desk
        .correctCard(cardNumber, {
          changes: opts.set,
          reason,
          validate: (d) => void validatePersonalization(d),
          ...(makeCard === undefined ? {} : { makeCard }),
        })
        .catch((e: unknown) => {
          throw refused(e);
        });
    const version = opts.card === undefined ? await correct() : await withImage(opts.card, opts.force, correct);
    const made =
      opts.card === undefined
        ? '; the card is to be re-made from it (--card out.json writes its image)'
        : `; card re-made: image ${opts.card} (application PIN initial)`;
    printLine(
      `${colors().green('corrected')}: card ${cardNumber}, personalization version ${version.version} (${reason})${made}`,
    );
  });
}

/**
 * The correction written on the holder's card at the counter (a card in a reader, or an image with
 * --in-place): the cardholder data on EF06, after the issuance key; the PINs stay.
 */
async function windowCorrectInPlace(cardNumber: string, reason: string, opts: CorrectOptions): Promise<void> {
  if (opts.reader === undefined && opts.card === undefined)
    throw new CliInputError('--in-place: give the card to write, --card <image> or --reader <name|index>');
  if (opts.force === true)
    throw new CliInputError('--force: a correction in place writes the card given, it replaces no file');
  if (typeof opts.id !== 'string' || opts.id.trim() === '')
    throw new CliInputError("--id <ID number>: a correction on the card checks the ID number on the holder's document");
  const idNumber = opts.id;
  await withRegistry(opts, async (registry) => {
    const source = await openCardFromOptions(opts);
    try {
      if (!testKeysFit(source))
        throw new CliInputError(
          `${source.label}: not a simulated card (its ATR is not the simulator's); the window holds only the project's test keys`,
        );
      const desk = new ServiceWindow(
        registry,
        { terminalId: opts.terminalId, role: 'window', channel: 'counter' },
        SoftwarePsam.withTestKeys([...WINDOW_KEYS, 'ISSUANCE']),
      );
      const version = await desk
        .correctCard(cardNumber, {
          changes: opts.set,
          reason,
          validate: (d) => void validatePersonalization(d),
          card: source.channel,
          idNumber,
        })
        .catch((e: unknown) => {
          throw refused(e);
        });
      printLine(
        `${colors().green('corrected')}: card ${cardNumber}, personalization version ${version.version} (${reason}); written on the card (${source.label}), its PINs unchanged`,
      );
    } finally {
      await source.close();
    }
  });
}

// ---- registration --------------------------------------------------------------------------------------

function common(cmd: Command, defaultTerminal: string): Command {
  return cmd.addOption(registryDbOption()).addOption(terminalIdOption(defaultTerminal, '--terminal-id <id>'));
}

/** One act at the window or the bank branch, as a subcommand of `window`. */
interface ActSpec {
  name: string;
  description: string;
  role: Role;
  /** The PIN lines the act reads; a function when they depend on the options (the act then takes --pin-stdin). */
  prompts: readonly string[] | ((opts: ActOptions) => readonly string[]);
  run: (desk: ServiceWindow, source: CardSource, pins: string[], opts: ActOptions) => Promise<void>;
}

/** Defines an act: its options, the refusal of a PIN given on the command line, then `act`. */
function actCommand(parent: Command, io: () => CliIo, spec: ActSpec): Command {
  const { name, description, role, prompts, run } = spec;
  const cmd = parent
    .command(name)
    .description(description)
    .requiredOption('--id <ID number>', "the ID number on the holder's ID document")
    .option('--card <image>', 'card image file (the act is saved to it)')
    .option('--reader <name|index>', 'PC/SC reader holding a simulated card')
    .option('--trace', 'print every APDU exchange to stderr (PIN data masked)');
  if (typeof prompts === 'function' || prompts.length > 0)
    cmd.option('--pin-stdin', 'read the PIN lines from stdin instead of prompting');
  common(cmd, role === 'window' ? 'window-cli' : 'bank-cli');
  // --pin and extra arguments are accepted only to be refused without repeating them.
  return cmd
    .addOption(new Option('--pin <pin>').hideHelp())
    .allowExcessArguments(true)
    .action(async (opts: ActOptions, command: Command) => {
      refusePinArgument(opts, command.args);
      const lines = typeof prompts === 'function' ? prompts(opts) : prompts;
      await act(role, opts, io(), lines, (desk, source, pins) => run(desk, source, pins, opts));
    });
}

export function registerWindowCommands(program: Command, io: () => CliIo): void {
  const window = program
    .command('window')
    .description(
      "the service window and the bank branch: PIN unlock and reset with the card and the holder's ID, recorded in the registry " +
        "(issuer keys: the project's TEST master keys, for simulated cards only)",
    );
  common(
    addNewCardOptions(
      window
        .command('issue')
        .description(
          'issue a new card at the window: record it in the registry and write its image in the same operation',
        ),
    ),
    'window-cli',
  ).action((opts: IssueOptions) => windowIssue(opts));

  actCommand(window, io, {
    name: 'unlock-pin',
    description: 'unlock a locked application PIN (PIN UNBLOCK; the PIN stays)',
    role: 'window',
    prompts: [],
    run: async (desk, source, _pins, opts) => {
      printLine(describeAct('application PIN', await desk.unlockPin(source.channel, { idNumber: opts.id })));
    },
  });

  actCommand(window, io, {
    name: 'reset-pin',
    description: `reset a forgotten application PIN (RELOAD PIN): to a new PIN typed twice (2 lines with --pin-stdin), or with --reset-rule initial to the initial PIN`,
    role: 'window',
    prompts: (opts) => (opts.resetRule === 'initial' ? [] : ['new PIN: ', 'new PIN again: ']),
    run: async (desk, source, [newPin, again], opts) => {
      const initial = opts.resetRule === 'initial';
      const r = await desk.resetPin(
        source.channel,
        initial ? { idNumber: opts.id } : { idNumber: opts.id, newPin: newPin ?? '', newPinAgain: again ?? '' },
      );
      printLine(describeAct('application PIN', r));
      printLine(
        initial
          ? 'the application PIN is the initial PIN again; the holder changes it before using the card at a terminal'
          : 'the application PIN is the one the holder chose',
      );
    },
  }).addOption(
    new Option('--reset-rule <rule>', `the region's reset rule (default ${DEFAULT_RESET_PIN_RULE})`).choices([
      ...RESET_PIN_RULES,
    ]),
  );

  actCommand(window, io, {
    name: 'bank-activate',
    description: 'activate the bank side of a financial card at a bank branch',
    role: 'bank',
    prompts: [],
    run: async (desk, source, _pins, opts) => {
      const card = await desk.activateBank(source.channel, { idNumber: opts.id });
      printLine(`${colors().green('activated')}: the bank side of card ${card.cardNumber} (${card.holderName})`);
    },
  });

  actCommand(window, io, {
    name: 'bank-unlock',
    description:
      "unlock a locked bank PIN at a bank branch: needs the holder's correct bank PIN (1 line with --pin-stdin)",
    role: 'bank',
    prompts: ['bank PIN: '],
    run: async (desk, source, [bankPin], opts) => {
      printLine(
        describeAct('bank PIN', await desk.bankUnlock(source.channel, { idNumber: opts.id, bankPin: bankPin ?? '' })),
      );
    },
  });

  actCommand(window, io, {
    name: 'bank-reset',
    description: 'reset a forgotten bank PIN at a bank branch to a new one typed twice (2 lines with --pin-stdin)',
    role: 'bank',
    prompts: ['new bank PIN: ', 'new bank PIN again: '],
    run: async (desk, source, [newPin, again], opts) => {
      const r = await desk.bankReset(source.channel, {
        idNumber: opts.id,
        newPin: newPin ?? '',
        newPinAgain: again ?? '',
      });
      printLine(describeAct('bank PIN', r));
    },
  });

  common(
    window
      .command('correct')
      .description(
        "correct a card's data: a new personalization version (both kept); with --card the card re-made as a new image (same card number), " +
          "or written on the holder's card in place (--reader, or --card with --in-place; cardholder data only, with --id)",
      )
      .argument('<card-number>', 'card number')
      .requiredOption('--set <path=value>', 'a field to correct, e.g. person.name=张伟 (repeat for more)', collectSet)
      .option('--reason <text>', 'what was wrong (for the history)')
      .option('--card <image.json>', 'write the re-made card image here (with --in-place: the card image to correct)')
      .option('--force', 'replace an existing image file')
      .option('--in-place', 'write the correction on the card given (its EF06 cardholder data; the PINs stay)')
      .option('--reader <name|index>', "the holder's card in a PC/SC reader, corrected in place")
      .option(
        '--id <ID number>',
        "the ID number on the holder's document (a correction in place checks it against the card)",
      ),
    'window-cli',
  ).action((cardNumber: string, opts: CorrectOptions) => windowCorrect(cardNumber, opts));
}
