import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { blacklistTestPublicKey, ed25519KeyFromPem } from '../keys/index.js';
import { Registry, systemClock } from '../office/index.js';
import { BlacklistFile, SoftwarePsam } from '../terminal/index.js';
import type { SscCardOptions } from '../terminal/index.js';
import type { CardSourceOptions } from './card-source.js';
import { CliInputError } from './errors.js';

/*
 * The POS side of the blacklist on the command line (`sscard read`, `sscard pin verify`): the
 * card is checked against a signed blacklist file (--blacklist, offline) or the registry
 * (--db, online) when it is opened, before any PIN is asked for, and with --block a listed card's
 * application is blocked on the spot (simulated cards: the terminal's module holds the published
 * TEST application control key). The file is checked with the issuer's public key:
 * --blacklist-key FILE (PEM), else $SSCARD_BLACKLIST_PUBKEY (a PEM file), else the project's
 * published TEST key.
 */

/** Environment variable naming the PEM file of the issuer's blacklist public key. */
export const BLACKLIST_PUBKEY_ENV = 'SSCARD_BLACKLIST_PUBKEY';

export interface BlacklistCliOptions extends CardSourceOptions {
  blacklist?: string;
  db?: string;
  blacklistKey?: string;
  blacklistMaxAge?: number;
  block?: boolean;
  terminal?: string;
}

function parseDays(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+(\.[0-9]+)?$/.test(value) || n <= 0 || n > 365)
    throw new InvalidArgumentError('must be a number of days from 0 to 365');
  return n;
}

/** Adds the blacklist options to a card-using command. */
export function addBlacklistOptions(cmd: Command): Command {
  return cmd
    .option('--blacklist <file.json>', 'refuse the card if this signed blacklist file lists it (offline POS)')
    .option('--db <url>', 'refuse the card if the registry lists it (online POS): file:DIR or postgres://…')
    .option(
      '--blacklist-key <public.pem>',
      `issuer public key for --blacklist (default: $${BLACKLIST_PUBKEY_ENV}, else the published TEST key)`,
    )
    .option('--blacklist-max-age <days>', 'oldest blacklist file accepted (default 7)', parseDays)
    .option('--block', "block a listed card's application on the spot (APPLICATION BLOCK); simulated cards only")
    .addOption(
      new Option('--terminal <id>', 'terminal id the registry records a block under').default(
        `pos@${hostname()}`.slice(0, 64),
      ),
    );
}

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
