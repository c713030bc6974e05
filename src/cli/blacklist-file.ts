import { readFileSync } from 'node:fs';
import { blacklistTestPublicKey, ed25519KeyFromPem } from '../keys/index.js';
import { systemClock } from '../office/clock.js';
// The SDK's blacklist file from its module, not the SDK's barrel (see card-source.ts).
import { BlacklistFile } from '../terminal/blacklist/file.js';
import { BLACKLIST_PUBKEY_ENV } from './blacklist-options.js';
import { CliInputError } from './errors.js';

/*
 * A blacklist file read and verified as the POS does (blacklist-check.ts loads this module for
 * --blacklist only: a command that checks no blacklist loads neither the file's format nor the
 * clock).
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
