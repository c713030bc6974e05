import { describe, expect, it } from 'vitest';
import {
  BankPinCheckFailedError,
  IdMismatchError,
  InitialPinSelfServiceError,
  NameMismatchError,
  OfficeArgumentError,
  OutsideOfficeHoursError,
  ProxyIdRequiredError,
  RoleNotAllowedError,
  DEFAULT_LOSS_SETTINGS,
} from '../../../src/office/index.js';
import { SscardError } from '../../../src/apdu/index.js';
import {
  ANY_LOSS_ROLE,
  cardHolderSubject,
  channelOf,
  checkReporter,
  documentOf,
  proxyOf,
  requireLossRole,
  runBankPinCheck,
  sideOf,
} from '../../../src/office/loss/checks.js';
import type {
  BankPinCheck,
  LossReportInput,
  OperationEnv,
  CardStatus,
  OperationContext,
} from '../../../src/office/index.js';
import { expectThrowsClass } from '../../support/throws.js';

/*
 * The checks every loss report, withdrawal and replacement goes through, on their own: which
 * values name a side, channel and document, who may report through which channel, who the caller
 * is, and the bank PIN check of a written bank-side act.
 */

const HOLDER_ID = '11010519491231002X';
const PROXY_ID = '110105198001010011';

function card(over: Partial<CardStatus> = {}): CardStatus {
  return {
    cardNumber: 'S00000042',
    cardIdentifier: '1101059000000042',
    idNumber: HOLDER_ID,
    holderName: '张 伟',
    specVersion: '3.00',
    financial: true,
    issueDate: '2027-01-04',
    expiryDate: '2037-01-04',
    ssc: 'active',
    bank: 'active',
    pinInitial: false,
    replaces: null,
    personalizationVersion: 1,
    pendingScripts: 0,
    updatedAt: new Date('2027-01-04T00:00:00Z'),
    ...over,
  };
}

// Tuesday 2027-01-05, 10:00 China time: within the default office hours.
const OPEN = new Date('2027-01-05T10:00:00+08:00');
// The same Tuesday, 18:05 China time: after closing.
const CLOSED = new Date('2027-01-05T18:05:00+08:00');

function env(over: { now?: Date; channel?: OperationContext['channel']; steps?: unknown[] } = {}): OperationEnv {
  const steps = over.steps ?? [];
  return {
    ctx: { terminalId: 'window-1', role: 'window', channel: over.channel ?? 'counter' },
    now: over.now ?? OPEN,
    cardSide: async (step, arg) => {
      steps.push(arg);
      await step?.(arg);
    },
  };
}

function input(over: Partial<LossReportInput>): LossReportInput {
  return { cardNumber: 'S00000042', side: 'ssc', channel: 'written', ...over };
}

describe('loss report values', () => {
  it('a side is ssc or bank', () => {
    expect(sideOf('ssc')).toBe('ssc');
    expect(sideOf('bank')).toBe('bank');
    for (const bad of ['SSC', 'both', undefined])
      expect(expectThrowsClass(() => sideOf(bad), OfficeArgumentError).message).toBe(
        `side must be 'ssc' or 'bank', got ${JSON.stringify(bad)}`,
      );
  });

  it('a channel is self, manual or written', () => {
    for (const c of ['self', 'manual', 'written']) expect(channelOf(c)).toBe(c);
    expect(expectThrowsClass(() => channelOf('phone'), OfficeArgumentError).message).toBe(
      'channel must be one of self, manual, written, got "phone"',
    );
  });

  it('a document is the ID card unless another one is named', () => {
    expect(documentOf(undefined)).toBe('id');
    for (const d of ['id', 'household', 'residence', 'employer']) expect(documentOf(d)).toBe(d);
    expect(expectThrowsClass(() => documentOf('passport'), OfficeArgumentError).message).toBe(
      'document must be one of id, household, residence, employer, got "passport"',
    );
    expect(() => documentOf(null)).toThrow(OfficeArgumentError);
  });

  it('every role a channel allows is in the list of loss roles', () => {
    expect(ANY_LOSS_ROLE).toEqual(['window', 'bank', 'hotline', 'portal', 'admin']);
  });
});

describe('who may report through which channel', () => {
  it('names the act, the side, the role refused and the roles allowed', () => {
    expect(() => requireLossRole('portal', 'self', 'ssc', 'loss report')).not.toThrow();
    expect(() => requireLossRole('bank', 'written', 'bank', 'loss report')).not.toThrow();
    const ssc = expectThrowsClass(() => requireLossRole('window', 'self', 'ssc', 'loss report'), RoleNotAllowedError);
    expect(ssc.message).toBe(
      'a self loss report of the social security side is not allowed for role window (allowed: hotline, portal, admin)',
    );
    expect(ssc.details).toEqual({ allowed: ['hotline', 'portal', 'admin'] });
    const bank = expectThrowsClass(
      () => requireLossRole('window', 'written', 'bank', 'withdrawal'),
      RoleNotAllowedError,
    );
    expect(bank.message).toBe(
      'a written withdrawal of the bank side is not allowed for role window (allowed: bank, admin)',
    );
  });
});

