import { SW, StatusWordError } from '../../../apdu/index.js';
import { MAC_LENGTH } from '../../../keys/index.js';
import { RecordFile, type ElementaryFile } from '../../fs/elementary-files.js';
import type { CardCommand, CardContext, HandlerResult } from '../context.js';
import { CLA_SM, checkCommandMac, macKeyForRead, macKeyForWrite } from '../secure-messaging.js';
import type { CardKey } from '../../fs/keys.js';

/** The current EF (6986 when none is selected). */
function currentEf(ctx: CardContext): ElementaryFile {
  const ef = ctx.currentEf;
  if (ef === undefined) throw new StatusWordError(SW.NO_CURRENT_EF, 'no current EF');
  return ef;
}

/** The EF with this SFI in the current DF (6A82 when absent); it becomes the current EF on success. */
function efBySfi(ctx: CardContext, sfi: number): ElementaryFile {
  const ef = ctx.currentDf.efBySfi(sfi);
  if (ef === undefined) throw new StatusWordError(SW.FILE_NOT_FOUND, `no EF with SFI ${sfi}`);
  return ef;
}

function requireRead(ctx: CardContext, ef: ElementaryFile): void {
  if (!ctx.isSatisfied(ef, ef.read)) throw new StatusWordError(SW.SECURITY_STATUS_NOT_SATISFIED, 'read not allowed');
}

/** A write command's data must hold at least one byte, plus the MAC when sent with secure messaging. */
function requireWriteData(cmd: CardCommand, what: string): void {
  const min = cmd.cla === CLA_SM ? MAC_LENGTH + 1 : 1;
  if (cmd.data.length < min) {
    throw new StatusWordError(
      SW.WRONG_LENGTH,
      cmd.cla === CLA_SM ? `${what} needs data || MAC4` : `${what} needs data`,
    );
  }
}

/**
 * Checks the write condition of `ef` for this command and returns the data to write.
 *
 * Plain command (CLA 00): the condition must hold as is; 'key-and-mac' never does (6982).
 * Project choice: a plain command where the file demands secure messaging answers 6982 (security
 * status not satisfied), not 6987/6988: nothing in it is a wrong MAC, the terminal just lacks the
 * right to write this way, and POS software already reads 6982 as "not allowed".
 *
 * Secure messaging (CLA 04, data || MAC4): the MAC is checked first with the key the write
 * condition names (see macKeyForWrite and checkCommandMac: the pending GET CHALLENGE is the IV and
 * is used up, none: 6984; blocked key: 6983; a bad MAC spends a try of that key, durably before
 * the comparison, like the lifecycle commands: 6988), as the SM layer of a card does before the
 * command runs; then the condition, now with the verified MAC (6982 when it still does not hold,
 * e.g. no EXTERNAL AUTHENTICATE). A bad MAC also ends the key's authentication. Any write
 * condition naming a key accepts a MAC'd write, so a terminal may protect any keyed write;
 * 'key-and-mac' accepts nothing else.
 */
function writableData(ctx: CardContext, cmd: CardCommand, ef: ElementaryFile): Uint8Array {
  if (cmd.cla !== CLA_SM) {
    if (!ctx.isSatisfied(ef, ef.write))
      throw new StatusWordError(SW.SECURITY_STATUS_NOT_SATISFIED, 'write not allowed');
    return cmd.data;
  }
  const key = macKeyForWrite(ctx, ef);
  const data = checkFileCommandMac(ctx, cmd, key);
  if (!ctx.isSatisfied(ef, ef.write, key))
    throw new StatusWordError(SW.SECURITY_STATUS_NOT_SATISFIED, 'write not allowed');
  return data;
}

