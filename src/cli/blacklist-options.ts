import { hostname } from 'node:os';
import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import type { CardSourceOptions } from './card-source.js';

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
