import { concatBytes, encodeBcd, encodeBerTlv } from '../../apdu/index.js';
import { SSC_KEYS, diversificationInput, diversifyKey, issuerTestMasterKey, sscKeyNamesOf } from '../../keys/index.js';
import type { KeyAlgorithm, SscKeyApplication, SscKeyName } from '../../keys/index.js';
import {
  CONTRAINDICATION_LENGTH,
  HEALTH_BASICS_RECORD_COUNT,
  healthBasicsRecordLength,
  INSURANCE_RECORD_LENGTH,
  INSURANCE_TYPES,
  MEDICAL_HISTORY_LENGTH,
  SSC_EF05_ITEMS,
  SSC_EF06_ITEMS,
  WORK_RECORD_COUNT,
  WORK_RECORD_LENGTH,
  BANK_AID,
  SSC_FIDS,
  SSC_PINS,
  SSC_SFIS,
  SSSE_DF_NAME,
  encodeContraindication,
  encodeHealthBasics,
  encodeInsuranceParticipation,
  encodeMedicalHistory,
  encodeSscItem,
  encodeWorkRecord,
  splitSscName,
} from '../../records/index.js';
import type { SscEf05Key, SscEf06Key } from '../../records/index.js';
import { ALWAYS, NEVER, afterKey, afterKeyWithMac, afterPin, afterPinOrKey } from '../fs/access.js';
import { MasterFile } from '../fs/nodes.js';
import type { DedicatedFile } from '../fs/nodes.js';
import { validatePersonalization } from './personalization.js';
import type { ResolvedPersonalization } from './personalization.js';
import { addPkiApplication, addSsseTlvFiles } from './ssc-files.js';
import { addPbocRecords, addPse, bankHolderName, pbocApplicationOptions } from './ssc-pboc.js';

/*
 * The SSC's file tree, personalized (ssc.ts makes cards of it): a module without the card itself,
 * so that making a card image (`sscard card new`) loads no command handler.
 */

/** The card's algorithm: spec 2.00 cards use 3DES, spec 3.00 cards SM4 (FCI 9F0C 03 86 01 01 | 03). */
export function sscAlgorithm(specVersion: '2.00' | '3.00'): KeyAlgorithm {
  return specVersion === '2.00' ? '3des' : 'sm4';
}

/**
 * The 8 card-specific ATR bytes (the ATR's last 8 bytes as a reader returns them, see buildAtr):
 * the last 8 bytes of the card identifier without its F padding, i.e. the card-level data the
 * keys are diversified with (src/keys diversificationInput), so a terminal can derive card keys
 * from the ATR (and, for RID-form identifiers, the region code).
 */
export function atrCardBytesOf(cardIdentifier: string): Uint8Array {
  return diversificationInput(cardIdentifier).cardBytes;
}

type HolderName = { name: string; extension: string };

/** Where each EF05 item's value comes from in the personalization. */
const EF05_VALUES: { readonly [K in SscEf05Key]: (p: ResolvedPersonalization) => string } = {
  cardIdentifier: (p) => p.card.identifier,
  cardType: (p) => p.card.type,
  specVersion: (p) => p.specVersion,
  initializingOrg: (p) => p.card.initializingOrg,
  issueDate: (p) => p.card.issueDate,
  expiryDate: (p) => p.card.expiryDate,
  cardNumber: (p) => p.card.number,
};

/** Where each EF06 item's value comes from (the name split into the field and its extension). */
const EF06_VALUES: { readonly [K in SscEf06Key]: (p: ResolvedPersonalization, name: HolderName) => string } = {
  socialSecurityNumber: (p) => p.person.idNumber,
  name: (_p, name) => name.name,
  nameExtension: (_p, name) => name.extension,
  sex: (p) => p.person.sex,
  ethnicity: (p) => p.person.ethnicity,
  birthplace: (p) => p.person.birthplace,
  birthDate: (p) => p.person.birthDate,
};

/** Length of each TLV record of an item table, record 1 first: tag + length + value. */
function itemRecordLengths(items: readonly { length: number }[]): number[] {
  return items.map((i) => 2 + i.length);
}

