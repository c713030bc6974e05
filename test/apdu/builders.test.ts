import { describe, expect, it } from 'vitest';
import {
  ApduEncodeError,
  appendRecord,
  applicationBlock,
  applicationUnblock,
  cardBlock,
  changePin,
  changeReferenceData,
  encodeCommand,
  externalAuthenticate,
  fromHex,
  getChallenge,
  getData,
  getProcessingOptions,
  getResponse,
  internalAuthenticate,
  pinChangeScript,
  pinUnblock,
  readBinary,
  readRecord,
  readRecordByTag,
  reloadPin,
  secureMessagingHeader,
  select,
  selectByFid,
  selectByName,
  selectEf,
  toHex,
  updateBinary,
  updateCyclicRecord,
  updateRecord,
  verify,
  verifyStatus,
  withMac,
  type CommandApdu,
} from '../../src/apdu/index.js';
import { expectThrowsClass } from '../support/throws.js';

const hex = (cmd: CommandApdu): string => toHex(encodeCommand(cmd));
const SSSE = fromHex('7378312E73682EC9E7BBE1B1A3D5CF');
const MAC = fromHex('11223344');

describe('command builders encode as card profile §4 and §5 give them', () => {
  it.each<[string, CommandApdu, string]>([
    ['SELECT SSSE by name', selectByName(SSSE), '00A404000F7378312E73682EC9E7BBE1B1A3D5CF00'],
    ['SELECT bank AID', selectByName(fromHex('A000000333010101')), '00A4040008A00000033301010100'],
    ['SELECT DF10 by FID', selectByFid(0xdf10), '00A4000C02DF10'],
    ['SELECT EF08 under the current DF', selectEf(0xef08), '00A4020C02EF08'],
    ['SELECT, general form', select(0x00, 0x00, fromHex('EF05')), '00A4000002EF05'],
    ['READ RECORD n of SFI 5', readRecord(3, { sfi: 5 }), '00B2032C00'],
    ['READ RECORD of the current EF', readRecord(1), '00B2010400'],
    ['READ RECORD with an exact Le', readRecord(1, { sfi: 7, ne: 85 }), '00B2013C55'],
    ['READ RECORD by tag of SFI 5', readRecordByTag(0x03, { sfi: 5 }), '00B2032800'],
    ['READ RECORD by tag of the current EF', readRecordByTag(0x09), '00B2090000'],
    ['bank record: SFI 2 record 1', readRecord(1, { sfi: 2 }), '00B2011400'],
    ['UPDATE RECORD n', updateRecord(2, fromHex('AABB'), { sfi: 6 }), '00DC023402AABB'],
    ['UPDATE RECORD, new record 1 of a cyclic EF', updateCyclicRecord(fromHex('AABB')), '00DC000302AABB'],
    ['APPEND RECORD', appendRecord(fromHex('AA'), { sfi: 8 }), '00E2004001AA'],
    ['READ BINARY of the PKI key file', readBinary({ ne: 0x42 }), '00B0000042'],
    ['READ BINARY at an offset', readBinary({ offset: 0x0123 }), '00B0012300'],
    ['READ BINARY by SFI', readBinary({ sfi: 0x16, offset: 4 }), '00B0960400'],
    ['UPDATE BINARY', updateBinary(fromHex('0102'), { offset: 16 }), '00D6001002' + '0102'],
    ['VERIFY application PIN', verify(0x00, fromHex('123456')), '0020000003123456'],
    ['VERIFY bank PIN', verify(0x80, fromHex('26123456FFFFFFFF')), '002000800826123456FFFFFFFF'],
    ['empty VERIFY', verifyStatus(0x00), '00200000'],
    ['CHANGE REFERENCE DATA', changeReferenceData(0x00, fromHex('123456654321')), '0024000006123456654321'],
    ['CHANGE PIN', changePin(fromHex('123456FF654321')), '805E010007123456FF654321'],
    ['RELOAD PIN', reloadPin(fromHex('12345611223344')), '805E00000712345611223344'],
    ['PIN UNBLOCK', pinUnblock(fromHex('0102030405060708' + '11223344')), '842400000C010203040506070811223344'],
    ['GET CHALLENGE 8', getChallenge(), '0084000008'],
    ['GET CHALLENGE 4', getChallenge(4), '0084000004'],
    [
      'EXTERNAL AUTHENTICATE with RKSSSE',
      externalAuthenticate(0x0a, fromHex('0102030405060708')),
      '008200 0A 08 0102030405060708'.replaceAll(' ', ''),
    ],
    ['INTERNAL AUTHENTICATE', internalAuthenticate(fromHex('00'.repeat(16))), '0088000010' + '00'.repeat(16) + '00'],
    ['GET RESPONSE', getResponse(0x1c), '00C000001C'],
    ['GET RESPONSE on logical channel 1', getResponse(0x10, 0x01), '01C0000010'],
    ['GET DATA 9F17 (bank)', getData(0x9f17, 0x80), '80CA9F1700'],
    ['GET DATA, ISO class', getData(0x5f20), '00CA5F2000'],
    ['GET PROCESSING OPTIONS, no PDOL', getProcessingOptions(), '80A8000002830000'],
    ['GET PROCESSING OPTIONS, PDOL data', getProcessingOptions(fromHex('00000001')), '80A800000683040000000100'],
    ['APPLICATION BLOCK temporary', applicationBlock(false, MAC), '841E00000411223344'],
    ['APPLICATION BLOCK permanent', applicationBlock(true, MAC), '841E00010411223344'],
    ['APPLICATION UNBLOCK', applicationUnblock(MAC), '841800000411223344'],
    ['CARD BLOCK', cardBlock(MAC), '841600000411223344'],
  ])('%s', (_what, cmd, expected) => {
    expect(hex(cmd)).toBe(expected);
  });
});

