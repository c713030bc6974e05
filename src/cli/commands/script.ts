import type { Command } from 'commander';
import { BACKEND_FLAGS, BACKEND_HELP, parseBackend } from '../backend-option.js';
import type { CardSourceOptions } from '../card-source.js';

export function registerScriptCommand(program: Command): void {
  program
    .command('script')
    .description(
      'run an APDU script against a card image or a PC/SC reader (one APDU per line, optional "-> expected")',
    )
    .argument('<file>', 'script file')
    .option('--card <image>', 'card image file')
    .option('--reader <name|index>', 'PC/SC reader (name, or index as `sscard readers` numbers them)')
    .option(BACKEND_FLAGS, BACKEND_HELP, parseBackend)
    .option('--trace', 'print every APDU exchange to stderr (PIN data masked)')
    .action(async (file: string, opts: CardSourceOptions) =>
      (await import('../actions/script.js')).runScript(file, opts),
    );
}
