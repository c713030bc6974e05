import { timingSafeEqual } from 'node:crypto';
import { findTlv, fromHex, parseBerTlv, type CommandApdu } from '../apdu/index.js';
import {
  DEFAULT_PIN_POLICY,
  encodeChangePinData,
  encodePinBcd,
  encodePinBlockFormat2,
  validatePinFormat,
  type PinPolicy,
} from '../pin/index.js';
import { CardChannel, type CardChannelOptions, type CardSession } from './channel.js';
import {
  CardDataError,
  InitialPinInEffectError,
  NewPinRejectedError,
  RecordNotFoundError,
  SecurityStatusError,
  errorForStatus,
} from './errors.js';
import type { CryptoAlgorithm, PsamKeyRole, SecureModule } from './psam.js';
import {
  CONTRAINDICATION_RECORD_LENGTH,
  HEALTH_CONDITIONS,
  MEDICAL_HISTORY_RECORD_LENGTH,
  WORK_RECORD_LENGTH,
  decodeAbo,
  decodeAnField,
  decodeCardIdentifier,
  decodeCnField,
  decodeContraindication,
  decodeDateField,
  decodeFlag,
  decodeMedicalHistory,
  decodeRh,
  decodeWorkRecord,
  encodeContraindication,
  encodeMedicalHistory,
  isEmptyRecord,
  tlvRecordValue,
  type Contraindication,
  type HealthCondition,
  type HealthInfo,
  type MedicalHistoryEntry,
  type WorkRecord,
} from './ssc-records.js';
import type { TraceObserver } from './trace.js';
import type { Transport } from './transport.js';

/** GBK bytes of 'sx1.sh.社会保障', the SSSE DF name. */
export const SSSE_DF_NAME: Uint8Array = fromHex('7378312E73682EC9E7BBE1B1A3D5CF');
/** AID of the financial (bank) application. */
export const BANK_AID: Uint8Array = fromHex('A000000333010101');

/** File ids under SSSE (card profile §2, §3). */
const FID = {
  DF02: 0xdf02,
  DF10: 0xdf10,
  EF07: 0xef07,
  EF08: 0xef08,
} as const;

/** Short file ids used in READ RECORD P2. */
const SFI = { EF05: 5, EF06: 6, EF07: 7, EF08: 8 } as const;

/** How many records a cyclic file may hold at most; a card claiming more is misbehaving. */
const MAX_CYCLIC_RECORDS = 254;

/**
 * Key numbers (P2 of EXTERNAL AUTHENTICATE) of the keys the terminal authenticates with.
 * Project choice, matching the simulated card's SSC profile; override per card issuer.
 */
export const DEFAULT_KEY_IDS: Readonly<Record<PsamKeyRole, number>> = Object.freeze({
  'health-write': 0x0a,
  'cardholder-read': 0x08,
});

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
  /** Key numbers on the card, when they differ from DEFAULT_KEY_IDS. */
  keyIds?: Partial<Record<PsamKeyRole, number>>;
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
  issueDate: string | null;
  expiryDate: string | null;
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
  birthDate: string | null;
}

export interface PinStatus {
  /** Tries left; null while the PIN is verified (the card then answers 9000, not a count). */
  triesLeft: number | null;
  verified: boolean;
  blocked: boolean;
}

type Location = 'ssse' | 'df02' | 'df10' | 'bank';

function select(p1: number, p2: number, data: Uint8Array, ne?: number): CommandApdu {
  const cmd: CommandApdu = { cla: 0x00, ins: 0xa4, p1, p2, data };
  if (ne !== undefined) cmd.ne = ne;
  return cmd;
}

function fid(id: number): Uint8Array {
  return Uint8Array.of(id >> 8, id & 0xff);
}

