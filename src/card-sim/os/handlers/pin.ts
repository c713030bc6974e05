import { SW, StatusWordError, swTriesLeft } from '../../../apdu/index.js';
import { MAC_LENGTH, PinBlockError, blockSize, decipherUnblockPin } from '../../../keys/index.js';
import {
  PinFormatError,
  decodeChangePinData,
  decodePinBcd,
  decodePinBlockFormat2,
  validatePinFormat,
  type ChangeResult,
  type VerifyResult,
} from '../../../pin/index.js';
import type { CardKey } from '../../fs/keys.js';
import type { DedicatedFile } from '../../fs/nodes.js';
import type { CardPin } from '../../fs/pins.js';
import type { CardCommand, CardContext, HandlerResult } from '../context.js';
import { checkCommandMac, keyForUsage } from '../secure-messaging.js';

/** PinFormatError -> 6700 for a length problem, 6A80 for anything else. */
function formatSw(err: PinFormatError): number {
  return err.problem === 'length' ? SW.WRONG_LENGTH : SW.WRONG_DATA;
}

/** Runs a PIN decoding/engine step, mapping PinFormatError to its status word. */
function pinStep<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof PinFormatError) throw new StatusWordError(formatSw(err), 'PIN format');
    throw err;
  }
}

function findPin(ctx: CardContext, reference: number): { pin: CardPin; owner: DedicatedFile } {
  const found = ctx.resolvePinByReference(ctx.currentDf, reference);
  if (found === undefined) throw new StatusWordError(SW.REFERENCED_DATA_NOT_FOUND, `no PIN with reference ${reference}`);
  return found;
}

/** 9000 / 63Cx / 6983 for a verification outcome. */
function verifyAnswer(result: VerifyResult): HandlerResult {
  if (result.ok) return {};
  if (result.reason === 'blocked') throw new StatusWordError(SW.AUTH_METHOD_BLOCKED, 'PIN blocked');
  return { sw: swTriesLeft(result.triesLeft) };
}

/**
 * VERIFY `00 20 00 P2` (P2 = PIN reference: 00 SSSE application PIN, 80 bank PIN). Data: the PIN
 * as BCD (SSSE) or an ISO 9564 format-2 block (bank). Empty data asks for the state: 63Cx tries
 * left, 9000 while verified, 6983 blocked. The try is spent durably before the comparison (the
 * PIN engine saves through the card's persistence hook).
 */
export function verify(ctx: CardContext, cmd: CardCommand): HandlerResult {
  if (cmd.p1 !== 0x00) throw new StatusWordError(SW.INCORRECT_P1P2, 'VERIFY takes P1=00');
  const { pin } = findPin(ctx, cmd.p2);
  if (cmd.data.length === 0) {
    const st = pin.pin.status();
    if (st.blocked) throw new StatusWordError(SW.AUTH_METHOD_BLOCKED, 'PIN blocked');
    return st.verified ? {} : { sw: swTriesLeft(st.triesLeft) };
  }
  const candidate = pinStep(() =>
    pin.format === 'iso9564-format2' ? decodePinBlockFormat2(cmd.data) : decodePinBcd(cmd.data),
  );
  return verifyAnswer(pinStep(() => pin.pin.verify(candidate)));
}

function changeAnswer(result: ChangeResult): HandlerResult {
  if (result.ok || result.reason === 'incorrect' || result.reason === 'blocked') return verifyAnswer(result);
  if (result.reason === 'format') {
    throw new StatusWordError(result.problem === 'length' && result.pin === 'old' ? SW.WRONG_LENGTH : SW.WRONG_DATA, 'PIN format');
  }
  // Project choice: a region that forbids returning to the initial PIN answers 6985.
  throw new StatusWordError(SW.CONDITIONS_NOT_SATISFIED, 'returning to the initial PIN is not allowed');
}

/**
 * `80 5E P1 P2`: P1 01 = CHANGE PIN (data old BCD || FF || new BCD); P1 00 = RELOAD PIN (data new
 * BCD || MAC4), a service-window command authorised by the reload key.
 *
 * Project choice (RELOAD PIN MAC): MAC = commandMac(reload key, `80 5E 00 P2`, new PIN BCD,
 * challenge) from src/keys, i.e. cardMac over `80 5E 00 P2 Lc` || new PIN BCD with Lc as sent (PIN
 * length + 4), IV = the last GET CHALLENGE value, zero-padded to the block size, when one is
 * pending (it is then used up), otherwise all zeros.
 */
