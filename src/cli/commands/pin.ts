import { Option } from 'commander';
import type { Command } from 'commander';
import { BACKEND_FLAGS, BACKEND_HELP, parseBackend } from '../backend-option.js';
import type { PinOptions } from '../actions/pin.js';
import { addBlacklistOptions } from '../blacklist-options.js';
import { refusePinArgument } from '../pin-input.js';
import type { CliIo } from '../pin-input.js';

function cardOptions(cmd: Command, pinInput: boolean): Command {
  cmd
    .option('--card <image>', 'card image file (changes, including spent tries, are saved to it)')
    .option('--reader <name|index>', 'PC/SC reader (name, or index as `sscard readers` numbers them)')
    .option(BACKEND_FLAGS, BACKEND_HELP, parseBackend)
    .option('--trace', 'print every APDU exchange to stderr (PIN data masked)');
  if (pinInput) cmd.option('--pin-stdin', 'read the PIN lines from stdin instead of prompting');
  // --pin and extra arguments are accepted only to be refused with a clear message: commander's
  // own errors would repeat the value (a PIN) on stderr.
  return cmd.addOption(new Option('--pin <pin>').hideHelp()).allowExcessArguments(true);
}

export function registerPinCommands(program: Command, io: () => CliIo): void {
  const pin = program
    .command('pin')
    .description('verify, change or check the application PIN (never taken from the command line)');
  addBlacklistOptions(
    cardOptions(
      pin.command('verify').description('check the application PIN (a wrong PIN costs a try); 1 line with --pin-stdin'),
      true,
    ),
  ).action(async (opts: PinOptions, cmd: Command) => {
    refusePinArgument(opts, cmd.args);
    await (await import('../actions/pin.js')).verify(opts, io());
  });
  cardOptions(
    pin
      .command('change')
      .description('change the application PIN; 3 lines with --pin-stdin: current PIN, new PIN, new PIN again'),
    true,
  ).action(async (opts: PinOptions, cmd: Command) => {
    refusePinArgument(opts, cmd.args);
    await (await import('../actions/pin.js')).change(opts, io());
  });
  cardOptions(pin.command('status').description('tries left on the application PIN (spends no try)'), false).action(
    async (opts: PinOptions, cmd: Command) => {
      refusePinArgument(opts, cmd.args);
      await (await import('../actions/pin.js')).status(opts);
    },
  );
}