/** checkCommandMac for a file command; a bad MAC also ends the key's EXTERNAL AUTHENTICATE. */
function checkFileCommandMac(ctx: CardContext, cmd: CardCommand, key: CardKey): Uint8Array {
  try {
    return checkCommandMac(ctx, cmd, key, 'required');
  } catch (error) {
    // Project choice: a bad MAC also ends the key's EXTERNAL AUTHENTICATE, so a session in which
    // one forged command showed up has to authenticate again before the next write.
    if (error instanceof StatusWordError && error.sw === SW.SM_INCORRECT) ctx.authenticatedKeys.delete(key);
    throw error;
  }
}

/** Le 00 (short) / 0000 (extended): "as much as there is". */
function isMaxLe(cmd: CardCommand): boolean {
  return cmd.ne === 65536 || (cmd.ne === 256 && !cmd.extended);
}

/**
 * Addressing of READ/UPDATE BINARY: P1 b8=1 means P1 b5-b1 is an SFI and P2 the offset (b7-b6
 * must be 0); otherwise P1-P2 is a 15-bit offset into the current EF.
 */
function binaryTarget(ctx: CardContext, cmd: CardCommand): { ef: ElementaryFile; offset: number } {
  if ((cmd.p1 & 0x80) !== 0) {
    const sfi = cmd.p1 & 0x1f;
    if ((cmd.p1 & 0x60) !== 0 || sfi === 0 || sfi === 31) throw new StatusWordError(SW.INCORRECT_P1P2, 'bad SFI in P1');
    return { ef: efBySfi(ctx, sfi), offset: cmd.p2 };
  }
  return { ef: currentEf(ctx), offset: (cmd.p1 << 8) | cmd.p2 };
}

/**
 * READ BINARY `00 B0`: returns up to Ne bytes from the offset. Le 00 returns what is there (at
 * most 256); an explicit Le beyond the end returns the rest with 6282. An offset at or beyond the
 * end is 6B00.
 */
export function readBinary(ctx: CardContext, cmd: CardCommand): HandlerResult {
  if (cmd.data.length > 0 || cmd.ne === undefined)
    throw new StatusWordError(SW.WRONG_LENGTH, 'READ BINARY takes only Le');
  const { ef: target, offset } = binaryTarget(ctx, cmd);
  const ef = target.asTransparentFile();
  requireRead(ctx, ef);
  const contents = ef.data;
  if (offset >= contents.length) throw new StatusWordError(SW.WRONG_P1P2_OFFSET, 'offset outside the EF');
  ctx.useEf(ef);
  const available = contents.length - offset;
  if (isMaxLe(cmd)) return { data: contents.subarray(offset, offset + Math.min(available, cmd.ne)) };
  if (cmd.ne > available) return { data: contents.subarray(offset), sw: SW.WARNING_EOF };
  return { data: contents.subarray(offset, offset + cmd.ne) };
}

/**
 * UPDATE BINARY `00 D6` (or `04 D6` with data || MAC4, see writableData): writes the data at the
 * offset (6700 when it would overrun the EF).
 */
export function updateBinary(ctx: CardContext, cmd: CardCommand): HandlerResult {
  requireWriteData(cmd, 'UPDATE BINARY');
  const { ef: target, offset } = binaryTarget(ctx, cmd);
  const ef = target.asTransparentFile();
  const data = writableData(ctx, cmd, ef);
  ef.writeBinary(offset, data);
  ctx.useEf(ef);
  return {};
}

/**
 * P2 b8-b4: SFI (0 = current EF, 31 reserved 6A86); 6986 without a current EF, 6A82 without that
 * SFI, 6981 when the EF is not a record file. A status word when refused: READ RECORD answers it
 * as a value (a thrown status word costs more than the whole read).
 */
function findRecordTarget(ctx: CardContext, p2: number): RecordFile | number {
  const sfi = p2 >> 3;
  if (sfi === 31) return SW.INCORRECT_P1P2;
  const ef = sfi === 0 ? ctx.currentEf : ctx.currentDf.efBySfi(sfi);
  if (ef === undefined) return sfi === 0 ? SW.NO_CURRENT_EF : SW.FILE_NOT_FOUND;
  return ef instanceof RecordFile ? ef : SW.INCOMPATIBLE_FILE_STRUCTURE;
}

