import { hostname } from 'node:os';
import type { SscCardOptions } from '../terminal/ssc-card.js';
import type { BlacklistCliOptions } from './blacklist-options.js';
import { CliInputError } from './errors.js';

/*
 * The blacklist check the options of blacklist-options.ts ask for (see there): the file read and
 * verified (blacklist-file.ts), or the registry opened. Apart from those options so that they are
 * defined (for --help) without loading the keys, the registry or the SDK; what a check needs loads
 * only when one is asked for.
 */

/**
 * Runs `fn` with the SscCard options the blacklist options ask for (none when neither
 * --blacklist nor --db is given); an opened registry is closed afterwards.
 */
export async function withBlacklist<T>(
  opts: BlacklistCliOptions,
  fn: (cardOptions: SscCardOptions) => Promise<T>,
): Promise<T> {
  if (opts.blacklist !== undefined && opts.db !== undefined)
    throw new CliInputError('give either --blacklist <file> or --db <url>, not both');
  if (opts.blacklist === undefined && opts.db === undefined) {
    if (opts.block === true) throw new CliInputError('--block needs a blacklist: --blacklist <file> or --db <url>');
    return fn({});
  }
  const block: SscCardOptions = {};
  if (opts.block === true) {
    // Test keys only on simulated cards: a wrong MAC would cost a real card a try of its key.
    if (opts.card === undefined)
      throw new CliInputError(
        "--block works on simulated cards (--card) only: a real card needs the issuer's secure module",
      );
    const { SoftwarePsam } = await import('../terminal/psam.js');
    Object.assign(block, { blockBlacklisted: true, psam: SoftwarePsam.withTestKeys(['RKSSSE', 'APP_CONTROL']) });
  }
  if (opts.blacklist !== undefined) {
    const { loadBlacklistFile } = await import('./blacklist-file.js');
    return fn({ ...block, blacklist: loadBlacklistFile(opts.blacklist, opts) });
  }
  // The registry (the office's barrel, the database drivers) is loaded only for --db.
  const { Registry } = await import('../office/index.js');
  const registry = await Registry.open(opts.db!);
  try {
    const ctx = {
      terminalId: opts.terminal ?? `pos@${hostname()}`.slice(0, 64),
      role: 'pos' as const,
      channel: 'terminal' as const,
    };
    return await fn({ ...block, blacklist: registry.blacklistSource(ctx) });
  } finally {
    await registry.close();
  }
}
