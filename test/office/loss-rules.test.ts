import { describe, expect, it } from 'vitest';
import {
  ActivationWindowClosedError,
  CARD_EVENTS,
  DEFAULT_LOSS_SETTINGS,
  LOSS_ROLES,
  OfficeArgumentError,
  RegistryBlacklist,
  blacklistReason,
  describeOfficeHours,
  lossSettings,
  nextState,
  withinOfficeHours,
} from '../../src/office/index.js';
import type { BlacklistRegistry, Queryable } from '../../src/office/index.js';
import { expireTemporaryLosses, lapseLossOperation } from '../../src/office/loss/lapse.js';

describe('loss settings', () => {
  it('defaults: office hours 08:30-17:30 Monday to Friday, temporary reports lapse after 5 days and restore, 60 days to activate', () => {
    expect(lossSettings()).toEqual({
      officeHours: { days: [1, 2, 3, 4, 5], open: '08:30', close: '17:30' },
      temporaryLoss: { lapseDays: 5, onLapse: 'restore' },
      bankActivationDays: 60,
    });
    expect(lossSettings()).toEqual(DEFAULT_LOSS_SETTINGS);
    expect(describeOfficeHours(DEFAULT_LOSS_SETTINGS.officeHours)).toBe('08:30-17:30 Mon-Fri (China time)');
  });

  it('takes partial settings and refuses bad ones, naming the field', () => {
    const s = lossSettings({
      officeHours: { days: [6, 1, 1], close: '12:00' },
      temporaryLoss: { onLapse: 'keep' },
      bankActivationDays: 90,
    });
    expect(s).toEqual({
      officeHours: { days: [1, 6], open: '08:30', close: '12:00' },
      temporaryLoss: { lapseDays: 5, onLapse: 'keep' },
      bankActivationDays: 90,
    });
    expect(describeOfficeHours(s.officeHours)).toBe('08:30-12:00 Mon,Sat (China time)');
    expect(() => lossSettings({ officeHours: { open: '8:30' } })).toThrow(/loss\.officeHours\.open must be 'HH:MM'/);
    expect(() => lossSettings({ officeHours: { open: '18:00' } })).toThrow(/open must be before/);
    expect(() => lossSettings({ officeHours: { days: [0] } })).toThrow(/ISO weekdays/);
    expect(() => lossSettings({ temporaryLoss: { lapseDays: 0 } })).toThrow(
      /lapseDays must be a whole number of days from 1/,
    );
    expect(() => lossSettings({ temporaryLoss: { onLapse: 'forget' as 'keep' } })).toThrow(OfficeArgumentError);
    expect(() => lossSettings({ bankActivationDays: 2.5 })).toThrow(/bankActivationDays/);
  });

  it('office hours are China Standard Time, open inclusive and close exclusive', () => {
    const hours = DEFAULT_LOSS_SETTINGS.officeHours;
    expect(withinOfficeHours(new Date('2027-01-05T08:30:00+08:00'), hours)).toBe(true);
    expect(withinOfficeHours(new Date('2027-01-05T00:30:00Z'), hours)).toBe(true);
    expect(withinOfficeHours(new Date('2027-01-05T08:29:59+08:00'), hours)).toBe(false);
    expect(withinOfficeHours(new Date('2027-01-05T17:29:59+08:00'), hours)).toBe(true);
    expect(withinOfficeHours(new Date('2027-01-05T17:30:00+08:00'), hours)).toBe(false);
    expect(withinOfficeHours(new Date('2027-01-08T10:00:00+08:00'), hours)).toBe(true);
    expect(withinOfficeHours(new Date('2027-01-09T10:00:00+08:00'), hours)).toBe(false);
    expect(withinOfficeHours(new Date('2027-01-10T10:00:00+08:00'), hours)).toBe(false);
  });
});

