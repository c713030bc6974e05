import { timingSafeEqual } from 'node:crypto';
import { SW, SscardError, concatBytes, findTlv, parseBerTlv, swInfo, type CommandApdu } from '../apdu/index.js';
import { SSC_KEYS, type KeyAlgorithm, type SscKeyName } from '../keys/index.js';
import {
  DEFAULT_PIN_POLICY,
  encodeChangePinData,
  encodePinBcd,
  encodePinBlockFormat2,
  validatePinFormat,
  type PinPolicy,
} from '../pin/index.js';
import {
  BANK_AID,
  CONTRAINDICATION_LENGTH,
  HEALTH_BASICS_RECORD_COUNT,
  MEDICAL_HISTORY_LENGTH,
  SSC_EF05_ITEMS,
  SSC_EF06_ITEMS,
  SSSE_DF_NAME,
  WORK_RECORD_LENGTH,
  decodeContraindication,
  decodeMedicalHistory,
  decodeSscItem,
  decodeWorkRecord,
  encodeContraindication,
  encodeMedicalHistory,
  type Contraindication,
  type MedicalHistoryEntry,
  type SscItem,
  type WorkRecord,
} from '../records/index.js';
import { CardChannel, type CardChannelOptions, type CardSession } from './channel.js';
import {
  CardDataError,
  InitialPinInEffectError,
  NewPinRejectedError,
  RecordNotFoundError,
  SecurityStatusError,
  errorForStatus,
} from './errors.js';
import type { SecureModule } from './psam.js';
import { callerValue, cardData, decodeHealthInfo, isEmptyRecord, type HealthInfo } from './ssc-records.js';
import type { TraceObserver } from './trace.js';
import type { Transport } from './transport.js';


/** File ids under SSSE (card profile §2, §3). */
const FID = { DF02: 0xdf02, DF10: 0xdf10, EF07: 0xef07, EF08: 0xef08 } as const;

/** Short file ids used in READ RECORD P2 (relative to the current DF). */
const SFI = { EF05: 5, EF06: 6, EF07: 7, EF08: 8 } as const;

/** CLA of a command with secure messaging: data || MAC4, the MAC covering the header (card profile §4). */
const CLA_SECURE_MESSAGING = 0x04;

/** How many records a cyclic file may hold at most; a card claiming more is misbehaving. */
const MAX_CYCLIC_RECORDS = 254;

/** Channel options (timeouts, bounds) apply when SscCard.open creates the channel from a transport. */
export interface SscCardOptions extends CardChannelOptions {
  /** Trace observer registered before the first command. */
  trace?: TraceObserver;
  /** Secure module for external authentication (hospital writes, 3.00 cardholder reads). */
  psam?: SecureModule;
  /** PIN rules the terminal enforces for new PINs; default DEFAULT_PIN_POLICY (6 digits, initial 123456). */
  pinPolicy?: PinPolicy;
  /**
   * Terminal policy: refuse transactions while the holder's PIN is still the initial one
   * (default true). See SscCard.verifyPin.
   */
  refuseInitialPin?: boolean;
}

export interface CardInfo {
  /** 卡识别码 (EF05 tag 01). */
  cardIdentifier: string;
  /** First 6 digits of the card identifier. */
  regionCode: string;
  cardType: string;
  /** '2.00' or '3.00'. */
  specVersion: string;
  initializingOrg: string;
  /** ISO dates. */
  issueDate: string;
  expiryDate: string;
  cardNumber: string;
}

export type Sex = 'male' | 'female' | 'unknown';

export interface Cardholder {
  /** Social security number (= citizen ID number). */
  idNumber: string;
  /** Name with the name extension (EF06 tag 4E) appended. */
  name: string;
  sex: Sex;
  /** The raw sex code ('1' male, '2' female). */
  sexCode: string;
  /** GB 3304 ethnicity code, e.g. '01'. */
  ethnicity: string;
  /** Region code of the birthplace. */
  birthplace: string;
  /** ISO date. */
  birthDate: string;
}

export interface PinStatus {
  /** Tries left; null while the PIN is verified (the card then answers 9000, not a count). */
  triesLeft: number | null;
  verified: boolean;
  blocked: boolean;
}

type Location = 'ssse' | 'df02' | 'df10' | 'bank';

const EMPTY = new Uint8Array(0);

function select(p1: number, p2: number, data: Uint8Array, ne?: number): CommandApdu {
  const cmd: CommandApdu = { cla: 0x00, ins: 0xa4, p1, p2, data };
  if (ne !== undefined) cmd.ne = ne;
  return cmd;
}