describe('a proxy', () => {
  const proxy = (id: unknown, channel: 'self' | 'manual' | 'written' = 'written', ctxChannel = 'counter') =>
    proxyOf(card(), channel, ctxChannel, id, 'a loss report');

  it('is nobody when no ID number is given, unless the terminal says a proxy is acting', () => {
    for (const none of [undefined, null, '']) {
      expect(proxy(none)).toBeNull();
      expect(proxy(none, 'self')).toBeNull();
      expect(expectThrowsClass(() => proxy(none, 'written', 'proxy'), ProxyIdRequiredError).message).toBe(
        "a loss report by a proxy needs both IDs: the holder's and the proxy's ID number",
      );
    }
  });

  it('acts in writing only, with an ID number of 17 digits and a digit or X, not the holder’s', () => {
    expect(proxy(PROXY_ID)).toBe(PROXY_ID);
    expect(proxy('11010519800101001x')).toBe('11010519800101001X');
    expect(proxy(PROXY_ID, 'written', 'proxy')).toBe(PROXY_ID);
    for (const channel of ['self', 'manual'] as const)
      expect(expectThrowsClass(() => proxy(PROXY_ID, channel), OfficeArgumentError).message).toBe(
        'a proxy acts in writing (channel written), with both IDs',
      );
    for (const bad of [
      '11010519800101001',
      '1101051980010100111',
      '11010519800101001Y',
      'x110105198001010011',
      1101051980,
    ])
      expect(expectThrowsClass(() => proxy(bad), OfficeArgumentError).message).toBe(
        "proxyIdNumber must be an ID number: 17 digits and a digit or 'X'",
      );
    expect(() => proxy(HOLDER_ID)).toThrow(ProxyIdRequiredError);
    expect(() => proxy(HOLDER_ID.toLowerCase())).toThrow(ProxyIdRequiredError);
  });
});

describe('who is reporting', () => {
  it('self-service: only once the PIN was changed; an ID number given must be the holder’s', () => {
    const initial = card({ pinInitial: true });
    expect(
      expectThrowsClass(
        () => checkReporter(initial, 'self', input({ channel: 'self' }), env(), DEFAULT_LOSS_SETTINGS, 'a loss report'),
        InitialPinSelfServiceError,
      ).message,
    ).toMatch(/^card S00000042: self-service loss reporting is only for cards whose PIN the holder has changed/);
    expect(checkReporter(card(), 'self', input({ channel: 'self' }), env(), DEFAULT_LOSS_SETTINGS, 'r')).toEqual({
      document: null,
      proxyIdNumber: null,
    });
    expect(
      checkReporter(
        card(),
        'self',
        input({ channel: 'self', idNumber: HOLDER_ID.toLowerCase() }),
        env(),
        DEFAULT_LOSS_SETTINGS,
        'r',
      ),
    ).toEqual({ document: null, proxyIdNumber: null });
    expect(() =>
      checkReporter(card(), 'self', input({ channel: 'self', idNumber: PROXY_ID }), env(), DEFAULT_LOSS_SETTINGS, 'r'),
    ).toThrow(IdMismatchError);
    expect(() =>
      checkReporter(
        card(),
        'self',
        input({ channel: 'self', proxyIdNumber: PROXY_ID }),
        env(),
        DEFAULT_LOSS_SETTINGS,
        'r',
      ),
    ).toThrow(/a proxy acts in writing/);
  });

  it('manual: in office hours, with the name and ID number, both the holder’s', () => {
    const manual = (over: Partial<LossReportInput>, e = env()) =>
      checkReporter(card(), 'manual', input({ channel: 'manual', ...over }), e, DEFAULT_LOSS_SETTINGS, 'r');
    expect(manual({ name: '张伟', idNumber: HOLDER_ID })).toEqual({ document: null, proxyIdNumber: null });
    expect(manual({ name: ' 张 伟 ', idNumber: HOLDER_ID.toLowerCase() })).toEqual({
      document: null,
      proxyIdNumber: null,
    });
    const late = expectThrowsClass(
      () => manual({ name: '张伟', idNumber: HOLDER_ID }, env({ now: CLOSED })),
      OutsideOfficeHoursError,
    );
    expect(late.message).toBe(
      'manual loss reports are taken 08:30-17:30 Mon-Fri (China time); it is Tue 2027-01-05 18:05 China time',
    );
    for (const missing of [
      { idNumber: HOLDER_ID },
      { name: '  ', idNumber: HOLDER_ID },
      { name: '张伟' },
      { name: 7 as unknown as string, idNumber: HOLDER_ID },
    ])
      expect(expectThrowsClass(() => manual(missing), OfficeArgumentError).message).toBe(
        'a manual report takes the card number, the name and the ID number',
      );
    expect(() => manual({ name: '张伟', idNumber: PROXY_ID })).toThrow(IdMismatchError);
    expect(expectThrowsClass(() => manual({ name: '张伟伟', idNumber: HOLDER_ID }), NameMismatchError).message).toBe(
      "the name given is not the holder's of card S00000042",
    );
    expect(() => manual({ name: '张伟', idNumber: HOLDER_ID, proxyIdNumber: PROXY_ID })).toThrow(/in writing/);
  });

  it('written: the ID number on the document shown, the kind of document and a proxy’s ID number recorded', () => {
    const written = (over: Partial<LossReportInput>, e = env()) =>
      checkReporter(card(), 'written', input(over), e, DEFAULT_LOSS_SETTINGS, 'r');
    expect(written({ idNumber: HOLDER_ID })).toEqual({ document: 'id', proxyIdNumber: null });
    expect(
      written({ idNumber: HOLDER_ID, document: 'household', proxyIdNumber: PROXY_ID }, env({ now: CLOSED })),
    ).toEqual({
      document: 'household',
      proxyIdNumber: PROXY_ID,
    });
    expect(expectThrowsClass(() => written({}), OfficeArgumentError).message).toBe(
      'a written report takes the ID number on the document shown',
    );
    expect(() => written({ idNumber: PROXY_ID })).toThrow(IdMismatchError);
    expect(() => written({ idNumber: HOLDER_ID, document: 'passport' as 'id' })).toThrow(/document must be one of/);
    expect(() => written({ idNumber: HOLDER_ID }, env({ channel: 'proxy' }))).toThrow(ProxyIdRequiredError);
  });
});

