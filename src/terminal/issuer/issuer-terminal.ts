import { SW, concatBytes, type CommandApdu } from '../../apdu/index.js';
import type { KeyAlgorithm, SscKeyName } from '../../keys/index.js';
import {
  DEFAULT_PIN_POLICY,
  PinFormatError,
  encodePinBcd,
  encodePinBlockFormat2,
  validatePinFormat,
  type PinLengthRules,
} from '../../pin/index.js';
import { BANK_AID, SSSE_DF_NAME } from '../../records/index.js';
import type { CardSession } from '../channel.js';
import {
  ApplicationBlockedError,
  CardDataError,
  CardStatusError,
  InvalidArgumentError,
  NewPinRejectedError,
  errorForStatus,
} from '../errors.js';
import type { IssuerSecureModule } from '../psam.js';
import type { Cardholder, SscCard } from '../ssc-card.js';
import { commandName } from '../trace.js';
import {
  CardAlgorithmUnknownError,
  HolderMismatchError,
  IssuerKeyMissingError,
  NoBankApplicationError,
  issuerCommandError,
} from './errors.js';

/*
 * The issuer's card operations, as a service window (application PIN) and a bank branch (bank
 * PIN) perform them over an open SscCard, with the window's secure module deriving the card keys
 * from issuer master keys. Wire forms (the card's side is src/card-sim/os/handlers/pin.ts):
 *   PIN UNBLOCK  84 24 00 00 04 MAC4                      counter restored, PIN kept
 *   PIN UNBLOCK  84 24 00 00 Lc E(PIN block) || MAC4      counter restored, new PIN set
 *   RELOAD PIN   80 5E 00 00 Lc new PIN BCD || MAC4       forgotten PIN replaced
 *   PIN UNBLOCK  84 24 00 80 Lc E(holder's bank PIN block) || MAC4   bank PIN unlocked (PIN kept)
 *   RELOAD PIN   80 5E 00 80 0C format-2 block || MAC4    bank PIN replaced
 * Each command follows its own GET CHALLENGE: the challenge is the MAC's IV and the card uses it once.
 */

const INS_SELECT = 0xa4;
const INS_GET_CHALLENGE = 0x84;
const INS_UNBLOCK = 0x24;
const INS_RELOAD = 0x5e;
const CLA_UNBLOCK = 0x84;
const CLA_RELOAD = 0x80;
/** P2 of the PIN commands: the PIN reference (card profile §4, §5). */
const REF_APP_PIN = 0x00;
const REF_BANK_PIN = 0x80;
/** Challenge length the window asks for (fine for both algorithms: the MAC pads the IV to its block). */
const CHALLENGE_LENGTH = 8;
const EMPTY = new Uint8Array(0);

export interface IssuerTerminalOptions {
  /** Length rules for application PINs the window sets; default DEFAULT_PIN_POLICY (6 digits). */
  pinPolicy?: PinLengthRules;
  /** Length rules for bank PINs (set and presented); default DEFAULT_PIN_POLICY (6 digits). */
  bankPinPolicy?: PinLengthRules;
}

/** What one issuer operation knows about the card before its command goes out. */
interface CardKeysInput {
  algorithm: KeyAlgorithm;
  cardIdentifier: string;
}

/**
 * A service window's (or a bank branch's) terminal for one open card:
 *
 * ```ts
 * const window = new IssuerTerminal(card, SoftwarePsam.withTestKeys(['RKSSSE', 'PIN_UNBLOCK', 'PIN_RELOAD']));
 * await window.checkHolder(idNumberOnTheDocument);
 * await window.unblockPin();        // a locked PIN: the counter is restored, the PIN stays
 * await window.reloadPin('602851'); // a forgotten PIN: replaced
 * ```
 *
 * Each operation is one exclusive block on the card: SELECT SSSE, the card identifier (EF05,
 * through SscCard), the application (SSSE or bank), GET CHALLENGE, the command with the secure
 * module's MAC. Refusals are typed: IssuerKeyMissingError (module lacks the master key; nothing
 * sent), CardAlgorithmUnknownError, NewPinRejectedError (a new PIN outside the rules; nothing
 * sent), ApplicationBlockedError (blocked application or card), NoBankApplicationError,
 * IssuerMacRejectedError (6988), IssuerKeyBlockedError (6983), CardKeyMissingError (6A88),
 * BankPinMismatchError (63Cx, bank unlock only). PIN buffers the terminal builds are wiped after
 * use, and the channel's trace masks these commands (their INS carries a PIN).
 *
 * Every operation ends with a warm reset of the card, success or not: no security state the
 * window's commands left (or the holder's verified PIN from before) outlives the operation, and
 * the SscCard re-selects what it needs next instead of trusting where it last left the card.
 *
 * Open the card with the same secure module (`SscCard.open(transport, { psam })`) so that it can
 * read EF06 on spec 3.00 cards (external authentication with RKSSSE) for checkHolder.
 */
