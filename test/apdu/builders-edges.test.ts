import { describe, expect, it } from 'vitest';
import {
  ApduEncodeError,
  changeReferenceData,
  encodeCommand,
  fromHex,
  getChallenge,
  getData,
  getProcessingOptions,
  internalAuthenticate,
  pinChangeScript,
  pinUnblock,
  readBinary,
  readRecord,
  readRecordByTag,
  reloadPin,
  selectByFid,
  toHex,
  updateBinary,
  verify,
  verifyStatus,
  type CommandApdu,
} from '../../src/apdu/index.js';
import { expectThrowsClass } from '../support/throws.js';

// Every range a builder checks, at both ends: the bound itself is encoded, one past it (and a
// fraction) is an ApduEncodeError naming the range.

const hex = (cmd: CommandApdu): string => toHex(encodeCommand(cmd));
const DATA = fromHex('0102030405060708');

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