export function changeOrReloadPin(ctx: CardContext, cmd: CardCommand): HandlerResult {
  const { pin, owner } = findPin(ctx, cmd.p2);
  if (cmd.p1 === 0x01) {
    if (cmd.data.length < 3) throw new StatusWordError(SW.WRONG_LENGTH, 'CHANGE PIN data too short');
    const { oldPin, newPin } = pinStep(() => decodeChangePinData(cmd.data));
    return changeAnswer(pin.pin.change(oldPin, newPin));
  }
  if (cmd.p1 !== 0x00) throw new StatusWordError(SW.INCORRECT_P1P2, 'P1 must be 00 (reload) or 01 (change)');
  if (cmd.data.length < 1 + MAC_LENGTH) throw new StatusWordError(SW.WRONG_LENGTH, 'RELOAD PIN needs PIN || MAC4');
  const key = keyForUsage(owner, 'reload');
  const pinBytes = checkCommandMac(ctx, cmd, key, 'optional');
  const newPin = pinStep(() => decodePinBcd(pinBytes));
  pinStep(() => validatePinFormat(newPin, pin.policy));
  pin.pin.reload(newPin);
  return {};
}

/** The PIN inside PIN UNBLOCK's enciphered PIN block (6A80 when the block is malformed). */
function unblockPin(key: CardKey, cryptogram: Uint8Array): string {
  const keyBytes = key.key;
  try {
    return decipherUnblockPin(key.algorithm, keyBytes, cryptogram);
  } catch (err) {
    if (err instanceof PinBlockError) throw new StatusWordError(SW.WRONG_DATA, 'bad PIN block');
    throw err;
  } finally {
    keyBytes.fill(0);
  }
}

/**
 * `00 24 00 P2` ISO CHANGE REFERENCE DATA (old BCD || new BCD, split in two equal halves sized by
 * the policy) and `84 24 00 P2` PIN UNBLOCK.
 *
 * Project choice (PIN UNBLOCK): data = E(unblock key, PIN block) || MAC4, the PIN block and its
 * encipherment as in src/keys (encipherUnblockPin: n || BCD digits || FF.., one block, ECB);
 * MAC = commandMac(unblock key, `84 24 00 P2`, cryptogram, challenge). A challenge is required
 * (6984 without one) and used up. A bad PIN block is 6A80. On success the counter is restored and
 * the PIN set to the block's PIN.
 */
export function changeReferenceDataOrUnblock(ctx: CardContext, cmd: CardCommand): HandlerResult {
  if (cmd.p1 !== 0x00) throw new StatusWordError(SW.INCORRECT_P1P2, 'P1 must be 00');
  const { pin, owner } = findPin(ctx, cmd.p2);
  if (cmd.cla === 0x84) {
    const key = keyForUsage(owner, 'unblock');
    const size = blockSize(key.algorithm);
    if (cmd.data.length !== size + MAC_LENGTH) {
      throw new StatusWordError(SW.WRONG_LENGTH, `PIN UNBLOCK data is ${size + MAC_LENGTH} bytes`);
    }
    const cryptogram = checkCommandMac(ctx, cmd, key, 'required');
    const newPin = unblockPin(key, cryptogram);
    pinStep(() => validatePinFormat(newPin, pin.policy));
    pin.pin.unblock(newPin);
    return {};
  }
  const policy = pin.policy;
  const half = cmd.data.length / 2;
  const fixed = Math.ceil(policy.maxLength / 2);
  const okLength =
    policy.minLength === policy.maxLength
      ? cmd.data.length === 2 * fixed
      : Number.isInteger(half) && half >= Math.ceil(policy.minLength / 2) && half <= fixed;
  if (!okLength) throw new StatusWordError(SW.WRONG_LENGTH, 'CHANGE REFERENCE DATA length does not fit the PIN policy');
  const oldPin = pinStep(() => decodePinBcd(cmd.data.subarray(0, half)));
  const newPin = pinStep(() => decodePinBcd(cmd.data.subarray(half)));
  return changeAnswer(pin.pin.change(oldPin, newPin));
}