describe('loss states and roles', () => {
  it('adds withdrawal of a written report, the lapse of a temporary one, and replacing a never-activated bank side', () => {
    expect(CARD_EVENTS).toEqual(expect.arrayContaining(['loss_withdraw', 'loss_lapse', 'replace_inactive']));
    expect(nextState('ssc', 'loss_withdraw', 'lost_written')).toBe('active');
    expect(nextState('bank', 'loss_withdraw', 'lost_temporary')).toBeUndefined();
    expect(nextState('ssc', 'loss_lapse', 'lost_temporary')).toBe('active');
    expect(nextState('ssc', 'loss_lapse', 'lost_written')).toBeUndefined();
    expect(nextState('bank', 'replace_inactive', 'inactive')).toBe('replaced');
    expect(nextState('ssc', 'replace_inactive', 'active')).toBeUndefined();
    expect(nextState('bank', 'replace_inactive', 'active')).toBeUndefined();
  });

  it('each side is reported through its own terminals', () => {
    expect(LOSS_ROLES.self).toEqual({ ssc: ['hotline', 'portal', 'admin'], bank: ['bank', 'admin'] });
    expect(LOSS_ROLES.manual.ssc).not.toContain('pos');
    expect(LOSS_ROLES.written).toEqual({ ssc: ['window', 'admin'], bank: ['bank', 'admin'] });
  });

  it('lists lost, replaced and blocked sides; not an inactive or locked one', () => {
    expect(blacklistReason('lost_temporary')).toBe('lost');
    expect(blacklistReason('lost_written')).toBe('lost');
    expect(blacklistReason('replaced')).toBe('replaced');
    expect(blacklistReason('blocked')).toBe('blocked');
    for (const state of ['active', 'pin_locked', 'inactive', null] as const)
      expect(blacklistReason(state)).toBeUndefined();
  });

  it('the day-61 refusal says what the holder does next', () => {
    const e = new ActivationWindowClosedError('S00000009', '2027-01-05', 61, 60);
    expect(e.message).toBe(
      'card S00000009: the bank application must be activated within 60 days of 2027-01-05; this is day 61. A written request at the bank branch re-opens the window',
    );
  });
});

describe('the temporary-loss rule "keep"', () => {
  it('leaves temporary reports standing: nothing is read, nothing lapses', async () => {
    const keep = lossSettings({ temporaryLoss: { onLapse: 'keep' } });
    const untouched: Queryable = {
      query: () => Promise.reject(new Error('no query expected')),
      exec: () => Promise.reject(new Error('no exec expected')),
    };
    let lapsed = 0;
    expect(
      await expireTemporaryLosses(untouched, new Date(), keep, async () => {
        lapsed += 1;
        throw new Error('no lapse expected');
      }),
    ).toEqual([]);
    expect(lapsed).toBe(0);
    const env = {
      ctx: { terminalId: 't', role: 'admin' as const, channel: 'batch' as const },
      now: new Date(),
      cardSide: async () => undefined,
    };
    await expect(
      lapseLossOperation(keep).run(untouched, env, { cardNumber: 'S00000001', side: 'ssc' }),
    ).rejects.toThrow(/onLapse 'restore'/);
  });
});

describe('RegistryBlacklist', () => {
  it('answers lookups from the registry and reports a block under the card number the registry knows', async () => {
    const reported: unknown[] = [];
    const fake: BlacklistRegistry = {
      location: 'file:/tmp/x',
      blacklistOf: async (card) =>
        card.cardIdentifier === '1101059000000042'
          ? [{ cardNumber: 'S00000042', cardIdentifier: '1101059000000042', side: 'bank', reason: 'blocked' }]
          : [],
      recordApplicationBlocked: async (ctx, input) => {
        reported.push({ ctx, input });
        return undefined as never;
      },
    };
    const ctx = { terminalId: 'pos-1', role: 'pos' as const, channel: 'terminal' as const };
    const source = new RegistryBlacklist(fake, ctx);
    expect(source.description).toBe('registry file:/tmp/x');
    expect(await source.lookup({ cardNumber: 'X00000000', cardIdentifier: '1101059000000042' })).toEqual([
      { side: 'bank', reason: 'blocked' },
    ]);
    expect(await source.lookup({ cardNumber: 'S00000042', cardIdentifier: '9' })).toEqual([]);
    await source.reportBlocked({
      cardNumber: 'X00000000',
      cardIdentifier: '1101059000000042',
      side: 'bank',
      reason: 'blocked',
    });
    expect(reported).toEqual([{ ctx, input: { cardNumber: 'S00000042', side: 'bank', reason: 'blocked' } }]);
  });
});
