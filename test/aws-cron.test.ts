import { describe, expect, it } from "vitest";
import { firings, parseCron, parseWindow, ScheduleError, worstScheduleGap } from "../collectors/aws-cron.js";

// A Thursday in a common year; 2028 is the next leap year.
const NOW = new Date("2026-01-15T12:00:00Z");
const DAY = 24;

describe("worstScheduleGap: the largest gap between firings over the year from now", () => {
  it.each([
    { name: "rate in hours", expression: "rate(4 hours)", gapHours: 4, windowHours: 1 },
    { name: "rate of one day", expression: "rate(1 day)", gapHours: DAY, windowHours: 24 },
    { name: "rate in days", expression: "rate(30 days)", gapHours: 30 * DAY, windowHours: 24 },
    { name: "hour steps reset each day", expression: "cron(0 4/12 * * ? *)", gapHours: 12, windowHours: 1 },
    { name: "stepped hour range wraps to the next day", expression: "cron(0 9-17/4 * * ? *)", gapHours: 16 },
    { name: "hours field in steps from zero", expression: "cron(0 0/6 * * ? *)", gapHours: 6 },
    {
      name: "first of the month: March to April is longest",
      expression: "cron(0 0 1 * ? *)",
      gapHours: 31 * DAY,
    },
    {
      name: "last day of month (L) at 16:00, window to midnight",
      expression: "cron(0 16 L * ? *)",
      gapHours: 31 * DAY,
      windowHours: 8,
    },
    { name: "the 31st skips short months", expression: "cron(0 0 31 * ? *)", gapHours: 61 * DAY },
    {
      name: "day-of-month steps restart each month",
      expression: "cron(0 8 1/7 * ? *)",
      gapHours: 7 * DAY,
      windowHours: 16,
    },
    {
      name: "quarterly: July to October is 92 days",
      expression: "cron(0 0 1 JAN,APR,JUL,OCT ? *)",
      gapHours: 92 * DAY,
    },
    { name: "month steps: every six months", expression: "cron(0 0 1 */6 ? *)", gapHours: 184 * DAY },
    { name: "yearly in a common year", expression: "cron(0 0 1 1 ? *)", gapHours: 365 * DAY },
    { name: "month names are case-insensitive", expression: "cron(0 0 1 jan ? *)", gapHours: 365 * DAY },
    { name: "Feb 29 fires only in leap years", expression: "cron(0 0 29 2 ? *)", gapHours: 1461 * DAY },
    {
      name: "last day of February across a common year",
      expression: "cron(0 0 L 2 ? *)",
      gapHours: 365 * DAY,
    },
    { name: "nearest weekday (W) to the 15th", expression: "cron(0 0 15W * ? *)", gapHours: 32 * DAY },
    { name: "last weekday of the month (LW)", expression: "cron(0 0 LW * ? *)", gapHours: 32 * DAY },
    { name: "third Friday (6#3)", expression: "cron(0 0 ? * 6#3 *)", gapHours: 35 * DAY },
    {
      name: "fifth Monday skips months without one",
      expression: "cron(0 0 ? * MON#5 *)",
      gapHours: 119 * DAY,
    },
    { name: "last Monday of the month (2L)", expression: "cron(0 0 ? * 2L *)", gapHours: 35 * DAY },
    { name: "L alone in day-of-week is Saturday", expression: "cron(0 0 ? * L *)", gapHours: 7 * DAY },
    { name: "weekdays: Friday to Monday", expression: "cron(0 0 ? * MON-FRI *)", gapHours: 3 * DAY },
    {
      name: "a weekday range that wraps (FRI-MON)",
      expression: "cron(0 0 ? * FRI-MON *)",
      gapHours: 4 * DAY,
    },
    { name: "Sunday by number", expression: "cron(0 0 ? * 1 *)", gapHours: 7 * DAY },
    {
      name: "a bounded year range keeps firing inside it",
      expression: "cron(0 0 1 1 ? 2027-2030)",
      gapHours: 365 * DAY,
    },
  ])("$name: $expression", ({ expression, gapHours, windowHours }) => {
    const gap = worstScheduleGap(expression, NOW);
    expect(gap.gapHours).toBeCloseTo(gapHours, 6);
    if (windowHours !== undefined) expect(gap.windowHours).toBe(windowHours);
  });

  it("counts the leap day: the last day of February from 2027 to 2028 is 366 days", () => {
    const gap = worstScheduleGap("cron(0 0 L 2 ? *)", new Date("2026-03-01T00:00:00Z"));
    expect(gap.gapHours).toBe(366 * DAY);
    expect([gap.from, gap.to]).toEqual(["2027-02-28T00:00:00.000Z", "2028-02-29T00:00:00.000Z"]);
  });

  it("names the pair of firings with the largest gap", () => {
    const gap = worstScheduleGap("cron(0 0 1 JAN,APR,JUL,OCT ? *)", NOW);
    expect([gap.from, gap.to]).toEqual(["2026-07-01T00:00:00.000Z", "2026-10-01T00:00:00.000Z"]);
  });

  it("uses the rotation window given instead of AWS's default", () => {
    expect(worstScheduleGap("cron(0 16 L * ? *)", NOW, 3).windowHours).toBe(3);
    expect(worstScheduleGap("rate(10 days)", NOW, 3)).toMatchObject({ gapHours: 240, windowHours: 3 });
  });

  it.each([
    { name: "Feb 30 never exists", expression: "cron(0 0 30 2 ? *)", message: /never fires/ },
    { name: "April 31 never exists", expression: "cron(0 0 31 4 ? *)", message: /never fires/ },
    { name: "a year that has passed", expression: "cron(0 0 1 1 ? 2020)", message: /never fires/ },
    {
      name: "a single future year",
      expression: "cron(0 0 1 1 ? 2027)",
      message: /stops firing after 2027-01-01/,
    },
    {
      name: "a year past AWS's 2199 limit",
      expression: "cron(0 0 1 1 ? 2200)",
      message: /year value "2200"/,
    },
    { name: "a year before 1970", expression: "cron(0 0 1 1 ? 1969)", message: /year value "1969"/ },
    { name: "a backwards year range", expression: "cron(0 0 1 1 ? 2030-2027)", message: /runs backwards/ },
    {
      name: "both day fields set",
      expression: "cron(0 0 1 * MON *)",
      message: /exactly one of day-of-month/,
    },
    { name: "both day fields ?", expression: "cron(0 0 ? * ? *)", message: /exactly one of day-of-month/ },
    { name: "month 13", expression: "cron(0 0 1 13 ? *)", message: /month value "13"/ },
    { name: "hour 24", expression: "cron(0 24 * * ? *)", message: /hours value "24"/ },
    { name: "day-of-week 8", expression: "cron(0 0 ? * 8 *)", message: /day-of-week value "8"/ },
    { name: "a sixth weekday of a month", expression: "cron(0 0 ? * MON#6 *)", message: /at most 5/ },
    { name: "five fields", expression: "cron(0 0 * * ?)", message: /needs 6 fields/ },
    { name: "a step of zero", expression: "cron(0 0/0 * * ? *)", message: /step must be at least 1/ },
    { name: "a rate in minutes", expression: "rate(5 minutes)", message: /neither rate/ },
    { name: "a rate of zero", expression: "rate(0 days)", message: /at least 1/ },
    { name: "not an expression", expression: "every 30 days", message: /neither rate/ },
  ])("rejects $name: $expression", ({ expression, message }) => {
    expect(() => worstScheduleGap(expression, NOW)).toThrow(ScheduleError);
    expect(() => worstScheduleGap(expression, NOW)).toThrow(message);
  });
});

