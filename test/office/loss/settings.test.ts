import { describe, expect, it } from 'vitest';
import { OfficeArgumentError } from '../../../src/office/index.js';
import {
  DEFAULT_LOSS_SETTINGS,
  chinaTimeText,
  describeOfficeHours,
  lossSettings,
  withinOfficeHours,
} from '../../../src/office/loss/settings.js';
import { expectThrowsClass } from '../../support/throws.js';

/*
 * The loss settings at and past each bound (loss-rules.test.ts has the defaults and the usual
 * cases): what a region may set, and how office hours read in China time.
 */

function refusal(input: unknown): string {
  return expectThrowsClass(() => lossSettings(input as Parameters<typeof lossSettings>[0]), OfficeArgumentError)
    .message;
}

describe('loss settings bounds', () => {
  it('must be an object', () => {
    for (const bad of [null, 3, 'loss']) expect(refusal(bad)).toBe('loss settings must be an object');
  });

  it('office days are a non-empty list of ISO weekdays 1 to 7, kept once each in order', () => {
    expect(lossSettings({ officeHours: { days: [7, 1] } }).officeHours.days).toEqual([1, 7]);
    expect(lossSettings({ officeHours: { days: [3, 3, 2] } }).officeHours.days).toEqual([2, 3]);
    const message = 'loss.officeHours.days must list ISO weekdays 1 (Monday) to 7 (Sunday)';
    for (const days of [[], [0], [8], [1, 1.5], '1,2', [1, '2']])
      expect(refusal({ officeHours: { days } })).toBe(message);
  });

  it("office hours are 'HH:MM' from 00:00 to 23:59, opening before closing", () => {
    expect(lossSettings({ officeHours: { open: '00:00', close: '23:59' } }).officeHours).toMatchObject({
      open: '00:00',
      close: '23:59',
    });
    expect(lossSettings({ officeHours: { open: '19:00', close: '20:00' } }).officeHours.open).toBe('19:00');
    expect(lossSettings({ officeHours: { open: '09:00', close: '09:01' } }).officeHours.close).toBe('09:01');
    for (const open of ['24:00', '23:60', '9:00', '09:00 ', 'x09:00', '09:5', '30:00'])
      expect(refusal({ officeHours: { open, close: '23:59' } })).toBe(
        `loss.officeHours.open must be 'HH:MM' (00:00 to 23:59), got ${JSON.stringify(open)}`,
      );
    expect(refusal({ officeHours: { close: '17:3' } })).toBe(
      `loss.officeHours.close must be 'HH:MM' (00:00 to 23:59), got "17:3"`,
    );
    for (const open of ['17:30', '17:31'])
      expect(refusal({ officeHours: { open } })).toBe('loss.officeHours.open must be before loss.officeHours.close');
    // Minutes count: 09:59 is before 10:00 though 59 > 00.
    expect(lossSettings({ officeHours: { open: '09:59', close: '10:00' } }).officeHours.open).toBe('09:59');
  });

  it('temporary reports lapse after 1 to 3650 whole days, restored or kept', () => {
    expect(lossSettings({ temporaryLoss: { lapseDays: 1 } }).temporaryLoss).toEqual({
      lapseDays: 1,
      onLapse: 'restore',
    });
    expect(lossSettings({ temporaryLoss: { lapseDays: 3650, onLapse: 'keep' } }).temporaryLoss).toEqual({
      lapseDays: 3650,
      onLapse: 'keep',
    });
    for (const lapseDays of [0, 3651, 1.5, '5'])
      expect(refusal({ temporaryLoss: { lapseDays } })).toBe(
        'loss.temporaryLoss.lapseDays must be a whole number of days from 1 to 3650',
      );
    expect(refusal({ temporaryLoss: { onLapse: 'lapse' } })).toBe(
      "loss.temporaryLoss.onLapse must be 'restore' or 'keep'",
    );
  });

  it('the bank application is activated within 1 to 3650 days', () => {
    expect(lossSettings({ bankActivationDays: 1 }).bankActivationDays).toBe(1);
    expect(lossSettings({ bankActivationDays: 3650 }).bankActivationDays).toBe(3650);
    for (const bankActivationDays of [0, 3651, '60'])
      expect(refusal({ bankActivationDays })).toBe(
        'loss.bankActivationDays must be a whole number of days from 1 to 3650',
      );
  });

  it('a result shares nothing with the defaults or the input', () => {
    const days = [2, 1];
    const s = lossSettings({ officeHours: { days } });
    days.push(3);
    expect(s.officeHours.days).toEqual([1, 2]);
    expect(DEFAULT_LOSS_SETTINGS.officeHours.days).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('office hours in China time', () => {
  it('the weekday is China’s: Sunday 23:00 UTC is Monday morning there', () => {
    const allWeek = { days: [1, 2, 3, 4, 5, 6, 7], open: '00:00', close: '23:59' };
    const monday = { ...allWeek, days: [1] };
    const sunday = { ...allWeek, days: [7] };
    expect(withinOfficeHours(new Date('2027-01-10T23:00:00Z'), monday)).toBe(true);
    expect(withinOfficeHours(new Date('2027-01-10T23:00:00Z'), sunday)).toBe(false);
    expect(withinOfficeHours(new Date('2027-01-10T15:00:00Z'), sunday)).toBe(true);
    expect(chinaTimeText(new Date('2027-01-10T23:00:00Z'))).toBe('Mon 2027-01-11 07:00 China time');
    expect(chinaTimeText(new Date('2027-01-10T15:59:00Z'))).toBe('Sun 2027-01-10 23:59 China time');
    expect(chinaTimeText(new Date('2027-01-09T04:05:00Z'))).toBe('Sat 2027-01-09 12:05 China time');
  });

  it('minutes count within the hour: 12:29 is before 12:30, 13:00 after 12:30', () => {
    const hours = { days: [6], open: '12:30', close: '13:01' };
    expect(withinOfficeHours(new Date('2027-01-09T12:29:00+08:00'), hours)).toBe(false);
    expect(withinOfficeHours(new Date('2027-01-09T12:30:00+08:00'), hours)).toBe(true);
    expect(withinOfficeHours(new Date('2027-01-09T13:00:00+08:00'), hours)).toBe(true);
    expect(withinOfficeHours(new Date('2027-01-09T13:01:00+08:00'), hours)).toBe(false);
  });

  it("office hours given directly must be 'HH:MM' too, naming which end is wrong", () => {
    const at = new Date('2027-01-05T10:00:00+08:00');
    expect(() => withinOfficeHours(at, { days: [2], open: '8:30', close: '17:30' })).toThrow(
      new OfficeArgumentError(`open must be 'HH:MM' (00:00 to 23:59), got "8:30"`),
    );
    expect(() => withinOfficeHours(at, { days: [2], open: '08:30', close: '17h30' })).toThrow(
      new OfficeArgumentError(`close must be 'HH:MM' (00:00 to 23:59), got "17h30"`),
    );
  });

  it('are described as a range of days when they follow each other, else listed', () => {
    const at = (days: number[]) => describeOfficeHours({ days, open: '09:00', close: '12:00' });
    expect(at([1])).toBe('09:00-12:00 Mon (China time)');
    expect(at([7])).toBe('09:00-12:00 Sun (China time)');
    expect(at([6, 7])).toBe('09:00-12:00 Sat-Sun (China time)');
    expect(at([3, 1, 2])).toBe('09:00-12:00 Mon-Wed (China time)');
    expect(at([1, 3])).toBe('09:00-12:00 Mon,Wed (China time)');
    expect(at([1, 2, 4])).toBe('09:00-12:00 Mon,Tue,Thu (China time)');
    expect(at([2, 4, 5])).toBe('09:00-12:00 Tue,Thu,Fri (China time)');
  });
});
