// Audit periods: Q1..Q4, 2026-Q3, 2026-H1, 2026, A..B ranges and `current`, all in UTC days.
import { PeriodError } from "./errors.js";
import type { Period } from "./model.js";

export interface PeriodOptions {
  /** 1-12; when set, years, halves and quarters are fiscal and named for the calendar year they end in. */
  fiscalYearStartMonth?: number;
}

const DAY_MS = 86_400_000;

export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function parseDay(text: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return undefined;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && isoDay(date) === text ? date : undefined;
}

export function addDays(day: string, days: number): string {
  return isoDay(new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS));
}

/** Whole days from `from` to `to` (YYYY-MM-DD or instants), negative when `to` is earlier. */
export function daysBetween(from: string | Date, to: string | Date): number {
  return (toMs(to) - toMs(from)) / DAY_MS;
}

function toMs(value: string | Date): number {
  return typeof value === "string" ? Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value) : value.getTime();
}

/** Every day of the period, in order; stops at `through` when given. */
export function daysOf(period: Period, through?: string): string[] {
  const last = through && through < period.end ? through : period.end;
  const days: string[] = [];
  for (let day = period.start; day <= last; day = addDays(day, 1)) days.push(day);
  return days;
}

/** First month (1-12) and calendar year of a fiscal year named for the year it ends in. */
function fiscalStart(fiscalYear: number, startMonth: number): { year: number; month: number } {
  return startMonth === 1 ? { year: fiscalYear, month: 1 } : { year: fiscalYear - 1, month: startMonth };
}

function monthSpan(year: number, month: number, months: number): { start: string; end: string } {
  const start = new Date(Date.UTC(year, month - 1, 1));
  const endExclusive = new Date(Date.UTC(year, month - 1 + months, 1));
  return { start: isoDay(start), end: isoDay(new Date(endExclusive.getTime() - DAY_MS)) };
}

function span(fiscalYear: number, offsetMonths: number, months: number, options: PeriodOptions) {
  const begin = fiscalStart(fiscalYear, options.fiscalYearStartMonth ?? 1);
  return monthSpan(begin.year, begin.month + offsetMonths, months);
}

/** The fiscal (or calendar) year that contains `day`. */
function yearContaining(day: Date, options: PeriodOptions): number {
  const startMonth = options.fiscalYearStartMonth ?? 1;
  const year = day.getUTCFullYear();
  return startMonth === 1 || day.getUTCMonth() + 1 < startMonth ? year : year + 1;
}

function quarterContaining(day: Date, options: PeriodOptions): { year: number; quarter: number } {
  const startMonth = options.fiscalYearStartMonth ?? 1;
  const monthsIn = (day.getUTCMonth() + 1 - startMonth + 12) % 12;
  return { year: yearContaining(day, options), quarter: Math.floor(monthsIn / 3) + 1 };
}

export function parsePeriod(text: string, now: Date, options: PeriodOptions = {}): Period {
  const input = text.trim();
  const today = isoDay(now);
  for (const year of input.match(/\d{4}/g) ?? []) {
    if (Number(year) < 1970) throw new PeriodError(`period "${text}" is outside the years 1970-9999`);
  }
  const period = resolve(input, now, options);
  if (period && (period.start < "1970-01-01" || period.end > "9999-12-31" || !parseDay(period.start) || !parseDay(period.end))) {
    throw new PeriodError(`period "${text}" is outside the years 1970-9999`);
  }
  if (!period) {
    throw new PeriodError(
      `unknown period "${text}": use Q1..Q4, 2026-Q3, 2026-H1, 2026, 2026-07-01..2026-09-30 or current`,
    );
  }
  if (period.start > period.end) {
    throw new PeriodError(`period "${text}" ends (${period.end}) before it starts (${period.start})`);
  }
  if (period.start > today) {
    throw new PeriodError(`period "${text}" starts ${period.start}, after today (${today}): it has not started`);
  }
  return period;
}

function resolve(input: string, now: Date, options: PeriodOptions): Period | undefined {
  const lower = input.toLowerCase();
  if (lower === "current") {
    const { year, quarter } = quarterContaining(now, options);
    return { label: `${year}-Q${quarter}`, ...span(year, (quarter - 1) * 3, 3, options) };
  }
  let match = /^q([1-4])$/.exec(lower);
  if (match) {
    const quarter = Number(match[1]);
    const current = quarterContaining(now, options);
    const year = quarter <= current.quarter ? current.year : current.year - 1;
    return { label: `${year}-Q${quarter}`, ...span(year, (quarter - 1) * 3, 3, options) };
  }
  match = /^(\d{4})-q([1-4])$/.exec(lower);
  if (match) {
    const year = Number(match[1]);
    const quarter = Number(match[2]);
    return { label: `${year}-Q${quarter}`, ...span(year, (quarter - 1) * 3, 3, options) };
  }
  match = /^(\d{4})-h([12])$/.exec(lower);
  if (match) {
    const year = Number(match[1]);
    const half = Number(match[2]);
    return { label: `${year}-H${half}`, ...span(year, (half - 1) * 6, 6, options) };
  }
  match = /^(\d{4})$/.exec(lower);
  if (match) {
    const year = Number(match[1]);
    return { label: options.fiscalYearStartMonth && options.fiscalYearStartMonth !== 1 ? `FY${year}` : `${year}`, ...span(year, 0, 12, options) };
  }
  match = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(lower);
  if (match) {
    const [, start, end] = match as unknown as [string, string, string];
    if (!parseDay(start) || !parseDay(end)) return undefined;
    return { label: `${start}..${end}`, start, end };
  }
  return undefined;
}
