import { describe, expect, it } from 'vitest';
import { OfficeArgumentError, QueryPasswordFormatError, DEFAULT_SCRYPT_PARAMS } from '../../../src/office/index.js';
import {
  DEFAULT_QUERY_PASSWORD_RULES,
  checkNewQueryPassword,
  initialQueryPassword,
  passwordBytes,
  personalNumberTailMatches,
  queryPasswordRules,
  queryPasswordRulesOf,
  rememberQueryPasswordRules,
  sameName,
} from '../../../src/office/password/rules.js';
import type { Database } from '../../../src/office/storage/database.js';
import { expectThrowsClass } from '../../support/throws.js';

/*
 * The query password's rules on their own, at and past each bound: the registry suites
 * (query-password.test.ts) go through them on a real store, these say what each rule lets through.
 */

function formatProblem(fn: () => unknown): { which: string; problem: string; message: string } {
  const err = expectThrowsClass(fn, QueryPasswordFormatError);
  return { which: err.which, problem: err.problem, message: err.message };
}

describe('query password options', () => {
  it('default to three tries, three resets a day and the default scrypt parameters', () => {
    expect(queryPasswordRules()).toEqual({ tryLimit: 3, hash: DEFAULT_SCRYPT_PARAMS, resetsPerDay: 3 });
    expect(queryPasswordRules({})).toEqual(DEFAULT_QUERY_PASSWORD_RULES);
  });

  it('take a try limit from 1 to 15 and resets per day from 1 to 100, whole numbers only', () => {
    expect(queryPasswordRules({ tryLimit: 1, resetsPerDay: 1 })).toMatchObject({ tryLimit: 1, resetsPerDay: 1 });
    expect(queryPasswordRules({ tryLimit: 15, resetsPerDay: 100 })).toMatchObject({
      tryLimit: 15,
      resetsPerDay: 100,
    });
    const refusal = (options: object) => expectThrowsClass(() => queryPasswordRules(options), OfficeArgumentError);
    for (const tryLimit of [0, 16, 2.5, '3'])
      expect(refusal({ tryLimit }).message).toBe('queryPassword.tryLimit must be an integer from 1 to 15');
    for (const resetsPerDay of [0, 101, 1.5, '3'])
      expect(refusal({ resetsPerDay }).message).toBe('queryPassword.resetsPerDay must be an integer from 1 to 100');
  });

  it('name the scrypt parameters as queryPassword.hash when they are refused', () => {
    expect(() => queryPasswordRules({ hash: { ln: 0, r: 8, p: 1 } })).toThrow(/^queryPassword\.hash: ln must be/);
  });

  it('must be an object', () => {
    for (const options of [null, 5, 'tryLimit=3'])
      expect(
        expectThrowsClass(() => queryPasswordRules(options as unknown as object), OfficeArgumentError).message,
      ).toBe('queryPassword options must be an object');
  });

  it('are remembered per store, and a store never given any has the defaults', () => {
    const store = {} as Database;
    const other = {} as Database;
    rememberQueryPasswordRules(store, { tryLimit: 5 });
    expect(queryPasswordRulesOf(store)).toMatchObject({ tryLimit: 5, resetsPerDay: 3 });
    expect(queryPasswordRulesOf(other)).toBe(DEFAULT_QUERY_PASSWORD_RULES);
    expect(() => rememberQueryPasswordRules(other, { tryLimit: 0 })).toThrow(OfficeArgumentError);
  });
});

