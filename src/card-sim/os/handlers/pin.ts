import { CLA, SW, StatusWordError, swTriesLeft } from '../../../apdu/index.js';
import { MAC_LENGTH, PinBlockError, blockSize, decipherPinChange, pinChangeDataLength } from '../../../keys/index.js';
import {
  PIN_BLOCK_FORMAT2_LENGTH,
  PinFormatError,
  decodeChangePinData,
  decodePinBcd,
  decodePinBcdDigitsInto,
  decodePinBlockFormat2,
  pinBcdDigitCount,
  validatePinFormat,
  type ChangeResult,
  type VerifyResult,
} from '../../../pin/index.js';
import type { CardKey } from '../../fs/keys.js';
import type { DedicatedFile } from '../../fs/nodes.js';
import type { CardPin } from '../../fs/pins.js';
import type { CardCommand, CardContext, HandlerResult } from '../context.js';
import { checkCommandMac, keyForUsage } from '../secure-messaging.js';
import { PinDigitBuffer, wipeBytes } from '../pin-digits.js';
import { checkReloadMac, decipherAnyUnblockPin } from './pin-pboc.js';

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
  if (found === undefined)
    throw new StatusWordError(SW.REFERENCED_DATA_NOT_FOUND, `no PIN with reference ${reference}`);
  return found;
}

/* VERIFY's answers, made once (the OS only reads a handler's result): a try allocates none. */
const VERIFIED: HandlerResult = Object.freeze({});
const PIN_BLOCKED: HandlerResult = Object.freeze({ sw: SW.AUTH_METHOD_BLOCKED });
const TRIES_LEFT: readonly HandlerResult[] = Array.from({ length: 16 }, (_, n) =>
  Object.freeze({ sw: swTriesLeft(n) }),
);

/** 9000 / 63Cx / 6983 for a verification outcome. */
function verifyAnswer(result: VerifyResult): HandlerResult {
  if (result.ok) return VERIFIED;
  if (result.reason === 'blocked') return PIN_BLOCKED;
  // A checked PIN record holds 0..15 tries, all that 63Cx can say.
  return TRIES_LEFT[result.triesLeft] as HandlerResult;
}

/**
 * VERIFY `00 20 00 P2` (P2 = PIN reference: 00 SSSE application PIN, 80 bank PIN). Data: the PIN
 * as BCD (SSSE) or an ISO 9564 format-2 block (bank). Empty data asks for the state: 63Cx tries
 * left, 9000 while verified, 6983 blocked. The try is spent durably before the comparison (the
 * PIN engine saves through the card's persistence hook).
 */
export function verify(ctx: CardContext, cmd: CardCommand): HandlerResult {
  // Every answer here is a value, refusals included: VERIFY is a hot path, and a thrown status
  // word costs more than the whole command (see processApdu).
  if (cmd.p1 !== 0x00) return { sw: SW.INCORRECT_P1P2 }; // VERIFY takes P1=00
  const found = ctx.resolvePinByReference(ctx.currentDf, cmd.p2);
  if (found === undefined) return { sw: SW.REFERENCED_DATA_NOT_FOUND };
  const { pin } = found;
  if (cmd.data.length === 0) {
    const st = pin.pin.status();
    if (st.blocked) return { sw: SW.AUTH_METHOD_BLOCKED };
    return st.verified ? {} : { sw: swTriesLeft(st.triesLeft) };
  }
  if (pin.format === 'iso9564-format2') {
    try {
      return verifyAnswer(pin.pin.verify(decodePinBlockFormat2(cmd.data)));
    } catch (err) {
      if (err instanceof PinFormatError) return { sw: formatSw(err) };
      throw err;
    } finally {
      wipeBytes(cmd.data);
    }
  }
  // Non-empty bytes (the empty case asked for the state above): their digit count never throws.
  const digits = PIN_DIGITS.take(pinBcdDigitCount(cmd.data));
  try {
    decodePinBcdDigitsInto(cmd.data, digits);
    return verifyAnswer(pin.pin.verify(digits));
  } catch (err) {
    if (err instanceof PinFormatError) return { sw: formatSw(err) };
    throw err;
  } finally {
    PIN_DIGITS.release(digits);
    wipeBytes(cmd.data);
  }
}

