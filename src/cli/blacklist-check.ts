import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { blacklistTestPublicKey, ed25519KeyFromPem } from '../keys/index.js';
// The registry (the office's barrel, the database drivers) is loaded only for --db; the SDK's
// parts from their modules, not its barrel (see card-source.ts).
import { systemClock } from '../office/clock.js';
import { BlacklistFile } from '../terminal/blacklist/file.js';
import { SoftwarePsam } from '../terminal/psam.js';
import type { SscCardOptions } from '../terminal/ssc-card.js';
import { BLACKLIST_PUBKEY_ENV } from './blacklist-options.js';
import type { BlacklistCliOptions } from './blacklist-options.js';
import { CliInputError } from './errors.js';

/*
 * The blacklist check the options of blacklist-options.ts ask for (see there): the file read and
 * verified, or the registry opened. Apart from those options so that they are defined (for --help)
 * without loading the keys, the registry or the SDK.
 */

function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliInputError(`${what} ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
      cause: err,
    });
  }
}

/** The issuer public key a POS trusts for blacklist files. */
export function blacklistPublicKey(file: string | undefined): Uint8Array {
  const path = file ?? process.env[BLACKLIST_PUBKEY_ENV];
  if (path === undefined || path === '') return blacklistTestPublicKey();
  return ed25519KeyFromPem(readPem(path, 'blacklist key')).publicKey;
}

/** Reads and verifies a blacklist file as the POS does. */
export function loadBlacklistFile(
  file: string,
  opts: { blacklistKey?: string; blacklistMaxAge?: number },
): BlacklistFile {
  const text = readPem(file, 'blacklist file');
  return BlacklistFile.parse(text, {
    publicKey: blacklistPublicKey(opts.blacklistKey),
    now: () => systemClock.now(),
    ...(opts.blacklistMaxAge === undefined ? {} : { maxAgeMs: opts.blacklistMaxAge * 86_400_000 }),
  });
}

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
    Object.assign(block, { blockBlacklisted: true, psam: SoftwarePsam.withTestKeys(['RKSSSE', 'APP_CONTROL']) });
  }
  if (opts.blacklist !== undefined) return fn({ ...block, blacklist: loadBlacklistFile(opts.blacklist, opts) });
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