function fid(id: number): Uint8Array {
  return Uint8Array.of(id >> 8, id & 0xff);
}

/** READ RECORD `00 B2 n (SFI<<3 | 4) 00`: record n of the file with this SFI, whole record. */
function readRecordCmd(recordNumber: number, sfi: number): CommandApdu {
  return { cla: 0x00, ins: 0xb2, p1: recordNumber, p2: (sfi << 3) | 0x04, data: EMPTY, ne: 256 };
}

function item<T extends SscItem>(items: readonly T[], key: T['key']): T {
  const found = items.find((i) => i.key === key);
  // Unreachable with the shipped item tables: a build whose tables lost an item is a bug.
  if (found === undefined) throw new SscardError('INTERNAL', `SSC item table has no ${key}`);
  return found;
}

/** Constant-time equality of two PINs given as strings or ASCII digit bytes. */
function samePin(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const x = typeof a === 'string' ? Buffer.from(a, 'latin1') : Buffer.from(a);
  const y = typeof b === 'string' ? Buffer.from(b, 'latin1') : Buffer.from(b);
  try {
    // Lengths are not secret (the card sees Lc); only the digits are compared in constant time.
    return x.length === y.length && timingSafeEqual(x, y);
  } finally {
    x.fill(0);
    y.fill(0);
  }
}

/**
 * Terminal policy for a new PIN entered twice: the two entries match, the PIN has the policy's
 * format (6 digits by default), and it is not the initial PIN. Throws NewPinRejectedError with
 * `problem` 'mismatch' | 'format' | 'initial'; messages never contain digits.
 */
export function validateNewPin(
  newPin: string | Uint8Array,
  confirm: string | Uint8Array,
  policy: PinPolicy = DEFAULT_PIN_POLICY,
): void {
  if (!samePin(newPin, confirm)) {
    throw new NewPinRejectedError('mismatch', 'the two entries of the new PIN differ');
  }
  checkNewPin(newPin, policy);
}

