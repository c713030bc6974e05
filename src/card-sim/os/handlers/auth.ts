import { timingSafeEqual } from 'node:crypto';
import { SW, StatusWordError, encodeBerTlv, findTlv, parseBerTlv, swTriesLeft } from '../../../apdu/index.js';
import { authenticationCryptogram, blockSize, encryptEcb, padZeros } from '../../../keys/index.js';
import { CardConfigError } from '../../errors.js';
import type { CardKey } from '../../fs/keys.js';
import type { DedicatedFile } from '../../fs/nodes.js';
import type { CardCommand, CardContext, HandlerResult } from '../context.js';

/** An application's data objects, parsed once (they are fixed at personalization). */
const parsedDataObjects = new WeakMap<Uint8Array, ReturnType<typeof parseBerTlv>>();

function parsedObjects(objects: Uint8Array): ReturnType<typeof parseBerTlv> {
  let parsed = parsedDataObjects.get(objects);
  if (parsed === undefined) {
    parsed = parseBerTlv(objects);
    parsedDataObjects.set(objects, parsed);
  }
  return parsed;
}

/**
 * GET CHALLENGE `00 84 00 00 Le`: Le 4 or 8, and 16 when the current application uses SM4.
 * The challenge stays pending until a command uses it (single use), a reset, a power-off or a
 * change of application.
 */
export function getChallenge(ctx: CardContext, cmd: CardCommand): HandlerResult {
  if (cmd.p1 !== 0 || cmd.p2 !== 0) throw new StatusWordError(SW.INCORRECT_P1P2, 'GET CHALLENGE takes P1-P2 0000');
  const sm4 = ctx.currentApplication?.cryptoAlgorithm === 'sm4';
  const n = cmd.ne;
  if (cmd.data.length > 0 || n === undefined || !(n === 4 || n === 8 || (sm4 && n === 16))) {
    throw new StatusWordError(SW.WRONG_LENGTH, sm4 ? 'challenge length is 4, 8 or 16' : 'challenge length is 4 or 8');
  }
  const challenge = new Uint8Array(ctx.random(n));
  if (challenge.length !== n) {
    // A broken `random` card option, not the terminal's fault: the OS answers 6F00 and logs it.
    throw new CardConfigError(`the card's random source returned ${challenge.length} bytes, wanted ${n}`);
  }
  ctx.challenge = challenge;
  return { data: challenge };
}

/**
 * EXTERNAL AUTHENTICATE `00 82 00 kid Lc cryptogram`: the terminal proves it holds key `kid`.
 *
 * Project choice (cryptogram): authenticationCryptogram of src/keys, the function a terminal's
 * secure module uses too: the pending challenge zero-padded to one block, enciphered in ECB with
 * the key: 3DES -> 8 bytes, SM4 -> 16 bytes. No challenge pending, or one longer than the key's
 * block: 6984 (the challenge is used up by every attempt). A wrong cryptogram spends one of the key's tries (durably, before the comparison)
 * and answers 63Cx; a blocked key answers 6983.
 */
export function externalAuthenticate(ctx: CardContext, cmd: CardCommand): HandlerResult {
  if (cmd.p1 !== 0x00) throw new StatusWordError(SW.INCORRECT_P1P2, 'P1 must be 00');
  const key = ctx.resolveKey(ctx.currentDf, cmd.p2);
  if (key === undefined || key.usage !== 'external-auth') {
    throw new StatusWordError(SW.REFERENCED_DATA_NOT_FOUND, `no external authentication key ${cmd.p2}`);
  }
  const size = blockSize(key.cipher);
  if (cmd.data.length !== size) throw new StatusWordError(SW.WRONG_LENGTH, `cryptogram is ${size} bytes`);
  if (key.blocked) throw new StatusWordError(SW.AUTH_METHOD_BLOCKED, 'key blocked');
  const challenge = ctx.takeChallenge();
  if (challenge === undefined || challenge.length > size) {
    throw new StatusWordError(SW.REFERENCE_DATA_NOT_USABLE, 'no challenge for this key');
  }
  key.spendTry();
  const expected = key.withKey((cipher, keyBytes) => authenticationCryptogram(cipher, keyBytes, challenge));
  if (!timingSafeEqual(expected, cmd.data)) {
    ctx.authenticatedKeys.delete(key);
    return { sw: swTriesLeft(key.triesLeft) };
  }
  key.restoreTries();
  ctx.authenticatedKeys.add(key);
  return {};
}

