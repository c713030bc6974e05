import type { Command } from 'commander';
import { BACKEND_FLAGS, BACKEND_HELP, parseBackend } from '../backend-option.js';
import type { ReadOptions } from '../actions/read.js';
import { addBlacklistOptions } from '../blacklist-options.js';

export function registerReadCommand(program: Command): void {
  const read = program
    .command('read')
    .description('read the card issuer and cardholder data as a POS terminal does (no PIN needed)')
    .option('--card <image>', 'card image file')
    .option('--reader <name|index>', 'PC/SC reader (name, or index as `sscard readers` numbers them)')
    .option(BACKEND_FLAGS, BACKEND_HELP, parseBackend)
    .option('--json', 'print the result as JSON')
    .option('--trace', 'print every APDU exchange to stderr (PIN data masked)');
  addBlacklistOptions(read).action(async (opts: ReadOptions) => (await import('../actions/read.js')).readCard(opts));
}
