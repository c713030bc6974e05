import {
  CryptoInputError,
  SSC_KEYS,
  authenticationCryptogram,
  PinBlockError,
  commandMac,
  diversifyKey,
  encipherPinChange,
  encipherUnblockPin,
  issuerTestMasterKey,
  type KeyAlgorithm,
  type SscKeyName,
} from '../keys/index.js';
import { InvalidArgumentError } from './errors.js';

/*
 * A terminal's secure module (PSAM) in software. It holds issuer master keys, never per-card keys:
 * for each card it derives the card's key from the master key and the card identifier (the shared
 * diversification of src/keys, which the card simulator uses to install the keys), then computes
 * the EXTERNAL AUTHENTICATE cryptogram over the card's challenge, or the MAC of a command sent
 * with secure messaging.
 */

/** Input of one external authentication. */
export interface ExternalAuthInput {
  key: SscKeyName;
  algorithm: KeyAlgorithm;
  /** EF05 tag 01: the diversification input. */
  cardIdentifier: string;
  /** The card's GET CHALLENGE answer. */
  challenge: Uint8Array;
}

/** Input of the MAC of one command sent with secure messaging (e.g. a DF10 health write `04 DC 00 03`). */
export interface CommandMacInput {
  key: SscKeyName;
  algorithm: KeyAlgorithm;
  /** EF05 tag 01: the diversification input. */
  cardIdentifier: string;
  /** CLA INS P1 P2 exactly as sent (CLA 04): the MAC covers the header. */
  header: Uint8Array;
  /** The command data without the MAC (at most 251 bytes: Lc = data + 4). */
  data: Uint8Array;
  /** The card's GET CHALLENGE answer (the IV; single use on the card). */
  challenge: Uint8Array;
}

/** Input of one enciphered PIN block (PIN UNBLOCK `84 24 00 P2`). */
export interface PinBlockInput {
  /** The unblock key: PIN_UNBLOCK (SSSE) or BANK_PIN_UNBLOCK (bank application). */
  key: SscKeyName;
  algorithm: KeyAlgorithm;
  /** EF05 tag 01: the diversification input. */
  cardIdentifier: string;
  /** The PIN digits, as a string or ASCII digit bytes (the caller's buffer is left as it is). */
  pin: string | Uint8Array;
}

/** What SscCard needs from a secure module; a hardware PSAM behind a reader could implement it too. */
export interface SecureModule {
  hasKey(key: SscKeyName): boolean;
  /** The EXTERNAL AUTHENTICATE data: 8 bytes for 3DES, 16 for SM4. */
  externalAuthenticate(input: ExternalAuthInput): Promise<Uint8Array>;
  /**
   * The 4-byte MAC to append to a command sent with secure messaging: src/keys commandMac with
   * the card's key, over header || Lc (data + 4) || data, IV = the challenge.
   */
  commandMac(input: CommandMacInput): Promise<Uint8Array>;
}

/**
 * The secure module of a service window or a bank branch (IssuerTerminal): besides MACs (RELOAD
 * PIN, PIN UNBLOCK), it enciphers a PIN block under a card's unblock key. The PIN goes in, only
 * the cryptogram comes out; the card key never leaves the module.
 */
export interface IssuerSecureModule extends SecureModule {
  /**
   * E(card's unblock key, PIN block): src/keys encipherUnblockPin, the block being
   * n || BCD digits || FF.. (one cipher block), enciphered in ECB. A PIN the block cannot carry
   * is InvalidArgumentError (the message never holds the digits).
   */
  encipherPinBlock(input: PinBlockInput): Promise<Uint8Array>;
}

/** Input of the enciphered PINs of one PIN change script (`84 5E 01 00`, key PIN_CHANGE). */
export interface PinChangeInput {
  algorithm: KeyAlgorithm;
  /** EF05 tag 01 as the issuer recorded it: the diversification input. */
  cardIdentifier: string;
  /** The PINs the holder gave (strings or ASCII digit bytes; the caller's buffers are left as they are). */
  currentPin: string | Uint8Array;
  newPin: string | Uint8Array;
}

/**
 * The office's secure module for PIN change scripts: it enciphers a holder's current and new PIN
 * under the card's PIN change key the moment they are given, and later MACs the script over the
 * challenge of the terminal that has the card online (commandMac with key PIN_CHANGE). PINs go
 * in, only cryptograms come out; the card key never leaves the module.
 */
