import { ApduEncodeError } from './errors.js';

/**
 * The one status-word table of the project. Every component (card OS, terminal, CLI, tracing)
 * names, describes and builds status words through this module only.
 */
export const SW = {
  OK: 0x9000,
  WARNING_EOF: 0x6282,
  WARNING_CORRUPTED: 0x6281,
  MEMORY_FAILURE: 0x6581,
  WRONG_LENGTH: 0x6700,
  INCOMPATIBLE_FILE_STRUCTURE: 0x6981,
  SECURITY_STATUS_NOT_SATISFIED: 0x6982,
  AUTH_METHOD_BLOCKED: 0x6983,
  REFERENCE_DATA_NOT_USABLE: 0x6984,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  NO_CURRENT_EF: 0x6986,
  SM_INCORRECT: 0x6988,
  WRONG_DATA: 0x6a80,
  FUNCTION_NOT_SUPPORTED: 0x6a81,
  FILE_NOT_FOUND: 0x6a82,
  RECORD_NOT_FOUND: 0x6a83,
  NOT_ENOUGH_MEMORY: 0x6a84,
  INCORRECT_P1P2: 0x6a86,
  REFERENCED_DATA_NOT_FOUND: 0x6a88,
  WRONG_P1P2_OFFSET: 0x6b00,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
  UNKNOWN: 0x6f00,
  APP_PERMANENTLY_BLOCKED: 0x9303,
} as const;

export type SwName = keyof typeof SW;

/** Names and meanings of the fixed status words (keys of SW). */
const MEANINGS: Readonly<Record<SwName, string>> = {
  OK: 'success',
  WARNING_EOF: 'end of file or record reached before reading Le bytes',
  WARNING_CORRUPTED: 'part of returned data may be corrupted',
  MEMORY_FAILURE: 'memory failure',
  WRONG_LENGTH: 'wrong length',
  INCOMPATIBLE_FILE_STRUCTURE: 'command incompatible with file structure',
  SECURITY_STATUS_NOT_SATISFIED: 'security status not satisfied',
  AUTH_METHOD_BLOCKED: 'authentication method blocked',
  REFERENCE_DATA_NOT_USABLE: 'reference data not usable (no challenge)',
  CONDITIONS_NOT_SATISFIED: 'conditions of use not satisfied',
  NO_CURRENT_EF: 'command not allowed, no current EF',
  SM_INCORRECT: 'incorrect secure messaging data objects (bad MAC)',
  WRONG_DATA: 'incorrect parameters in the data field',
  FUNCTION_NOT_SUPPORTED: 'function not supported (application blocked)',
  FILE_NOT_FOUND: 'file not found',
  RECORD_NOT_FOUND: 'record not found',
  NOT_ENOUGH_MEMORY: 'not enough memory space in the file',
  INCORRECT_P1P2: 'incorrect parameters P1-P2',
  REFERENCED_DATA_NOT_FOUND: 'referenced data (key) not found',
  WRONG_P1P2_OFFSET: 'wrong parameters P1-P2, offset outside the EF',
  INS_NOT_SUPPORTED: 'instruction not supported',
  CLA_NOT_SUPPORTED: 'class not supported',
  UNKNOWN: 'no precise diagnosis',
  APP_PERMANENTLY_BLOCKED: 'application permanently blocked',
};

const BY_SW: ReadonlyMap<number, SwName> = new Map(
  (Object.keys(SW) as SwName[]).map((name) => [SW[name], name] as const),
);

/** Where a status word sits in ISO 7816-4's classification (SW1). */
export type SwCategory = 'normal' | 'warning' | 'execution-error' | 'checking-error' | 'proprietary' | 'invalid';

export interface SwInfo {
  sw: number;
  /** Stable identifier: a key of SW, or a family name such as 'BYTES_AVAILABLE', 'WRONG_LE', 'PIN_TRIES_LEFT'. */
  name: string;
  meaning: string;
  /** True for 9000 and 61xx (command completed normally); warnings and errors are false. */
  success: boolean;
  category: SwCategory;
  bytesAvailable?: number;
  correctLe?: number;
  triesLeft?: number;
}

/** 61xx: xx bytes are waiting for GET RESPONSE; n = 1..256 (256 encodes as 00). */
export function swBytesAvailable(n: number): number {
  checkCount('bytes available', n, 1, 256);
  return 0x6100 | (n & 0xff);
}

/** 6Cxx: wrong Le, xx = the exact length; n = 1..256 (256 encodes as 00). */
export function swWrongLe(n: number): number {
  checkCount('correct Le', n, 1, 256);
  return 0x6c00 | (n & 0xff);
}

/** 63Cx: verification failed, x = tries left (0..15). */
export function swTriesLeft(n: number): number {
  checkCount('tries left', n, 0, 15);
  return 0x63c0 | n;
}

function checkCount(what: string, n: number, min: number, max: number): void {
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ApduEncodeError(`${what} must be an integer ${min}..${max}, got ${String(n)}`);
  }
}

/** Four uppercase hex digits, e.g. swHex(0x63c2) === '63C2'. */
export function swHex(sw: number): string {
  return (sw & 0xffff).toString(16).toUpperCase().padStart(4, '0');
}

