import { timingSafeEqual } from 'node:crypto';
import { SW, StatusWordError } from '../../../apdu/index.js';
import {
  MAC_LENGTH,
  PinBlockError,
  decipherPbocUnblockPin,
  decipherUnblockPin,
  pbocReloadMac,
  type KeyAlgorithm,
} from '../../../keys/index.js';
import type { CardKey } from '../../fs/keys.js';
import type { DedicatedFile } from '../../fs/nodes.js';
import { CardContext, type CardCommand } from '../context.js';
import { checkCommandMac } from '../secure-messaging.js';

/*
 * The PBOC forms of the issuer's PIN commands (card profile §7), beside the project's own forms
 * in pin.ts. The two are told apart by their bytes, so a service window may use either:
 *
 * | command | project form | PBOC form |
 * |---|---|---|
 * | PIN UNBLOCK `84 24 00 00 Lc` | E(n ‖ BCD ‖ FF..) ‖ MAC4 | E(LV(BCD) ‖ 80 00..) ‖ MAC4 |
 * | RELOAD PIN `80 5E 00 00 Lc` | PIN ‖ MAC over header ‖ Lc ‖ PIN, IV = challenge | PIN ‖ MAC over PIN alone, IV = zeros, key = halves XOR-ed |
 *
 * Both PIN UNBLOCK forms share the MAC (commandMac, IV = the pending challenge) and differ only in
 * the deciphered PIN block's layout, which cannot be read both ways (the project's pads with FF,
 * the PBOC's with 80 00..). The PBOC RELOAD PIN has no challenge in it, so a captured command
 * can be replayed: a card takes it only when its personalization enables it (the application's
 * `zeroIvReload`), and only when no challenge is pending (a terminal that asked for one gets the
 * challenge-bound form). Default: off, and RELOAD PIN without a challenge is 6984.
 */

/** The PIN of a PIN UNBLOCK PIN block in either layout (PinBlockError when it is neither). */
export function decipherAnyUnblockPin(algorithm: KeyAlgorithm, key: Uint8Array, cryptogram: Uint8Array): string {
  try {
    return decipherUnblockPin(algorithm, key, cryptogram);
  } catch (err) {
    if (!(err instanceof PinBlockError)) throw err;
    return decipherPbocUnblockPin(algorithm, key, cryptogram);
  }
}

/**
 * The new PIN's bytes of an SSSE RELOAD PIN `80 5E 00 00 Lc PIN || MAC4`, its MAC checked:
 * - a challenge pending: the project form (checkCommandMac, IV = the challenge, used up);
 * - none, and the application enables the zero-IV form: the PBOC MAC (pbocReloadMac), the key's
 *   try spent before the comparison and restored by a match, 6988 on a mismatch, 6983 blocked;
 * - none otherwise: 6984.
 */
export function checkReloadMac(ctx: CardContext, cmd: CardCommand, key: CardKey, owner: DedicatedFile): Uint8Array {
  if (ctx.challenge !== undefined) return checkCommandMac(ctx, cmd, key, 'required');
  const application = CardContext.applicationOf(owner);
  if (application?.zeroIvReload !== true) {
    throw new StatusWordError(SW.REFERENCE_DATA_NOT_USABLE, 'no challenge (the zero-IV RELOAD PIN is not enabled)');
  }
  if (key.blocked) throw new StatusWordError(SW.AUTH_METHOD_BLOCKED, 'key blocked');
  const pinData = cmd.data.subarray(0, cmd.data.length - MAC_LENGTH);
  const mac = cmd.data.subarray(cmd.data.length - MAC_LENGTH);
  key.spendTry();
  const expected = key.withKey((cipher, keyBytes) => pbocReloadMac(cipher, keyBytes, pinData));
  if (!timingSafeEqual(expected, mac)) throw new StatusWordError(SW.SM_INCORRECT, 'bad MAC');
  key.restoreTries();
  return pinData;
}
