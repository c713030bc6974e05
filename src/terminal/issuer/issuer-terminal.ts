import {
  INS,
  SW,
  concatBytes,
  externalAuthenticate,
  getChallenge,
  pinUnblock,
  reloadPin,
  updateRecord,
  type CommandApdu,
} from '../../apdu/index.js';
import { SSC_KEYS, type KeyAlgorithm, type SscKeyName } from '../../keys/index.js';
import {
  DEFAULT_PIN_POLICY,
  PinFormatError,
  encodePinBcd,
  encodePinBlockFormat2,
  validatePinFormat,
  type PinLengthRules,
} from '../../pin/index.js';
import {
  RecordLayoutError,
  SSC_EF06_ITEMS,
  SSC_PINS,
  SSC_SFIS,
  encodeSscItem,
  splitSscName,
  type SscEf06Key,
} from '../../records/index.js';
import type { CardSession } from '../channel.js';
import { ApplicationBlockedError, CardDataError, CardStatusError, InvalidArgumentError } from '../errors.js';
import type { IssuerSecureModule } from '../psam.js';
import type { SscCard } from '../ssc-card.js';
import type { Cardholder } from '../ssc/cardholder.js';
import { checkNewPinFormat } from '../ssc/pin.js';
import { sessionOf, type SscSession } from '../ssc/session.js';
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

/**
 * Cardholder data (EF06) a window corrects on the chip, as the ID card shows it. The social
 * security number is not among them: it is the holder's identity, and a card with another one is
 * another person's card (a new card, not a correction).
 */
export interface CardholderCorrection {
  /** The name; written over tag 09 (30 bytes) and its extension 4E (20 bytes), split at a character. */
  name?: string;
  /** '1' male, '2' female (GB/T 2261.1). */
  sex?: '1' | '2';
  /** The two-digit GB 3304 code. */
  ethnicity?: string;
  /** The six-digit region code of the birthplace. */
  birthplace?: string;
  /** YYYY-MM-DD. */
  birthDate?: string;
}

/** Challenge length the window asks for (fine for both algorithms: the MAC pads the IV to its block). */
const CHALLENGE_LENGTH = 8;
const EMPTY = new Uint8Array(0);

/** The PIN an issuer PIN command addresses, by the application it runs in. */
const PIN_REFERENCES = { ssse: SSC_PINS.app.reference, bank: SSC_PINS.bank.reference } as const;

/** One of the issuer's PIN commands: the name errors give, its builder, the key that MACs it in each application. */
interface IssuerPinCommand {
  name: string;
  build: (secret: Uint8Array, pinReference: number) => CommandApdu;
  keys: Readonly<Record<'ssse' | 'bank', SscKeyName>>;
}

