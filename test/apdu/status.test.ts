import { describe as group, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import {
  ApduEncodeError,
  SW,
  describe,
  isSuccess,
  swBytesAvailable,
  swHex,
  swInfo,
  swOf,
  swTriesLeft,
  swWrongLe,
} from '../../src/apdu/index.js';
import { expectThrowsClass } from '../support/throws.js';

// Every fixed status word listed in the card profile's §4, with a word its meaning must contain.
const PROFILE_SWS: [number, RegExp][] = [
  [0x9000, /success/],
  [0x6281, /corrupted/],
  [0x6282, /end of file/],
  [0x6581, /memory failure/],
  [0x6700, /wrong length/],
  [0x6981, /file structure/],
  [0x6982, /security status not satisfied/],
  [0x6983, /blocked/],
  [0x6984, /reference data not usable/],
  [0x6985, /conditions of use not satisfied/],
  [0x6986, /no current EF/],
  [0x6988, /secure messaging|MAC/],
  [0x6a80, /data field/],
  [0x6a81, /function not supported/],
  [0x6a82, /file not found/],
  [0x6a83, /record not found/],
  [0x6a86, /P1-P2/],
  [0x6a88, /referenced data/],
  [0x6b00, /offset/],
  [0x6d00, /instruction not supported/],
  [0x6e00, /class not supported/],
  [0x6f00, /no precise diagnosis/],
  [0x9303, /permanently blocked/],
];

group('status word table', () => {
  it('names every SW constant by its key', () => {
    for (const [name, sw] of Object.entries(SW)) {
      expect(swInfo(sw).name).toBe(name);
      expect(swInfo(sw).meaning.length).toBeGreaterThan(3);
    }
  });

  it('covers every status word of the card profile', () => {
    const names = new Set(Object.keys(SW));
    for (const [sw, meaning] of PROFILE_SWS) {
      const info = swInfo(sw);
      expect(names.has(info.name), swHex(sw)).toBe(true);
      expect(info.meaning).toMatch(meaning);
    }
  });

  it('describes as "<hex> <meaning>"', () => {
    expect(describe(0x9000)).toBe('9000 success');
    // Neutral: 63Cx also answers a counter query (empty VERIFY) and a wrong EXTERNAL AUTHENTICATE.
    expect(describe(0x63c2)).toBe('63C2 2 tries left (wrong PIN or key, or a try counter query)');
    expect(describe(0x63c1)).toBe('63C1 1 try left (wrong PIN or key, or a try counter query)');
    expect(describe(0x63c0)).toBe('63C0 0 tries left (wrong PIN or key, or a try counter query)');
    expect(describe(0x63c2)).not.toMatch(/wrong PIN,/);
    expect(describe(0x6a82)).toBe('6A82 file not found');
    expect(describe(0x6110)).toBe('6110 16 response bytes available (GET RESPONSE)');
    expect(describe(0x6c1e)).toBe('6C1E wrong Le, exact length is 30');
  });

  it('decodes the 61xx, 6Cxx and 63Cx families', () => {
    expect(swInfo(0x6100)).toMatchObject({ name: 'BYTES_AVAILABLE', bytesAvailable: 256, success: true });
    expect(swInfo(0x6105)).toMatchObject({ name: 'BYTES_AVAILABLE', bytesAvailable: 5 });
    expect(swInfo(0x6c00)).toMatchObject({ name: 'WRONG_LE', correctLe: 256, success: false });
    expect(swInfo(0x6c55)).toMatchObject({ name: 'WRONG_LE', correctLe: 0x55 });
    expect(swInfo(0x63c5)).toMatchObject({ name: 'PIN_TRIES_LEFT', triesLeft: 5, success: false });
  });

  it('falls back by SW1 category for other words', () => {
    expect(swInfo(0x6283)).toMatchObject({ name: 'WARNING_NV_UNCHANGED', category: 'warning' });
    expect(swInfo(0x6310)).toMatchObject({ name: 'WARNING_NV_CHANGED', category: 'warning' });
    expect(swInfo(0x6401)).toMatchObject({ name: 'EXECUTION_ERROR_NV_UNCHANGED', category: 'execution-error' });
    expect(swInfo(0x6502)).toMatchObject({ name: 'EXECUTION_ERROR_NV_CHANGED' });
    expect(swInfo(0x6701)).toMatchObject({ name: 'WRONG_LENGTH_OTHER', category: 'checking-error' });
    expect(swInfo(0x6881)).toMatchObject({ name: 'CLA_FUNCTION_NOT_SUPPORTED' });
    expect(swInfo(0x6999)).toMatchObject({ name: 'COMMAND_NOT_ALLOWED' });
    expect(swInfo(0x6a87)).toMatchObject({ name: 'WRONG_PARAMETERS' });
    expect(swInfo(0x9f10)).toMatchObject({ name: 'PROPRIETARY', success: false });
    expect(swInfo(0x1234)).toMatchObject({ name: 'UNRECOGNISED', success: false });
    expect(swInfo(0x10000)).toMatchObject({ name: 'INVALID_SW', success: false });
  });

  it('sorts every SW1 into its ISO 7816-4 category, at the edges of each range', () => {
    const categories: [number, string][] = [
      [0x00, 'invalid'],
      [0x60, 'invalid'],
      [0x61, 'normal'],
      [0x62, 'warning'],
      [0x63, 'warning'],
      [0x64, 'execution-error'],
      [0x65, 'execution-error'],
      [0x66, 'execution-error'],
      [0x67, 'checking-error'],
      [0x6b, 'checking-error'],
      [0x6c, 'checking-error'],
      [0x6f, 'checking-error'],
      [0x70, 'invalid'],
      [0x8f, 'invalid'],
      [0x90, 'normal'],
      [0x91, 'proprietary'],
      [0x9f, 'proprietary'],
      [0xa0, 'invalid'],
      [0xff, 'invalid'],
    ];
    for (const [sw1, category] of categories)
      expect(swInfo((sw1 << 8) | 0x0b).category, swHex(sw1 << 8)).toBe(category);
    // Named words keep the category of their SW1.
    expect(swInfo(SW.OK).category).toBe('normal');
    expect(swInfo(SW.WARNING_EOF).category).toBe('warning');
    expect(swInfo(SW.MEMORY_FAILURE).category).toBe('execution-error');
    expect(swInfo(SW.WRONG_DATA).category).toBe('checking-error');
    expect(swInfo(SW.APP_PERMANENTLY_BLOCKED)).toMatchObject({ category: 'proprietary', success: false });
  });

  it('every named word has the category of its SW1, 6700 and 6F00 at the ends of the checking errors', () => {
    const categories: Record<keyof typeof SW, string> = {
      OK: 'normal',
      WARNING_EOF: 'warning',
      WARNING_CORRUPTED: 'warning',
      MEMORY_FAILURE: 'execution-error',
      WRONG_LENGTH: 'checking-error',
      INCOMPATIBLE_FILE_STRUCTURE: 'checking-error',
      SECURITY_STATUS_NOT_SATISFIED: 'checking-error',
      AUTH_METHOD_BLOCKED: 'checking-error',
      REFERENCE_DATA_NOT_USABLE: 'checking-error',
      CONDITIONS_NOT_SATISFIED: 'checking-error',
      NO_CURRENT_EF: 'checking-error',
      SM_INCORRECT: 'checking-error',
      WRONG_DATA: 'checking-error',
      FUNCTION_NOT_SUPPORTED: 'checking-error',
      FILE_NOT_FOUND: 'checking-error',
      RECORD_NOT_FOUND: 'checking-error',
      NOT_ENOUGH_MEMORY: 'checking-error',
      INCORRECT_P1P2: 'checking-error',
      REFERENCED_DATA_NOT_FOUND: 'checking-error',
      WRONG_P1P2_OFFSET: 'checking-error',
      INS_NOT_SUPPORTED: 'checking-error',
      CLA_NOT_SUPPORTED: 'checking-error',
      UNKNOWN: 'checking-error',
      APP_PERMANENTLY_BLOCKED: 'proprietary',
    };
    for (const [name, sw] of Object.entries(SW)) {
      expect(swInfo(sw).category, name).toBe(categories[name as keyof typeof SW]);
    }
  });

  it('only SW1 63 makes a Cx second byte a try counter', () => {
    expect(swInfo(0x62c1)).toMatchObject({ name: 'WARNING_NV_UNCHANGED', category: 'warning' });
    expect(swInfo(0x6ac2)).toMatchObject({ name: 'WRONG_PARAMETERS', category: 'checking-error' });
    expect(swInfo(0x9fc3)).toMatchObject({ name: 'PROPRIETARY', category: 'proprietary' });
    expect(swInfo(0x12c4)).toMatchObject({ name: 'UNRECOGNISED', category: 'invalid' });
    for (const sw of [0x62c1, 0x6ac2, 0x9fc3, 0x12c4]) expect(swInfo(sw).triesLeft, swHex(sw)).toBeUndefined();
  });

  it('names the other words of each SW1 with their meaning and category', () => {
    const fallbacks: [number, string, RegExp, string][] = [
      [0x6201, 'WARNING_NV_UNCHANGED', /non-volatile memory unchanged/, 'warning'],
      [0x6301, 'WARNING_NV_CHANGED', /non-volatile memory changed/, 'warning'],
      [0x6401, 'EXECUTION_ERROR_NV_UNCHANGED', /execution error, non-volatile memory unchanged/, 'execution-error'],
      [0x6501, 'EXECUTION_ERROR_NV_CHANGED', /execution error, non-volatile memory changed/, 'execution-error'],
      [0x6601, 'SECURITY_ERROR', /security-related/, 'execution-error'],
      [0x6701, 'WRONG_LENGTH_OTHER', /wrong length/, 'checking-error'],
      [0x6801, 'CLA_FUNCTION_NOT_SUPPORTED', /functions in CLA/, 'checking-error'],
      [0x6901, 'COMMAND_NOT_ALLOWED', /command not allowed/, 'checking-error'],
      [0x6a01, 'WRONG_PARAMETERS', /wrong parameters/, 'checking-error'],
      [0x6b01, 'WRONG_P1P2_OTHER', /wrong parameters/, 'checking-error'],
      [0x6d01, 'INS_INVALID', /instruction code/, 'checking-error'],
      [0x6e01, 'CLA_INVALID', /class not supported/, 'checking-error'],
      [0x6f01, 'NO_PRECISE_DIAGNOSIS', /no precise diagnosis/, 'checking-error'],
      [0x9f10, 'PROPRIETARY', /proprietary status word/, 'proprietary'],
      [0x1234, 'UNRECOGNISED', /unrecognised status word/, 'invalid'],
    ];
    for (const [sw, name, meaning, category] of fallbacks) {
      const info = swInfo(sw);
      expect(info, swHex(sw)).toMatchObject({ sw, name, category, success: false });
      expect(info.meaning).toMatch(meaning);
    }
    expect(swInfo(0x63b1)).toMatchObject({ name: 'WARNING_NV_CHANGED' }); // 63 but not 63Cx
    for (const sw of [-1, 0.5, 0x10000, Number.NaN]) {
      expect(swInfo(sw)).toEqual({
        sw,
        name: 'INVALID_SW',
        meaning: 'not a status word',
        success: false,
        category: 'invalid',
      });
    }
    expect(swInfo(0xffff).name).toBe('UNRECOGNISED');
    expect(swInfo(0).name).toBe('UNRECOGNISED');
  });

  it('family words carry their whole meaning and no other count', () => {
    expect(swInfo(0x6100)).toEqual({
      sw: 0x6100,
      name: 'BYTES_AVAILABLE',
      meaning: '256 response bytes available (GET RESPONSE)',
      success: true,
      category: 'normal',
      bytesAvailable: 256,
    });
    expect(swInfo(0x6c01)).toEqual({
      sw: 0x6c01,
      name: 'WRONG_LE',
      meaning: 'wrong Le, exact length is 1',
      success: false,
      category: 'checking-error',
      correctLe: 1,
    });
    expect(swInfo(0x63cf)).toEqual({
      sw: 0x63cf,
      name: 'PIN_TRIES_LEFT',
      meaning: '15 tries left (wrong PIN or key, or a try counter query)',
      success: false,
      category: 'warning',
      triesLeft: 15,
    });
    expect(swInfo(SW.OK)).toEqual({ sw: 0x9000, name: 'OK', meaning: 'success', success: true, category: 'normal' });
  });

  it('builders refuse counts outside their range, fractions included', () => {
    for (const n of [0, 257, 1.5]) {
      expectThrowsClass(() => swBytesAvailable(n), ApduEncodeError, /bytes available must be an integer 1\.\.256/);
      expectThrowsClass(() => swWrongLe(n), ApduEncodeError, /correct Le must be an integer 1\.\.256/);
    }
    for (const n of [-1, 16, 0.5])
      expectThrowsClass(() => swTriesLeft(n), ApduEncodeError, /tries left must be an integer 0\.\.15/);
    expect(swBytesAvailable(1)).toBe(0x6101);
    expect(swWrongLe(1)).toBe(0x6c01);
    expect(swOf(0x1ff, 0x1ff)).toBe(0xffff);
    expect(swHex(0x19000)).toBe('9000');
  });

  it('builds family status words', () => {
    expect(swBytesAvailable(256)).toBe(0x6100);
    expect(swBytesAvailable(0x1e)).toBe(0x611e);
    expect(swWrongLe(0x1e)).toBe(0x6c1e);
    expect(swWrongLe(256)).toBe(0x6c00);
    expect(swTriesLeft(0)).toBe(0x63c0);
    expect(swTriesLeft(15)).toBe(0x63cf);
    expectThrowsClass(() => swTriesLeft(16), ApduEncodeError, /tries left must be an integer 0\.\.15/);
    expectThrowsClass(() => swBytesAvailable(0), ApduEncodeError, /bytes available/);
    expectThrowsClass(() => swWrongLe(257), ApduEncodeError, /correct Le/);
    expect(swOf(0x6a, 0x82)).toBe(SW.FILE_NOT_FOUND);
    expect(isSuccess(0x9000)).toBe(true);
    expect(isSuccess(0x6282)).toBe(false);
  });

  test.prop([fc.integer({ min: 1, max: 256 })])('61xx and 6Cxx builders invert swInfo', (n) => {
    expect(swInfo(swBytesAvailable(n)).bytesAvailable).toBe(n);
    expect(swInfo(swWrongLe(n)).correctLe).toBe(n);
  });

  test.prop([fc.integer({ min: 0, max: 15 })])('63Cx builder inverts swInfo', (n) => {
    expect(swInfo(swTriesLeft(n)).triesLeft).toBe(n);
  });

  it('every 16-bit value has a name, a meaning and a description starting with its hex', () => {
    for (let sw = 0; sw <= 0xffff; sw++) {
      const info = swInfo(sw);
      if (info.name.length === 0 || info.meaning.length === 0) throw new Error(`no name for ${swHex(sw)}`);
      if (info.success !== (sw === 0x9000 || sw >> 8 === 0x61)) throw new Error(`success flag wrong for ${swHex(sw)}`);
      if (!describe(sw).startsWith(`${swHex(sw)} `)) throw new Error(`describe wrong for ${swHex(sw)}`);
    }
    expect(swHex(0x6a82)).toBe('6A82');
    expect(swHex(0x0001)).toBe('0001');
  });
});
