import type { KeyAlgorithm } from '../keys/index.js';
import { DEFAULT_PIN_POLICY, type PinPolicy } from '../pin/index.js';
import type { Contraindication, MedicalHistoryEntry, WorkRecord } from '../records/index.js';
import type { AbortOptions } from './abort.js';
import { CardChannel, type CardChannelOptions } from './channel.js';
import type { SecureModule } from './psam.js';
import type { IssuerHost, ScriptRun } from './scripts/issuer-scripts.js';
import { BankApplication } from './ssc/bank.js';
import { CardholderFiles, type CardInfo, type Cardholder } from './ssc/cardholder.js';
import { EmploymentFiles } from './ssc/employment.js';
import { HealthFiles, type HealthInfo } from './ssc/health.js';
import { InsuranceFiles, type InsuranceInfo } from './ssc/insurance.js';
import { ApplicationPin, type PinStatus } from './ssc/pin.js';
import { openSscCard, type OpenedCard } from './ssc/opening.js';
import { bindSession } from './ssc/session.js';
import type { TraceObserver } from './trace.js';
import type { BlacklistSource } from './blacklist/source.js';
import type { Transport } from './transport.js';

/*
 * SscCard is the front of the SDK: each method hands over to the application part that owns it
 * (src/terminal/ssc/: pin, cardholder, employment, insurance, health, bank), all sharing one session
 * per card.
 *
 * Every operation takes `{ signal }` (AbortOptions): the signal stops the wait for the card (other
 * callers hold it) and the operation before each further command, with AbortError. A command
 * already sent is never torn: it completes within the channel's time limit and its effect on the
 * card stands (a VERIFY sent has been counted by the card whether or not the caller still waits).
 * The SDK never waits for PIN entry itself: the POS reads its PIN pad, then calls verifyPin.
 */

/** Channel options (timeouts, bounds) apply when SscCard.open creates the channel from a transport. */
export interface SscCardOptions extends CardChannelOptions {
  /** Trace observer registered before the first command. */
  trace?: TraceObserver;
  /**
   * Secure module for external authentication: RKSSSE for the cardholder file of 3.00 cards
   * (without it readCardholder is SecureModuleRequiredError), HEALTH for hospital writes.
   */
  psam?: SecureModule;
  /** PIN rules the terminal enforces for new PINs; default DEFAULT_PIN_POLICY (6 digits, initial 123456). */
  pinPolicy?: PinPolicy;
  /**
   * Terminal policy: refuse transactions while the holder's PIN is still the initial one
   * (default true). See SscCard.verifyPin.
   */
  refuseInitialPin?: boolean;
  /**
   * Aborts open() only (not the card's later operations): waiting for the card and the commands
   * of the opening (SELECT, READ RECORD) before each is sent.
   */
  signal?: AbortSignal;
  /**
   * An online terminal's link to the issuer: open() applies the card's pending issuer scripts
   * (e.g. a PIN change given to the hotline) right after connecting, and keeps what happened in
   * `issuerScripts`. An unreachable host leaves the terminal working offline.
   */
  issuerHost?: IssuerHost;
  /**
   * The blacklist to check the card against at open (a verified BlacklistFile offline, or the
   * registry online): a card whose social-security side is listed is refused with
   * CardBlacklistedError (reason lost, replaced or blocked) before any PIN is taken; a listed bank
   * side makes `card.bank.verifyPin` refuse. See blacklist/screen.ts.
   */
  blacklist?: BlacklistSource;
  /**
   * With `blacklist`: block a listed card's application on the spot (APPLICATION BLOCK with a MAC
   * under its control key; the secure module must hold APP_CONTROL, or BANK_APP_CONTROL for the
   * bank side) and report it to the source. Default false.
   */
  blockBlacklisted?: boolean;
}

/**
 * The social security card as POS software sees it. Every method is one atomic block on the card
 * (no other caller's commands can slip between its SELECT, VERIFY and READ commands).
 */
export class SscCard {
  readonly channel: CardChannel;
  readonly atr: Uint8Array;
  /** From the SSSE FCI (9F0C 03 86 01 xx); undefined when the card did not announce a known one. */
  readonly algorithm: KeyAlgorithm | undefined;
  /** From EF05 tag 03. */
  readonly specVersion: string;
  readonly bank: BankApplication;
  private readonly ownsChannel: boolean;
  private readonly pin: ApplicationPin;
  private readonly holder: CardholderFiles;
  private readonly employment: EmploymentFiles;
  private readonly insurance: InsuranceFiles;
  private readonly health: HealthFiles;
  #issuerScripts: ScriptRun | undefined;

  private constructor(init: OpenedCard & { opts: SscCardOptions }) {
    const { session, opts } = init;
    bindSession(this, session);
    this.channel = session.channel;
    this.ownsChannel = init.ownsChannel;
    this.atr = init.atr;
    this.algorithm = session.algorithm;
    this.specVersion = init.specVersion;
    this.pin = new ApplicationPin(session, opts.pinPolicy ?? DEFAULT_PIN_POLICY, opts.refuseInitialPin ?? true);
    this.holder = new CardholderFiles(session);
    this.employment = new EmploymentFiles(session, this.pin);
    this.insurance = new InsuranceFiles(session, this.pin);
    this.health = new HealthFiles(session, this.pin);
    this.bank = new BankApplication(this);
  }