const PIN_COMMANDS: Readonly<Record<'unblock' | 'reload', IssuerPinCommand>> = {
  unblock: { name: 'PIN UNBLOCK', build: pinUnblock, keys: { ssse: 'PIN_UNBLOCK', bank: 'BANK_PIN_UNBLOCK' } },
  reload: { name: 'RELOAD PIN', build: reloadPin, keys: { ssse: 'PIN_RELOAD', bank: 'BANK_PIN_RELOAD' } },
};

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
 * Each operation is one exclusive block on the card: the card identifier (EF05, read once per
 * card), the application (SSSE or bank), GET CHALLENGE, the command with the secure module's MAC. Refusals are typed: IssuerKeyMissingError (module lacks the master key; nothing
 * sent), CardAlgorithmUnknownError, NewPinRejectedError (a new PIN outside the rules; nothing
 * sent), ApplicationBlockedError (blocked application or card), NoBankApplicationError,
 * IssuerMacRejectedError (6988), IssuerKeyBlockedError (6983), CardKeyMissingError (6A88),
 * BankPinMismatchError (63Cx, bank unlock only). PIN buffers the terminal builds are wiped after
 * use, and the channel's trace masks these commands (their INS carries a PIN).
 *
 * The operations go through the card's own session, so the SscCard knows which application is
 * selected afterwards and a holder's PIN verified before stays verified (an issuer command does
 * not end the security state).
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
      throw new InvalidArgumentError("idNumber must be the ID number on the holder's document");
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
    if (newPin !== undefined) checkNewPinFormat(newPin, this.pinPolicy);
    await this.pinCommand('unblock', 'ssse', async (card, key) =>
      newPin === undefined ? EMPTY : await this.psam.encipherPinBlock({ key, ...card, pin: newPin }),
    );
  }

  /** RELOAD PIN of the application PIN under the reload key (PIN_RELOAD): a forgotten PIN is replaced. */
  async reloadPin(newPin: string | Uint8Array): Promise<void> {
    checkNewPinFormat(newPin, this.pinPolicy);
    await this.pinCommand('reload', 'ssse', () => encodePinBcd(newPin));
  }

  /**
   * Unlocks the bank PIN (PIN UNBLOCK `84 24 00 80` under BANK_PIN_UNBLOCK): `bankPin` is the
   * holder's current bank PIN, enciphered by the secure module. The card unblocks only when it
   * matches (the counter is restored, the PIN stays); a wrong one is BankPinMismatchError and
   * changes nothing on the card.
   */
  async bankUnblock(bankPin: string | Uint8Array): Promise<void> {
    checkPresentedPin(bankPin, this.bankPinPolicy);
    await this.pinCommand('unblock', 'bank', (card, key) => this.psam.encipherPinBlock({ key, ...card, pin: bankPin }));
  }

  /** Replaces the bank PIN (RELOAD PIN `80 5E 00 80`, format-2 PIN block, under BANK_PIN_RELOAD). */
  async bankReload(newBankPin: string | Uint8Array): Promise<void> {
    checkNewPinFormat(newBankPin, this.bankPinPolicy);
    await this.pinCommand('reload', 'bank', () => encodePinBlockFormat2(newBankPin));
  }

  /**
   * One PIN command of the issuer in `application`, MAC'd under the key PIN_COMMANDS names for it:
   * `secret` makes the PIN bytes it carries (an enciphered block, BCD digits) for this card, the
   * command wraps them for the application's PIN; they are wiped once sent.
   */
  private async pinCommand(
    kind: keyof typeof PIN_COMMANDS,
    application: 'ssse' | 'bank',
    secret: (card: CardKeysInput, key: SscKeyName) => Uint8Array | Promise<Uint8Array>,
  ): Promise<void> {
    const { name, build, keys } = PIN_COMMANDS[kind];
    const key = keys[application];
    const algorithm = this.prepare(application === 'bank' ? `bank ${name}` : name, key);
    await this.run(algorithm, application, async (s, card) => {
      const bytes = await secret(card, key);
      try {
        await this.sendWithMac(s, card, key, build(bytes, PIN_REFERENCES[application]));
      } finally {
        bytes.fill(0);
      }
    });
  }

  /**
   * Writes corrected cardholder data to the card (UPDATE RECORD of EF06 after EXTERNAL
   * AUTHENTICATE with the issuance key ISSUANCE, 04, as a window's data correction does) and
   * returns the cardholder read back. Every value is checked and encoded before anything is
   * sent (InvalidArgumentError names the field); only the fields given are written.
   */
  async correctCardholder(changes: CardholderCorrection): Promise<Cardholder> {
    const records = cardholderRecords(changes);
    const algorithm = this.prepare('UPDATE RECORD', 'ISSUANCE');
    await this.run(algorithm, 'ssse', async (s, card) => {
      const challenge = await this.challenge(s);
      const cryptogram = await this.psam.externalAuthenticate({ key: 'ISSUANCE', ...card, challenge });
      await this.sendChecked(s, externalAuthenticate(SSC_KEYS.ISSUANCE.kid, cryptogram));
      for (const r of records) await this.sendChecked(s, updateRecord(r.record, r.data, { sfi: SSC_SFIS.EF06 }));
    });
    return this.card.readCardholder();
  }

  /** Checks, before anything is sent, that the module holds `key` and the card's algorithm is known. */
  private prepare(operation: string, key: SscKeyName): KeyAlgorithm {
    if (!this.psam.hasKey(key)) throw new IssuerKeyMissingError(key, operation);
    const algorithm = this.card.algorithm;
    if (algorithm === undefined) throw new CardAlgorithmUnknownError(operation);
    return algorithm;
  }

  /**
   * One issuer operation as one exclusive block: the card identifier and the application through
   * the card's session (which knows what is selected), then `fn`. A failure leaves where the card
   * stands unknown to the session, so the next command re-selects.
   */
  private run(
    algorithm: KeyAlgorithm,
    application: 'ssse' | 'bank',
    fn: (s: CardSession, card: CardKeysInput) => Promise<void>,
  ): Promise<void> {
    const session = sessionOf(this.card);
    return session.exclusive(async (s) => {
      try {
        const cardIdentifier = await session.identifier(s);
        await this.goTo(session, s, application);
        await fn(s, { algorithm, cardIdentifier });
      } catch (error) {
        session.forgetLocation();
        throw blockedCard(error);
      }
    });
  }

  /** Selects the application; a card without the bank application is NoBankApplicationError. */
  private async goTo(session: SscSession, s: CardSession, application: 'ssse' | 'bank'): Promise<void> {
    try {
      await session.goTo(s, application);
    } catch (error) {
      if (application === 'bank' && error instanceof CardStatusError && error.sw === SW.FILE_NOT_FOUND) {
        throw new NoBankApplicationError(error.sw, { command: 'SELECT', ins: INS.SELECT });
      }
      throw error;
    }
  }

  /** GET CHALLENGE, then `command` with the secure module's MAC over it (IV = that challenge) appended. */
  private async sendWithMac(s: CardSession, card: CardKeysInput, key: SscKeyName, command: CommandApdu): Promise<void> {
    const challenge = await this.challenge(s);
    const header = Uint8Array.of(command.cla, command.ins, command.p1, command.p2);
    const mac = await this.psam.commandMac({ key, ...card, header, data: command.data, challenge });
    const data = concatBytes(command.data, mac);
    try {
      await this.sendChecked(s, { ...command, data });
    } finally {
      data.fill(0);
    }
  }

  /** GET CHALLENGE of the length the window's MACs and cryptograms use. */
  private async challenge(s: CardSession): Promise<Uint8Array> {
    const challenge = await s.send(getChallenge(CHALLENGE_LENGTH));
    if (challenge.length !== CHALLENGE_LENGTH) {
      throw new CardDataError(`GET CHALLENGE answered ${challenge.length} bytes, expected ${CHALLENGE_LENGTH}`);
    }
    return challenge;
  }

  /** Sends an issuer command; any status but 9000 is the issuer error for it (issuerCommandError). */
  private async sendChecked(s: CardSession, command: CommandApdu): Promise<void> {
    const response = await s.transmit(command);
    if (response.sw !== SW.OK) {
      throw issuerCommandError(response.sw, {
        command: commandName(command.cla, command.ins, command.p1),
        ins: command.ins,
      });
    }
  }
}