const PIN_DIGITS = new PinDigitBuffer();

function changeAnswer(result: ChangeResult): HandlerResult {
  if (result.ok || result.reason === 'incorrect' || result.reason === 'blocked') return verifyAnswer(result);
  if (result.reason === 'format') {
    throw new StatusWordError(
      result.problem === 'length' && result.pin === 'old' ? SW.WRONG_LENGTH : SW.WRONG_DATA,
      'PIN format',
    );
  }
  // Project choice: a region that forbids returning to the initial PIN answers 6985.
  throw new StatusWordError(SW.CONDITIONS_NOT_SATISFIED, 'returning to the initial PIN is not allowed');
}

/**
 * The bank application's PIN (ISO 9564 format 2 in VERIFY). Project choice: the card tells the
 * bank PIN by its format and applies the bank's issuer rules to it (card profile §1: reset and
 * unlocked at a bank branch; the unlock needs the holder's bank PIN); see changeOrReloadPin and
 * pinUnblock.
 */
function isBankPin(pin: CardPin): boolean {
  return pin.format === 'iso9564-format2';
}

/**
 * `80 5E P1 P2`: P1 01 = CHANGE PIN (data old BCD || FF || new BCD); P1 00 = RELOAD PIN (data new
 * PIN || MAC4), a service-window (or bank-branch) command authorised by the reload key.
 *
 * Project choice (RELOAD PIN MAC): MAC = commandMac(reload key, `80 5E 00 P2`, new PIN data,
 * challenge) from src/keys, i.e. cardMac over `80 5E 00 P2 Lc` || new PIN data with Lc as sent
 * (PIN data length + 4), IV = the last GET CHALLENGE value, zero-padded to the block size.
 * - SSSE PIN (P2 00): the new PIN as BCD. Without a pending challenge: 6984, unless the
 *   personalization enables the PBOC zero-IV form (see pin-pboc.ts checkReloadMac: MAC over the
 *   PIN alone, IV zeros, key halves XOR-ed; replayable, so off by default).
 * - Bank PIN (P2 80): `80 5E 00 80 0C <format-2 block of the new PIN> || MAC4`, the PIN in the
 *   format its VERIFY takes, with the bank application's reload key (SSC_KEYS.BANK_PIN_RELOAD).
 * By default both need a challenge the card issued (GET CHALLENGE) and not yet used: 6984 without
 * one, and the check uses it up. So the MAC is bound to one challenge, and a captured RELOAD PIN
 * replayed later (its MAC made for a challenge that is gone) is 6988: without the binding, the same
 * bytes would restore a blocked PIN every time they are sent (a MAC with an all-zero IV is the same
 * for every session), which is what a card personalized with the zero-IV form accepts.
 * Either way a bad MAC is 6988 (a try of the reload key, not of the PIN), a new PIN outside the
 * policy 6700 / 6A80 after a good MAC, and a success sets the PIN and a full counter durably.
 */
export function changeOrReloadPin(ctx: CardContext, cmd: CardCommand): HandlerResult {
  const { pin, owner } = findPin(ctx, cmd.p2);
  if (cmd.cla === CLA.PROPRIETARY_SM) {
    if (cmd.p1 !== 0x01) throw new StatusWordError(SW.INCORRECT_P1P2, 'the PIN change script takes P1=01');
    return pinChangeScript(ctx, cmd, pin, owner);
  }
  if (cmd.p1 === 0x01) {
    if (cmd.data.length < 3) throw new StatusWordError(SW.WRONG_LENGTH, 'CHANGE PIN data too short');
    const { oldPin, newPin } = pinStep(() => decodeChangePinData(cmd.data));
    return changeAnswer(pin.pin.change(oldPin, newPin));
  }
  if (cmd.p1 !== 0x00) throw new StatusWordError(SW.INCORRECT_P1P2, 'P1 must be 00 (reload) or 01 (change)');
  const bank = isBankPin(pin);
  const lengthOk = bank ? cmd.data.length === PIN_BLOCK_FORMAT2_LENGTH + MAC_LENGTH : cmd.data.length >= 1 + MAC_LENGTH;
  if (!lengthOk) throw new StatusWordError(SW.WRONG_LENGTH, 'RELOAD PIN needs PIN || MAC4');
  const key = keyForUsage(owner, 'reload');
  const pinBytes = bank ? checkCommandMac(ctx, cmd, key, 'required') : checkReloadMac(ctx, cmd, key, owner);
  const newPin = pinStep(() => (bank ? decodePinBlockFormat2(pinBytes) : decodePinBcd(pinBytes)));
  pinStep(() => validatePinFormat(newPin, pin.policy));
  pin.pin.reload(newPin);
  return {};
}

