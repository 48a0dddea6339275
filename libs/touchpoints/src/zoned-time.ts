/**
 * Local calendar dates and wall-clock times in IANA time zones, with nothing but the built-in Intl (Node ships full
 * ICU). Local dates are 'YYYY-MM-DD', local times 'HH:MM', instants UTC milliseconds.
 */

export interface LocalParts {
  /** 'YYYY-MM-DD' */
  date: string;
  /** 'HH:MM' */
  time: string;
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

import { BoundedMemo, GroupedMemo } from '../../domain/src';

const MINUTE = 60_000;
const DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch {
      throw new RangeError(`unknown time zone ${JSON.stringify(timeZone)} (an IANA name such as Europe/Berlin)`);
    }
    formatters.set(timeZone, format);
  }
  return format;
}

export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

const partsMemo = new GroupedMemo<LocalParts>(10_000);

/** The wall clock in `timeZone` at the instant `utcMs`. */
export function localParts(utcMs: number, timeZone: string): LocalParts {
  const local = partsMemo.get(timeZone, utcMs, () => {
    const parts: Record<string, number> = {};
    for (const part of formatter(timeZone).formatToParts(utcMs)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
    const { year, month, day, hour, minute, second } = parts as Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', number>;
    return { date: `${pad(year, 4)}-${pad(month)}-${pad(day)}`, time: `${pad(hour)}:${pad(minute)}`, year, month, day, hour, minute, second };
  });
  return { ...local };
}

/** The wall clock read as if it were UTC, minus the instant: the zone's offset at `utcMs`, in ms (whole seconds). */
function offsetAt(utcMs: number, timeZone: string): number {
  const local = localParts(utcMs, timeZone);
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
  return wall - (utcMs - (((utcMs % 1000) + 1000) % 1000));
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** 'YYYY-MM-DD' of a real calendar day. */
export function isLocalDate(value: unknown): value is string {
  return typeof value === 'string' && epochDayOrNaN(value) === epochDayOrNaN(value);
}

const epochDays = new BoundedMemo<number>(10_000);

/** Days since 1970-01-01 of a calendar date, NaN when it is not one (memoized: schedules reuse few dates). */
const epochDayOrNaN = (date: string): number =>
  epochDays.get(date, () => {
    const match = DATE.exec(date);
    const [year, month, dayOfMonth] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [0, 0, 0];
    const utc = match ? Date.UTC(year, month - 1, dayOfMonth) : NaN;
    const real = match && new Date(utc).getUTCDate() === dayOfMonth && month >= 1 && month <= 12;
    return real ? utc / DAY : NaN;
  });

/** Days since 1970-01-01 of a calendar date. */
export function epochDay(localDate: string): number {
  const day = epochDayOrNaN(localDate);
  if (Number.isNaN(day)) throw new RangeError(`not a calendar date YYYY-MM-DD: ${JSON.stringify(localDate)}`);
  return day;
}

/** 'HH:MM', 00:00 to 23:59. */
export const isLocalTime = (value: unknown): value is string => typeof value === 'string' && TIME.test(value);

/** The local date and time read as if they were UTC (the "wall" value the offsets are added to). */
function wallMs(localDate: string, localTime: string): number {
  const day = epochDay(localDate);
  if (!isLocalTime(localTime)) throw new RangeError(`not a time HH:MM: ${JSON.stringify(localTime)}`);
  return day * DAY + minutesOf(localTime) * MINUTE;
}

const zonedMemo = new GroupedMemo<number>(10_000);

/**
 * The instant at which the wall clock in `timeZone` shows `localDate` `localTime`.
 *
 * A local time that does not exist (the hour skipped when clocks go forward, e.g. 02:30 in Berlin on 2026-03-29)
 * resolves forward to the first valid local time after it, the end of the gap (03:00, that is 01:00Z). A local time
 * that exists twice (the hour repeated when clocks go back) resolves to the earlier instant (the one still on summer
 * time). Offsets are read from the zone a day before and a day after, which holds wherever a zone changes its offset
 * at most once in two days (every zone since the 1970s).
 */
export function zonedTime(localDate: string, localTime: string, timeZone: string): number {
  const wall = wallMs(localDate, localTime);
  return zonedMemo.get(timeZone, wall, () => resolveWallClock(wall, timeZone));
}

function resolveWallClock(wall: number, timeZone: string): number {
  const before = offsetAt(wall - DAY, timeZone);
  const after = offsetAt(wall + DAY, timeZone);
  const candidates = [...new Set([wall - before, wall - after])]
    .filter((utc) => utc + offsetAt(utc, timeZone) === wall)
    .sort((a, b) => a - b);
  if (candidates.length) return candidates[0];
  // In a gap: the transition lies between the two readings; find its instant (offsets change on whole seconds).
  let lo = Math.min(wall - before, wall - after);
  let hi = Math.max(wall - before, wall - after);
  const first = offsetAt(lo, timeZone);
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (offsetAt(mid, timeZone) === first) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The calendar date `days` days after `localDate` (negative: before). */
export function addDays(localDate: string, days: number): string {
  return dateOfEpochDay(epochDay(localDate) + days);
}

/** The calendar date of a day number (days since 1970-01-01). */
export function dateOfEpochDay(day: number): string {
  const date = new Date(day * DAY);
  return `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
}

/** Whole days from `from` to `to` (calendar dates). */
export const daysBetween = (from: string, to: string): number => epochDay(to) - epochDay(from);

/**
 * The same day of the month `months` calendar months later; a day the target month lacks becomes its last day
 * (2026-08-31 + 18 months = 2028-02-29, 2024-02-29 + 12 months = 2025-02-28).
 */
export function addMonths(localDate: string, months: number): string {
  const [year, month, day] = localDate.split('-').map(Number);
  const index = year * 12 + (month - 1) + months;
  const targetYear = Math.floor(index / 12);
  const targetMonth = index - targetYear * 12;
  const lastDay = new Date(Date.UTC(targetYear, targetMonth + 1, 0)).getUTCDate();
  return `${pad(targetYear, 4)}-${pad(targetMonth + 1)}-${pad(Math.min(day, lastDay))}`;
}

/** Minutes since local midnight of an 'HH:MM'. */
export const minutesOf = (localTime: string): number => Number(localTime.slice(0, 2)) * 60 + Number(localTime.slice(3, 5));

export const HOUR_MS = 60 * MINUTE;
export const DAY_MS = DAY;
