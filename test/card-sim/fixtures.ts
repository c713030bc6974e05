import { createCipheriv } from 'node:crypto';
import {
  concatBytes,
  encodeAn,
  encodeBerTlv,
  encodeCn,
  encodeSimpleTlv,
  fromHex,
  toHex,
  type ResponseApdu,
} from '../../src/apdu/index.js';
import type { PinPolicy } from '../../src/pin/index.js';
import {
  ALWAYS,
  MasterFile,
  NEVER,
  SimulatedCard,
  afterKey,
  afterPin,
  afterPinOrKey,
  type CardAlgorithm,
  type SimulatedCardOptions,
} from '../../src/card-sim/index.js';
import { expectTranscript, send, type TranscriptStep } from '../support/card-exchange.js';

/*
 * A small SSC-like card for the OS tests: SSSE (named application) with EF05/EF06, DF02/EF07 work
 * record (cyclic), DF10 health files, a transparent EF, issuer keys, and the bank application.
 */

export const SSSE_NAME = fromHex('7378312E73682EC9E7BBE1B1A3D5CF');
export const BANK_AID = fromHex('A000000333010101');
export const FID = {
  SSSE: 0x5353,
  EF05: 0xef05,
  EF06: 0xef06,
  DF02: 0xdf02,
  EF07: 0xef07,
  DF10: 0xdf10,
  HEALTH_EF07: 0xef07,
  BIN: 0xef15,
  BANK: 0xa001,
} as const;
export const KID = { RK: 0x01, UK: 0x02, HEALTH: 0x03, IAK: 0x04, RELOAD: 0x05, UNBLOCK: 0x06 } as const;
export const CARD_ID = '11000000000000000000000012345678';
export const CARD_NUMBER = 'A12345678';
export const PAN = '6217000000000000018';

/** Distinct, recognisable test keys (16 bytes each). */
export function testKey(kid: number): Uint8Array {
  return Uint8Array.from({ length: 16 }, (_, i) => (kid * 0x11 + i * 7) & 0xff);
}

export interface FixtureOptions {
  algorithm?: CardAlgorithm;
  appPolicy?: Partial<PinPolicy>;
  workRecords?: number;
}

export function workRecord(employer: string, start: string, name: string): Uint8Array {
  return concatBytes(encodeAn(employer, 7), encodeCn(start, 4), fromHex('FFFFFFFF'), encodeAn(name, 70));
}

export function allergyRecord(substance: string, reaction: string): Uint8Array {
  return concatBytes(encodeAn(substance, 20), encodeAn(reaction, 100));
}

/** Builds the test tree (a fresh one each call). */
export function buildTestTree(options: FixtureOptions = {}): MasterFile {
  const algorithm = options.algorithm ?? '3des';
  const mf = new MasterFile({ atrCardBytes: fromHex(CARD_ID.slice(16)) });
  const ssse = mf.addDf({ fid: FID.SSSE, dfName: SSSE_NAME, label: 'SSSE', cryptoAlgorithm: algorithm });
  ssse.addPin({ id: 'app', reference: 0x00, policy: options.appPolicy ?? {} });
  ssse.addKey({ id: KID.RK, algorithm, key: testKey(KID.RK), usage: 'external-auth' });
  ssse.addKey({ id: KID.UK, algorithm, key: testKey(KID.UK), usage: 'external-auth' });
  ssse.addKey({ id: KID.HEALTH, algorithm, key: testKey(KID.HEALTH), usage: 'external-auth' });
  ssse.addKey({ id: KID.IAK, algorithm, key: testKey(KID.IAK), usage: 'internal-auth' });
  ssse.addKey({ id: KID.RELOAD, algorithm, key: testKey(KID.RELOAD), usage: 'reload' });
  ssse.addKey({ id: KID.UNBLOCK, algorithm, key: testKey(KID.UNBLOCK), usage: 'unblock' });
  ssse.addEf({
    fid: FID.EF05,
    sfi: 5,
    label: 'EF05',
    structure: 'linear-variable',
    recordLength: 18,
    maxRecords: 7,
    records: [
      encodeSimpleTlv(0x01, encodeCn(CARD_ID, 16)),
      encodeSimpleTlv(0x02, encodeAn('3', 1)),
      encodeSimpleTlv(0x03, encodeAn('3.00', 4)),
      encodeSimpleTlv(0x04, encodeCn('110000000000', 12)),
      encodeSimpleTlv(0x05, encodeCn('20240101', 4)),
      encodeSimpleTlv(0x06, encodeCn('20340101', 4)),
      encodeSimpleTlv(0x07, encodeAn(CARD_NUMBER, 9)),
    ],
    read: ALWAYS,
    write: NEVER,
  });
  ssse.addEf({
    fid: FID.EF06,
    sfi: 6,
    label: 'EF06',
    structure: 'linear-variable',
    recordLength: 32,
    maxRecords: 3,
    records: [
      encodeSimpleTlv(0x08, encodeAn('110101199003077777', 18)),
      encodeSimpleTlv(0x09, encodeAn('张三', 30)),
      encodeSimpleTlv(0x4e, encodeAn('', 20)),
    ],
    read: afterKey(KID.RK),
    write: NEVER,
  });
  ssse.addEf({
    fid: FID.BIN,
    sfi: 21,
    structure: 'transparent',
    data: Uint8Array.from({ length: 40 }, (_, i) => i),
    read: ALWAYS,
    write: afterPin('app'),
  });
  const df02 = ssse.addDf({ fid: FID.DF02, label: 'DF02' });
  const works = options.workRecords ?? 2;
  df02.addEf({
    fid: FID.EF07,
    sfi: 7,
    label: 'work record',
    structure: 'cyclic',
    recordLength: 85,
    maxRecords: 4,
    records: Array.from({ length: works }, (_, i) =>
      workRecord(`E00000${works - i}`, `2010010${works - i}`, `单位${works - i}`),
    ),
    read: afterPinOrKey('app', KID.UK),
    write: afterKey(KID.UK),
  });
  const df10 = ssse.addDf({ fid: FID.DF10, label: 'DF10' });
  df10.addEf({
    fid: FID.HEALTH_EF07,
    sfi: 7,
    label: 'allergies',
    structure: 'cyclic',
    recordLength: 120,
    maxRecords: 3,
    records: [allergyRecord('青霉素', '皮疹')],
    read: afterPin('app'),
    write: afterKey(KID.HEALTH),
  });
  df10.addEf({
    fid: 0xef09,
    sfi: 9,
    label: 'linear test file',
    structure: 'linear-fixed',
    recordLength: 4,
    maxRecords: 3,
    records: [fromHex('01010101'), fromHex('02020202')],
    read: afterPin('app'),
    write: afterPin('app'),
  });
  const bank = mf.addDf({ fid: FID.BANK, dfName: BANK_AID, label: 'bank' });
  bank.addPin({ id: 'bank', reference: 0x80, format: 'iso9564-format2', policy: { initialPin: '888888' } });
  bank.addEf({
    fid: 0xef01,
    sfi: 1,
    structure: 'linear-variable',
    recordLength: 64,
    maxRecords: 1,
    records: [
      encodeBerTlv(
        0x70,
        concatBytes(encodeBerTlv(0x5a, fromHex(`${PAN}F`)), encodeBerTlv(0x5f20, encodeAn('ZHANG/SAN', 9))),
      ),
    ],
    read: ALWAYS,
    write: NEVER,
  });
  return mf;
}

