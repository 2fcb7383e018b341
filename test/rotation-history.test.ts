// The gap rule across visible time: a horizon before, inside or after the period; history from snapshots only, from
// CloudTrail events only, or both. Nothing before the horizon is judged, and the reason never claims it was seen.
import { describe, expect, it } from "vitest";
import type { ResourceHistory } from "../src/core/collector.js";
import type { EvidenceItem } from "../src/core/model.js";
import { daysOf } from "../src/core/period.js";
import { judgeRotationHistory, largestGap } from "../collectors/rotation-history.js";

const Q3 = { label: "2026-Q3", start: "2026-07-01", end: "2026-09-30" };
const THROUGH = "2026-09-30";
const ALLOWED = 93;
const CREATED = "2025-01-01T00:00:00.000Z";

const item = (collectedAt: string): EvidenceItem => ({
  collector: "secrets-rotation",
  controlIds: ["CC6.1"],
  account: "123456789012",
  region: "us-east-1",
  resource: { arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf", type: "AWS::SecretsManager::Secret", name: "app" },
  status: "pass",
  reason: "",
  observed: {},
  expected: {},
  source: { service: "secretsmanager", operations: [], requestIds: [], collectedAt },
});

function history(dates: string[], firstSnapshot: string, failDays: string[] = []): ResourceHistory {
  const days = daysOf(Q3, THROUGH).filter((day) => day >= firstSnapshot.slice(0, 10));
  return {
    latest: item(`${THROUGH}T06:00:00.000Z`),
    first: item(firstSnapshot),
    dates,
    daysObserved: days,
    daysCovered: days,
    periodDays: daysOf(Q3, THROUGH),
    failDays,
  };
}

interface Case {
  name: string;
  dates: string[];
  visibleFrom: Record<string, string>;
  firstSnapshot?: string;
  status: "pass" | "fail";
  reason: RegExp;
  open: boolean;
}

const cases: Case[] = [
  {
    name: "horizon before the period, events only: the only earlier rotation aged out of CloudTrail, on-time rotation passes",
    dates: ["2026-09-10T03:00:00.000Z"],
    visibleFrom: { cloudtrail: "2026-07-02T06:00:00.000Z" },
    firstSnapshot: "2026-09-30T06:00:00.000Z",
    status: "pass",
    reason: /largest gap at least 69 days \(nothing visible before 2026-07-02; 2026-07-02 to 2026-09-10\) within 93/,
    open: true,
  },
  {
    name: "horizon inside the period, snapshots only: the visible part alone is within the limit, so it passes",
    dates: ["2026-08-01T03:00:00.000Z", "2026-09-01T03:00:00.000Z"],
    visibleFrom: { snapshots: "2026-08-01T03:00:00.000Z" },
    firstSnapshot: "2026-08-02T06:00:00.000Z",
    status: "pass",
    reason: /largest gap 31 days \(2026-08-01 to 2026-09-01\) within 93; nothing visible before 2026-08-01/,
    open: false,
  },
  {
    name: "horizon after the period start, nothing since: fails only on the visible part",
    dates: [],
    visibleFrom: { snapshots: "2026-06-01T00:00:00.000Z" },
    firstSnapshot: "2026-07-01T06:00:00.000Z",
    status: "fail",
    reason: /no rotation for at least 121 days \(nothing visible before 2026-06-01; 2026-06-01 to 2026-09-30\); allowed 93/,
    open: true,
  },
  {
    name: "horizon after the period's end: nothing in the period visible, nothing failed",
    dates: [],
    visibleFrom: { cloudtrail: "2026-10-05T00:00:00.000Z" },
    firstSnapshot: "2026-09-30T06:00:00.000Z",
    status: "pass",
    reason: /^nothing in the period was visible: no source could see before 2026-10-05/,
    open: true,
  },
  {
    name: "both sources: the earlier horizon (snapshots) makes the whole late gap visible, and it fails",
    dates: ["2026-05-01T03:00:00.000Z", "2026-09-20T03:00:00.000Z"],
    visibleFrom: { snapshots: "2026-05-01T03:00:00.000Z", cloudtrail: "2026-07-01T00:00:00.000Z" },
    status: "fail",
    reason: /no rotation for 142 days \(2026-05-01 to 2026-09-20\); allowed 93/,
    open: false,
  },
  {
    name: "both sources: the earlier horizon (events) shows rotations on time from before the period",
    dates: ["2026-04-10T03:00:00.000Z", "2026-06-10T03:00:00.000Z", "2026-08-10T03:00:00.000Z"],
    visibleFrom: { snapshots: "2026-08-10T03:00:00.000Z", cloudtrail: "2026-04-01T00:00:00.000Z" },
    status: "pass",
    reason: /1 rotation\(s\) in the period; largest gap 61 days \(2026-06-10 to 2026-08-10\)/,
    open: false,
  },
  {
    name: "whole life visible (creation is the horizon): a secret that never rotated fails from its creation",
    dates: [],
    visibleFrom: { snapshots: CREATED },
    status: "fail",
    reason: /no rotation for 637 days \(2025-01-01 to 2026-09-30\)/,
    open: false,
  },
];

describe("judgeRotationHistory across visible time", () => {
  it.each(cases)("$name", ({ dates, visibleFrom, firstSnapshot, status, reason, open }) => {
    const verdict = judgeRotationHistory(history(dates, firstSnapshot ?? "2026-07-01T06:00:00.000Z"), Q3, THROUGH, {
      origin: CREATED,
      allowedDays: ALLOWED,
      visibleFrom,
    });
    expect(verdict.status).toBe(status);
    expect(verdict.reason).toMatch(reason);
    expect(Boolean((verdict.observed.largestGap as { open?: boolean }).open)).toBe(open);
    // Never a length counted from the creation date when creation lies before what was visible.
    if (open) expect(verdict.reason).not.toContain("2025-01-01");
  });

  it("without any source's horizon, sees only from the first snapshot", () => {
    const verdict = judgeRotationHistory(history(["2026-08-15T03:00:00.000Z"], "2026-07-10T06:00:00.000Z"), Q3, THROUGH, {
      origin: CREATED,
      allowedDays: ALLOWED,
      visibleFrom: {},
    });
    expect(verdict.status).toBe("pass");
    expect(verdict.reason).toMatch(/largest gap 46 days \(2026-08-15 to 2026-09-30\) within 93; nothing visible before 2026-07-10/);
    expect(verdict.observed.horizon).toBe("2026-07-10T06:00:00.000Z");
  });

  it("fails the period on the days a snapshot failed it, though the gaps are within the limit", () => {
    const off = daysOf({ label: "off", start: "2026-08-01", end: "2026-08-14" });
    const verdict = judgeRotationHistory(history(["2026-06-15T00:00:00.000Z"], "2026-07-01T06:00:00.000Z", off), Q3, THROUGH, {
      origin: CREATED,
      allowedDays: 400,
      visibleFrom: { "list-key-rotations": CREATED },
    });
    expect(verdict.status).toBe("fail");
    expect(verdict.reason).toMatch(/failed on 14 observed day\(s\), 2026-08-01 to 2026-08-14/);
  });
});

describe("largestGap", () => {
  it.each([
    { name: "no horizon: measured from the origin", horizon: undefined, days: 44, open: false },
    { name: "horizon after the origin: measured from the horizon, open", horizon: "2026-07-20", days: 25, open: true },
    { name: "horizon at the origin: the whole gap is visible", horizon: "2026-07-01", days: 44, open: false },
  ])("$name", ({ horizon, days, open }) => {
    const gap = largestGap(["2026-08-14T00:00:00.000Z"], "2026-07-01T00:00:00.000Z", "2026-07-01", "2026-08-20", horizon);
    expect(gap.days).toBe(days);
    expect(Boolean(gap.open)).toBe(open);
  });
});
