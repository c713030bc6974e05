import type { Command } from 'commander';
import { BACKEND_FLAGS, BACKEND_HELP, parseBackend } from '../backend-option.js';
import type { CardSourceOptions } from '../card-source.js';

export function registerApduCommand(program: Command): void {
  program
    .command('apdu')
    .description('send command APDUs (hex) to a card image (which keeps every change) or a PC/SC reader')
    .option('--card <image>', 'card image file')
    .option('--reader <name|index>', 'PC/SC reader (name, or index as `sscard readers` numbers them)')
    .option(BACKEND_FLAGS, BACKEND_HELP, parseBackend)
    .option('--trace', 'print every APDU exchange to stderr (PIN data masked)')
    .argument('<hex...>', "command APDUs in hex, one per argument (spaces allowed inside quotes: '00 A4 04 00 ...')")
    .action(async (apdus: string[], opts: CardSourceOptions) => {
      // Every argument is checked before the card OS or the SDK is loaded.
      const commands = (await import('../apdu-args.js')).parseApdus(apdus);
      const { runApdus, runApdusOnReader } = await import('../actions/apdu.js');
      // Without --card (or with both) the card source gives the clear "exactly one" error.
      return opts.card === undefined || opts.reader !== undefined
        ? runApdusOnReader(commands, opts)
        : runApdus(commands, { ...opts, card: opts.card });
    });
}