/**
 * Installs the keys `application` holds (SSC_KEYS) in `df`. Project choice: the bank application's
 * keys use the card's algorithm too (3DES on 2.00 cards, SM4 on 3.00), so a terminal learns it
 * from the SSSE FCI for both applications. The EF0D key is installed on 3.00 cards only (the
 * file is theirs): a 2.00 card answers 6A88 to key 0D.
 */
function installKeys(df: DedicatedFile, application: SscKeyApplication, p: ResolvedPersonalization): void {
  const algorithm = sscAlgorithm(p.specVersion);
  // Already checked by atrCardBytesOf (the MF's ATR bytes): a bad one failed the personalization.
  const identifier = p.card.identifier;
  for (const name of sscKeyNamesOf(application)) {
    if (name === 'RKEF0D' && p.specVersion !== '3.00') continue;
    const given = p.masterKeys[name];
    // A copy of a given master key (the document stays the caller's); the test keys are shared.
    const master = given === undefined ? testMasterKey(name) : new Uint8Array(given);
    // A master key of the wrong size fails the personalization (KeyDiversificationError) too.
    if (master.length !== 16) diversifyKey(master, identifier, algorithm);
    df.addKey({
      id: SSC_KEYS[name].kid,
      algorithm,
      usage: SSC_KEYS[name].usage,
      // Diversified at the key's first use: most cards held in a process never use most keys.
      key: () => diversifyKey(master, identifier, algorithm),
    });
  }
}

const TEST_MASTER_KEYS = new Map<SscKeyName, Uint8Array>();

/** issuerTestMasterKey, made once per name: the test keys are public and never written to. */
function testMasterKey(name: SscKeyName): Uint8Array {
  let key = TEST_MASTER_KEYS.get(name);
  if (key === undefined) {
    key = issuerTestMasterKey(name);
    TEST_MASTER_KEYS.set(name, key);
  }
  return key;
}

/**
 * Bank record (SFI 1, record 1): template 70 { 5A PAN (BCD, F-padded), 5F20 cardholder name
 * (see bankHolderName) }, as card profile §5 has it; the PBOC records are in SFI 2 and 3.
 */
function bankRecord(p: ResolvedPersonalization): Uint8Array {
  const pan = encodeBcd(p.card.pan ?? '');
  return encodeBerTlv(0x70, concatBytes(encodeBerTlv(0x5a, pan), encodeBerTlv(0x5f20, bankHolderName(p))));
}

/**
 * Builds the SSC file tree of card profile §2, §3 and §5 from a personalization document (checked
 * first; see validatePersonalization). Access conditions:
 * - SSSE/EF05: read always. SSSE/EF06: read always on spec 2.00, after EXTERNAL AUTHENTICATE with
 *   RKSSSE (key 0A) on 3.00. Both are written (UPDATE RECORD by number or by identifier, plain or
 *   with a MAC) after external authentication with the issuance key (04): issuance and the
 *   correction of a card whose stored data is wrong (card profile §7).
 * - SSSE/EF0D (3.00), the DF01, DF03, DF04 item files and the PKI application (3.00): see
 *   ssc-files.ts; the PBOC side of the bank application: see ssc-pboc.ts.
 * - DF02/EF07 work record, DF03/EF08 insurance participation: read after the application PIN or
 *   RKSSSE; write after external authentication with UKSSSE.
 * - DF10 health files (EF05, EF07, EF08): read after the application PIN; write after external
 *   authentication with the health key (SSC_KEYS.HEALTH.kid) AND only with secure messaging: the
 *   write comes as `04 DC` / `04 E2` with a MAC made with the same health key over the challenge
 *   of a GET CHALLENGE sent after the authentication (card profile §3 "with a MAC"). Project
 *   choice: the health key is the MAC key too, so a hospital's secure module keeps one master key
 *   for the one right "write health data"; a plain write answers 6982, a bad MAC 6988 and costs
 *   a health-key try.
 * - Keys live in the SSSE (the DF04 key in DF04) and are diversified from the issuer master keys
 *   (the published test keys unless the document gives its own) with the card identifier; see
 *   diversifyKey. Their numbers are the reader programs' (0A, 04, 0D; see SSC_KEYS). Among them the
 *   application control key SSC_KEYS.APP_CONTROL (usage 'lifecycle') authorises APPLICATION BLOCK /
 *   UNBLOCK and CARD BLOCK (project choice: the profile names no key for them).
 * - The bank application (financial cards) holds the bank PIN and its issuer keys,
 *   SSC_KEYS.BANK_PIN_RELOAD, BANK_PIN_UNBLOCK and BANK_APP_CONTROL, diversified the same way (see
 *   handlers/pin for the bank's RELOAD PIN and PIN UNBLOCK, handlers/lifecycle for the block and
 *   unblock). With `bankApplication.state: 'inactive'` it starts temporarily blocked.
 * - EF05, EF06 and DF10/EF05 have one fixed length per record (recordLengths).
 */