/**
 * A card blocked by CARD BLOCK answers 6A81 to every command, also to the reads of the card
 * identifier: that is ApplicationBlockedError as for a blocked application's SELECT.
 */
function blockedCard(error: unknown): unknown {
  if (
    error instanceof CardStatusError &&
    !(error instanceof ApplicationBlockedError) &&
    error.sw === SW.FUNCTION_NOT_SUPPORTED
  ) {
    return new ApplicationBlockedError(error.sw, error.command === undefined ? {} : { command: error.command });
  }
  return error;
}

const CORRECTION_RULES: Record<Exclude<keyof CardholderCorrection, 'name'>, { re: RegExp; what: string }> = {
  sex: { re: /^[12]$/, what: "'1' (male) or '2' (female)" },
  ethnicity: { re: /^[0-9]{2}$/, what: 'a two-digit GB 3304 code' },
  birthplace: { re: /^[0-9]{6}$/, what: 'a six-digit region code' },
  birthDate: { re: /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/, what: 'a date YYYY-MM-DD' },
};

/** The EF06 records a correction writes, in record order; InvalidArgumentError before anything is sent. */
function cardholderRecords(changes: CardholderCorrection): { record: number; data: Uint8Array }[] {
  if (changes === null || typeof changes !== 'object')
    throw new InvalidArgumentError('a cardholder correction is an object of fields');
  const values = new Map<SscEf06Key, string>();
  for (const [field, value] of Object.entries(changes) as [keyof CardholderCorrection, unknown][]) {
    if (value === undefined) continue;
    if (typeof value !== 'string') throw new InvalidArgumentError(`cardholder ${field}: expected text`);
    if (field === 'name') {
      if (value.trim() === '' || value !== value.trim())
        throw new InvalidArgumentError('cardholder name: expected a name without surrounding spaces');
      const split = encoded('name', () => splitSscName(value));
      values.set('name', split.name).set('nameExtension', split.extension);
      continue;
    }
    const rule = CORRECTION_RULES[field];
    if (rule === undefined)
      throw new InvalidArgumentError(
        `cardholder ${String(field)}: not a field a correction writes (name, sex, ethnicity, birthplace, birthDate)`,
      );
    if (!rule.re.test(value)) throw new InvalidArgumentError(`cardholder ${field}: expected ${rule.what}`);
    values.set(field, value);
  }
  if (values.size === 0) throw new InvalidArgumentError('a cardholder correction needs at least one field');
  return SSC_EF06_ITEMS.filter((item) => values.has(item.key)).map((item) => ({
    record: item.record,
    data: encoded(item.key, () => encodeSscItem(item, values.get(item.key) as string)),
  }));
}

/** A value the record layout refuses (too long, not a date) is the caller's InvalidArgumentError. */
function encoded<T>(field: string, encode: () => T): T {
  try {
    return encode();
  } catch (error) {
    if (error instanceof RecordLayoutError)
      throw new InvalidArgumentError(`cardholder ${field}: ${error.message}`, { cause: error });
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
