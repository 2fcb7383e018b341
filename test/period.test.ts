import { describe, expect, it } from "vitest";
import { addDays, daysBetween, daysOf, parsePeriod } from "../src/core/period.js";
import { PeriodError } from "../src/core/errors.js";

const at = (iso: string) => new Date(iso);

describe("parsePeriod", () => {
  it.each([
    ["current in Q4", "current", "2026-11-25T10:00:00Z", {}, "2026-Q4", "2026-10-01", "2026-12-31"],
    ["current on the first day of a quarter", "current", "2026-07-01T00:00:00Z", {}, "2026-Q3", "2026-07-01", "2026-09-30"],
    ["current on the last second of a year", "current", "2026-12-31T23:59:59Z", {}, "2026-Q4", "2026-10-01", "2026-12-31"],
    ["Q3 that has started this year", "Q3", "2026-11-25T00:00:00Z", {}, "2026-Q3", "2026-07-01", "2026-09-30"],
    ["Q4 not yet started means last year's", "Q4", "2026-02-10T00:00:00Z", {}, "2025-Q4", "2025-10-01", "2025-12-31"],
    ["Q1 on its first day", "q1", "2026-01-01T00:00:00Z", {}, "2026-Q1", "2026-01-01", "2026-03-31"],
    ["explicit quarter", "2026-Q3", "2026-11-25T00:00:00Z", {}, "2026-Q3", "2026-07-01", "2026-09-30"],
    ["leap-year first quarter", "2024-Q1", "2026-11-25T00:00:00Z", {}, "2024-Q1", "2024-01-01", "2024-03-31"],
    ["first half", "2026-H1", "2026-11-25T00:00:00Z", {}, "2026-H1", "2026-01-01", "2026-06-30"],
    ["second half", "2025-H2", "2026-11-25T00:00:00Z", {}, "2025-H2", "2025-07-01", "2025-12-31"],
    ["calendar year", "2025", "2026-11-25T00:00:00Z", {}, "2025", "2025-01-01", "2025-12-31"],
    ["year in progress", "2026", "2026-11-25T00:00:00Z", {}, "2026", "2026-01-01", "2026-12-31"],
    ["fiscal year starting July, named for its end", "2026", "2026-11-25T00:00:00Z", { fiscalYearStartMonth: 7 }, "FY2026", "2025-07-01", "2026-06-30"],
    ["fiscal Q1 starting July", "2027-Q1", "2026-11-25T00:00:00Z", { fiscalYearStartMonth: 7 }, "2027-Q1", "2026-07-01", "2026-09-30"],
    ["fiscal current quarter", "current", "2026-11-25T00:00:00Z", { fiscalYearStartMonth: 7 }, "2027-Q2", "2026-10-01", "2026-12-31"],
    ["fiscal H2 crossing the calendar year", "2027-H2", "2027-02-01T00:00:00Z", { fiscalYearStartMonth: 7 }, "2027-H2", "2027-01-01", "2027-06-30"],
    ["fiscal year starting February in a leap year", "2025", "2026-11-25T00:00:00Z", { fiscalYearStartMonth: 2 }, "FY2025", "2024-02-01", "2025-01-31"],
    ["date range", "2026-07-01..2026-09-30", "2026-11-25T00:00:00Z", {}, "2026-07-01..2026-09-30", "2026-07-01", "2026-09-30"],
    ["range over Feb 29", "2024-02-28..2024-03-01", "2026-11-25T00:00:00Z", {}, "2024-02-28..2024-03-01", "2024-02-28", "2024-03-01"],
  ])("%s", (_name, text, now, options, label, start, end) => {
    expect(parsePeriod(text, at(now), options)).toEqual({ label, start, end });
  });

  it.each([
    ["a future quarter", "2027-Q1", "2026-11-25T00:00:00Z", /has not started/],
    ["a future range", "2026-12-01..2026-12-31", "2026-11-25T00:00:00Z", /has not started/],
    ["a backwards range", "2026-09-30..2026-07-01", "2026-11-25T00:00:00Z", /ends .* before it starts/],
    ["Feb 30", "2026-02-30..2026-03-01", "2026-11-25T00:00:00Z", /unknown period/],
    ["Feb 29 in a common year", "2025-02-29..2025-03-01", "2026-11-25T00:00:00Z", /unknown period/],
    ["Q5", "Q5", "2026-11-25T00:00:00Z", /unknown period/],
    ["words", "last quarter", "2026-11-25T00:00:00Z", /unknown period/],
    ["empty", "", "2026-11-25T00:00:00Z", /unknown period/],
  ])("rejects %s", (_name, text, now, message) => {
    expect(() => parsePeriod(text, at(now))).toThrow(PeriodError);
    expect(() => parsePeriod(text, at(now))).toThrow(message);
  });
});

describe("day arithmetic", () => {
  it("counts the days of a leap-year quarter", () => {
    expect(daysOf({ label: "x", start: "2024-01-01", end: "2024-03-31" })).toHaveLength(91);
    expect(daysOf({ label: "x", start: "2025-01-01", end: "2025-03-31" })).toHaveLength(90);
  });
  it("stops at the through day", () => {
    expect(daysOf({ label: "x", start: "2026-10-01", end: "2026-12-31" }, "2026-10-03")).toEqual(["2026-10-01", "2026-10-02", "2026-10-03"]);
  });
  it("crosses year ends and leap days", () => {
    expect(addDays("2024-02-28", 1)).toBe("2024-02-29");
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(daysBetween("2024-02-28", "2024-03-01")).toBe(2);
  });
});
