import { CLA } from './cla.js';
import type { CommandApdu } from './command.js';
import { ApduEncodeError } from './errors.js';
import { concatBytes } from './hex.js';
import { INS } from './ins.js';

/*
 * Command builders in the spirit of OpenSC's sc_format_apdu: one small function per command that
 * returns the CommandApdu, so no caller writes INS, P1 or P2 bytes by hand. Encodings as card
 * profile §4 and §5 give them. The builders take the bytes they are given by reference (they do
 * not copy PIN data), so a caller that wipes its buffer after sending wipes the command too.
 */

/** Ne of "give me whatever there is": Le 00 in the short form. */
const ANY_LENGTH = 256;

const EMPTY = new Uint8Array(0);

function command(cla: number, ins: number, p1: number, p2: number, data: Uint8Array = EMPTY, ne?: number): CommandApdu {
  const cmd: CommandApdu = { cla, ins, p1, p2, data };
  if (ne !== undefined) cmd.ne = ne;
  return cmd;
}

function checkRange(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ApduEncodeError(`${name} must be an integer ${min}..${max}, got ${String(value)}`);
  }
  return value;
}

/** A short file id (1..30) shifted into the high five bits of a record command's P2; 0 = current EF. */
function sfiBits(sfi: number | undefined): number {
  return sfi === undefined ? 0 : checkRange('SFI', sfi, 1, 30) << 3;
}

/** The 2-byte file id of a SELECT by FID. */
function fidBytes(fid: number): Uint8Array {
  checkRange('file id', fid, 0, 0xffff);
  return Uint8Array.of(fid >> 8, fid & 0xff);
}

/** SELECT P1: how the data names the file (ISO 7816-4 §11.1.1). */
export const SELECT_BY = Object.freeze({
  FILE_ID: 0x00,
  CHILD_DF: 0x01,
  EF_UNDER_CURRENT_DF: 0x02,
  PARENT_DF: 0x03,
  DF_NAME: 0x04,
  PATH_FROM_MF: 0x08,
  PATH_FROM_CURRENT_DF: 0x09,
});

/** SELECT P2 b4-b3: what the card answers with; 0C = no response data. */
export const SELECT_ANSWER = Object.freeze({ FCI: 0x00, FCP: 0x04, FMD: 0x08, NONE: 0x0c });

/** SELECT `00 A4 P1 P2 [Lc data] [Le]`: the general form, for selections the others do not cover. */
export function select(p1: number, p2: number, data: Uint8Array, ne?: number): CommandApdu {
  return command(CLA.ISO, INS.SELECT, p1, p2, data, ne);
}

/** SELECT by DF name (an application) `00 A4 04 00 Lc name 00`, asking for the FCI. */
export function selectByName(dfName: Uint8Array): CommandApdu {
  return select(SELECT_BY.DF_NAME, SELECT_ANSWER.FCI, dfName, ANY_LENGTH);
}

/** SELECT by file id `00 A4 00 0C 02 fid`, no response data (DF02, DF10 under SSSE). */
export function selectByFid(fid: number): CommandApdu {
  return select(SELECT_BY.FILE_ID, SELECT_ANSWER.NONE, fidBytes(fid));
}

/** SELECT of an EF under the current DF `00 A4 02 0C 02 fid`, no response data. */
export function selectEf(fid: number): CommandApdu {
  return select(SELECT_BY.EF_UNDER_CURRENT_DF, SELECT_ANSWER.NONE, fidBytes(fid));
}

/** Where a record command finds its file: by short file id, or the current EF when absent. */
export interface RecordFile {
  sfi?: number;
}

/** READ RECORD `00 B2 n (SFI<<3 | 4) 00`: record n, the whole record (Le 00 unless `ne` is given). */
export function readRecord(recordNumber: number, opts: RecordFile & { ne?: number } = {}): CommandApdu {
  const p1 = checkRange('record number', recordNumber, 1, 254);
  return command(CLA.ISO, INS.READ_RECORD, p1, sfiBits(opts.sfi) | 0x04, EMPTY, opts.ne ?? ANY_LENGTH);
}

/** READ RECORD `00 B2 tag (SFI<<3 | 0) 00`: the first record whose identifier (TLV tag) is `tag`. */
export function readRecordByTag(tag: number, opts: RecordFile & { ne?: number } = {}): CommandApdu {
  const p1 = checkRange('record tag', tag, 1, 254);
  return command(CLA.ISO, INS.READ_RECORD, p1, sfiBits(opts.sfi), EMPTY, opts.ne ?? ANY_LENGTH);
}

/** UPDATE RECORD `00 DC n (SFI<<3 | 4) Lc data`: overwrites record n. */
export function updateRecord(recordNumber: number, data: Uint8Array, opts: RecordFile = {}): CommandApdu {
  const p1 = checkRange('record number', recordNumber, 1, 254);
  return command(CLA.ISO, INS.UPDATE_RECORD, p1, sfiBits(opts.sfi) | 0x04, data);
}

