import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import type { ActOptions, CorrectOptions, IssueOptions, Role } from '../actions/window.js';
import { DEFAULT_RESET_PIN_RULE, RESET_PIN_RULES } from '../help-constants.js';
import { addNewCardOptions } from '../new-card-options.js';
import { refusePinArgument } from '../pin-input.js';
import type { CliIo } from '../pin-input.js';
import { registryDbOption, terminalIdOption } from '../registry-options.js';

/*
 * `sscard window …`, defined (see actions/window.ts for what each act does); each act's
 * implementation loads with its action.
 */

function collectSet(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected path=value, e.g. person.name=张伟');
  const path = value.slice(0, eq);
  if (path in previous) throw new InvalidArgumentError(`${path} is set twice`);
  return { ...previous, [path]: value.slice(eq + 1) };
}

function common(cmd: Command, defaultTerminal: string): Command {
  return cmd.addOption(registryDbOption()).addOption(terminalIdOption(defaultTerminal, '--terminal-id <id>'));
}

function actCommand(parent: Command, name: string, description: string, role: Role, pinInput: boolean): Command {
  const cmd = parent
    .command(name)
    .description(description)
    .requiredOption('--id <ID number>', "the ID number on the holder's ID document")
    .option('--card <image>', 'card image file (the act is saved to it)')
    .option('--reader <name|index>', 'PC/SC reader holding a simulated card')
    .option('--trace', 'print every APDU exchange to stderr (PIN data masked)');
  if (pinInput) cmd.option('--pin-stdin', 'read the PIN lines from stdin instead of prompting');
  common(cmd, role === 'window' ? 'window-cli' : 'bank-cli');
  // --pin and extra arguments are accepted only to be refused without repeating them.
  return cmd.addOption(new Option('--pin <pin>').hideHelp()).allowExcessArguments(true);
}

type Act = 'windowUnlockPin' | 'windowResetPin' | 'windowBankActivate' | 'windowBankUnlock' | 'windowBankReset';

/** The action of an act: the PIN argument refused, then the act's implementation loaded and run. */
function runAct(act: Act, io: () => CliIo) {
  return async (opts: ActOptions, cmd: Command): Promise<void> => {
    refusePinArgument(opts, cmd.args);
    await (await import('../actions/window.js'))[act](opts, io());
  };
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
  ).action(async (opts: IssueOptions) => (await import('../actions/window.js')).windowIssue(opts));

  actCommand(
    window,
    'unlock-pin',
    'unlock a locked application PIN (PIN UNBLOCK; the PIN stays)',
    'window',
    false,
  ).action(runAct('windowUnlockPin', io));

  actCommand(
    window,
    'reset-pin',
    `reset a forgotten application PIN (RELOAD PIN): to a new PIN typed twice (2 lines with --pin-stdin), or with --reset-rule initial to the initial PIN`,
    'window',
    true,
  )
    .addOption(
      new Option('--reset-rule <rule>', `the region's reset rule (default ${DEFAULT_RESET_PIN_RULE})`).choices([
        ...RESET_PIN_RULES,
      ]),
    )
    .action(runAct('windowResetPin', io));

  actCommand(
    window,
    'bank-activate',
    'activate the bank side of a financial card at a bank branch',
    'bank',
    false,
  ).action(runAct('windowBankActivate', io));

  actCommand(
    window,
    'bank-unlock',
    "unlock a locked bank PIN at a bank branch: needs the holder's correct bank PIN (1 line with --pin-stdin)",
    'bank',
    true,
  ).action(runAct('windowBankUnlock', io));

  actCommand(
    window,
    'bank-reset',
    'reset a forgotten bank PIN at a bank branch to a new one typed twice (2 lines with --pin-stdin)',
    'bank',
    true,
  ).action(runAct('windowBankReset', io));

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
  ).action(async (cardNumber: string, opts: CorrectOptions) =>
    (await import('../actions/window.js')).windowCorrect(cardNumber, opts),
  );
}