/** Builds a status word from its two bytes. */
export function swOf(sw1: number, sw2: number): number {
  return ((sw1 & 0xff) << 8) | (sw2 & 0xff);
}

/**
 * Fallbacks by SW1 for status words not in the table, per the ISO 7816-4 groups. Their category,
 * like every word's, comes from `categoryOf`: one classification of SW1 for the whole module.
 */
const SW1_FALLBACK: ReadonlyMap<number, { name: string; meaning: string }> = new Map([
  [0x62, { name: 'WARNING_NV_UNCHANGED', meaning: 'warning, non-volatile memory unchanged' }],
  [0x63, { name: 'WARNING_NV_CHANGED', meaning: 'warning, non-volatile memory changed' }],
  [0x64, { name: 'EXECUTION_ERROR_NV_UNCHANGED', meaning: 'execution error, non-volatile memory unchanged' }],
  [0x65, { name: 'EXECUTION_ERROR_NV_CHANGED', meaning: 'execution error, non-volatile memory changed' }],
  [0x66, { name: 'SECURITY_ERROR', meaning: 'security-related execution error' }],
  [0x67, { name: 'WRONG_LENGTH_OTHER', meaning: 'wrong length' }],
  [0x68, { name: 'CLA_FUNCTION_NOT_SUPPORTED', meaning: 'functions in CLA not supported' }],
  [0x69, { name: 'COMMAND_NOT_ALLOWED', meaning: 'command not allowed' }],
  [0x6a, { name: 'WRONG_PARAMETERS', meaning: 'wrong parameters P1-P2' }],
  [0x6b, { name: 'WRONG_P1P2_OTHER', meaning: 'wrong parameters P1-P2' }],
  [0x6d, { name: 'INS_INVALID', meaning: 'instruction code not supported or invalid' }],
  [0x6e, { name: 'CLA_INVALID', meaning: 'class not supported' }],
  [0x6f, { name: 'NO_PRECISE_DIAGNOSIS', meaning: 'no precise diagnosis' }],
]);

function categoryOf(sw1: number): SwCategory {
  if (sw1 === 0x90 || sw1 === 0x61) return 'normal';
  if (sw1 === 0x62 || sw1 === 0x63) return 'warning';
  if (sw1 >= 0x64 && sw1 <= 0x66) return 'execution-error';
  if (sw1 >= 0x67 && sw1 <= 0x6f) return 'checking-error';
  if ((sw1 & 0xf0) === 0x90) return 'proprietary';
  return 'invalid';
}

/** Everything known about a status word: stable name, meaning, success flag and family parameters. */
export function swInfo(sw: number): SwInfo {
  if (!Number.isInteger(sw) || sw < 0 || sw > 0xffff) {
    return { sw, name: 'INVALID_SW', meaning: 'not a status word', success: false, category: 'invalid' };
  }
  const sw1 = sw >> 8;
  const sw2 = sw & 0xff;
  const category = categoryOf(sw1);
  const known = BY_SW.get(sw);
  if (known !== undefined) {
    return { sw, name: known, meaning: MEANINGS[known], success: sw === SW.OK, category };
  }
  if (sw1 === 0x61) {
    const n = sw2 === 0 ? 256 : sw2;
    return {
      sw,
      name: 'BYTES_AVAILABLE',
      meaning: `${n} response bytes available (GET RESPONSE)`,
      success: true,
      category,
      bytesAvailable: n,
    };
  }
  if (sw1 === 0x6c) {
    const n = sw2 === 0 ? 256 : sw2;
    return {
      sw,
      name: 'WRONG_LE',
      meaning: `wrong Le, exact length is ${n}`,
      success: false,
      category,
      correctLe: n,
    };
  }
  if (sw1 === 0x63 && (sw2 & 0xf0) === 0xc0) {
    const n = sw2 & 0x0f;
    // The same SW answers a wrong PIN, a wrong EXTERNAL AUTHENTICATE cryptogram and an empty
    // VERIFY (a query of the counter, nothing spent): the status word alone cannot tell which.
    return {
      sw,
      name: 'PIN_TRIES_LEFT',
      meaning: `${n} ${n === 1 ? 'try' : 'tries'} left (wrong PIN or key, or a try counter query)`,
      success: false,
      category,
      triesLeft: n,
    };
  }
  const fallback = SW1_FALLBACK.get(sw1);
  if (fallback !== undefined) {
    return { sw, name: fallback.name, meaning: fallback.meaning, success: false, category };
  }
  if (category === 'proprietary') {
    return { sw, name: 'PROPRIETARY', meaning: 'proprietary status word', success: false, category };
  }
  return { sw, name: 'UNRECOGNISED', meaning: 'unrecognised status word', success: false, category };
}

/** "9000 success", "63C2 2 tries left (wrong PIN or key, or a try counter query)", "6A82 file not found". */
export function describe(sw: number): string {
  return `${swHex(sw)} ${swInfo(sw).meaning}`;
}

/** True for 9000 and 61xx. */
export function isSuccess(sw: number): boolean {
  return swInfo(sw).success;
}