describe('the bank PIN check of a written bank-side act', () => {
  it('runs as a card-side step and says where it was checked', async () => {
    const steps: unknown[] = [];
    const checked: CardStatus[] = [];
    const c = card();
    for (const on of ['card', 'bank_system'] as const) {
      const check: BankPinCheck = { on, check: async (x) => void checked.push(x) };
      expect(await runBankPinCheck(env({ steps }), c, check)).toBe(on);
    }
    expect(checked).toEqual([c, c]);
    expect(steps).toEqual([undefined, undefined]);
  });

  it('is required, with a check function and where it is made', async () => {
    const message = "a written bank-side report takes bankPinCheck { on: 'card' | 'bank_system', check }";
    const steps: unknown[] = [];
    for (const bad of [
      undefined,
      { on: 'card', check: 'yes' },
      { on: 'branch', check: async () => undefined },
      { on: 'bank_system' },
    ]) {
      await expect(runBankPinCheck(env({ steps }), card(), bad as BankPinCheck)).rejects.toThrow(
        new OfficeArgumentError(message),
      );
    }
    expect(steps).toEqual([]);
  });

  it('a failed check refuses the act, naming where and the failure’s code', async () => {
    const failing = (err: unknown): BankPinCheck => ({ on: 'bank_system', check: () => Promise.reject(err) });
    const coded = await runBankPinCheck(env(), card(), failing(new SscardError('PIN_INCORRECT', 'wrong'))).catch(
      (e: unknown) => e,
    );
    expect(coded).toBeInstanceOf(BankPinCheckFailedError);
    expect((coded as BankPinCheckFailedError).message).toBe('the bank PIN check (bank_system) failed (PIN_INCORRECT)');
    const plain = await runBankPinCheck(env(), card(), failing(new Error('down'))).catch((e: unknown) => e);
    expect((plain as BankPinCheckFailedError).message).toBe('the bank PIN check (bank_system) failed');
  });
});

describe('the history subject of an act on a card', () => {
  it('is the card, and the ID number only when one was given as text', () => {
    expect(cardHolderSubject({ cardNumber: 'S00000042', idNumber: HOLDER_ID })).toEqual({
      cardNumber: 'S00000042',
      idNumber: HOLDER_ID,
    });
    expect(cardHolderSubject({ cardNumber: 'S00000042' })).toEqual({ cardNumber: 'S00000042', idNumber: null });
    expect(cardHolderSubject({ cardNumber: 'S00000042', idNumber: 110105 })).toEqual({
      cardNumber: 'S00000042',
      idNumber: null,
    });
  });
});
