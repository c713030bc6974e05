import { hostname } from 'node:os';
import { Option } from 'commander';
import type { Command } from 'commander';
import { BACKEND_FLAGS, BACKEND_HELP, parseBackend } from '../backend-option.js';
import type { PosOptions } from '../actions/pos.js';
import type { CliIo } from '../pin-input.js';

export function registerPosCommand(program: Command, io: () => CliIo): void {
  program
    .command('pos')
    .description('a card at a POS terminal: online with --db (pending issuer scripts applied), then --verify the PIN')
    .option('--card <image>', 'card image file (changes are saved to it)')
    .option('--reader <name|index>', 'PC/SC reader (name, or index as `sscard readers` numbers them)')
    .option(BACKEND_FLAGS, BACKEND_HELP, parseBackend)
    .option('--trace', 'print every APDU exchange to stderr (PIN data masked)')
    .addOption(
      new Option('--db <url>', 'online: the registry (file:DIR or postgres://…) whose pending scripts the card gets'),
    )
    .option('--verify', 'then ask for the PIN and verify it')
    .option('--pin-stdin', 'read the PIN line from stdin instead of prompting')
    .addOption(new Option('--pin <pin>').hideHelp())
    .addOption(
      new Option('--terminal <id>', 'terminal id recorded in the history').default(`pos@${hostname()}`.slice(0, 64)),
    )
    .action(async (opts: PosOptions) => (await import('../actions/pos.js')).pos(opts, io()));
}