describe('secure messaging', () => {
  it('sets CLA b4-b3 to 01 and appends the MAC: 00 -> 04, 80 -> 84', () => {
    const write = updateCyclicRecord(fromHex('AABB'));
    expect(toHex(secureMessagingHeader(write))).toBe('04DC0003');
    expect(hex(withMac(write, MAC))).toBe('04DC000306AABB11223344');
    expect(toHex(secureMessagingHeader(changePin(fromHex('00'))))).toBe('845E0100');
  });

  it('leaves the command it was given as it was', () => {
    const write = updateCyclicRecord(fromHex('AABB'));
    withMac(write, MAC);
    expect(hex(write)).toBe('00DC000302AABB');
  });
});

describe('argument checks', () => {
  it.each<[string, () => CommandApdu, RegExp]>([
    ['record number 0', () => readRecord(0), /record number must be an integer 1\.\.254, got 0/],
    ['record number 255', () => updateRecord(255, fromHex('00')), /record number/],
    ['SFI 31', () => readRecord(1, { sfi: 31 }), /SFI must be an integer 1\.\.30, got 31/],
    ['SFI 0', () => appendRecord(fromHex('00'), { sfi: 0 }), /SFI/],
    ['file id above FFFF', () => selectByFid(0x10000), /file id/],
    ['offset above 7FFF', () => readBinary({ offset: 0x8000 }), /offset/],
    ['offset above FF with an SFI', () => readBinary({ sfi: 1, offset: 0x100 }), /offset with an SFI/],
    ['key id 256', () => externalAuthenticate(256, fromHex('00')), /key id/],
    ['challenge length 0', () => getChallenge(0), /challenge length/],
    ['GET DATA tag above FFFF', () => getData(0x10000), /GET DATA tag/],
  ])('%s is an ApduEncodeError', (_what, build, message) => {
    expect(build).toThrow(ApduEncodeError);
    expect(build).toThrow(message);
  });
});

// Every range a builder checks, at both ends: the bound itself is encoded, one past it (and a
// fraction) is an ApduEncodeError naming the range.

const DATA = fromHex('0102030405060708');

describe('commands without Le', () => {
  it('have no ne key at all, so they encode without an Le field', () => {
    for (const cmd of [updateRecord(1, fromHex('01')), verify(0, fromHex('123456')), appendRecord(fromHex('01'))]) {
      expect('ne' in cmd).toBe(false);
    }
  });
});