export function buildSscTree(document: unknown): MasterFile {
  return buildSscTreeFrom(validatePersonalization(document));
}

/**
 * The tree of buildSscTree from a document validatePersonalization has already checked and
 * resolved, for a caller that needs the resolved document too (`sscard card new` prints it): the
 * document is checked once, not twice.
 */
export function buildSscTreeFrom(p: ResolvedPersonalization): MasterFile {
  const algorithm = sscAlgorithm(p.specVersion);
  const mf = new MasterFile({ atrCardBytes: atrCardBytesOf(p.card.identifier) });

  const ssse = mf.addDf({
    fid: SSC_FIDS.SSSE,
    dfName: SSSE_DF_NAME,
    label: 'SSSE',
    cryptoAlgorithm: algorithm,
    ...(p.pin.zeroIvReload ? { zeroIvReload: true } : {}),
  });
  ssse.addPin({
    id: SSC_PINS.app.id,
    reference: SSC_PINS.app.reference,
    format: 'bcd',
    policy: { initialPin: p.pin.initial, tryLimit: p.pin.tryLimit, forbidReturnToInitial: p.pin.forbidReturnToInitial },
    initialPin: p.pin.initial,
  });
  installKeys(ssse, 'ssse', p);

  // EF05/EF06 hold TLV records of different sizes (3..18 and 3..32 bytes), each item with its own
  // fixed length: linear-variable files with one fixed length per record (UPDATE RECORD with
  // another length answers 6700, as the card does).
  ssse.addEf({
    fid: SSC_FIDS.EF05,
    sfi: SSC_SFIS.EF05,
    label: 'EF05',
    structure: 'linear-variable',
    recordLengths: itemRecordLengths(SSC_EF05_ITEMS),
    records: SSC_EF05_ITEMS.map((item) => encodeSscItem(item, EF05_VALUES[item.key](p))),
    read: ALWAYS,
    write: afterKey(SSC_KEYS.ISSUANCE.kid),
  });
  const name = splitSscName(p.person.name);
  ssse.addEf({
    fid: SSC_FIDS.EF06,
    sfi: SSC_SFIS.EF06,
    label: 'EF06',
    structure: 'linear-variable',
    recordLengths: itemRecordLengths(SSC_EF06_ITEMS),
    records: SSC_EF06_ITEMS.map((item) => encodeSscItem(item, EF06_VALUES[item.key](p, name))),
    read: p.specVersion === '2.00' ? ALWAYS : afterKey(SSC_KEYS.RKSSSE.kid),
    write: afterKey(SSC_KEYS.ISSUANCE.kid),
  });

  const readAfterPinOrKey = afterPinOrKey(SSC_PINS.app.id, SSC_KEYS.RKSSSE.kid);
  const updateAfterKey = afterKey(SSC_KEYS.UKSSSE.kid);
  ssse.addDf({ fid: SSC_FIDS.DF01, label: 'DF01' });
  const df02 = ssse.addDf({ fid: SSC_FIDS.DF02, label: 'DF02' });
  df02.addEf({
    fid: SSC_FIDS.EF07,
    sfi: SSC_SFIS.EF07,
    label: 'EF07',
    structure: 'cyclic',
    recordLength: WORK_RECORD_LENGTH,
    maxRecords: WORK_RECORD_COUNT,
    records: p.workRecords.map((r) => encodeWorkRecord(r)),
    read: readAfterPinOrKey,
    write: updateAfterKey,
  });
  const df03 = ssse.addDf({ fid: SSC_FIDS.DF03, label: 'DF03' });
  df03.addEf({
    fid: SSC_FIDS.DF03_INSURANCE,
    sfi: SSC_SFIS.DF03_INSURANCE,
    label: 'EF08',
    structure: 'linear-fixed',
    recordLength: INSURANCE_RECORD_LENGTH,
    maxRecords: INSURANCE_TYPES.length,
    records: INSURANCE_TYPES.map((t) => encodeInsuranceParticipation(p.insurance[t.key])),
    read: readAfterPinOrKey,
    write: updateAfterKey,
  });
  const df04 = ssse.addDf({ fid: SSC_FIDS.DF04, label: 'DF04' });
  installKeys(df04, 'df04', p);
  addSsseTlvFiles(ssse, p);

  const healthRead = afterPin(SSC_PINS.app.id);
  const healthWrite = afterKeyWithMac(SSC_KEYS.HEALTH.kid);
  const df10 = ssse.addDf({ fid: SSC_FIDS.DF10, label: 'DF10' });
  // "15 linear fixed records" of 1 byte (records 1..14) and 40 bytes (record 15): each record has
  // its own fixed size, which the file tree models as linear-variable with one length per record.
  df10.addEf({
    fid: SSC_FIDS.EF05,
    sfi: SSC_SFIS.EF05,
    label: 'EF05',
    structure: 'linear-variable',
    recordLengths: Array.from({ length: HEALTH_BASICS_RECORD_COUNT }, (_, i) => healthBasicsRecordLength(i + 1)),
    records: encodeHealthBasics(p.health),
    read: healthRead,
    write: healthWrite,
  });
  df10.addEf({
    fid: SSC_FIDS.EF07,
    sfi: SSC_SFIS.EF07,
    label: 'EF07',
    structure: 'cyclic',
    recordLength: CONTRAINDICATION_LENGTH,
    maxRecords: p.health.capacity.contraindications,
    records: p.health.contraindications.map((c) => encodeContraindication(c)),
    read: healthRead,
    write: healthWrite,
  });
  df10.addEf({
    fid: SSC_FIDS.EF08,
    sfi: SSC_SFIS.EF08,
    label: 'EF08',
    structure: 'cyclic',
    recordLength: MEDICAL_HISTORY_LENGTH,
    maxRecords: p.health.capacity.history,
    records: p.health.history.map((h) => encodeMedicalHistory(h)),
    read: healthRead,
    write: healthWrite,
  });

  if (p.financial && p.bankPin !== null) {
    // An inactive bank application is personalized temporarily blocked: the chip itself refuses
    // it (6A81) until a bank activates it with APPLICATION UNBLOCK under BANK_APP_CONTROL.
    const inactive = p.bankApplication?.state === 'inactive';
    addPse(mf);
    const bank = mf.addDf({
      fid: SSC_FIDS.BANK,
      dfName: BANK_AID,
      label: 'BANK',
      ...pbocApplicationOptions(),
      ...(inactive ? { blocked: 'temporary' as const } : {}),
    });
    bank.addPin({
      id: SSC_PINS.bank.id,
      reference: SSC_PINS.bank.reference,
      format: 'iso9564-format2',
      // The bank PIN is the holder's own (set at the branch), not a published initial value, so it
      // stays out of the policy: the exported card state then holds only its salted verifier.
      policy: { tryLimit: p.bankPin.tryLimit },
      initialPin: p.bankPin.initial,
    });
    installKeys(bank, 'bank', p);
    const record = bankRecord(p);
    bank.addEf({
      fid: SSC_FIDS.BANK_EF01,
      sfi: SSC_SFIS.BANK_EF01,
      label: 'EF01',
      structure: 'linear-variable',
      recordLength: record.length,
      maxRecords: 1,
      records: [record],
      read: ALWAYS,
      write: NEVER,
    });
    addPbocRecords(bank, p);
  }
  if (p.specVersion === '3.00') addPkiApplication(mf);
  return mf;
}