export class IssuerTerminal {
  readonly card: SscCard;
  private readonly psam: IssuerSecureModule;
  private readonly pinPolicy: PinLengthRules;
  private readonly bankPinPolicy: PinLengthRules;

  constructor(card: SscCard, psam: IssuerSecureModule, opts: IssuerTerminalOptions = {}) {
    if (typeof psam?.encipherPinBlock !== 'function' || typeof psam.commandMac !== 'function') {
      throw new InvalidArgumentError('an IssuerTerminal needs an IssuerSecureModule (commandMac and encipherPinBlock)');
    }
    this.card = card;
    this.psam = psam;
    this.pinPolicy = opts.pinPolicy ?? DEFAULT_PIN_POLICY;
    this.bankPinPolicy = opts.bankPinPolicy ?? DEFAULT_PIN_POLICY;
  }

  /** EF06, read by the SscCard (with RKSSSE on 3.00 cards when its secure module holds it). */
  readCardholder(): Promise<Cardholder> {
    return this.card.readCardholder();
  }

  /**
   * Checks the holder's ID document against the card: the ID number on the document must be the
   * card's EF06 social security number (letters compared case-insensitively, surrounding spaces
   * ignored). Returns the cardholder on a match; HolderMismatchError otherwise.
   */
  async checkHolder(idNumber: string): Promise<Cardholder> {
    if (typeof idNumber !== 'string' || idNumber.trim() === '') {
      throw new InvalidArgumentError('idNumber must be the ID number on the holder\'s document');
    }
    const holder = await this.card.readCardholder();
    if (holder.idNumber.trim().toUpperCase() !== idNumber.trim().toUpperCase()) throw new HolderMismatchError();
    return holder;
  }

  /**
   * PIN UNBLOCK of the application PIN under the unblock key (PIN_UNBLOCK). Without `newPin`:
   * MAC only, the try counter is restored and the PIN stays (the holder remembers it). With
   * `newPin`: the enciphered PIN block goes too and the card also sets that PIN. Unblocking a
   * PIN that is not blocked is allowed: the card restores its counter.
   */
  async unblockPin(newPin?: string | Uint8Array): Promise<void> {
    if (newPin !== undefined) checkNewPin(newPin, this.pinPolicy);
    const keys = this.prepare('PIN UNBLOCK', 'PIN_UNBLOCK');
    await this.run(keys, 'ssse', async (s, card) => {
      const cryptogram = newPin === undefined
        ? EMPTY
        : await this.psam.encipherPinBlock({ key: 'PIN_UNBLOCK', ...card, pin: newPin });
      try {
        await this.sendWithMac(s, card, 'PIN_UNBLOCK', { cla: CLA_UNBLOCK, ins: INS_UNBLOCK, p1: 0x00, p2: REF_APP_PIN, data: cryptogram });
      } finally {
        cryptogram.fill(0);
      }
    });
  }

  /** RELOAD PIN of the application PIN under the reload key (PIN_RELOAD): a forgotten PIN is replaced. */
  async reloadPin(newPin: string | Uint8Array): Promise<void> {
    checkNewPin(newPin, this.pinPolicy);
    const keys = this.prepare('RELOAD PIN', 'PIN_RELOAD');
    await this.run(keys, 'ssse', async (s, card) => {
      const pinData = encodePinBcd(newPin);
      try {
        await this.sendWithMac(s, card, 'PIN_RELOAD', { cla: CLA_RELOAD, ins: INS_RELOAD, p1: 0x00, p2: REF_APP_PIN, data: pinData });
      } finally {
        pinData.fill(0);
      }
    });
  }

  /**
   * Unlocks the bank PIN (PIN UNBLOCK `84 24 00 80` under BANK_PIN_UNBLOCK): `bankPin` is the
   * holder's current bank PIN, enciphered by the secure module. The card unblocks only when it
   * matches (the counter is restored, the PIN stays); a wrong one is BankPinMismatchError and
   * changes nothing on the card.
   */
  async bankUnblock(bankPin: string | Uint8Array): Promise<void> {
    checkPresentedPin(bankPin, this.bankPinPolicy);
    const keys = this.prepare('bank PIN UNBLOCK', 'BANK_PIN_UNBLOCK');
    await this.run(keys, 'bank', async (s, card) => {
      const cryptogram = await this.psam.encipherPinBlock({ key: 'BANK_PIN_UNBLOCK', ...card, pin: bankPin });
      try {
        await this.sendWithMac(s, card, 'BANK_PIN_UNBLOCK', { cla: CLA_UNBLOCK, ins: INS_UNBLOCK, p1: 0x00, p2: REF_BANK_PIN, data: cryptogram });
      } finally {
        cryptogram.fill(0);
      }
    });
  }