/**
 * UPDATE RECORD `00 DC 00 (SFI<<3 | 3) Lc data` on a cyclic file: the "previous" record mode, which
 * writes over the oldest record and makes it record 1, the newest.
 */
export function updateCyclicRecord(data: Uint8Array, opts: RecordFile = {}): CommandApdu {
  return command(CLA.ISO, INS.UPDATE_RECORD, 0x00, sfiBits(opts.sfi) | 0x03, data);
}

/** APPEND RECORD `00 E2 00 (SFI<<3) Lc data`. */
export function appendRecord(data: Uint8Array, opts: RecordFile = {}): CommandApdu {
  return command(CLA.ISO, INS.APPEND_RECORD, 0x00, sfiBits(opts.sfi), data);
}

/** Where a binary command reads or writes: an offset in the current EF, or in the EF with this SFI. */
export interface BinaryPosition {
  offset?: number;
  sfi?: number;
}

/** P1 P2 of READ/UPDATE BINARY: a 15-bit offset, or `1 0 0 sfi` and an 8-bit offset. */
function binaryP1P2(pos: BinaryPosition): [number, number] {
  if (pos.sfi === undefined) {
    const offset = checkRange('offset', pos.offset ?? 0, 0, 0x7fff);
    return [offset >> 8, offset & 0xff];
  }
  return [0x80 | checkRange('SFI', pos.sfi, 1, 30), checkRange('offset with an SFI', pos.offset ?? 0, 0, 0xff)];
}

/** READ BINARY `00 B0 P1 P2 Le` (Le 00 unless `ne` is given). */
export function readBinary(opts: BinaryPosition & { ne?: number } = {}): CommandApdu {
  const [p1, p2] = binaryP1P2(opts);
  return command(CLA.ISO, INS.READ_BINARY, p1, p2, EMPTY, opts.ne ?? ANY_LENGTH);
}

/** UPDATE BINARY `00 D6 P1 P2 Lc data`. */
export function updateBinary(data: Uint8Array, opts: BinaryPosition = {}): CommandApdu {
  const [p1, p2] = binaryP1P2(opts);
  return command(CLA.ISO, INS.UPDATE_BINARY, p1, p2, data);
}

/** P2 of the PIN commands that name their PIN: 00 the application PIN, 80 the bank PIN. */
function pinReference(reference: number): number {
  return checkRange('PIN reference', reference, 0, 0xff);
}

/**
 * VERIFY `00 20 00 ref Lc pinData`. On the SSC (records' SSC_PINS): ref 00 the application PIN as
 * BCD, ref 80 the bank PIN as an ISO 9564 format-2 block.
 */
export function verify(reference: number, pinData: Uint8Array): CommandApdu {
  return command(CLA.ISO, INS.VERIFY, 0x00, pinReference(reference), pinData);
}

/** Empty VERIFY `00 20 00 ref`: the PIN's state (63Cx tries left, 9000 verified, 6983 blocked). */
export function verifyStatus(reference: number): CommandApdu {
  return command(CLA.ISO, INS.VERIFY, 0x00, pinReference(reference));
}

/** ISO CHANGE REFERENCE DATA `00 24 00 ref Lc old ‖ new`. */
export function changeReferenceData(reference: number, data: Uint8Array): CommandApdu {
  return command(CLA.ISO, INS.CHANGE_REFERENCE_DATA, 0x00, pinReference(reference), data);
}

/** The SSC's CHANGE PIN `80 5E 01 00 Lc old ‖ FF ‖ new` (see pin's encodeChangePinData). */
export function changePin(data: Uint8Array): CommandApdu {
  return command(CLA.PROPRIETARY, INS.CHANGE_PIN, 0x01, 0x00, data);
}

/**
 * RELOAD PIN `80 5E 00 ref Lc PIN ‖ MAC4` (service window, reload key): ref 00 the application PIN
 * (BCD), ref 80 the bank PIN (format-2 block).
 */
export function reloadPin(pinAndMac: Uint8Array, reference = 0x00): CommandApdu {
  return command(CLA.PROPRIETARY, INS.RELOAD_PIN, 0x00, pinReference(reference), pinAndMac);
}

/**
 * PIN UNBLOCK `84 24 00 ref Lc [enciphered PIN block] ‖ MAC4` (service window, challenge-based MAC):
 * MAC alone keeps the PIN, with a PIN block the card sets (ref 00) or checks (ref 80, bank) it.
 */
export function pinUnblock(blockAndMac: Uint8Array, reference = 0x00): CommandApdu {
  return command(CLA.PROPRIETARY_SM, INS.PIN_UNBLOCK, 0x00, pinReference(reference), blockAndMac);
}

