import { SscardError } from './errors.js';
import { toHex } from './hex.js';

/*
 * The one catalogue of the instruction bytes the project knows: ISO 7816-4 commands and the SSC's
 * proprietary CLA-80/84 ones (card profile §4). The card's handler table, the command builders,
 * the trace's command names and the PIN masking all read it, so an INS is numbered, named and
 * classed as PIN-carrying in one place.
 */

/**
 * INS numbers by command. Some bytes stand for more than one command, told apart by CLA or P1:
 * 24 is ISO CHANGE REFERENCE DATA with CLA 00 and the SSC's PIN UNBLOCK with CLA 84; 5E (CLA 80)
 * is CHANGE PIN with P1 01 and RELOAD PIN with P1 00. Both names are listed and share the number;
 * INS_CATALOGUE has one entry per byte with its meanings.
 */
export const INS = Object.freeze({
  SELECT: 0xa4,
  READ_BINARY: 0xb0,
  UPDATE_BINARY: 0xd6,
  READ_RECORD: 0xb2,
  UPDATE_RECORD: 0xdc,
  APPEND_RECORD: 0xe2,
  VERIFY: 0x20,
  /** ISO's odd-INS VERIFY (data as BER-TLV); the SSC does not use it, terminals may. */
  VERIFY_ODD: 0x21,
  CHANGE_REFERENCE_DATA: 0x24,
  /** Same byte as CHANGE REFERENCE DATA, with CLA 84 (enciphered PIN block ‖ MAC4). */
  PIN_UNBLOCK: 0x24,
  RESET_RETRY_COUNTER: 0x2c,
  /** CLA 80, P1 01: old ‖ FF ‖ new. */
  CHANGE_PIN: 0x5e,
  /** Same byte as CHANGE PIN, with CLA 80 and P1 00: new PIN ‖ MAC4 under the reload key. */
  RELOAD_PIN: 0x5e,
  GET_CHALLENGE: 0x84,
  EXTERNAL_AUTHENTICATE: 0x82,
  INTERNAL_AUTHENTICATE: 0x88,
  GET_RESPONSE: 0xc0,
  GET_DATA: 0xca,
  /** PBOC / EMV (CLA 80): starts a transaction in a payment application, answers its AIP and AFL. */
  GET_PROCESSING_OPTIONS: 0xa8,
  APPLICATION_BLOCK: 0x1e,
  APPLICATION_UNBLOCK: 0x18,
  CARD_BLOCK: 0x16,
  MANAGE_CHANNEL: 0x70,
});

/** One command an INS byte stands for; the first meaning whose conditions hold names the command. */
export interface InsMeaning {
  readonly name: string;
  /** Class the meaning needs: CLA b8 = 0 ('interindustry') or 1 ('proprietary'); any when absent. */
  readonly cls?: 'interindustry' | 'proprietary';
  /** P1 the meaning needs; any when absent. */
  readonly p1?: number;
}

/** What the project knows about one INS byte. */
export interface InsInfo {
  readonly ins: number;
  /** Everything the byte stands for, e.g. 'CHANGE/RELOAD PIN' (the card's handler table shows it). */
  readonly name: string;
  /**
   * Whether the command data of any of its meanings carries a PIN (in clear, BCD, a PIN block or
   * enciphered). Deciding by INS alone, whatever CLA/P1/P2 say, errs on the side of hiding.
   */
  readonly carriesPin: boolean;
  /** The commands by class and P1, in order; when none matches the command has no name. */
  readonly meanings: readonly InsMeaning[];
}

function info(ins: number, name: string, carriesPin = false, meanings: readonly InsMeaning[] = [{ name }]): InsInfo {
  return Object.freeze({ ins, name, carriesPin, meanings: Object.freeze(meanings.map((m) => Object.freeze(m))) });
}

/** Commands of one meaning each, with no PIN, named by their INS keys with spaces ('READ_BINARY': 'READ BINARY'). */
function named(...keys: readonly (keyof typeof INS)[]): InsInfo[] {
  return keys.map((key) => info(INS[key], key.replace(/_/g, ' ')));
}

const ENTRIES: readonly InsInfo[] = [
  ...named('SELECT', 'READ_BINARY', 'READ_RECORD', 'UPDATE_BINARY', 'UPDATE_RECORD', 'APPEND_RECORD'),
  // SSSE application PIN (00 20 00 00) and bank PIN (00 20 00 80).
  info(INS.VERIFY, 'VERIFY', true),
  info(INS.VERIFY_ODD, 'VERIFY', true),
  info(INS.CHANGE_REFERENCE_DATA, 'CHANGE REFERENCE DATA/PIN UNBLOCK', true, [
    { name: 'PIN UNBLOCK', cls: 'proprietary' },
    { name: 'CHANGE REFERENCE DATA' },
  ]),
  info(INS.RESET_RETRY_COUNTER, 'RESET RETRY COUNTER', true),
  // Proprietary only: with an interindustry class 5E is no command the project knows.
  info(INS.CHANGE_PIN, 'CHANGE/RELOAD PIN', true, [
    { name: 'RELOAD PIN', cls: 'proprietary', p1: 0x00 },
    { name: 'CHANGE PIN', cls: 'proprietary' },
  ]),
  ...named('GET_CHALLENGE', 'EXTERNAL_AUTHENTICATE', 'INTERNAL_AUTHENTICATE', 'GET_RESPONSE', 'GET_DATA'),
  ...named('GET_PROCESSING_OPTIONS', 'APPLICATION_BLOCK', 'APPLICATION_UNBLOCK', 'CARD_BLOCK', 'MANAGE_CHANNEL'),
];

/** The catalogue by INS byte: one entry per byte. */
export const INS_CATALOGUE: ReadonlyMap<number, InsInfo> = new Map(ENTRIES.map((e) => [e.ins, e] as const));

/** The catalogue entry of `ins`; throws for a byte the catalogue lacks (a programming error). */
export function insInfo(ins: number): InsInfo {
  const found = INS_CATALOGUE.get(ins);
  if (found === undefined)
    throw new SscardError('INTERNAL', `INS ${toHex(Uint8Array.of(ins & 0xff))} is not in the INS catalogue`);
  return found;
}

/**
 * Human name of a command from CLA, INS and P1 (where the SSC overloads an INS): the catalogue
 * meaning that fits, else `INS xx`.
 */
export function commandName(cla: number, ins: number, p1: number): string {
  const cls = (cla & 0x80) !== 0 ? 'proprietary' : 'interindustry';
  const meaning = INS_CATALOGUE.get(ins)?.meanings.find(
    (m) => (m.cls === undefined || m.cls === cls) && (m.p1 === undefined || m.p1 === p1),
  );
  return meaning?.name ?? `INS ${toHex(Uint8Array.of(ins & 0xff))}`;
}
