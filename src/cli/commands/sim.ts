import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import type { ServeOptions } from '../actions/sim.js';
import { VPCD_DEFAULT_HOST, VPCD_DEFAULT_PORT } from '../help-constants.js';
import { wholeNumberOption } from '../number-option.js';
import { parseInspectAddress } from './inspect.js';
import { parseSeconds } from './readers.js';

/** vpcd has two slots: 0 and 1. */
export const VPCD_SLOTS = 2;

function parseHostPort(value: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(value.trim());
  const port = m === null ? Number.NaN : Number(m[2]);
  if (m === null || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidArgumentError('expected host:port, e.g. 127.0.0.2:35963');
  }
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port };
}

const parseSlot = wholeNumberOption(0, VPCD_SLOTS - 1, `must be a vpcd slot, 0..${VPCD_SLOTS - 1}`);

export function registerSimCommands(program: Command): void {
  const sim = program.command('sim').description('run a simulated card');
  sim
    .command('serve')
    .description("put a card image into a real PC/SC reader (pcscd's vsmartcard vpcd driver) until Ctrl-C / SIGTERM")
    .requiredOption('--card <image.json>', 'card image file (from `sscard card new`); saved as the card changes')
    .option(
      '--vpcd <host:port>',
      `vpcd reader address (default ${VPCD_DEFAULT_HOST}:${VPCD_DEFAULT_PORT}, slot 0)`,
      parseHostPort,
    )
    .option(
      '--slot <n>',
      `vpcd slot: 0 = 'Virtual PCD 00 00' (port ${VPCD_DEFAULT_PORT}), 1 = 'Virtual PCD 00 01' (port ${VPCD_DEFAULT_PORT + 1})`,
      parseSlot,
    )
    .option('--t0', 'serve the card as a T=0 card (ATR offers T=0; long answers come as 61xx + GET RESPONSE)')
    .option(
      '--connect-timeout <seconds>',
      'give up when pcscd does not accept the card within this (default 10)',
      parseSeconds,
    )
    .option('--verbose', 'log every APDU on stderr (PIN data masked)')
    .option(
      '--inspect <[host:]port>',
      'serve a live inspector page for the card (loopback unless a host is given; 0: any free port)',
      parseInspectAddress,
    )
    .option(
      '--inspect-actions',
      'offer developer actions on the inspector page: remove / insert, resets, tear, record edit, snapshots',
    )
    .action(async (opts: ServeOptions) => (await import('../actions/sim.js')).serve(opts));
}