function checkNewPin(newPin: string | Uint8Array, policy: PinPolicy): void {
  try {
    validatePinFormat(newPin, policy);
  } catch (error) {
    throw new NewPinRejectedError('format', `new PIN refused: ${(error as Error).message}`, { cause: error });
  }
  if (samePin(newPin, policy.initialPin)) {
    throw new NewPinRejectedError('initial', 'new PIN refused: it may not be the initial PIN');
  }
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
  private readonly psam: SecureModule | undefined;
  private readonly pinPolicy: PinPolicy;
  private readonly refuseInitialPin: boolean;
  private location: Location | undefined;
  private locationGeneration: number;
  private initialPin = false;
  private cardIdentifier: string | undefined;

  private constructor(init: {
    channel: CardChannel; ownsChannel: boolean; atr: Uint8Array; algorithm: KeyAlgorithm | undefined;
    specVersion: string; opts: SscCardOptions; generation: number;
  }) {
    this.channel = init.channel;
    this.ownsChannel = init.ownsChannel;
    this.atr = init.atr;
    this.algorithm = init.algorithm;
    this.specVersion = init.specVersion;
    this.psam = init.opts.psam;
    this.pinPolicy = init.opts.pinPolicy ?? DEFAULT_PIN_POLICY;
    this.refuseInitialPin = init.opts.refuseInitialPin ?? true;
    this.location = 'ssse';
    this.locationGeneration = init.generation;
    this.bank = new BankApplication(this);
  }

  /**
   * Connects to the card: reads the ATR, selects SSSE (learning the crypto algorithm from its FCI)
   * and reads the spec version from EF05. Given a transport, the card owns the channel it creates
   * (close() closes it); given a channel, the caller keeps it.
   */
  static async open(transport: Transport | CardChannel, opts: SscCardOptions = {}): Promise<SscCard> {
    const ownsChannel = !(transport instanceof CardChannel);
    const channel = transport instanceof CardChannel ? transport : new CardChannel(transport, opts);
    if (opts.trace !== undefined) channel.subscribe(opts.trace);
    return channel.exclusive(async (s) => {
      const atr = channel.atr();
      const fci = await s.send(select(0x04, 0x00, SSSE_DF_NAME, 256));
      const algorithm = algorithmFromFci(fci);
      const specVersion = await readItem(s, SFI.EF05, 3, item(SSC_EF05_ITEMS, 'specVersion'));
      return new SscCard({ channel, ownsChannel, atr, algorithm, specVersion, opts, generation: channel.generation });
    });
  }

  /** True after verifyPin() found the initial PIN in effect, until changePin() succeeds. */
  get initialPinInEffect(): boolean {
    return this.initialPin;
  }

  /** Closes the channel when this card opened it. */
  async close(): Promise<void> {
    if (this.ownsChannel) await this.channel.close();
  }

  /** EF05: card issuer data (free read; record number = tag). */
  readCardInfo(): Promise<CardInfo> {
    return this.channel.exclusive(async (s) => {
      await this.goTo(s, 'ssse');
      const values: Record<string, string> = {};
      for (const it of SSC_EF05_ITEMS) values[it.key] = await readItem(s, SFI.EF05, it.record, it);
      const info: CardInfo = {
        cardIdentifier: values.cardIdentifier ?? '',
        regionCode: (values.cardIdentifier ?? '').slice(0, 6),
        cardType: values.cardType ?? '',
        specVersion: values.specVersion ?? '',
        initializingOrg: values.initializingOrg ?? '',
        issueDate: values.issueDate ?? '',
        expiryDate: values.expiryDate ?? '',
        cardNumber: values.cardNumber ?? '',
      };
      this.cardIdentifier = info.cardIdentifier;
      return info;
    });
  }

  /**
   * EF06: cardholder data. Free on 2.00 cards; on 3.00 cards the card wants external
   * authentication with RKSSSE first, done here when the secure module holds that key.
   */
  readCardholder(): Promise<Cardholder> {
    return this.channel.exclusive(async (s) => {
      await this.goTo(s, 'ssse');
      try {
        return await this.readCardholderRecords(s);
      } catch (error) {
        if (!(error instanceof SecurityStatusError) || !this.canAuthenticate('RKSSSE')) throw error;
        await this.externalAuthenticate(s, 'RKSSSE');
        return this.readCardholderRecords(s);
      }
    });
  }

  /** Empty VERIFY: the application PIN's state without spending a try. */
  pinStatus(): Promise<PinStatus> {
    return this.channel.exclusive(async (s) => {
      await this.goTo(s, 'ssse');
      const r = await s.transmit({ cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x00, data: EMPTY });
      if (r.sw === SW.OK) return { triesLeft: null, verified: true, blocked: false };
      if (r.sw === SW.AUTH_METHOD_BLOCKED) return { triesLeft: 0, verified: false, blocked: true };
      const triesLeft = swInfo(r.sw).triesLeft;
      if (triesLeft !== undefined) return { triesLeft, verified: false, blocked: triesLeft === 0 };
      throw errorForStatus(r.sw, { command: 'VERIFY', ins: 0x20 });
    });
  }

  /**
   * VERIFY of the application PIN. Wrong: PinIncorrectError { triesLeft }; blocked: PinBlockedError.
   *
   * Initial-PIN policy (project choice): the card cannot say whether its PIN is still the initial
   * one, but the terminal can: when the card accepts a PIN equal to the policy's initial PIN
   * (123456), the initial PIN is in effect. The terminal then refuses to transact
   * (InitialPinInEffectError here and from every PIN-protected read or write) until changePin()
   * succeeds. The comparison is constant-time and happens only after the card accepted the PIN.
   */
  verifyPin(pin: string | Uint8Array): Promise<void> {
    return this.channel.exclusive(async (s) => {
      await this.goTo(s, 'ssse');
      const data = encodePinBcd(pin);
      try {
        await s.send({ cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x00, data });
      } finally {
        data.fill(0);
      }
      this.initialPin = samePin(pin, this.pinPolicy.initialPin);
      if (this.initialPin && this.refuseInitialPin) throw new InitialPinInEffectError();
    });
  }

  /** Terminal policy for a new PIN entered twice; see the exported validateNewPin. */
  validateNewPin(newPin: string | Uint8Array, confirm: string | Uint8Array): void {
    validateNewPin(newPin, confirm, this.pinPolicy);
  }

  /**
   * CHANGE PIN `80 5E 01 00 old || FF || new`. The new PIN is checked against terminal policy
   * first (NewPinRejectedError, nothing sent); a wrong old PIN costs a try (PinIncorrectError).
   */
  async changePin(oldPin: string | Uint8Array, newPin: string | Uint8Array): Promise<void> {
    checkNewPin(newPin, this.pinPolicy);
    await this.channel.exclusive(async (s) => {
      await this.goTo(s, 'ssse');
      const data = encodeChangePinData(oldPin, newPin);
      try {
        await s.send({ cla: 0x80, ins: 0x5e, p1: 0x01, p2: 0x00, data });
      } finally {
        data.fill(0);
      }
      this.initialPin = false;
    });
  }

  /** DF02/EF07: work records, newest first, empty records skipped (needs the PIN). */
  readWorkRecord(): Promise<WorkRecord[]> {
    return this.pinProtected(async (s) => {
      await this.goTo(s, 'df02');
      const records = await this.readCyclic(s, SFI.EF07, WORK_RECORD_LENGTH, 'DF02/EF07 work record');
      return records.map(([n, bytes]) => cardData(`DF02/EF07 work record ${n}`, () => decodeWorkRecord(bytes)));
    });
  }

  /** DF10/EF05: blood type, condition flags and warning (needs the PIN). */
  readHealth(): Promise<HealthInfo> {
    return this.pinProtected(async (s) => {
      await this.goTo(s, 'df10');
      const records: Uint8Array[] = [];
      for (let n = 1; n <= HEALTH_BASICS_RECORD_COUNT; n++) records.push(await s.send(readRecordCmd(n, SFI.EF05)));
      return decodeHealthInfo(records);
    });
  }

  /** DF10/EF07: contraindicated drugs / allergies, newest first (needs the PIN). */
  readContraindications(): Promise<Contraindication[]> {
    return this.pinProtected(async (s) => {
      await this.goTo(s, 'df10');
      const records = await this.readCyclic(s, SFI.EF07, CONTRAINDICATION_LENGTH, 'DF10/EF07 contraindication');
      return records.map(([n, bytes]) => cardData(`DF10/EF07 contraindication ${n}`, () => decodeContraindication(bytes)));
    });
  }

  /** DF10/EF08: medical history, newest first (needs the PIN). */
  readMedicalHistory(): Promise<MedicalHistoryEntry[]> {
    return this.pinProtected(async (s) => {
      await this.goTo(s, 'df10');
      const records = await this.readCyclic(s, SFI.EF08, MEDICAL_HISTORY_LENGTH, 'DF10/EF08 medical history');
      return records.map(([n, bytes]) => cardData(`DF10/EF08 medical history ${n}`, () => decodeMedicalHistory(bytes)));
    });
  }

  /**
   * Writes a new newest medical-history record (UPDATE RECORD P1=00 P2=03 on the cyclic EF08).
   * When its secure module holds the health key the terminal authenticates with it and sends the
   * write with secure messaging (a MAC made with the same key; see writeHealthRecord); a terminal
   * without it sends the plain write and the card refuses it (SecurityStatusError).
   */
  async appendMedicalHistory(entry: MedicalHistoryEntry): Promise<void> {
    const record = callerValue(() => encodeMedicalHistory(entry));
    return this.writeHealthRecord(FID.EF08, record);
  }

  /** Writes a new newest contraindication record; authentication as for appendMedicalHistory. */
  async addContraindication(entry: Contraindication): Promise<void> {
    const record = callerValue(() => encodeContraindication(entry));
    return this.writeHealthRecord(FID.EF07, record);
  }

  /**
   * @internal Makes `target` the card's current DF unless it is known to be there already (same
   * card generation: no reset, removal or insertion since it was selected).
   */
  async goTo(s: CardSession, target: Location): Promise<void> {
    if (this.locationGeneration !== this.channel.generation) this.location = undefined;
    const from = this.location;
    if (from === target) return;
    // Until the selects below succeed, where the card stands is unknown.
    this.location = undefined;
    if (target === 'bank') {
      await s.send(select(0x04, 0x00, BANK_AID, 256));
    } else {
      // DF02 and DF10 are children of SSSE; from anywhere but SSSE, SSSE is selected by name first
      // (re-selecting the same application keeps its security state).
      if (target === 'ssse' || from !== 'ssse') await s.send(select(0x04, 0x00, SSSE_DF_NAME, 256));
      if (target === 'df02') await s.send(select(0x00, 0x0c, fid(FID.DF02)));
      if (target === 'df10') await s.send(select(0x00, 0x0c, fid(FID.DF10)));
    }
    this.location = target;
    this.locationGeneration = this.channel.generation;
  }

  private async readCardholderRecords(s: CardSession): Promise<Cardholder> {
    const values: Record<string, string> = {};
    for (const it of SSC_EF06_ITEMS) {
      try {
        values[it.key] = await readItem(s, SFI.EF06, it.record, it);
      } catch (error) {
        // Cards personalised without a name extension may not have its record.
        if (!(it.key === 'nameExtension' && error instanceof RecordNotFoundError)) throw error;
        values[it.key] = '';
      }
    }
    const sexCode = values.sex ?? '';
    return {
      idNumber: values.socialSecurityNumber ?? '',
      name: (values.name ?? '') + (values.nameExtension ?? ''),
      sex: sexCode === '1' ? 'male' : sexCode === '2' ? 'female' : 'unknown',
      sexCode,
      ethnicity: values.ethnicity ?? '',
      birthplace: values.birthplace ?? '',
      birthDate: values.birthDate ?? '',
    };
  }

  private pinProtected<T>(fn: (s: CardSession) => Promise<T>): Promise<T> {
    return this.channel.exclusive(async (s) => {
      if (this.initialPin && this.refuseInitialPin) throw new InitialPinInEffectError();
      return fn(s);
    });
  }

  /** Records 1.. of a cyclic file by SFI until 6A83; empty records skipped. */
  private async readCyclic(
    s: CardSession, sfi: number, length: number, what: string,
  ): Promise<Array<[number, Uint8Array]>> {
    const out: Array<[number, Uint8Array]> = [];
    for (let n = 1; n <= MAX_CYCLIC_RECORDS; n++) {
      let record: Uint8Array;
      try {
        record = await s.send(readRecordCmd(n, sfi));
      } catch (error) {
        if (error instanceof RecordNotFoundError) return out;
        throw error;
      }
      if (record.length !== length) {
        throw new CardDataError(`${what} ${n} is ${record.length} bytes, expected ${length}`);
      }
      if (!isEmptyRecord(record)) out.push([n, record]);
    }
    throw new CardDataError(`${what} file claims more than ${MAX_CYCLIC_RECORDS} records`);
  }

  private canAuthenticate(key: SscKeyName): boolean {
    return this.psam !== undefined && this.algorithm !== undefined && this.psam.hasKey(key);
  }

  /** GET CHALLENGE, then EXTERNAL AUTHENTICATE with the secure module's cryptogram, in the current DF. */
  private async externalAuthenticate(s: CardSession, key: SscKeyName): Promise<void> {
    const psam = this.psam;
    const algorithm = this.algorithm;
    if (psam === undefined || algorithm === undefined) {
      throw new CardDataError('external authentication needs a secure module and a known card algorithm');
    }
    const cardIdentifier = await this.identifier(s);
    const challenge = await getChallenge(s);
    const cryptogram = await psam.externalAuthenticate({ key, algorithm, cardIdentifier, challenge });
    await s.send({ cla: 0x00, ins: 0x82, p1: 0x00, p2: SSC_KEYS[key].kid, data: cryptogram });
  }

  /**
   * Sends `command` with secure messaging: GET CHALLENGE, then the command with CLA 04 and the
   * secure module's 4-byte MAC (key `key`, over CLA INS P1 P2 || Lc || data, IV = that challenge)
   * appended to its data. Needs a known card algorithm and identifier (external authentication
   * has established both).
   */
  private async sendWithMac(s: CardSession, key: SscKeyName, command: CommandApdu): Promise<Uint8Array> {
    const psam = this.psam;
    const algorithm = this.algorithm;
    if (psam === undefined || algorithm === undefined) {
      throw new CardDataError('secure messaging needs a secure module and a known card algorithm');
    }
    const cardIdentifier = await this.identifier(s);
    const header = Uint8Array.of(CLA_SECURE_MESSAGING, command.ins, command.p1, command.p2);
    const challenge = await getChallenge(s);
    const mac = await psam.commandMac({ key, algorithm, cardIdentifier, header, data: command.data, challenge });
    return s.send({ ...command, cla: CLA_SECURE_MESSAGING, data: concatBytes(command.data, mac) });
  }

  /** The card identifier (EF05 tag 01), read once; leaves the current DF where it was. */
  private async identifier(s: CardSession): Promise<string> {
    if (this.cardIdentifier !== undefined) return this.cardIdentifier;
    const back = this.location;
    await this.goTo(s, 'ssse');
    this.cardIdentifier = await readItem(s, SFI.EF05, 1, item(SSC_EF05_ITEMS, 'cardIdentifier'));
    if (back !== undefined) await this.goTo(s, back);
    return this.cardIdentifier;
  }

  /**
   * Writes a new record 1 of the cyclic DF10 file `efId`: SELECT the EF (it becomes current for
   * UPDATE RECORD P1=00 P2=03; the current DF stays DF10), then, with the health key in the
   * secure module (card profile §3: external authentication with the health key and a MAC):
   *   GET CHALLENGE, EXTERNAL AUTHENTICATE (health key), GET CHALLENGE,
   *   `04 DC 00 03 Lc record || MAC4` (MAC with the health key, IV = the second challenge).
   * Two challenges because the card uses each one once. Without the key the plain `00 DC 00 03`
   * goes out and the card refuses it (6982: SecurityStatusError).
   */
  private writeHealthRecord(efId: number, record: Uint8Array): Promise<void> {
    return this.pinProtected(async (s) => {
      const authenticate = this.canAuthenticate('HEALTH');
      if (authenticate) await this.identifier(s);
      await this.goTo(s, 'df10');
      await s.send(select(0x02, 0x0c, fid(efId)));
      const write: CommandApdu = { cla: 0x00, ins: 0xdc, p1: 0x00, p2: 0x03, data: record };
      if (!authenticate) {
        await s.send(write);
        return;
      }
      await this.externalAuthenticate(s, 'HEALTH');
      await this.sendWithMac(s, 'HEALTH', write);
    });
  }
}

