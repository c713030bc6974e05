import { describe, expect, it } from 'vitest';
import { SW, SscardError, describe as describeSw, swTriesLeft, swWrongLe } from '../../src/apdu/index.js';
import {
  ApplicationBlockedError,
  AuthenticationBlockedError,
  AuthenticationFailedError,
  CardStatusError,
  ConditionsNotSatisfiedError,
  FileNotFoundError,
  PinBlockedError,
  PinIncorrectError,
  RecordNotFoundError,
  SecurityStatusError,
  WrongDataError,
  WrongLengthError,
  errorForStatus,
} from '../../src/terminal/index.js';

describe('errorForStatus', () => {
  it.each([
    [swTriesLeft(2), PinIncorrectError, 'PIN_INCORRECT'],
    [swTriesLeft(0), PinBlockedError, 'PIN_BLOCKED'],
    [SW.AUTH_METHOD_BLOCKED, PinBlockedError, 'PIN_BLOCKED'],
    [SW.SECURITY_STATUS_NOT_SATISFIED, SecurityStatusError, 'SECURITY_STATUS'],
    [SW.FILE_NOT_FOUND, FileNotFoundError, 'FILE_NOT_FOUND'],
    [SW.RECORD_NOT_FOUND, RecordNotFoundError, 'RECORD_NOT_FOUND'],
    [SW.CONDITIONS_NOT_SATISFIED, ConditionsNotSatisfiedError, 'CONDITIONS_NOT_SATISFIED'],
    [SW.WRONG_LENGTH, WrongLengthError, 'WRONG_LENGTH'],
    [swWrongLe(0x20), WrongLengthError, 'WRONG_LENGTH'],
    [SW.WRONG_DATA, WrongDataError, 'WRONG_DATA'],
    [SW.APP_PERMANENTLY_BLOCKED, ApplicationBlockedError, 'APPLICATION_BLOCKED'],
    [SW.INS_NOT_SUPPORTED, CardStatusError, 'CARD_STATUS'],
    [SW.FUNCTION_NOT_SUPPORTED, CardStatusError, 'CARD_STATUS'],
    [0x6f00, CardStatusError, 'CARD_STATUS'],
  ])('%i -> %o', (sw, cls, code) => {
    const e = errorForStatus(sw, { command: 'READ RECORD', ins: 0xb2 });
    expect(e).toBeInstanceOf(cls);
    expect(e).toBeInstanceOf(CardStatusError);
    expect(e).toBeInstanceOf(SscardError);
    expect(e.code).toBe(code);
    expect(e.sw).toBe(sw);
    if (!(e instanceof PinBlockedError)) expect(e.message).toBe(`READ RECORD failed: ${describeSw(sw)}`);
  });

  it('says what to do about a blocked PIN instead of the status word text', () => {
    const now = errorForStatus(swTriesLeft(0), { command: 'VERIFY', ins: 0x20 }) as PinBlockedError;
    expect(now.message).toBe('VERIFY failed: the PIN is now blocked (63C0); unlock it at a service window');
    expect(now.hint).toBe('unlock it at a service window');
    const before = errorForStatus(SW.AUTH_METHOD_BLOCKED, { command: 'VERIFY', ins: 0x20 }) as PinBlockedError;
    expect(before.message).toBe('VERIFY failed: the PIN is blocked (6983); unlock it at a service window');
    expect(before.code).toBe('PIN_BLOCKED');
  });

  it('carries a hint given by the caller, at the end of the message', () => {
    const e = errorForStatus(SW.SECURITY_STATUS_NOT_SATISFIED, {
      command: 'READ RECORD',
      ins: 0xb2,
      hint: 'verify the PIN first',
    });
    expect(e).toBeInstanceOf(SecurityStatusError);
    expect(e.hint).toBe('verify the PIN first');
    expect(e.message).toBe(`READ RECORD failed: ${describeSw(SW.SECURITY_STATUS_NOT_SATISFIED)}; verify the PIN first`);
    expect(errorForStatus(SW.FILE_NOT_FOUND).hint).toBeUndefined();
  });

  it('carries tries left and the stable SW name', () => {
    const e = errorForStatus(swTriesLeft(1)) as PinIncorrectError;
    expect(e.triesLeft).toBe(1);
    expect(e.swName).toBe('PIN_TRIES_LEFT');
    expect((errorForStatus(swTriesLeft(0)) as PinBlockedError).justBlocked).toBe(true);
    expect((errorForStatus(SW.AUTH_METHOD_BLOCKED) as PinBlockedError).justBlocked).toBe(false);
    expect(errorForStatus(SW.FILE_NOT_FOUND).swName).toBe('FILE_NOT_FOUND');
  });

  it('reads 63Cx and 6983 as key errors for EXTERNAL AUTHENTICATE', () => {
    const wrong = errorForStatus(swTriesLeft(2), { ins: 0x82 });
    expect(wrong).toBeInstanceOf(AuthenticationFailedError);
    expect((wrong as AuthenticationFailedError).triesLeft).toBe(2);
    expect(errorForStatus(SW.AUTH_METHOD_BLOCKED, { ins: 0x82 })).toBeInstanceOf(AuthenticationBlockedError);
  });

  it('reads 6A81 answering SELECT as a blocked application', () => {
    const e = errorForStatus(SW.FUNCTION_NOT_SUPPORTED, { command: 'SELECT', ins: 0xa4 });
    expect(e).toBeInstanceOf(ApplicationBlockedError);
    expect((e as ApplicationBlockedError).permanent).toBe(false);
    expect((errorForStatus(SW.APP_PERMANENTLY_BLOCKED) as ApplicationBlockedError).permanent).toBe(true);
  });
});