/**
 * The issuer's PIN change script `84 5E 01 P2 Lc E(R || PB(current) || PB(new)) || MAC4`: a PIN
 * change the holder gave the hotline, applied by the next terminal that has the card online (the
 * enciphered data is src/keys encipherPinChange under the card's PIN change key, usage 'change';
 * the MAC is commandMac with the same key over `84 5E 01 P2 Lc data`, IV = the pending challenge,
 * which is required: 6984 without one). Order and answers (project choice):
 * - bad MAC 6988 (a try of the change key), blocked key 6983, no change key 6A88, wrong length
 *   6700, malformed PIN blocks 6A80 (after a good MAC);
 * - the new PIN already set: 9000 and nothing changes, no try spent, so a script applied once can
 *   be sent again when its first answer or its report was lost;
 * - otherwise the current PIN goes through the cardholder's CHANGE PIN path: wrong costs a try,
 *   63Cx with the tries left; a blocked PIN is 63C0 too (6983 here means the key), a new PIN
 *   outside the policy 6700 / 6A80, a forbidden return to the initial PIN 6985; 9000 sets it.
 * The script grants no security state: the PIN is left unverified either way (the terminal that
 * sends it is not the holder).
 */
function pinChangeScript(ctx: CardContext, cmd: CardCommand, pin: CardPin, owner: DedicatedFile): HandlerResult {
  const key = keyForUsage(owner, 'change');
  if (cmd.data.length !== pinChangeDataLength(key.cipher) + MAC_LENGTH) {
    throw new StatusWordError(
      SW.WRONG_LENGTH,
      `the PIN change script data is ${pinChangeDataLength(key.cipher) + MAC_LENGTH} bytes`,
    );
  }
  const cryptogram = checkCommandMac(ctx, cmd, key, 'required');
  let pins: { currentPin: string; newPin: string };
  try {
    pins = key.withKey((cipher, keyBytes) => decipherPinChange(cipher, keyBytes, cryptogram));
  } catch (err) {
    if (err instanceof PinBlockError) throw new StatusWordError(SW.WRONG_DATA, 'bad PIN change data');
    throw err;
  }
  try {
    if (pinStep(() => pin.pin.isCurrent(pins.newPin))) return {};
    const result = pin.pin.change(pins.currentPin, pins.newPin);
    if (!result.ok && result.reason === 'blocked') return { sw: swTriesLeft(0) };
    return changeAnswer(result);
  } finally {
    pin.pin.clearVerified();
  }
}

/** The PIN inside PIN UNBLOCK's enciphered PIN block (6A80 when the block is malformed). */
function unblockPin(key: CardKey, cryptogram: Uint8Array): string {
  try {
    return key.withKey((cipher, keyBytes) => decipherAnyUnblockPin(cipher, keyBytes, cryptogram));
  } catch (err) {
    if (err instanceof PinBlockError) throw new StatusWordError(SW.WRONG_DATA, 'bad PIN block');
    throw err;
  }
}