  /** Replaces the bank PIN (RELOAD PIN `80 5E 00 80`, format-2 PIN block, under BANK_PIN_RELOAD). */
  async bankReload(newBankPin: string | Uint8Array): Promise<void> {
    checkNewPin(newBankPin, this.bankPinPolicy);
    const keys = this.prepare('bank RELOAD PIN', 'BANK_PIN_RELOAD');
    await this.run(keys, 'bank', async (s, card) => {
      const block = encodePinBlockFormat2(newBankPin);
      try {
        await this.sendWithMac(s, card, 'BANK_PIN_RELOAD', { cla: CLA_RELOAD, ins: INS_RELOAD, p1: 0x00, p2: REF_BANK_PIN, data: block });
      } finally {
        block.fill(0);
      }
    });
  }

  /** Checks, before anything is sent, that the module holds `key` and the card's algorithm is known. */
  private prepare(operation: string, key: SscKeyName): KeyAlgorithm {
    if (!this.psam.hasKey(key)) throw new IssuerKeyMissingError(key, operation);
    const algorithm = this.card.algorithm;
    if (algorithm === undefined) throw new CardAlgorithmUnknownError(operation);
    return algorithm;
  }

  /**
   * One issuer operation as one exclusive block: SELECT SSSE, the card identifier through the
   * SscCard, SELECT of `application` when it is the bank, then `fn`; a warm reset ends it
   * whatever happened (see the class comment).
   */
  private run(
    algorithm: KeyAlgorithm,
    application: 'ssse' | 'bank',
    fn: (s: CardSession, card: CardKeysInput) => Promise<void>,
  ): Promise<void> {
    return this.card.channel.exclusive(async (s) => {
      try {
        await selectApplication(s, SSSE_DF_NAME);
        const { cardIdentifier } = await this.card.readCardInfo();
        if (application === 'bank') await selectApplication(s, BANK_AID);
        await fn(s, { algorithm, cardIdentifier });
      } catch (error) {
        throw blockedCard(error);
      } finally {
        // A card that cannot be reset was removed or stopped answering: the channel notices
        // either on the next command, and the outcome of the operation is what the caller needs.
        await s.reset('warm').catch(() => undefined);
      }
    });
  }

  /** GET CHALLENGE, then `command` with the secure module's MAC over it (IV = that challenge) appended. */
  private async sendWithMac(s: CardSession, card: CardKeysInput, key: SscKeyName, command: CommandApdu): Promise<void> {
    const challenge = await s.send({ cla: 0x00, ins: INS_GET_CHALLENGE, p1: 0x00, p2: 0x00, data: EMPTY, ne: CHALLENGE_LENGTH });
    if (challenge.length !== CHALLENGE_LENGTH) {
      throw new CardDataError(`GET CHALLENGE answered ${challenge.length} bytes, expected ${CHALLENGE_LENGTH}`);
    }
    const header = Uint8Array.of(command.cla, command.ins, command.p1, command.p2);
    const mac = await this.psam.commandMac({ key, ...card, header, data: command.data, challenge });
    const data = concatBytes(command.data, mac);
    try {
      const response = await s.transmit({ ...command, data });
      if (response.sw !== SW.OK) {
        throw issuerCommandError(response.sw, { command: commandName(command.cla, command.ins, command.p1), ins: command.ins });
      }
    } finally {
      data.fill(0);
    }
  }
}

/** SELECT by DF name; 6A82 for the bank AID is NoBankApplicationError, 6A81 / 9303 ApplicationBlockedError. */
async function selectApplication(s: CardSession, name: Uint8Array): Promise<void> {
  const response = await s.transmit({ cla: 0x00, ins: INS_SELECT, p1: 0x04, p2: 0x00, data: name, ne: 256 });
  if (response.sw === SW.OK) return;
  const context = { command: 'SELECT', ins: INS_SELECT };
  if (response.sw === SW.FILE_NOT_FOUND && name === BANK_AID) throw new NoBankApplicationError(response.sw, context);
  throw errorForStatus(response.sw, context);
}

/**
 * A card blocked by CARD BLOCK answers 6A81 to every command, also to the reads of the card
 * identifier: that is ApplicationBlockedError as for a blocked application's SELECT.
 */
function blockedCard(error: unknown): unknown {
  if (error instanceof CardStatusError && !(error instanceof ApplicationBlockedError) && error.sw === SW.FUNCTION_NOT_SUPPORTED) {
    return new ApplicationBlockedError(error.sw, error.command === undefined ? {} : { command: error.command });
  }
  return error;
}

/** A PIN the issuer sets must have the policy's length and digits only (NewPinRejectedError 'format'). */
function checkNewPin(pin: string | Uint8Array, rules: PinLengthRules): void {
  try {
    validatePinFormat(pin, rules);
  } catch (error) {
    if (error instanceof PinFormatError) throw new NewPinRejectedError('format', `new PIN refused: ${error.message}`, { cause: error });
    throw error;
  }
}

/** The holder's PIN presented for the bank unlock: a malformed one is the caller's error, nothing is sent. */
function checkPresentedPin(pin: string | Uint8Array, rules: PinLengthRules): void {
  try {
    validatePinFormat(pin, rules);
  } catch (error) {
    if (error instanceof PinFormatError) throw new InvalidArgumentError(`bank PIN: ${error.message}`, { cause: error });
    throw error;
  }
}
