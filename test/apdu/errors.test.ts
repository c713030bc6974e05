import { describe as group, expect, it } from 'vitest';
import {
  ApduEncodeError,
  ApduParseError,
  SscardError,
  StatusWordError,
  codedErrorClass,
  detailErrorClass,
  errorFamilyClass,
} from '../../src/apdu/index.js';

group('SscardError', () => {
  it('carries its code, message, cause and hint, and is named for its class', () => {
    const cause = new RangeError('underneath');
    const e = new SscardError('SOME_CODE', 'what went wrong', { cause, hint: 'try again' });
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('SOME_CODE');
    expect(e.message).toBe('what went wrong');
    expect(e.cause).toBe(cause);
    expect(e.hint).toBe('try again');
    expect(e.name).toBe('SscardError');
  });

  it('has no cause property at all when none is given, and no hint', () => {
    for (const e of [
      new SscardError('C', 'm'),
      new SscardError('C', 'm', {}),
      new SscardError('C', 'm', { hint: 'h' }),
    ]) {
      expect('cause' in e).toBe(false);
    }
    expect(new SscardError('C', 'm').hint).toBeUndefined();
    expect(new SscardError('C', 'm', { cause: undefined }).hint).toBeUndefined();
  });

  it('a falsy cause is still a cause', () => {
    const e = new SscardError('C', 'm', { cause: 0 });
    expect('cause' in e).toBe(true);
    expect(e.cause).toBe(0);
  });
});

group('errorFamilyClass', () => {
  class FamilyError extends errorFamilyClass<'ONE' | 'TWO'>() {}

  it('makes a named SscardError subclass whose code says which failure it is', () => {
    const cause = new Error('inner');
    const e = new FamilyError('TWO', 'the second failure', { cause });
    expect(e).toBeInstanceOf(FamilyError);
    expect(e).toBeInstanceOf(SscardError);
    expect(e.name).toBe('FamilyError');
    expect(e.code).toBe('TWO');
    expect(e.message).toBe('the second failure');
    expect(e.cause).toBe(cause);
  });
});

group('codedErrorClass', () => {
  class OneCodeError extends codedErrorClass('ONE_CODE') {}

  it('makes a named SscardError subclass with its one code, a message and a cause', () => {
    const cause = new Error('inner');
    const e = new OneCodeError('it failed', { cause });
    expect(e).toBeInstanceOf(SscardError);
    expect(e).toMatchObject({ code: 'ONE_CODE', name: 'OneCodeError', message: 'it failed', cause });
    expect('cause' in new OneCodeError('no cause')).toBe(false);
  });
});

group('detailErrorClass', () => {
  class ShelfError extends detailErrorClass('SHELF_EMPTY', 'shelf')<'top' | 'bottom'> {}

  it('keeps the detail given before the message under its own name, beside code, name and cause', () => {
    const cause = new Error('inner');
    const e = new ShelfError('bottom', 'nothing on the bottom shelf', { cause });
    expect(e).toBeInstanceOf(SscardError);
    expect(e.shelf).toBe('bottom');
    expect(e).toMatchObject({ code: 'SHELF_EMPTY', name: 'ShelfError', message: 'nothing on the bottom shelf', cause });
    expect(Object.keys(new ShelfError('top', 'no cause'))).toContain('shelf');
    expect('cause' in new ShelfError('top', 'no cause')).toBe(false);
  });
});

group('the APDU layer errors', () => {
  it('parse and encode errors have their own code and class name, and keep a cause', () => {
    const cause = new Error('inner');
    const parse = new ApduParseError('bad bytes', { cause });
    expect(parse).toMatchObject({ code: 'APDU_PARSE', name: 'ApduParseError', message: 'bad bytes', cause });
    const encode = new ApduEncodeError('too long', { cause });
    expect(encode).toMatchObject({ code: 'APDU_ENCODE', name: 'ApduEncodeError', message: 'too long', cause });
  });
});

group('StatusWordError', () => {
  it('carries its status word, and says it in four upper-case hex digits when there is no message', () => {
    const e = new StatusWordError(0x6a82);
    expect(e).toMatchObject({ sw: 0x6a82, code: 'STATUS_WORD', name: 'StatusWordError' });
    expect(e.message).toBe('card answered 6A82');
    expect(new StatusWordError(0x900).message).toBe('card answered 0900');
    expect(new StatusWordError(0x6982, 'verify the PIN first').message).toBe('verify the PIN first');
  });

  it('captures no stack frames, and leaves the stack trace limit as it found it', () => {
    const before = Error.stackTraceLimit;
    try {
      Error.stackTraceLimit = 7;
      const e = new StatusWordError(0x6700, 'short');
      expect(Error.stackTraceLimit).toBe(7);
      expect(e.stack).toBe('StatusWordError: short');
      expect(new Error('x').stack).toMatch(/\n\s+at /);
    } finally {
      Error.stackTraceLimit = before;
    }
  });
});
