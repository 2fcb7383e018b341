// Property-based: the config validator, the period parser and the AWS cron parser never crash on any input; they
// return a result or their own named error, and a rejected config locates every problem at line:column.
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { findCollector } from "../collectors/index.js";
import { parseCron, worstScheduleGap } from "../collectors/aws-cron.js";
import type { ParamSpec } from "../src/core/collector.js";
import { parseConfig, type LoadedConfig } from "../src/config/load.js";
import { ConfigError } from "../src/core/errors.js";
import { isoDay, parseDay, parsePeriod } from "../src/core/period.js";
import { cronBody, editsOf, periodish, yamlish } from "./support/arbitraries.js";
import { useReliabilityLog } from "./support/reliability.js";

const record = useReliabilityLog("properties");
const NOW = new Date("2026-11-25T12:00:00Z");
const SHIPPED = readFileSync("controls.yaml", "utf8");
const LOCATED = /^controls\.yaml:(\d+):(\d+) /;

/** Runs a property and the time it took; fast-check prints the seed and the shrunk input when one fails. */
function check<T>(arbitrary: fc.Arbitrary<T>, predicate: (value: T) => void, numRuns: number): string {
  const started = performance.now();
  fc.assert(fc.property(arbitrary, predicate), { numRuns });
  return `${numRuns} runs, ${((performance.now() - started) / 1000).toFixed(1)} s`;
}

/** A result or a ConfigError whose every problem is located inside the file; anything else throws. */
function configOutcome(input: string | Buffer): LoadedConfig | ConfigError {
  try {
    return parseConfig("controls.yaml", input, NOW);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const lines = input.toString().split("\n").length;
    const messages = error.problems.length > 0 ? error.problems : [error.message];
    for (const message of messages) {
      const [, line, col] = LOCATED.exec(message) ?? [];
      expect(message, "every problem is located").toMatch(LOCATED);
      expect(Number(line)).toBeGreaterThanOrEqual(1);
      expect(Number(line)).toBeLessThanOrEqual(lines + 1);
      expect(Number(col)).toBeGreaterThanOrEqual(1);
    }
    return error;
  }
}

/** A parameter value of the declared type, inside the declared range. */
function withinSpec(value: unknown, spec: ParamSpec): boolean {
  if (spec.type === "integer") {
    return (
      Number.isInteger(value) &&
      (value as number) >= (spec.min ?? -Infinity) &&
      (value as number) <= (spec.max ?? Infinity)
    );
  }
  return spec.type === "string[]" ? Array.isArray(value) : typeof value === spec.type;
}

/** What an accepted config must hold, whatever the file looked like. */
function expectSound({ config }: LoadedConfig): void {
  expect(config.version).toBe(1);
  expect(config.scope.regions.length).toBeGreaterThan(0);
  for (const region of config.scope.regions)
    expect(region).toMatch(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/);
  if (Array.isArray(config.scope.accounts))
    for (const account of config.scope.accounts) expect(account).toMatch(/^(\d{12}|current)$/);
  for (const control of config.controls) {
    expect(control.collectors.length).toBeGreaterThan(0);
    for (const use of control.collectors) {
      const collector = findCollector(use.use);
      expect(collector, use.use).toBeDefined();
      for (const [key, spec] of Object.entries(collector?.params ?? {})) {
        expect(withinSpec(use.with[key], spec), `${use.use}.${key}=${String(use.with[key])}`).toBe(true);
      }
    }
  }
  for (const exception of config.exceptions) expect(parseDay(exception.expires)).toBeDefined();
}

describe("the config validator never crashes and always locates its problems", () => {
  it("on arbitrary text", () => {
    const measured = check(
      fc.string({ unit: "binary", maxLength: 300 }),
      (text) => void configOutcome(text),
      300,
    );
    record({
      id: "config-arbitrary-text",
      area: "property",
      case: "parseConfig on arbitrary Unicode text",
      outcome: "a config or a ConfigError; every problem at controls.yaml:line:col inside the file",
      measured,
    });
  });

  it("on YAML-shaped text", () => {
    const measured = check(yamlish, (text) => void configOutcome(text), 400);
    record({
      id: "config-yaml-tokens",
      area: "property",
      case: "parseConfig on random sequences of YAML syntax and config words (anchors, tags, flow, tabs, NUL, BOM)",
      outcome: "a config or a ConfigError; every problem located",
      measured,
    });
  });

  it("on arbitrary bytes", () => {
    const bytes = fc.uint8Array({ maxLength: 200 }).map((array) => Buffer.from(array));
    const measured = check(bytes, (buffer) => void configOutcome(buffer), 200);
    record({
      id: "config-arbitrary-bytes",
      area: "property",
      case: "parseConfig on arbitrary bytes",
      outcome: "a config or a ConfigError; invalid UTF-8 named with its line:col",
      measured,
    });
  });

  it("on the shipped controls.yaml with one to three random edits", () => {
    let accepted = 0;
    const edited = editsOf(SHIPPED);
    const measured = check(
      edited,
      (text) => {
        const outcome = configOutcome(text);
        if (outcome instanceof ConfigError) return;
        accepted += 1;
        expectSound(outcome);
      },
      400,
    );
    expect(accepted).toBeGreaterThan(0);
    record({
      id: "config-mutations",
      area: "property",
      case: "parseConfig on the shipped controls.yaml with 1-3 random edits (delete, duplicate, swap, re-indent, replace a value, insert YAML, truncate, insert a character)",
      outcome:
        "a ConfigError with every problem located, or a config whose regions, accounts, collectors, parameters and expiry dates are all valid",
      measured: `${measured}, ${accepted} edited files accepted`,
    });
  });
});

