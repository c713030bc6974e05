import { timingSafeEqual } from 'node:crypto';
import { CLA, SW, StatusWordError } from '../../apdu/index.js';
import { MAC_LENGTH, commandMac } from '../../keys/index.js';
import { macKeyIdOf } from '../fs/access.js';
import type { CardKey, KeyUsage } from '../fs/keys.js';
import type { ElementaryFile } from '../fs/elementary-files.js';
import type { DedicatedFile } from '../fs/nodes.js';
import type { CardCommand, CardContext } from './context.js';

/** The key with this usage owned by `from` or its nearest ancestor that has one (6A88 when none). */
export function keyForUsage(from: DedicatedFile, usage: KeyUsage): CardKey {
  for (let d: DedicatedFile | undefined = from; d !== undefined; d = d.parent) {
    const k = d.keys.find((x) => x.usage === usage);
    if (k !== undefined) return k;
  }
  throw new StatusWordError(SW.REFERENCED_DATA_NOT_FOUND, `no ${usage} key`);
}

/**
 * Checks the MAC that ends the data of a command sent with secure messaging: the last 4 bytes of
 * the data are `commandMac(key, CLA INS P1 P2, data without MAC, challenge)` (src/keys), i.e. over
 * header || Lc as sent || data. The IV is the pending GET CHALLENGE value, used up by this check;
 * without one: 6984 when `challenge` is 'required', an all-zero IV when 'optional' (a form that
 * accepts a MAC any session can replay; no command of the SSC profile uses it any more: a RELOAD
 * PIN without a challenge is the PBOC form, see handlers/pin-pboc, off unless personalized).
 * Then a blocked key is 6983; otherwise the key's try is spent durably before the comparison and
 * restored by a match, and a mismatch is 6988. Returns the data without the MAC.
 */
export function checkCommandMac(
  ctx: CardContext,
  cmd: CardCommand,
  key: CardKey,
  challenge: 'required' | 'optional',
): Uint8Array {
  if (cmd.data.length < MAC_LENGTH || cmd.data.length > 255) {
    throw new StatusWordError(SW.WRONG_LENGTH, 'secure messaging data is up to 251 bytes || MAC4');
  }
  const iv = ctx.takeChallenge();
  if (iv === undefined && challenge === 'required')
    throw new StatusWordError(SW.REFERENCE_DATA_NOT_USABLE, 'no challenge');
  if (key.blocked) throw new StatusWordError(SW.AUTH_METHOD_BLOCKED, 'key blocked');
  const body = cmd.data.subarray(0, cmd.data.length - MAC_LENGTH);
  const mac = cmd.data.subarray(cmd.data.length - MAC_LENGTH);
  key.spendTry();
  const header = Uint8Array.of(cmd.cla, cmd.ins, cmd.p1, cmd.p2);
  const expected = key.withKey((cipher, keyBytes) =>
    commandMac(cipher, keyBytes, header, body, iv ?? new Uint8Array(0)),
  );
  if (!timingSafeEqual(expected, mac)) throw new StatusWordError(SW.SM_INCORRECT, 'bad MAC');
  key.restoreTries();
  return body;
}

/**
 * CLA of a file write sent with secure messaging. Project choice, as SSC / PBOC cards do it:
 * CLA 04 (ISO 7816-4 b4-b3 = 01, SM in a proprietary format) with the 4-byte MAC appended to the
 * plain data and computed over the whole header (CLA 04 included) || Lc || data, so no header
 * byte can be changed in transit. CLA 84 stays with the proprietary lifecycle / PIN UNBLOCK INS.
 */
export const CLA_SM = CLA.SECURE_MESSAGING;

/**
 * The key that checks the MAC of a write to `ef` sent with secure messaging: the key its write
 * condition names (the key that EXTERNAL AUTHENTICATE also uses; for the SSC that is one issuer
 * authority per file, e.g. the health key for DF10). A condition naming no key (always, pin,
 * never) leaves nothing to check the MAC with: 6982. A named key the tree lacks: 6A88.
 */
export function macKeyForWrite(ctx: CardContext, ef: ElementaryFile): CardKey {
  const keyId = macKeyIdOf(ef.write);
  if (keyId === undefined) {
    throw new StatusWordError(SW.SECURITY_STATUS_NOT_SATISFIED, `${ef.name}: no key to check a MAC with`);
  }
  const key = ctx.resolveKey(ef.parent ?? ctx.tree, keyId);
  if (key === undefined) throw new StatusWordError(SW.REFERENCED_DATA_NOT_FOUND, `no key ${keyId}`);
  return key;
}

/**
 * The key that checks the MAC of a READ RECORD sent with secure messaging (`04 B2`): the key the
 * file's read condition names, else the one its write condition names (project choice: EF05 and
 * EF06 are read freely but written after the issuance key, and an issuance printer that
 * authenticated with that key MACs its reads with it too). Neither names a key: 6982; a named key
 * the tree lacks: 6A88.
 */
export function macKeyForRead(ctx: CardContext, ef: ElementaryFile): CardKey {
  const keyId = macKeyIdOf(ef.read) ?? macKeyIdOf(ef.write);
  if (keyId === undefined) {
    throw new StatusWordError(SW.SECURITY_STATUS_NOT_SATISFIED, `${ef.name}: no key to check a MAC with`);
  }
  const key = ctx.resolveKey(ef.parent ?? ctx.tree, keyId);
  if (key === undefined) throw new StatusWordError(SW.REFERENCED_DATA_NOT_FOUND, `no key ${keyId}`);
  return key;
}