/** A powered test card. */
export function testCard(options: FixtureOptions & Omit<Partial<SimulatedCardOptions>, 'tree'> = {}): SimulatedCard {
  const { algorithm, appPolicy, workRecords, ...cardOptions } = options;
  const fixture: FixtureOptions = {};
  if (algorithm !== undefined) fixture.algorithm = algorithm;
  if (appPolicy !== undefined) fixture.appPolicy = appPolicy;
  if (workRecords !== undefined) fixture.workRecords = workRecords;
  const card = new SimulatedCard({ ...cardOptions, tree: buildTestTree(fixture) });
  card.powerOn();
  return card;
}

/**
 * A new test card (see testCard, made with `options`) with SSSE selected, after `steps`: each
 * step answered the status word it lists.
 */
export function ssseAfter(
  steps: readonly TranscriptStep[],
  options: Parameters<typeof testCard>[0] = {},
): SimulatedCard {
  const card = ssseCard(options);
  expectTranscript(card, steps);
  return card;
}

/** A new test card (see testCard, made with `options`) with SSSE selected. */
export function ssseCard(options: Parameters<typeof testCard>[0] = {}): SimulatedCard {
  const card = testCard(options);
  selectSsse(card);
  return card;
}

export function hex(bytes: Uint8Array): string {
  return toHex(bytes);
}

/** SELECT SSSE by name with Le 00, asking for its FCI (a case 3 SELECT gets no data on T=1). */
export function selectSsse(card: SimulatedCard): ResponseApdu {
  return send(card, concatBytes(fromHex('00A40400'), Uint8Array.of(SSSE_NAME.length), SSSE_NAME, Uint8Array.of(0x00)));
}

/** SELECT of the bank application by AID with Le 00 (its FCI). */
export function selectBank(card: SimulatedCard): ResponseApdu {
  return send(card, concatBytes(fromHex('00A40400'), Uint8Array.of(BANK_AID.length), BANK_AID, Uint8Array.of(0x00)));
}

/**
 * Reference cryptogram, computed here with node:crypto directly (not with the card's own functions):
 * the challenge zero-padded to one block, ECB-enciphered (3DES 2-key or SM4).
 */
export function referenceCryptogram(algorithm: CardAlgorithm, key: Uint8Array, challenge: Uint8Array): Uint8Array {
  const block = new Uint8Array(algorithm === 'sm4' ? 16 : 8);
  block.set(challenge);
  const c = createCipheriv(algorithm === 'sm4' ? 'sm4-ecb' : 'des-ede-ecb', key, null);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(block), c.final()]));
}

/** GET CHALLENGE 8 + EXTERNAL AUTHENTICATE with the test key `kid`; returns the SW of the latter. */
export function externalAuth(
  card: SimulatedCard,
  kid: number,
  algorithm: CardAlgorithm = '3des',
  key = testKey(kid),
): number {
  const ch = send(card, '0084000008');
  if (ch.sw !== 0x9000) return ch.sw;
  const crypt = referenceCryptogram(algorithm, key, ch.data);
  return send(card, concatBytes(Uint8Array.of(0x00, 0x82, 0x00, kid, crypt.length), crypt)).sw;
}

/** Builds an APDU from a header (hex) and data: header || Lc || data [|| Le]. */
export function apdu(header: string, data: Uint8Array, le?: number): Uint8Array {
  const parts = [fromHex(header), Uint8Array.of(data.length), data];
  if (le !== undefined) parts.push(Uint8Array.of(le));
  return concatBytes(...parts);
}