describe("the period parser", () => {
  it("returns a period that has started, with real days in order, or a PeriodError", () => {
    const input = fc.tuple(
      periodish,
      fc.date({ min: new Date("1970-01-01"), max: new Date("2199-12-31"), noInvalidDate: true }),
      fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
    );
    const measured = check(
      input,
      ([text, now, fiscalYearStartMonth]) => {
        let period;
        try {
          period = parsePeriod(text, now, fiscalYearStartMonth ? { fiscalYearStartMonth } : {});
        } catch (error) {
          expect((error as Error).name).toBe("PeriodError");
          return;
        }
        expect(parseDay(period.start) && parseDay(period.end), JSON.stringify(period)).toBeTruthy();
        expect(period.start <= period.end && period.start <= isoDay(now)).toBe(true);
        expect(period.label).not.toBe("");
      },
      500,
    );
    record({
      id: "period-parser",
      area: "property",
      case: "parsePeriod on random text, years 0100-9999 with quarter/half suffixes, and day ranges 0000-9999 with impossible months and days, at random dates 1970-2199, calendar or fiscal",
      outcome: "a period with valid start <= end <= (start not after today), or a PeriodError",
      measured,
    });
  });
});

describe("the AWS schedule parser", () => {
  it("parses or refuses any cron text with a ScheduleError", () => {
    let parsed = 0;
    const measured = check(
      cronBody,
      (text) => {
        let cron;
        try {
          cron = parseCron(text);
        } catch (error) {
          expect((error as Error).name).toBe("ScheduleError");
          return;
        }
        parsed += 1;
        expect(cron.minutes.every((minute) => minute >= 0 && minute <= 59)).toBe(true);
        expect(cron.hours.every((hour) => hour >= 0 && hour <= 23)).toBe(true);
      },
      500,
    );
    expect(parsed).toBeGreaterThan(100);
    record({
      id: "aws-cron-parser",
      area: "property",
      case: "parseCron on six (or any number of) fields of numbers, names, ranges, steps, L, W, # and junk",
      outcome: "a schedule with in-range fields, or a ScheduleError",
      measured: `${measured}, ${parsed} parsed`,
    });
  });

  it("finds a positive worst gap for every schedule that fires, or a ScheduleError", () => {
    let found = 0;
    const expression = fc.oneof(
      cronBody.map((body) => `cron(${body})`),
      fc
        .tuple(fc.nat({ max: 1000 }), fc.constantFrom("hour", "hours", "day", "days", "weeks"))
        .map(([count, unit]) => `rate(${count} ${unit})`),
    );
    const measured = check(
      fc.tuple(
        expression,
        fc.date({ min: new Date("2000-01-01"), max: new Date("2150-12-31"), noInvalidDate: true }),
      ),
      ([text, now]) => {
        let gap;
        try {
          gap = worstScheduleGap(text, now);
        } catch (error) {
          expect((error as Error).name).toBe("ScheduleError");
          return;
        }
        found += 1;
        expect(gap.gapHours > 0 && Number.isFinite(gap.gapHours)).toBe(true);
        expect(gap.windowHours > 0 && gap.windowHours <= 24).toBe(true);
      },
      200,
    );
    expect(found).toBeGreaterThan(40);
    record({
      id: "aws-schedule-gap",
      area: "property",
      case: "worstScheduleGap on random cron(...) and rate(...) at random dates 2000-2150",
      outcome:
        "a finite positive gap with a 0-24 h window, or a ScheduleError (never fires, stops firing, bad syntax)",
      measured: `${measured}, ${found} with a gap`,
    });
  });
});