/** Challenge length the terminal asks for (fine for both algorithms: SM4 pads it to its block). */
const CHALLENGE_LENGTH = 8;

/** GET CHALLENGE `00 84 00 00 08`; an answer of another length is the card's error (CardDataError). */
async function getChallenge(s: CardSession): Promise<Uint8Array> {
  const challenge = await s.send({ cla: 0x00, ins: 0x84, p1: 0x00, p2: 0x00, data: EMPTY, ne: CHALLENGE_LENGTH });
  if (challenge.length !== CHALLENGE_LENGTH) {
    throw new CardDataError(`GET CHALLENGE answered ${challenge.length} bytes, expected ${CHALLENGE_LENGTH}`);
  }
  return challenge;
}

/** Reads one TLV item record and decodes it with the shared item table (tag and length checked). */
async function readItem(s: CardSession, sfi: number, recordNumber: number, it: SscItem): Promise<string> {
  const record = await s.send(readRecordCmd(recordNumber, sfi));
  return cardData(`${it.file} ${it.key}`, () => decodeSscItem(it, record));
}

/** The financial application of a financial card (card profile §5). */
export class BankApplication {
  constructor(private readonly card: SscCard) {}

  /** SELECT A000000333010101, VERIFY 00 20 00 80 08 <ISO 9564 format-2 PIN block>. */
  verifyPin(pin: string | Uint8Array): Promise<void> {
    return this.card.channel.exclusive(async (s) => {
      await this.card.goTo(s, 'bank');
      const block = encodePinBlockFormat2(pin);
      try {
        await s.send({ cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x80, data: block });
      } finally {
        block.fill(0);
      }
    });
  }

