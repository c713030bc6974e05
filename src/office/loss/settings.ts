import { OfficeArgumentError } from '../errors.js';

/*
 * The regional rules of loss reporting, replacement and bank activation, as one setting of the
 * registry (RegistryOptions.loss). Defaults and why:
 *   - officeHours 08:30-17:30, Monday to Friday, China Standard Time: the hotline operators' and
 *     windows' usual hours (public holidays are not modelled: a region lists its working days).
 *   - temporaryLoss { lapseDays: 5, onLapse: 'restore' }: a self-service or manual report is a
 *     temporary one; without a written report within 5 days it lapses and the side is usable
 *     again. This follows the rule banks apply to oral loss reports (the Savings Regulations: an
 *     oral report must be followed by a written one within 5 days or it lapses), so both sides of
 *     the card behave alike. Regions that keep a temporary report until it is withdrawn or
 *     followed up set onLapse 'keep'. Applied by the `expire_temporary_loss` operation that
 *     `sscard office expire-losses` (a daily cron job) runs, so that every change of state is an
 *     operation with its history entry; until it runs, a lapsed report still blocks (the safe side).
 *   - bankActivationDays 60: a new or replacement financial card's bank application must be
 *     activated at a bank within 60 days of the holder receiving it (issue date, or a recorded
 *     hand-over date).
 */

export interface OfficeHours {
  /** ISO weekdays the offices work: 1 = Monday … 7 = Sunday. */
  days: readonly number[];
  /** 'HH:MM', China Standard Time, inclusive. */
  open: string;
  /** 'HH:MM', China Standard Time, exclusive. */
  close: string;
}

export interface TemporaryLossRule {
  /** Whole days a temporary report stands without a written one. */
  lapseDays: number;
  /** 'restore': the side becomes usable again; 'keep': it stays reported until withdrawn or followed up. */
  onLapse: 'restore' | 'keep';
}

export interface LossSettings {
  officeHours: OfficeHours;
  temporaryLoss: TemporaryLossRule;
  /** Days from receiving a financial card within which its bank application must be activated. */
  bankActivationDays: number;
}

/** What RegistryOptions.loss takes: any part of the settings, the rest default. */
export interface LossSettingsInput {
  officeHours?: Partial<OfficeHours>;
  temporaryLoss?: Partial<TemporaryLossRule>;
  bankActivationDays?: number;
}

export const DEFAULT_LOSS_SETTINGS: LossSettings = Object.freeze({
  officeHours: Object.freeze({ days: Object.freeze([1, 2, 3, 4, 5]), open: '08:30', close: '17:30' }),
  temporaryLoss: Object.freeze({ lapseDays: 5, onLapse: 'restore' as const }),
  bankActivationDays: 60,
});

const HH_MM = /^([01][0-9]|2[0-3]):([0-5][0-9])$/;

function minutes(text: string, what: string): number {
  const m = HH_MM.exec(text);
  if (m === null)
    throw new OfficeArgumentError(`${what} must be 'HH:MM' (00:00 to 23:59), got ${JSON.stringify(text)}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

function wholeDays(v: unknown, what: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 3650) {
    throw new OfficeArgumentError(`${what} must be a whole number of days from ${min} to 3650`);
  }
  return v;
}

/** The settings with defaults filled in, checked; OfficeArgumentError names a bad field. */
export function lossSettings(input: LossSettingsInput = {}): LossSettings {
  if (input === null || typeof input !== 'object') throw new OfficeArgumentError('loss settings must be an object');
  const hours = { ...DEFAULT_LOSS_SETTINGS.officeHours, ...input.officeHours };
  if (
    !Array.isArray(hours.days) ||
    hours.days.length === 0 ||
    hours.days.some((d) => !Number.isInteger(d) || d < 1 || d > 7)
  ) {
    throw new OfficeArgumentError('loss.officeHours.days must list ISO weekdays 1 (Monday) to 7 (Sunday)');
  }
  if (minutes(hours.open, 'loss.officeHours.open') >= minutes(hours.close, 'loss.officeHours.close')) {
    throw new OfficeArgumentError('loss.officeHours.open must be before loss.officeHours.close');
  }
  const temporary = { ...DEFAULT_LOSS_SETTINGS.temporaryLoss, ...input.temporaryLoss };
  wholeDays(temporary.lapseDays, 'loss.temporaryLoss.lapseDays', 1);
  if (temporary.onLapse !== 'restore' && temporary.onLapse !== 'keep') {
    throw new OfficeArgumentError("loss.temporaryLoss.onLapse must be 'restore' or 'keep'");
  }
  const bankActivationDays = wholeDays(
    input.bankActivationDays ?? DEFAULT_LOSS_SETTINGS.bankActivationDays,
    'loss.bankActivationDays',
    1,
  );
  return {
    officeHours: { days: [...new Set(hours.days)].sort((a, b) => a - b), open: hours.open, close: hours.close },
    temporaryLoss: { lapseDays: temporary.lapseDays, onLapse: temporary.onLapse },
    bankActivationDays,
  };
}

const CHINA_OFFSET_MS = 8 * 3600_000;
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** The instant as China Standard Time: ISO weekday (1 = Monday) and minutes since midnight. */
function chinaClock(at: Date): { weekday: number; minute: number; text: string } {
  const local = new Date(at.getTime() + CHINA_OFFSET_MS);
  const weekday = ((local.getUTCDay() + 6) % 7) + 1;
  const text = `${WEEKDAYS[weekday - 1]!} ${local.toISOString().slice(0, 16).replace('T', ' ')} China time`;
  return { weekday, minute: local.getUTCHours() * 60 + local.getUTCMinutes(), text };
}

/** Whether `at` falls within the office hours. */
export function withinOfficeHours(at: Date, hours: OfficeHours): boolean {
  const c = chinaClock(at);
  return (
    hours.days.includes(c.weekday) &&
    c.minute >= minutes(hours.open, 'open') &&
    c.minute < minutes(hours.close, 'close')
  );
}

/** '08:30-17:30 Mon-Fri (China time)' and the like, for messages. */
export function describeOfficeHours(hours: OfficeHours): string {
  const days = [...hours.days].sort((a, b) => a - b);
  const contiguous = days.every((d, i) => i === 0 || d === days[i - 1]! + 1);
  const dayText =
    contiguous && days.length > 1
      ? `${WEEKDAYS[days[0]! - 1]!}-${WEEKDAYS[days[days.length - 1]! - 1]!}`
      : days.map((d) => WEEKDAYS[d - 1]!).join(',');
  return `${hours.open}-${hours.close} ${dayText} (China time)`;
}

/** `at` as 'Mon 2027-01-04 18:05 China time', for messages and the history. */
export function chinaTimeText(at: Date): string {
  return chinaClock(at).text;
}