function readRecordCmd(recordNumber: number, sfi: number): CommandApdu {
  return { cla: 0x00, ins: 0xb2, p1: recordNumber, p2: (sfi << 3) | 0x04, data: new Uint8Array(0), ne: 256 };
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
  /** From the SSSE FCI (9F0C 03 86 01 xx); undefined when the card did not announce one. */
  readonly algorithm: CryptoAlgorithm | undefined;
  /** From EF05 tag 03. */
  readonly specVersion: string;
  readonly bank: BankApplication;
  private readonly ownsChannel: boolean;
  private readonly psam: SecureModule | undefined;
  private readonly pinPolicy: PinPolicy;
  private readonly refuseInitialPin: boolean;
  private readonly keyIds: Record<PsamKeyRole, number>;
  private location: Location | undefined;
  private locationGeneration = -1;
  private initialPin = false;
  private cardIdentifier: string | undefined;

  private constructor(init: {
    channel: CardChannel; ownsChannel: boolean; atr: Uint8Array; algorithm: CryptoAlgorithm | undefined;
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
    this.keyIds = { ...DEFAULT_KEY_IDS, ...init.opts.keyIds };
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
      const version = await s.send(readRecordCmd(0x03, SFI.EF05));
      const specVersion = decodeAnField(tlvRecordValue(version, 0x03, 'EF05 spec version'), 'EF05 spec version');
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

  /** EF05: card issuer data (free read). */
  readCardInfo(): Promise<CardInfo> {
    return this.channel.exclusive(async (s) => {
      await this.goTo(s, 'ssse');
      const read = async (tag: number, what: string): Promise<Uint8Array> =>
        tlvRecordValue(await s.send(readRecordCmd(tag, SFI.EF05)), tag, `EF05 ${what}`);
      const cardIdentifier = decodeCardIdentifier(await read(0x01, 'card identifier'));
      const cardType = decodeAnField(await read(0x02, 'card type'), 'EF05 card type');
      const specVersion = decodeAnField(await read(0x03, 'spec version'), 'EF05 spec version');
      const initializingOrg = decodeCnField(await read(0x04, 'initializing organisation'), 'EF05 initializing organisation');
      const issueDate = decodeDateField(await read(0x05, 'issue date'), 'EF05 issue date');
      const expiryDate = decodeDateField(await read(0x06, 'expiry date'), 'EF05 expiry date');
      const cardNumber = decodeAnField(await read(0x07, 'card number'), 'EF05 card number');
      this.cardIdentifier = cardIdentifier;
      return {
        cardIdentifier, regionCode: cardIdentifier.slice(0, 6), cardType, specVersion,
        initializingOrg, issueDate, expiryDate, cardNumber,
      };
    });
  }

  /**
   * EF06: cardholder data. Free on 2.00 cards; on 3.00 cards the card wants external
   * authentication with RKSSSE first, done here when the secure module holds that key.
   */
  readCardholder(): Promise<Cardholder> {
    return this.channel.exclusive(async (s) => {
      await this.goTo(s, 'ssse');
      const readAll = async (): Promise<Cardholder> => {
        const read = async (n: number, tag: number, what: string): Promise<Uint8Array> =>
          tlvRecordValue(await s.send(readRecordCmd(n, SFI.EF06)), tag, `EF06 ${what}`);
        const idNumber = decodeAnField(await read(1, 0x08, 'ID number'), 'EF06 ID number');
        const name = decodeAnField(await read(2, 0x09, 'name'), 'EF06 name');
        let extension = '';
        try {
          extension = decodeAnField(await read(3, 0x4e, 'name extension'), 'EF06 name extension');
        } catch (error) {
          // Cards personalised without a name extension do not have the record.
          if (!(error instanceof RecordNotFoundError)) throw error;
        }
        const sexCode = decodeAnField(await read(4, 0x0a, 'sex'), 'EF06 sex');
        const ethnicity = decodeCnField(await read(5, 0x0b, 'ethnicity'), 'EF06 ethnicity');
        const birthplace = decodeCnField(await read(6, 0x0c, 'birthplace'), 'EF06 birthplace');
        const birthDate = decodeDateField(await read(7, 0x0d, 'birth date'), 'EF06 birth date');
        const sex: Sex = sexCode === '1' ? 'male' : sexCode === '2' ? 'female' : 'unknown';
        return { idNumber, name: name + extension, sex, sexCode, ethnicity, birthplace, birthDate };
      };
      try {
        return await readAll();
      } catch (error) {
        if (!(error instanceof SecurityStatusError) || !this.canAuthenticate('cardholder-read')) throw error;
        await this.externalAuthenticate(s, 'cardholder-read');
        return readAll();
      }
    });
  }

  /** Empty VERIFY: the application PIN's state without spending a try. */
  pinStatus(): Promise<PinStatus> {
    return this.channel.exclusive(async (s) => {
      await this.goTo(s, 'ssse');
      const cmd: CommandApdu = { cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x00, data: new Uint8Array(0) };
      const r = await s.transmit(cmd);
      if (r.sw === 0x9000) return { triesLeft: null, verified: true, blocked: false };
      if (r.sw === 0x6983) return { triesLeft: 0, verified: false, blocked: true };
      if (r.sw1 === 0x63 && (r.sw2 & 0xf0) === 0xc0) {
        const triesLeft = r.sw2 & 0x0f;
        return { triesLeft, verified: false, blocked: triesLeft === 0 };
      }
      throw errorForStatus(r.sw, { command: 'VERIFY', ins: 0x20 });
    });
  }

  /**
   * VERIFY of the application PIN. Wrong: PinIncorrectError { triesLeft }; blocked: PinBlockedError.
   *
   * Initial-PIN policy: the card cannot say whether its PIN is still the initial one, but the
   * terminal can: when the card accepts a PIN equal to the policy's initial PIN (123456), the
   * initial PIN is in effect. The terminal then refuses to transact (InitialPinInEffectError here
   * and from every PIN-protected read/write) until changePin() succeeds. The comparison is done
   * in constant time and only after the card accepted the PIN.
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
  changePin(oldPin: string | Uint8Array, newPin: string | Uint8Array): Promise<void> {
    checkNewPin(newPin, this.pinPolicy);
    return this.channel.exclusive(async (s) => {
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
      const records = await this.readCyclic(s, SFI.EF07, WORK_RECORD_LENGTH, 'work record');
      return records.map(([n, bytes]) => decodeWorkRecord(bytes, n));
    });
  }

  /** DF10/EF05: blood type, condition flags and warning (needs the PIN). */
  readHealth(): Promise<HealthInfo> {
    return this.pinProtected(async (s) => {
      await this.goTo(s, 'df10');
      const read = (n: number): Promise<Uint8Array> => s.send(readRecordCmd(n, SFI.EF05));
      const abo = decodeAbo(await read(1));
      const rh = decodeRh(await read(2));
      const conditions = {} as Record<HealthCondition, boolean>;
      for (let i = 0; i < HEALTH_CONDITIONS.length; i++) {
        const name = HEALTH_CONDITIONS[i] as HealthCondition;
        conditions[name] = decodeFlag(await read(3 + i), `health flag ${name}`);
      }
      const warning = decodeAnField(await read(15), 'health warning');
      return { abo, rh, conditions, warning };
    });
  }

  /** DF10/EF07: contraindicated drugs / allergies, newest first (needs the PIN). */
  readContraindications(): Promise<Contraindication[]> {
    return this.pinProtected(async (s) => {
      await this.goTo(s, 'df10');
      const records = await this.readCyclic(s, SFI.EF07, CONTRAINDICATION_RECORD_LENGTH, 'contraindication');
      return records.map(([n, bytes]) => decodeContraindication(bytes, n));
    });
  }

  /** DF10/EF08: medical history, newest first (needs the PIN). */
  readMedicalHistory(): Promise<MedicalHistoryEntry[]> {
    return this.pinProtected(async (s) => {
      await this.goTo(s, 'df10');
      const records = await this.readCyclic(s, SFI.EF08, MEDICAL_HISTORY_RECORD_LENGTH, 'medical history');
      return records.map(([n, bytes]) => decodeMedicalHistory(bytes, n));
    });
  }

  /**
   * Writes a new newest medical-history record (UPDATE RECORD P1=00 P2=03 on the cyclic EF08).
   * The terminal authenticates with the health key when its secure module holds it; a terminal
   * without it sends the write unauthenticated and the card refuses (SecurityStatusError).
   */
  appendMedicalHistory(entry: MedicalHistoryEntry): Promise<void> {
    const record = encodeMedicalHistory(entry);
    return this.writeHealthRecord(FID.EF08, record);
  }

  /** Writes a new newest contraindication record; authentication as for appendMedicalHistory. */
  addContraindication(entry: Contraindication): Promise<void> {
    const record = encodeContraindication(entry);
    return this.writeHealthRecord(FID.EF07, record);
  }

  // ---- internals shared with BankApplication ----

  /** @internal Moves the card's current DF to `target` unless it is known to be there already. */
  async goTo(s: CardSession, target: Location): Promise<void> {
    if (this.locationGeneration !== this.channel.generation) this.location = undefined;
    const from = this.location;
    if (from === target) return;
    // Until the selects below succeed, where the card stands is unknown.
    this.location = undefined;
    if (target === 'bank') {
      await s.send(select(0x04, 0x00, BANK_AID, 256));
    } else {
      // DF02 and DF10 are children of SSSE; from anywhere but SSSE, SSSE is selected by name first.
      if (target === 'ssse' || from !== 'ssse') await s.send(select(0x04, 0x00, SSSE_DF_NAME, 256));
      if (target === 'df02') await s.send(select(0x00, 0x0c, fid(FID.DF02)));
      if (target === 'df10') await s.send(select(0x00, 0x0c, fid(FID.DF10)));
    }
    this.location = target;
    this.locationGeneration = this.channel.generation;
  }

  private pinProtected<T>(fn: (s: CardSession) => Promise<T>): Promise<T> {
    return this.channel.exclusive(async (s) => {
      if (this.initialPin && this.refuseInitialPin) throw new InitialPinInEffectError();
      return fn(s);
    });
  }

  /** Records 1.. of a cyclic or linear file by SFI until 6A83; empty records skipped. */
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
        throw new CardDataError(`${what} record ${n} is ${record.length} bytes, expected ${length}`);
      }
      if (!isEmptyRecord(record)) out.push([n, record]);
    }
    throw new CardDataError(`${what} file claims more than ${MAX_CYCLIC_RECORDS} records`);
  }

  private canAuthenticate(role: PsamKeyRole): boolean {
    return this.psam !== undefined && this.algorithm !== undefined && this.psam.hasKey(role, this.algorithm);
  }

  /** GET CHALLENGE, then EXTERNAL AUTHENTICATE with the secure module's cryptogram, in the current DF. */
  private async externalAuthenticate(s: CardSession, role: PsamKeyRole): Promise<void> {
    const psam = this.psam;
    const algorithm = this.algorithm;
    if (psam === undefined || algorithm === undefined) {
      throw new CardDataError('external authentication needs a secure module and the card algorithm');
    }
    const identifier = await this.identifier(s);
    const challenge = await s.send({ cla: 0x00, ins: 0x84, p1: 0x00, p2: 0x00, data: new Uint8Array(0), ne: 8 });
    const cryptogram = await psam.externalAuthenticate({ role, algorithm, cardIdentifier: identifier, challenge });
    await s.send({ cla: 0x00, ins: 0x82, p1: 0x00, p2: this.keyIds[role], data: cryptogram });
  }

  /** The card identifier (EF05 tag 01), read once; leaves the current DF where it was. */
  private async identifier(s: CardSession): Promise<string> {
    if (this.cardIdentifier !== undefined) return this.cardIdentifier;
    const back = this.location;
    await this.goTo(s, 'ssse');
    const value = tlvRecordValue(await s.send(readRecordCmd(0x01, SFI.EF05)), 0x01, 'EF05 card identifier');
    this.cardIdentifier = decodeCardIdentifier(value);
    if (back !== undefined) await this.goTo(s, back);
    return this.cardIdentifier;
  }

  private writeHealthRecord(efId: number, record: Uint8Array): Promise<void> {
    return this.pinProtected(async (s) => {
      if (this.canAuthenticate('health-write')) await this.identifier(s);
      await this.goTo(s, 'df10');
      if (this.canAuthenticate('health-write')) await this.externalAuthenticate(s, 'health-write');
      // Selecting the EF makes it current for UPDATE RECORD P2=03; the DF stays DF10.
      await s.send(select(0x02, 0x0c, fid(efId)));
      await s.send({ cla: 0x00, ins: 0xdc, p1: 0x00, p2: 0x03, data: record });
    });
  }
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
      const data = await s.send({ cla: 0x80, ins: 0xca, p1: 0x9f, p2: 0x17, data: new Uint8Array(0), ne: 256 });
      if (data.length === 1) return data[0] as number;
      let value: Uint8Array | undefined;
      try {
        value = findTlv(parseBerTlv(data), 0x9f17)?.value;
      } catch (error) {
        throw new CardDataError('GET DATA 9F17: answer is not BER-TLV', { cause: error });
      }
      if (value?.length !== 1) throw new CardDataError('GET DATA 9F17: no one-byte PIN try counter in the answer');
      return value[0] as number;
    });
  }
}

/** The algorithm of the SSSE FCI's 9F0C 03 86 01 xx (01 3DES, 03 SM4); undefined when absent. */
export function algorithmFromFci(fci: Uint8Array): CryptoAlgorithm | undefined {
  if (fci.length === 0) return undefined;
  let outer;
  try {
    outer = findTlv(parseBerTlv(fci), 0x9f0c);
  } catch (error) {
    throw new CardDataError('SSSE FCI is not BER-TLV', { cause: error });
  }
  if (outer === undefined) return undefined;
  let inner;
  try {
    inner = findTlv(parseBerTlv(outer.value), 0x86);
  } catch (error) {
    throw new CardDataError('SSSE FCI 9F0C does not hold a BER-TLV algorithm object', { cause: error });
  }
  if (inner?.value.length !== 1) throw new CardDataError('SSSE FCI 9F0C has no one-byte algorithm (86 01 xx)');
  switch (inner.value[0]) {
    case 0x01: return '3des';
    case 0x03: return 'sm4';
    // An algorithm this SDK does not know only rules out external authentication.
    default: return undefined;
  }
}
