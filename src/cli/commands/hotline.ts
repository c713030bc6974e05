import { Option } from 'commander';
import type { Command } from 'commander';
import type { HotlineOptions } from '../actions/hotline.js';
import { DEFAULT_SCRIPT_DAYS, MAX_SCRIPT_DAYS } from '../help-constants.js';
import { wholeNumberOption } from '../number-option.js';
import type { CliIo } from '../pin-input.js';
import { hostTerminalId, registryDbOption, terminalIdOption } from '../registry-options.js';

const parseDays = wholeNumberOption(1, MAX_SCRIPT_DAYS, `must be a whole number of days from 1 to ${MAX_SCRIPT_DAYS}`);

export function registerHotlineCommand(program: Command, io: () => CliIo): void {
  program
    .command('hotline')
    .description('call the 12333 voice menu: change the card PIN by phone (applied by the next online terminal)')
    .option(
      '--keys <keys>',
      'the keys to press, e.g. "2 2 00000001# …" (# ends an entry, * goes back); they show in process lists, so test cards only',
    )
    .option('--keys-stdin', 'read the keys to press from stdin')
    .addOption(new Option('--lang <lang>', 'language the menu speaks').choices(['zh', 'en']).default('zh'))
    .addOption(registryDbOption())
    .addOption(terminalIdOption(hostTerminalId('ivr')))
    .addOption(
      new Option('--script-days <n>', 'days a PIN change waits for the card to be used online')
        .argParser(parseDays)
        .default(DEFAULT_SCRIPT_DAYS),
    )
    .action(async (opts: HotlineOptions) => (await import('../actions/hotline.js')).hotline(opts, io()));
}