  /** GET DATA 80 CA 9F 17: the bank PIN try counter. */
  pinTriesLeft(): Promise<number> {
    return this.card.channel.exclusive(async (s) => {
      await this.card.goTo(s, 'bank');
      const data = await s.send({ cla: 0x80, ins: 0xca, p1: 0x9f, p2: 0x17, data: EMPTY, ne: 256 });
      const value = cardData('GET DATA 9F17', () => findTlv(parseBerTlv(data), 0x9f17)?.value);
      if (value?.length !== 1) throw new CardDataError('GET DATA 9F17: no one-byte PIN try counter in the answer');
      return value[0] as number;
    });
  }
}

/** The algorithm of the SSSE FCI's 9F0C 03 86 01 xx (01 3DES, 03 SM4); undefined when absent or unknown. */
export function algorithmFromFci(fci: Uint8Array): KeyAlgorithm | undefined {
  if (fci.length === 0) return undefined;
  const outer = cardData('SSSE FCI', () => findTlv(parseBerTlv(fci), 0x9f0c));
  if (outer === undefined) return undefined;
  const inner = cardData('SSSE FCI 9F0C', () => findTlv(parseBerTlv(outer.value), 0x86));
  if (inner?.value.length !== 1) throw new CardDataError('SSSE FCI 9F0C has no one-byte algorithm (86 01 xx)');
  switch (inner.value[0]) {
    case 0x01: return '3des';
    case 0x03: return 'sm4';
    // An algorithm this SDK does not know only rules out external authentication.
    default: return undefined;
  }
}