describe('query password values', () => {
  it('starts as the last six characters of the card number', () => {
    expect(initialQueryPassword('S12345678')).toBe('345678');
    expect(initialQueryPassword('X1234567A')).toBe('34567A');
  });

  it('a candidate is a string (as UTF-8) or bytes, copied, of 1 to 64 bytes', () => {
    expect([...passwordBytes('Ab1é')]).toEqual([0x41, 0x62, 0x31, 0xc3, 0xa9]);
    const given = new Uint8Array([0x61, 0x31]);
    const copy = passwordBytes(given);
    given[0] = 0x7a;
    expect([...copy]).toEqual([0x61, 0x31]);
    expect(passwordBytes('x'.repeat(64))).toHaveLength(64);
    expect(passwordBytes(new Uint8Array(64))).toHaveLength(64);
    expect(formatProblem(() => passwordBytes(''))).toEqual({
      which: 'current',
      problem: 'length',
      message: 'the password must have 1 to 64 bytes',
    });
    expect(formatProblem(() => passwordBytes('x'.repeat(65), 'new'))).toMatchObject({
      which: 'new',
      problem: 'length',
    });
    // 33 two-byte characters: 66 bytes, though only 33 characters.
    expect(formatProblem(() => passwordBytes('é'.repeat(33))).problem).toBe('length');
    expect(formatProblem(() => passwordBytes(new Uint8Array(0))).problem).toBe('length');
    for (const notOne of [123456, null, undefined, ['a'], { length: 3 }])
      expect(formatProblem(() => passwordBytes(notOne as string))).toEqual({
        which: 'current',
        problem: 'malformed',
        message: 'the password must be a string or UTF-8 bytes',
      });
    expect(formatProblem(() => passwordBytes(7 as unknown as string, 'new')).which).toBe('new');
  });

  it('a new one has 8 to 20 characters from ! to ~, checked for characters first', () => {
    const ok = (p: string) => expect(() => checkNewQueryPassword(Buffer.from(p, 'latin1'))).not.toThrow();
    ok('abcdefg1');
    ok('abcdefghijklmnopqr12');
    ok('!a1~~~~~');
    const problem = (p: string) => formatProblem(() => checkNewQueryPassword(Buffer.from(p, 'latin1')));
    expect(problem('abcdef1')).toEqual({
      which: 'new',
      problem: 'length',
      message: 'a new query password has 8 to 20 characters',
    });
    expect(problem('abcdefghijklmnopqrs12').problem).toBe('length');
    for (const bad of ['abcd efg1', 'abcdefg1\x7f', 'abcdefg1\xe9', '\x20abcdefg1', 'abcdefg1\n', 'a 1'])
      expect(problem(bad)).toEqual({
        which: 'new',
        problem: 'characters',
        message: 'a new query password has printable ASCII characters only, no spaces',
      });
    expect(formatProblem(() => checkNewQueryPassword(new Uint8Array(0))).problem).toBe('characters');
    expect(formatProblem(() => checkNewQueryPassword(Buffer.from('芝麻开门2025abc'))).problem).toBe('characters');
  });

  it('a new one has a letter (a to z or A to Z) and a digit (0 to 9)', () => {
    const problem = (p: string) => {
      try {
        checkNewQueryPassword(Buffer.from(p, 'latin1'));
        return 'none';
      } catch (err) {
        return (err as QueryPasswordFormatError).problem;
      }
    };
    for (const good of ['a0!!!!!!', 'z9!!!!!!', 'A5!!!!!!', 'Z5!!!!!!', '!!!!!!!a0'])
      expect(problem(good)).toBe('none');
    for (const simple of ['abcdefgh', 'ABCDEFGH', '12345678', '!@#$%^&*', 'a!!!!!!!', '1!!!!!!!'])
      expect(problem(simple)).toBe('too-simple');
    expect(formatProblem(() => checkNewQueryPassword(Buffer.from('abcdefgh')))).toEqual({
      which: 'new',
      problem: 'too-simple',
      message: 'a new query password has at least one letter and one digit',
    });
  });
});

describe('query password resets', () => {
  it('the personal number tail is the ID number’s last six, trimmed, X in either case, and a string', () => {
    expect(personalNumberTailMatches('11010519491231002X', '31002X')).toBe(true);
    expect(personalNumberTailMatches('11010519491231002x', '31002X')).toBe(true);
    expect(personalNumberTailMatches('11010519491231002X', '\t31002x\n')).toBe(true);
    expect(personalNumberTailMatches('110105194912310021', '310021')).toBe(true);
    expect(personalNumberTailMatches('110105194912310021', '1231002')).toBe(false);
    expect(personalNumberTailMatches('11010519491231002X', '231002')).toBe(false);
    expect(personalNumberTailMatches('110105194912310021', 310021 as unknown as string)).toBe(false);
    expect(personalNumberTailMatches('110105194912310021', '')).toBe(false);
  });

  it('names match in one Unicode form, without blanks, ideographic spaces or middle dots', () => {
    expect(sameName('阿依古丽·买买提', '阿依古丽•买买提')).toBe(true);
    expect(sameName('张伟', '张\u3000伟')).toBe(true);
    expect(sameName('张 伟', '\t张伟\n')).toBe(true);
    expect(sameName('José', 'Jose\u0301')).toBe(true);
    expect(sameName('阿依古丽·买买提', '阿依古丽 买买提')).toBe(true);
    expect(sameName('张伟', '张伟伟')).toBe(false);
    expect(sameName('张伟', '张')).toBe(false);
    expect(sameName('张伟', 'x张伟')).toBe(false);
    expect(sameName('', '')).toBe(false);
    // A blank answer never matches, even a stored name that is all blanks and dots.
    expect(sameName('·', '  ')).toBe(false);
    expect(sameName(' ', '\u3000')).toBe(false);
    expect(sameName('·', ' · ')).toBe(true);
    expect(sameName('张伟', 42 as unknown as string)).toBe(false);
  });
});