/**
 * PIN UNBLOCK `84 24 00 P2`, challenge-bound: every form needs a pending GET CHALLENGE (6984
 * without one), which it uses up, so a captured command cannot be replayed. MAC =
 * commandMac(unblock key, `84 24 00 P2`, data without the MAC, challenge); a bad one is 6988 and
 * costs a try of the unblock key, never of the PIN. No form spends a PIN try.
 *
 * SSSE PIN (P2 00), two forms:
 * - MAC only (Lc 04): the try counter is restored, the PIN stays (the holder remembers it);
 * - E(unblock key, PIN block) || MAC4 (Lc = block + 4): the counter is restored and the PIN set
 *   to the block's PIN (the holder chooses a new one). PIN block and encipherment as in src/keys
 *   (encipherUnblockPin: n || BCD digits || FF.., one block, ECB), or in the PBOC layout
 *   LV(BCD) || 80 00.. (see pin-pboc.ts); a bad block is 6A80, a PIN outside the policy 6700 / 6A80.
 * Project choice: unblocking a PIN that is not blocked is allowed and restores its counter.
 *
 * Bank PIN (P2 80), one form (project choice; the bank's unlock needs the holder's bank PIN, as
 * the cardholder notices say): `84 24 00 80` E(bank unblock key, PIN block of the holder's current
 * bank PIN) || MAC4, with the bank application's key SSC_KEYS.BANK_PIN_UNBLOCK. The card compares
 * the PIN with its reference in constant time, blocked or not:
 * - match: the counter is restored (9000), the PIN stays;
 * - mismatch: 63Cx with x = the tries left, unchanged (63C0 while blocked): nothing changes, no
 *   try is spent (the command is the issuer's, its MAC already checked), the PIN stays blocked.
 * The MAC-only form is 6700 for the bank PIN: the holder's PIN is what authorises its unlock.
 *
 * A blocked application never gets here (6A81 / 9303 from the OS), nor does a blocked card (6A81).
 */
function pinUnblock(ctx: CardContext, cmd: CardCommand, pin: CardPin, owner: DedicatedFile): HandlerResult {
  const key = keyForUsage(owner, 'unblock');
  const bank = isBankPin(pin);
  const withBlock = blockSize(key.cipher) + MAC_LENGTH;
  if (cmd.data.length === MAC_LENGTH && !bank) {
    checkCommandMac(ctx, cmd, key, 'required');
    pin.pin.unblock();
    return {};
  }
  if (cmd.data.length !== withBlock) {
    const forms = bank ? `${withBlock}` : `4 (MAC only) or ${withBlock}`;
    throw new StatusWordError(SW.WRONG_LENGTH, `PIN UNBLOCK data is ${forms} bytes`);
  }
  const cryptogram = checkCommandMac(ctx, cmd, key, 'required');
  const blockPin = unblockPin(key, cryptogram);
  if (bank) {
    const result = pinStep(() => pin.pin.unblockWithPin(blockPin));
    return result.ok ? {} : { sw: swTriesLeft(result.reason === 'incorrect' ? result.triesLeft : 0) };
  }
  pinStep(() => validatePinFormat(blockPin, pin.policy));
  pin.pin.unblock(blockPin);
  return {};
}

/**
 * `00 24 00 P2` ISO CHANGE REFERENCE DATA (old BCD || new BCD, split in two equal halves sized by
 * the policy) and `84 24 00 P2` PIN UNBLOCK (see pinUnblock).
 */
export function changeReferenceDataOrUnblock(ctx: CardContext, cmd: CardCommand): HandlerResult {
  if (cmd.p1 !== 0x00) throw new StatusWordError(SW.INCORRECT_P1P2, 'P1 must be 00');
  const { pin, owner } = findPin(ctx, cmd.p2);
  if (cmd.cla === 0x84) return pinUnblock(ctx, cmd, pin, owner);
  const policy = pin.policy;
  // Each half holds one PIN as BCD: from ceil(minLength / 2) to ceil(maxLength / 2) bytes (for a
  // fixed-length policy, exactly one size).
  const half = cmd.data.length / 2;
  const okLength =
    Number.isInteger(half) && half >= Math.ceil(policy.minLength / 2) && half <= Math.ceil(policy.maxLength / 2);
  if (!okLength) throw new StatusWordError(SW.WRONG_LENGTH, 'CHANGE REFERENCE DATA length does not fit the PIN policy');
  const oldPin = pinStep(() => decodePinBcd(cmd.data.subarray(0, half)));
  const newPin = pinStep(() => decodePinBcd(cmd.data.subarray(half)));
  return changeAnswer(pin.pin.change(oldPin, newPin));
}
