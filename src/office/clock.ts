import { OfficeArgumentError } from './errors.js';

/*
 * One clock for every rule with a date (issue and expiry dates, script expiry, the bank's 60-day
 * activation window): injected, or the SSCARD_NOW environment variable, or the system time.
 */

export interface Clock {
  now(): Date;
}

/** SSCARD_NOW, when set: an ISO date or date-time ('2025-03-01', '2025-03-01T09:30:00+08:00'). */
export const NOW_ENV = 'SSCARD_NOW';

/** The system clock, unless SSCARD_NOW fixes the time (read on every call). */
export const systemClock: Clock = {
  now(): Date {
    const fixed = process.env[NOW_ENV];
    return fixed === undefined || fixed === '' ? new Date() : parseInstant(fixed, NOW_ENV);
  },
};

/** A clock that always answers `at` (tests). */
export function fixedClock(at: Date | string): Clock {
  const instant = typeof at === 'string' ? parseInstant(at, 'fixedClock') : new Date(at.getTime());
  return { now: () => new Date(instant.getTime()) };
}

function parseInstant(text: string, what: string): Date {
  // A bare date is midnight China Standard Time, the registry's calendar (see chinaDate).
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00+08:00` : text;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime()))
    throw new OfficeArgumentError(`${what}: ${JSON.stringify(text)} is not an ISO date or date-time`);
  return d;
}

const CHINA_OFFSET_MS = 8 * 3600_000;

/**
 * The calendar date 'YYYY-MM-DD' of an instant in China Standard Time (UTC+8, no daylight
 * saving): project choice, the cards' issue and expiry dates are the issuer's local dates.
 */
export function chinaDate(at: Date): string {
  return new Date(at.getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}

/** `date` ('YYYY-MM-DD') plus whole years; 29 February becomes 28 February in a common year. */
export function addYears(date: string, years: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const year = y + years;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const day = m === 2 && d === 29 && !leap ? 28 : d;
  return `${String(year).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Whole days from date `a` to date `b` (both 'YYYY-MM-DD'). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}