/** findRecordTarget for the write commands, which refuse by throwing. */
function recordTarget(ctx: CardContext, p2: number): RecordFile {
  const target = findRecordTarget(ctx, p2);
  if (typeof target === 'number') throw new StatusWordError(target, 'no record file addressed');
  return target;
}

function recordNotFound(what: string): never {
  throw new StatusWordError(SW.RECORD_NOT_FOUND, `${what} not found`);
}

/**
 * The record number a READ RECORD addresses. P2 b3-b1: 100 = record number P1 (00 = current
 * record); 000/001/010/011 = first/last/next/previous record whose identifier (first byte, the
 * SSC tag) is P1. Reading several records (101, 110) is not supported (6A86).
 */
function recordToRead(ctx: CardContext, ef: RecordFile, p1: number, mode: number): number | undefined {
  const current = ctx.currentEf === ef ? ctx.currentRecord : undefined;
  switch (mode) {
    case 4:
      return p1 !== 0 ? p1 : current;
    case 0:
      return ef.findRecordByTag(p1);
    case 1: {
      let last: number | undefined;
      for (let n = ef.findRecordByTag(p1); n !== undefined; n = ef.findRecordByTag(p1, n + 1)) last = n;
      return last;
    }
    case 2:
      return ef.findRecordByTag(p1, (current ?? 0) + 1);
    case 3: {
      let prev: number | undefined;
      const before = current ?? ef.recordCount + 1;
      for (let n = ef.findRecordByTag(p1); n !== undefined && n < before; n = ef.findRecordByTag(p1, n + 1)) prev = n;
      return prev;
    }
    default:
      throw new StatusWordError(SW.INCORRECT_P1P2, 'unsupported record reference in P2');
  }
}

/**
 * READ RECORD `00 B2 P1 P2`: `00 B2 <tag> 00`, `00 B2 <n> 04`, `00 B2 <tag> (SFI<<3)`,
 * `00 B2 <n> (SFI<<3|4)`. The record has one exact length: Le 00 returns it, another Le gets 6Cxx.
 * Without Le: 6700 (its only purpose is the data; ISO 7816-4 reads an absent Le as Ne = 0).
 *
 * MAC'd read `04 B2 P1 P2 04 MAC4 Le` (issuance printers): the MAC, commandMac over
 * `04 B2 P1 P2 04` with the pending challenge as IV, is checked with macKeyForRead's key (the key
 * the read condition names, else the write condition's: EF05/EF06 answer to the issuance key),
 * then the read condition (6982 when it does not hold). The answer is the plain record (project
 * choice: no response MAC).
 */
export function readRecord(ctx: CardContext, cmd: CardCommand): HandlerResult {
  // Refusals of a plain read are answered as values (see findRecordTarget).
  if (cmd.ne === undefined) return { sw: SW.WRONG_LENGTH }; // READ RECORD takes Le
  const sm = cmd.cla === CLA_SM;
  // A MAC'd READ RECORD carries the 4-byte MAC; a plain one no data.
  if (sm ? cmd.data.length !== MAC_LENGTH : cmd.data.length > 0) return { sw: SW.WRONG_LENGTH };
  const mode = cmd.p2 & 0x07;
  if (mode > 4) return { sw: SW.INCORRECT_P1P2 }; // reading several records is not supported
  const ef = findRecordTarget(ctx, cmd.p2);
  if (typeof ef === 'number') return { sw: ef };
  const macKey = sm ? macKeyForRead(ctx, ef) : undefined;
  if (macKey !== undefined) checkFileCommandMac(ctx, cmd, macKey);
  if (!ctx.isSatisfied(ef, ef.read, macKey)) return { sw: SW.SECURITY_STATUS_NOT_SATISFIED };
  const n = recordToRead(ctx, ef, cmd.p1, mode);
  const start = n === undefined ? -1 : ef.recordStart(n);
  if (n === undefined || start < 0) return { sw: SW.RECORD_NOT_FOUND };
  ctx.useEf(ef);
  ctx.currentRecord = n;
  // The record as stored, copied once into the answer.
  return { data: ef.recordStore, dataStart: start, dataLength: ef.storedRecordLength(n), exactLe: true };
}