function internalKey(ctx: CardContext, id: number): CardKey {
  if (id !== 0) {
    const k = ctx.resolveKey(ctx.currentDf, id);
    if (k !== undefined && k.usage === 'internal-auth') return k;
  } else {
    for (let d: DedicatedFile | undefined = ctx.currentDf; d !== undefined; d = d.parent) {
      const k = d.keys.find((x) => x.usage === 'internal-auth');
      if (k !== undefined) return k;
    }
  }
  throw new StatusWordError(SW.REFERENCED_DATA_NOT_FOUND, 'no internal authentication key');
}

/**
 * INTERNAL AUTHENTICATE `00 88 00 kid Lc random 00`: the card proves it holds its internal key by
 * enciphering the terminal's random (zero-padded to whole blocks, ECB). kid 00 = the card's
 * internal authentication key (the first internal-authentication key of the current DF or its
 * ancestors: the SSC's IAK), as readers send it (`00 88 00 00 10 <factor 8 || random 8>`: 16 bytes
 * on both algorithms). At most 32 bytes of random. Without Le the command runs and its answer is
 * not sent on T=1 (case 3; 61xx on T=0).
 */
export function internalAuthenticate(ctx: CardContext, cmd: CardCommand): HandlerResult {
  if (cmd.p1 !== 0x00) throw new StatusWordError(SW.INCORRECT_P1P2, 'P1 must be 00');
  if (cmd.data.length < 1 || cmd.data.length > 32) throw new StatusWordError(SW.WRONG_LENGTH, 'random is 1..32 bytes');
  const key = internalKey(ctx, cmd.p2);
  return { data: encryptEcb(key.cipher, key.key, padZeros(cmd.data, blockSize(key.cipher))) };
}

/**
 * GET DATA `80 CA P1 P2 00` (or CLA 00), P1-P2 = a tag:
 * - `9F17`: the PIN try counter of the current application's PIN, as `9F17 01 xx`;
 * - a data object the current application was personalized with (DfOptions.dataObjects), as its
 *   whole TLV: the PBOC application's ATC `9F36 02 xxxx` and last online ATC `9F13 02 xxxx`.
 * Other tags: 6A88. Without Le: 6700 (the command is only its answer).
 */
export function getData(ctx: CardContext, cmd: CardCommand): HandlerResult {
  // Refusals are answered as values here and below, as on every read-side command: a thrown
  // status word costs more than the whole command (see processApdu).
  if (cmd.data.length > 0) return { sw: SW.WRONG_LENGTH }; // GET DATA takes no data
  if (cmd.ne === undefined) return { sw: SW.WRONG_LENGTH }; // GET DATA takes Le
  const tag = (cmd.p1 << 8) | cmd.p2;
  if (tag === 0x9f17) {
    for (let d: DedicatedFile | undefined = ctx.currentDf; d !== undefined; d = d.parent) {
      const pin = d.pins[0];
      if (pin !== undefined) return { data: encodeBerTlv(0x9f17, Uint8Array.of(pin.pin.status().triesLeft)) };
    }
    return { sw: SW.REFERENCED_DATA_NOT_FOUND }; // no PIN in the current application
  }
  const objects = ctx.currentApplication?.dataObjects;
  const found = objects === undefined ? undefined : findTlv(parsedObjects(objects), tag);
  if (found === undefined) return { sw: SW.REFERENCED_DATA_NOT_FOUND }; // data object not available
  return { data: encodeBerTlv(tag, found.value) };
}