export interface PinChangeSecureModule extends SecureModule {
  /** src/keys encipherPinChange under the card's PIN_CHANGE key; InvalidArgumentError for a PIN the block cannot carry. */
  encipherPinChange(input: PinChangeInput): Promise<Uint8Array>;
}

/** A secure module in software holding issuer master keys by SSC key name (SSC_KEYS). */
export class SoftwarePsam implements IssuerSecureModule, PinChangeSecureModule {
  private readonly masters = new Map<SscKeyName, Uint8Array>();

  constructor(masterKeys: Partial<Record<SscKeyName, Uint8Array>>) {
    for (const [name, key] of Object.entries(masterKeys) as Array<[SscKeyName, Uint8Array | undefined]>) {
      if (!(name in SSC_KEYS)) throw new InvalidArgumentError(`no SSC key named ${JSON.stringify(name)}`);
      if (!(key instanceof Uint8Array) || key.length !== 16) {
        throw new InvalidArgumentError(`master key ${name} must be a 16-byte Uint8Array`);
      }
      this.masters.set(name, key.slice());
    }
  }

  /**
   * A module loaded with the project's published TEST master keys for `names` (never for real
   * cards). A hospital terminal gets ['HEALTH', 'RKSSSE'], a pharmacy ['RKSSSE'], a service window
   * ['RKSSSE', 'PIN_UNBLOCK', 'PIN_RELOAD'], a bank branch ['BANK_PIN_UNBLOCK', 'BANK_PIN_RELOAD'],
   * the office that makes and MACs the hotline's PIN change scripts ['PIN_CHANGE'].
   */
  static withTestKeys(names: readonly SscKeyName[]): SoftwarePsam {
    const keys: Partial<Record<SscKeyName, Uint8Array>> = {};
    for (const name of names) keys[name] = issuerTestMasterKey(name);
    return new SoftwarePsam(keys);
  }

  hasKey(key: SscKeyName): boolean {
    return this.masters.has(key);
  }

  async externalAuthenticate(input: ExternalAuthInput): Promise<Uint8Array> {
    return this.withCardKey(input, (cardKey) => authenticationCryptogram(input.algorithm, cardKey, input.challenge));
  }

  async commandMac(input: CommandMacInput): Promise<Uint8Array> {
    return this.withCardKey(input, (cardKey) =>
      commandMac(input.algorithm, cardKey, input.header, input.data, input.challenge),
    );
  }

  async encipherPinBlock(input: PinBlockInput): Promise<Uint8Array> {
    return this.withCardKey(input, (cardKey) => {
      try {
        return encipherUnblockPin(input.algorithm, cardKey, input.pin);
      } catch (error) {
        if (error instanceof PinBlockError)
          throw new InvalidArgumentError(`${input.key}: ${error.message}`, { cause: error });
        throw error;
      }
    });
  }

  async encipherPinChange(input: PinChangeInput): Promise<Uint8Array> {
    return this.withCardKey({ ...input, key: 'PIN_CHANGE' }, (cardKey) => {
      try {
        return encipherPinChange(input.algorithm, cardKey, input.currentPin, input.newPin);
      } catch (error) {
        if (error instanceof PinBlockError)
          throw new InvalidArgumentError(`PIN_CHANGE: ${error.message}`, { cause: error });
        throw error;
      }
    });
  }

  /**
   * Runs `compute` with the card's key (derived from the master key), wiped afterwards. A missing
   * master key, an unusable card identifier and input the crypto refuses (header not 4 bytes,
   * data too long, challenge longer than a block) are InvalidArgumentError.
   */
  private withCardKey(
    input: { key: SscKeyName; algorithm: KeyAlgorithm; cardIdentifier: string },
    compute: (cardKey: Uint8Array) => Uint8Array,
  ): Uint8Array {
    const master = this.masters.get(input.key);
    if (master === undefined) throw new InvalidArgumentError(`this secure module holds no ${input.key} master key`);
    let cardKey: Uint8Array;
    try {
      cardKey = diversifyKey(master, input.cardIdentifier, input.algorithm);
    } catch (error) {
      throw new InvalidArgumentError(`cannot derive the card's ${input.key} key: ${(error as Error).message}`, {
        cause: error,
      });
    }
    try {
      return compute(cardKey);
    } catch (error) {
      if (error instanceof CryptoInputError) {
        throw new InvalidArgumentError(`${input.key}: ${error.message}`, { cause: error });
      }
      throw error;
    } finally {
      cardKey.fill(0);
    }
  }
}