/** Writes `data` to the record UPDATE RECORD addresses; returns its number. */
function writeAddressedRecord(
  ef: RecordFile,
  mode: number,
  p1: number,
  current: number | undefined,
  data: Uint8Array,
): number {
  let n: number;
  switch (mode) {
    case 4:
      n = p1 !== 0 ? p1 : (current ?? recordNotFound('current record'));
      break;
    case 0:
      if (p1 === 0) {
        n = 1;
        break;
      }
      // By identifier: the record keeps its tag, so the new record must start with it.
      if (data[0] !== p1)
        throw new StatusWordError(SW.WRONG_DATA, `the record written by identifier ${p1} must start with that tag`);
      n = ef.findRecordByTag(p1) ?? recordNotFound(`record with tag ${p1}`);
      break;
    case 1:
      n = ef.recordCount;
      break;
    case 2:
      n = (current ?? 0) + 1;
      break;
    default:
      // "Previous": the record before the current one; on a cyclic file a new record 1.
      return ef.updatePreviousRecord(current, data);
  }
  ef.updateRecord(n, data);
  return n;
}

/**
 * UPDATE RECORD `00 DC P1 P2` (or `04 DC` with data || MAC4, see writableData): P2 b3-b1 100 =
 * record number P1 (00 = current); 000 with P1 = a tag: the first record with that identifier
 * (`00 DC <tag> (SFI<<3)`, as issuance software writes EF05/EF06; the data must start with the
 * same tag, else 6A80); with P1 = 00: 000 first, 001 last, 010 next, 011 previous. On a cyclic
 * EF "previous" (`P1=00 P2=03`) writes a new record 1 and the oldest record drops off when the
 * file is full.
 */
export function updateRecord(ctx: CardContext, cmd: CardCommand): HandlerResult {
  requireWriteData(cmd, 'UPDATE RECORD');
  const mode = cmd.p2 & 0x07;
  if (mode > 4 || (mode !== 4 && mode !== 0 && cmd.p1 !== 0))
    throw new StatusWordError(SW.INCORRECT_P1P2, 'unsupported record reference');
  const ef = recordTarget(ctx, cmd.p2);
  const data = writableData(ctx, cmd, ef);
  const current = ctx.currentEf === ef ? ctx.currentRecord : undefined;
  const n = writeAddressedRecord(ef, mode, cmd.p1, current, data);
  ctx.useEf(ef);
  ctx.currentRecord = n;
  return {};
}

/**
 * APPEND RECORD `00 E2 00 P2` (P2 = SFI<<3 or 00; or `04 E2` with data || MAC4, see
 * writableData): a linear EF gets a new last record (6A84 when full); a cyclic EF gets a new
 * record 1 and drops its oldest record when full.
 */
export function appendRecord(ctx: CardContext, cmd: CardCommand): HandlerResult {
  if (cmd.p1 !== 0 || (cmd.p2 & 0x07) !== 0)
    throw new StatusWordError(SW.INCORRECT_P1P2, 'APPEND RECORD takes P1=00, P2=SFI<<3');
  requireWriteData(cmd, 'APPEND RECORD');
  const ef = recordTarget(ctx, cmd.p2);
  const data = writableData(ctx, cmd, ef);
  const n = ef.appendRecord(data);
  ctx.useEf(ef);
  ctx.currentRecord = n;
  return {};
}