/**
 * The issuer's PIN change script `84 5E 01 ref Lc E(R ‖ PB(current) ‖ PB(new)) ‖ MAC4` (made by
 * the office's secure module, applied by an online terminal; see src/keys encipherPinChange).
 */
export function pinChangeScript(cryptogramAndMac: Uint8Array, reference = 0x00): CommandApdu {
  return command(CLA.PROPRIETARY_SM, INS.CHANGE_PIN, 0x01, pinReference(reference), cryptogramAndMac);
}

/** GET CHALLENGE `00 84 00 00 Le` (8 by default; the SSC also answers 4). */
export function getChallenge(length = 8): CommandApdu {
  return command(CLA.ISO, INS.GET_CHALLENGE, 0x00, 0x00, EMPTY, checkRange('challenge length', length, 1, 256));
}

/** EXTERNAL AUTHENTICATE `00 82 00 kid Lc cryptogram`. */
export function externalAuthenticate(keyId: number, cryptogram: Uint8Array): CommandApdu {
  return command(CLA.ISO, INS.EXTERNAL_AUTHENTICATE, 0x00, checkRange('key id', keyId, 0, 0xff), cryptogram);
}

/** INTERNAL AUTHENTICATE `00 88 00 kid Lc data 00` (kid 00: the card's default key). */
export function internalAuthenticate(data: Uint8Array, keyId = 0x00): CommandApdu {
  return command(CLA.ISO, INS.INTERNAL_AUTHENTICATE, 0x00, checkRange('key id', keyId, 0, 0xff), data, ANY_LENGTH);
}

/** GET RESPONSE `CLA C0 00 00 Le`; `cla` carries the logical channel of the command it continues. */
export function getResponse(ne: number, cla: number = CLA.ISO): CommandApdu {
  return command(cla, INS.GET_RESPONSE, 0x00, 0x00, EMPTY, ne);
}

/**
 * GET DATA `CLA CA tag-hi tag-lo 00` for a one- or two-byte tag. ISO's class is 00; the bank
 * application's (PBOC) is 80, e.g. `80 CA 9F 17` for the PIN try counter.
 */
export function getData(tag: number, cla: number = CLA.ISO): CommandApdu {
  checkRange('GET DATA tag', tag, 0, 0xffff);
  return command(cla, INS.GET_DATA, tag >> 8, tag & 0xff, EMPTY, ANY_LENGTH);
}

/**
 * GET PROCESSING OPTIONS `80 A8 00 00 Lc 83 L <PDOL data> 00` (PBOC / EMV): starts a transaction
 * in the selected payment application; `pdolData` is the terminal's data for the card's PDOL
 * (FCI tag 9F38), empty when the card has none (`80 A8 00 00 02 83 00 00`).
 */
export function getProcessingOptions(pdolData: Uint8Array = EMPTY): CommandApdu {
  checkRange('PDOL data length', pdolData.length, 0, 0x7f);
  const template = concatBytes(Uint8Array.of(0x83, pdolData.length), pdolData);
  return command(CLA.PROPRIETARY, INS.GET_PROCESSING_OPTIONS, 0x00, 0x00, template, ANY_LENGTH);
}

/** APPLICATION BLOCK `84 1E 00 {00 temporary | 01 permanent} 04 MAC4`. */
export function applicationBlock(permanent: boolean, mac: Uint8Array): CommandApdu {
  return command(CLA.PROPRIETARY_SM, INS.APPLICATION_BLOCK, 0x00, permanent ? 0x01 : 0x00, mac);
}

/** APPLICATION UNBLOCK `84 18 00 00 04 MAC4`. */
export function applicationUnblock(mac: Uint8Array): CommandApdu {
  return command(CLA.PROPRIETARY_SM, INS.APPLICATION_UNBLOCK, 0x00, 0x00, mac);
}

/** CARD BLOCK `84 16 00 00 04 MAC4`: final. */
export function cardBlock(mac: Uint8Array): CommandApdu {
  return command(CLA.PROPRIETARY_SM, INS.CARD_BLOCK, 0x00, 0x00, mac);
}

/** The class byte of `cla` sent with secure messaging: 00 -> 04, 80 -> 84 (b4-b3 = 01). */
export function secureMessagingCla(cla: number): number {
  return (cla & ~0x0c) | 0x04;
}

/** The header a command MAC covers: the secure-messaging CLA, INS, P1, P2. */
export function secureMessagingHeader(cmd: CommandApdu): Uint8Array {
  return Uint8Array.of(secureMessagingCla(cmd.cla), cmd.ins, cmd.p1, cmd.p2);
}

/** `cmd` sent with secure messaging: its CLA with b4-b3 = 01 and data ‖ MAC4. */
export function withMac(cmd: CommandApdu, mac: Uint8Array): CommandApdu {
  return { ...cmd, cla: secureMessagingCla(cmd.cla), data: concatBytes(cmd.data, mac) };
}
