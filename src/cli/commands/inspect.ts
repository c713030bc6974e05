import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { INSPECTOR_PORT } from '../help-constants.js';

/** `[host:]port` of an inspector: loopback unless a host is given. */
export function parseInspectAddress(value: string): { host: string; port: number } {
  const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d{1,5})$/.exec(value.trim());
  const port = m === null ? Number.NaN : Number(m[2]);
  if (m === null || !Number.isInteger(port) || port > 65535) {
    throw new InvalidArgumentError('expected [host:]port, e.g. 7816 or 127.0.0.1:7816 (0: any free port)');
  }
  return { host: (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, ''), port };
}

export function registerInspectCommand(program: Command): void {
  program
    .command('inspect')
    .description('show a card image at rest in the browser (read-only): files, decoded records, PIN and key counters')
    .argument('<image.json>', 'card image file')
    .option(
      '--listen <[host:]port>',
      `address of the page (default 127.0.0.1:${INSPECTOR_PORT}; loopback unless a host is given)`,
      parseInspectAddress,
    )
    .action(async (path: string, opts: { listen?: { host: string; port: number } }) =>
      (await import('../actions/inspect.js')).inspectImage(path, opts),
    );
}