  /**
   * Connects to the card: reads the ATR, selects SSSE (learning the crypto algorithm from its FCI)
   * and reads the spec version from EF05. Given a transport, the card owns the channel it creates
   * (close() closes it); given a channel, the caller keeps it.
   */
  static async open(transport: Transport | CardChannel, opts: SscCardOptions = {}): Promise<SscCard> {
    const opened = await openSscCard(transport, opts, (init) => new SscCard({ ...init, opts }));
    opened.card.#issuerScripts = opened.issuerScripts;
    return opened.card;
  }

  /** What open() did with the card's pending issuer scripts (undefined without an issuerHost). */
  get issuerScripts(): ScriptRun | undefined {
    return this.#issuerScripts;
  }

  /** True after verifyPin() found the initial PIN in effect, until changePin() succeeds. */
  get initialPinInEffect(): boolean {
    return this.pin.initialPinInEffect;
  }

  /** Closes the channel when this card opened it. */
  async close(): Promise<void> {
    if (this.ownsChannel) await this.channel.close();
  }

  /**
   * EF05: card issuer data (free read; record number = tag). On 3.00 cards whose secure module
   * holds RKEF0D, also EF0D after external authentication with key 0D (personId,
   * firstApplicationRegion); without that key those two fields are absent.
   */
  readCardInfo(opts?: AbortOptions): Promise<CardInfo> {
    return this.holder.readCardInfo(opts);
  }

  /**
   * EF06: cardholder data. Free on 2.00 cards; on 3.00 cards the card wants external
   * authentication with RKSSSE first, done here when the secure module holds that key. A 3.00
   * card opened without such a module is SecureModuleRequiredError (code SECURE_MODULE_REQUIRED),
   * before anything is sent.
   */
  readCardholder(opts?: AbortOptions): Promise<Cardholder> {
    return this.holder.readCardholder(opts);
  }

  /** Empty VERIFY: the application PIN's state without spending a try. */
  pinStatus(opts?: AbortOptions): Promise<PinStatus> {
    return this.pin.status(opts);
  }

  /**
   * VERIFY of the application PIN. Wrong: PinIncorrectError { triesLeft }; blocked: PinBlockedError
   * (`justBlocked` when this try blocked it; the hint sends the holder to a service window).
   *
   * Initial-PIN policy (project choice): the card cannot say whether its PIN is still the initial
   * one, but the terminal can: when the card accepts a PIN equal to the policy's initial PIN
   * (123456), the initial PIN is in effect. The terminal then refuses to transact
   * (InitialPinInEffectError here and from every PIN-protected read or write) until changePin()
   * succeeds. The comparison is constant-time and happens only after the card accepted the PIN.
   */
  verifyPin(pin: string | Uint8Array, opts?: AbortOptions): Promise<void> {
    return this.pin.verify(pin, opts);
  }

  /** Terminal policy for a new PIN entered twice; see the exported validateNewPin. */
  validateNewPin(newPin: string | Uint8Array, confirm: string | Uint8Array): void {
    this.pin.validateNewPin(newPin, confirm);
  }

  /**
   * CHANGE PIN `80 5E 01 00 old || FF || new`. The new PIN is checked against terminal policy
   * first (NewPinRejectedError, nothing sent); a wrong old PIN costs a try (PinIncorrectError).
   */
  changePin(oldPin: string | Uint8Array, newPin: string | Uint8Array, opts?: AbortOptions): Promise<void> {
    return this.pin.change(oldPin, newPin, opts);
  }

  /*
   * The reads below need the application PIN: before verifyPin the card answers 6982, a
   * SecurityStatusError whose hint says to verify the PIN first.
   */

  /** DF02/EF07: work records, newest first, empty records skipped (needs the PIN). */
  readWorkRecord(opts?: AbortOptions): Promise<WorkRecord[]> {
    return this.employment.readWorkRecord(opts);
  }

  /** DF03/EF08 (DF03/EF05 on cards made before): participation in the five insurance types (needs the PIN). */
  readInsurance(opts?: AbortOptions): Promise<InsuranceInfo> {
    return this.insurance.readInsurance(opts);
  }

  /** DF10/EF05: blood type, condition flags and warning (needs the PIN). */
  readHealth(opts?: AbortOptions): Promise<HealthInfo> {
    return this.health.readHealth(opts);
  }

  /** DF10/EF07: contraindicated drugs / allergies, newest first (needs the PIN). */
  readContraindications(opts?: AbortOptions): Promise<Contraindication[]> {
    return this.health.readContraindications(opts);
  }

  /** DF10/EF08: medical history, newest first (needs the PIN). */
  readMedicalHistory(opts?: AbortOptions): Promise<MedicalHistoryEntry[]> {
    return this.health.readMedicalHistory(opts);
  }

  /**
   * Writes a new newest medical-history record (UPDATE RECORD P1=00 P2=03 on the cyclic EF08).
   * When its secure module holds the health key the terminal authenticates with it and sends the
   * write with secure messaging (a MAC made with the same key); a terminal without it sends the
   * plain write and the card refuses it (SecurityStatusError).
   */
  appendMedicalHistory(entry: MedicalHistoryEntry, opts?: AbortOptions): Promise<void> {
    return this.health.appendMedicalHistory(entry, opts);
  }

  /** Writes a new newest contraindication record; authentication as for appendMedicalHistory. */
  addContraindication(entry: Contraindication, opts?: AbortOptions): Promise<void> {
    return this.health.addContraindication(entry, opts);
  }
}
