import type { CommandHandler } from './context.js';
import { externalAuthenticate, getChallenge, getData, internalAuthenticate } from './handlers/auth.js';
import { getResponse } from './handlers/get-response.js';
import { appendRecord, readBinary, readRecord, updateBinary, updateRecord } from './handlers/files.js';
import { applicationBlock, applicationUnblock, cardBlock } from './handlers/lifecycle.js';
import { changeOrReloadPin, changeReferenceDataOrUnblock, verify } from './handlers/pin.js';
import { selectFile } from './handlers/select.js';
import { CLA_SM } from './secure-messaging.js';

/**
 * One row of the INS table: the handler and the CLA bytes it accepts (others get 6E00). The file
 * writes also take CLA_SM (04): data || MAC4, checked by the handler against the file's write
 * condition (handlers/files writableData).
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

/** INS of GET RESPONSE: the one command that does not discard the pending response. */
export const INS_GET_RESPONSE = 0xc0;

const ENTRIES: readonly InsEntry[] = [
  { ins: 0xa4, name: 'SELECT', classes: [0x00], handler: selectFile, runsWhileBlocked: true },
  { ins: 0xb0, name: 'READ BINARY', classes: [0x00], handler: readBinary },
  { ins: 0xd6, name: 'UPDATE BINARY', classes: [0x00, CLA_SM], handler: updateBinary },
  { ins: 0xb2, name: 'READ RECORD', classes: [0x00], handler: readRecord },
  { ins: 0xdc, name: 'UPDATE RECORD', classes: [0x00, CLA_SM], handler: updateRecord },
  { ins: 0xe2, name: 'APPEND RECORD', classes: [0x00, CLA_SM], handler: appendRecord },
  { ins: 0x20, name: 'VERIFY', classes: [0x00], handler: verify },
  { ins: 0x5e, name: 'CHANGE/RELOAD PIN', classes: [0x80], handler: changeOrReloadPin },
  { ins: 0x24, name: 'CHANGE REFERENCE DATA/PIN UNBLOCK', classes: [0x00, 0x84], handler: changeReferenceDataOrUnblock },
  { ins: 0x84, name: 'GET CHALLENGE', classes: [0x00], handler: getChallenge, runsWhileBlocked: true },
  { ins: 0x82, name: 'EXTERNAL AUTHENTICATE', classes: [0x00], handler: externalAuthenticate },
  { ins: 0x88, name: 'INTERNAL AUTHENTICATE', classes: [0x00], handler: internalAuthenticate },
  { ins: 0xca, name: 'GET DATA', classes: [0x80, 0x00], handler: getData },
  { ins: INS_GET_RESPONSE, name: 'GET RESPONSE', classes: [0x00], handler: getResponse, runsWhileBlocked: true },
  { ins: 0x1e, name: 'APPLICATION BLOCK', classes: [0x84], handler: applicationBlock, runsWhileBlocked: true },
  { ins: 0x18, name: 'APPLICATION UNBLOCK', classes: [0x84], handler: applicationUnblock, runsWhileBlocked: true },
  { ins: 0x16, name: 'CARD BLOCK', classes: [0x84], handler: cardBlock, runsWhileBlocked: true },
];

/** The card OS's one INS -> handler table. */
export const INS_TABLE: ReadonlyMap<number, InsEntry> = new Map(ENTRIES.map((e) => [e.ins, e] as const));

/** CLA bytes the card knows at all; anything else is 6E00 before the INS is looked at. */
export const KNOWN_CLASSES: ReadonlySet<number> = new Set([0x00, 0x04, 0x80, 0x84]);
