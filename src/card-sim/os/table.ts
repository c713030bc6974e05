import { CLA, INS, insInfo } from '../../apdu/index.js';
import type { CommandHandler } from './context.js';
import { externalAuthenticate, getChallenge, getData, internalAuthenticate } from './handlers/auth.js';
import { getProcessingOptions } from './handlers/processing-options.js';
import { getResponse } from './handlers/get-response.js';
import { appendRecord, readBinary, readRecord, updateBinary, updateRecord } from './handlers/files.js';
import { applicationBlock, applicationUnblock, cardBlock } from './handlers/lifecycle.js';
import { changeOrReloadPin, changeReferenceDataOrUnblock, verify } from './handlers/pin.js';
import { selectFile } from './handlers/select.js';
import { CLA_SM } from './secure-messaging.js';

/**
 * One row of the INS table: the handler and the CLA bytes it accepts (others get 6E00). The file
 * writes also take CLA_SM (04): data || MAC4, checked by the handler against the file's write
 * condition (handlers/files writableData); so does READ RECORD (a MAC'd read, handlers/files).
 */
export interface InsEntry {
  readonly ins: number;
  readonly name: string;
  readonly classes: readonly number[];
  readonly handler: CommandHandler;
  /**
   * Runs while the current application is blocked (SELECT to leave it, GET CHALLENGE and the
   * lifecycle commands to lift or escalate the block, GET RESPONSE); other commands are refused
   * there with 6A81 / 9303 before their handler runs (see lifecycleRefusal).
   */
  readonly runsWhileBlocked?: boolean;
}

/** A table row for `ins`, its name taken from the INS catalogue (src/apdu). */
function entry(
  ins: number,
  classes: readonly number[],
  handler: CommandHandler,
  opts: { runsWhileBlocked?: true } = {},
): InsEntry {
  return { ins, name: insInfo(ins).name, classes, handler, ...opts };
}

const ENTRIES: readonly InsEntry[] = [
  entry(INS.SELECT, [CLA.ISO], selectFile, { runsWhileBlocked: true }),
  entry(INS.READ_BINARY, [CLA.ISO], readBinary),
  entry(INS.UPDATE_BINARY, [CLA.ISO, CLA_SM], updateBinary),
  entry(INS.READ_RECORD, [CLA.ISO, CLA_SM], readRecord),
  entry(INS.UPDATE_RECORD, [CLA.ISO, CLA_SM], updateRecord),
  entry(INS.APPEND_RECORD, [CLA.ISO, CLA_SM], appendRecord),
  entry(INS.VERIFY, [CLA.ISO], verify),
  // One byte, three commands told apart by P1 and CLA (CHANGE PIN 80 5E 01, RELOAD PIN 80 5E 00,
  // the issuer's PIN change script 84 5E 01); one handler.
  entry(INS.CHANGE_PIN, [CLA.PROPRIETARY, CLA.PROPRIETARY_SM], changeOrReloadPin),
  // One byte, two commands told apart by CLA (00 CHANGE REFERENCE DATA, 84 PIN UNBLOCK); one handler.
  entry(INS.CHANGE_REFERENCE_DATA, [CLA.ISO, CLA.PROPRIETARY_SM], changeReferenceDataOrUnblock),
  entry(INS.GET_CHALLENGE, [CLA.ISO], getChallenge, { runsWhileBlocked: true }),
  entry(INS.EXTERNAL_AUTHENTICATE, [CLA.ISO], externalAuthenticate),
  entry(INS.INTERNAL_AUTHENTICATE, [CLA.ISO], internalAuthenticate),
  entry(INS.GET_DATA, [CLA.PROPRIETARY, CLA.ISO], getData),
  entry(INS.GET_PROCESSING_OPTIONS, [CLA.PROPRIETARY], getProcessingOptions),
  entry(INS.GET_RESPONSE, [CLA.ISO], getResponse, { runsWhileBlocked: true }),
  entry(INS.APPLICATION_BLOCK, [CLA.PROPRIETARY_SM], applicationBlock, { runsWhileBlocked: true }),
  entry(INS.APPLICATION_UNBLOCK, [CLA.PROPRIETARY_SM], applicationUnblock, { runsWhileBlocked: true }),
  entry(INS.CARD_BLOCK, [CLA.PROPRIETARY_SM], cardBlock, { runsWhileBlocked: true }),
];

/** The card OS's one INS -> handler table. */
export const INS_TABLE: ReadonlyMap<number, InsEntry> = new Map(ENTRIES.map((e) => [e.ins, e] as const));

/** CLA bytes the card knows at all; anything else is 6E00 before the INS is looked at. */
export const KNOWN_CLASSES: ReadonlySet<number> = new Set([CLA.ISO, CLA_SM, CLA.PROPRIETARY, CLA.PROPRIETARY_SM]);