describe('builder ranges at their bounds', () => {
  it.each<[string, () => CommandApdu, string]>([
    ['record number 1 of SFI 1', () => readRecord(1, { sfi: 1 }), '00B2010C00'],
    ['record number 254 of SFI 30', () => readRecord(254, { sfi: 30 }), '00B2FEF400'],
    ['record tag 1', () => readRecordByTag(1), '00B2010000'],
    ['record tag 254', () => readRecordByTag(254), '00B2FE0000'],
    ['file id 0000', () => selectByFid(0), '00A4000C020000'],
    ['file id FFFF', () => selectByFid(0xffff), '00A4000C02FFFF'],
    ['offset 7FFF', () => readBinary({ offset: 0x7fff }), '00B07FFF00'],
    ['offset FF with SFI 30', () => readBinary({ sfi: 30, offset: 0xff }), '00B09EFF00'],
    ['offset 0 with SFI 1', () => updateBinary(fromHex('AA'), { sfi: 1 }), '00D6810001AA'],
    ['PIN reference FF', () => verifyStatus(0xff), '002000FF'],
    ['challenge length 256', () => getChallenge(256), '0084000000'],
    ['challenge length 1', () => getChallenge(1), '0084000001'],
    ['GET DATA tag 0000', () => getData(0), '00CA000000'],
    ['GET DATA tag FFFF', () => getData(0xffff), '00CAFFFF00'],
    ['INTERNAL AUTHENTICATE key FF', () => internalAuthenticate(DATA, 0xff), '008800FF08010203040506070800'],
    ['PIN change script', () => pinChangeScript(DATA), '845E01000801020304050607' + '08'],
    ['PIN change script, reference 80', () => pinChangeScript(DATA, 0x80), '845E018008' + '0102030405060708'],
    [
      'GET PROCESSING OPTIONS with 7F bytes of PDOL data',
      () => getProcessingOptions(new Uint8Array(0x7f)),
      '80A8000081837F' + '00'.repeat(0x7f) + '00',
    ],
  ])('%s is encoded', (_what, build, expected) => {
    expect(hex(build())).toBe(expected);
  });

  it.each<[string, () => CommandApdu, RegExp]>([
    ['record number 1.5', () => readRecord(1.5), /record number must be an integer 1\.\.254, got 1.5/],
    ['record tag 0', () => readRecordByTag(0), /record tag must be an integer 1\.\.254, got 0/],
    ['record tag 255', () => readRecordByTag(255), /record tag/],
    ['SFI 30.5', () => readRecord(1, { sfi: 30.5 }), /SFI must be an integer 1\.\.30/],
    ['SFI 0 for READ BINARY', () => readBinary({ sfi: 0 }), /SFI must be an integer 1\.\.30, got 0/],
    ['SFI 31 for READ BINARY', () => readBinary({ sfi: 31 }), /SFI/],
    ['file id -1', () => selectByFid(-1), /file id must be an integer 0\.\.65535, got -1/],
    ['offset -1', () => readBinary({ offset: -1 }), /offset must be an integer 0\.\.32767/],
    [
      'offset -1 with an SFI',
      () => readBinary({ sfi: 1, offset: -1 }),
      /offset with an SFI must be an integer 0\.\.255/,
    ],
    ['VERIFY reference 256', () => verify(256, DATA), /PIN reference must be an integer 0\.\.255, got 256/],
    ['VERIFY reference -1', () => verifyStatus(-1), /PIN reference/],
    ['CHANGE REFERENCE DATA reference 256', () => changeReferenceData(256, DATA), /PIN reference/],
    ['RELOAD PIN reference 256', () => reloadPin(DATA, 256), /PIN reference/],
    ['PIN UNBLOCK reference 256', () => pinUnblock(DATA, 256), /PIN reference/],
    ['PIN change script reference 256', () => pinChangeScript(DATA, 256), /PIN reference/],
    ['INTERNAL AUTHENTICATE key 256', () => internalAuthenticate(DATA, 256), /key id must be an integer 0\.\.255/],
    ['challenge length 257', () => getChallenge(257), /challenge length must be an integer 1\.\.256/],
    ['GET DATA tag -1', () => getData(-1), /GET DATA tag/],
    [
      'GET PROCESSING OPTIONS with 80 bytes of PDOL data',
      () => getProcessingOptions(new Uint8Array(0x80)),
      /PDOL data length must be an integer 0\.\.127, got 128/,
    ],
  ])('%s is an ApduEncodeError', (_what, build, message) => {
    expectThrowsClass(build, ApduEncodeError, message);
  });
});