describe("firings", () => {
  const next = (cron: string, from: string, count: number) => {
    const days: string[] = [];
    for (const at of firings(parseCron(cron), new Date(from), new Date("2030-01-01T00:00:00Z"))) {
      days.push(at.toISOString().slice(0, 10));
      if (days.length === count) break;
    }
    return days;
  };

  it.each([
    {
      name: "1W on a Saturday the 1st moves forward to Monday the 3rd",
      cron: "0 0 1W * ? *",
      from: "2026-08-01",
      days: ["2026-08-03", "2026-09-01"],
    },
    {
      name: "31W on a Sunday moves back to Friday, never into the next month",
      cron: "0 0 31W * ? *",
      from: "2026-05-01",
      days: ["2026-05-29", "2026-07-31"],
    },
    {
      name: "15W on a Sunday moves to Monday the 16th",
      cron: "0 0 15W * ? *",
      from: "2026-02-01",
      days: ["2026-02-16", "2026-03-16"],
    },
    {
      name: "LW on a Sunday month end is the Friday before",
      cron: "0 0 LW * ? *",
      from: "2026-05-01",
      days: ["2026-05-29", "2026-06-30"],
    },
    {
      name: "6#3 is the third Friday",
      cron: "0 0 ? * 6#3 *",
      from: "2026-01-01",
      days: ["2026-01-16", "2026-02-20"],
    },
    {
      name: "MON#5 only in months with five Mondays",
      cron: "0 0 ? * MON#5 *",
      from: "2026-01-01",
      days: ["2026-03-30", "2026-06-29", "2026-08-31"],
    },
    {
      name: "2L is the last Monday",
      cron: "0 0 ? * 2L *",
      from: "2026-01-01",
      days: ["2026-01-26", "2026-02-23"],
    },
    {
      name: "2L in a month that ends on a Monday is that day, not the week before",
      cron: "0 0 ? * 2L *",
      from: "2026-08-01",
      days: ["2026-08-31", "2026-09-28"],
    },
    {
      name: "L is the last day, including Feb 29",
      cron: "0 0 L 2 ? *",
      from: "2027-03-01",
      days: ["2028-02-29", "2029-02-28"],
    },
  ])("$name", ({ cron, from, days }) => {
    expect(next(cron, `${from}T00:00:00Z`, days.length)).toEqual(days);
  });

  it("skips firings earlier in the starting day", () => {
    const [first] = firings(parseCron("0 4/12 * * ? *"), NOW, new Date("2026-01-17T00:00:00Z"));
    expect(first?.toISOString()).toBe("2026-01-15T16:00:00.000Z");
  });
});

describe("parseWindow", () => {
  it.each([
    { duration: "3h", hours: 3 },
    { duration: "24h", hours: 24 },
  ])("reads $duration", ({ duration, hours }) => expect(parseWindow(duration)).toBe(hours));

  it.each(["3", "0h", "25h", "90m"])("rejects %s", (duration) => {
    expect(() => parseWindow(duration)).toThrow(ScheduleError);
  });
});
