import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import type { PcscBackendSetting } from '../../terminal/pcsc-backend-names.js';
import { BACKEND_FLAGS, BACKEND_HELP, parseBackend } from '../backend-option.js';
import type { WatchOptions } from '../actions/readers.js';

/** Seconds, more than 0. */
export function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number of seconds > 0');
  return n;
}

export function registerReaderCommands(program: Command): void {
  program
    .command('readers')
    .description('list PC/SC readers, whether each holds a card, and the ATR decoded')
    .option('--json', 'print the readers as JSON')
    .option(BACKEND_FLAGS, BACKEND_HELP, parseBackend)
    .action(async (opts: { json?: boolean; backend?: PcscBackendSetting }) =>
      (await import('../actions/readers.js')).showReaders(opts),
    );
  program
    .command('watch')
    .description(
      'print reader and card events live; read the card number and holder of each social security card that appears',
    )
    .option('--timeout <seconds>', 'stop after this many seconds (default: until Ctrl-C)', parseSeconds)
    .option('--reader <name|index>', 'only this reader (name, or index as `sscard readers` numbers them)')
    .option(BACKEND_FLAGS, BACKEND_HELP, parseBackend)
    .option('--json', 'one JSON object per line')
    .option('--trace', 'APDU trace of the card reads on stderr (PIN data masked)')
    .action(async (opts: WatchOptions) => (await import('../actions/readers.js')).watch(opts));
}
