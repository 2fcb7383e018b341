import { describe, expect, it } from "vitest";
import { judgeReviewPeriod, reviewReadDates } from "../collectors/secrets-access-review.period.js";
import { overlayReview, type DayRead, type ReviewRow } from "../src/core/access-review.js";
import type { ResourceHistory } from "../src/core/collector.js";
import type { EvidenceItem } from "../src/core/model.js";

const A = "111111111111";
const IDLE = `arn:aws:iam::${A}:role/idle`;
const API = `arn:aws:iam::${A}:role/api`;
const GONE = `arn:aws:iam::${A}:role/deleted`;
const PERIOD = { label: "2026-Q3", start: "2026-07-01", end: "2026-09-30" };
const PARAMS = { expectedRegions: [], productionEnvironment: "prod", nonProductionAccounts: [] };
const row = (principal: string, canRead: boolean, reads: number, action: string): ReviewRow => ({
  secret: "arn:s", principal, principalType: "role", canRead, didRead: reads > 0, reads, ...(reads ? { lastRead: "2026-09-20T10:00:00.000Z" } : {}),
  grantedBy: canRead ? ["p#ReadProd"] : [], sourceRegions: reads ? ["us-east-1"] : [], sourceIps: reads ? ["10.0.0.1"] : [], action,
});
const read = (day: string, principal: string, count: number, region = "us-east-1"): DayRead => ({ day, principal, count, last: `${day}T08:00:00.000Z`, regions: [region], sourceIps: ["10.0.0.2"] });

/** The latest snapshot (CloudTrail from 2026-07-10 on) and what earlier snapshots recorded. */
function history(latestReads: DayRead[], earlier: DayRead[][]): ResourceHistory {
  const item = (reads: DayRead[], review: ReviewRow[]): EvidenceItem =>
    ({ collector: "secrets-access-review", controlIds: ["CC6.2"], account: A, region: "us-east-1", resource: { arn: "arn:s", type: "AWS::SecretsManager::Secret", name: "prod/db" }, status: "fail", reason: "", expected: { expectedRegions: ["us-east-1"] }, source: { service: "iam", operations: [], requestIds: [], collectedAt: "2026-09-30T00:00:00Z" }, observed: { readWindow: { start: "2026-07-10T06:00:00.000Z", end: "2026-09-30T00:00:00.000Z" }, readsByDay: reads, production: true, review } }) as unknown as EvidenceItem;
  const latest = item(latestReads, [row(IDLE, true, 0, "revoke: can read but did not in the period"), row(API, true, latestReads.filter((one) => one.principal === API).reduce((sum, one) => sum + one.count, 0), "")]);
  const dates = [...new Set([latest, ...earlier.map((reads) => item(reads, []))].flatMap(reviewReadDates))].sort();
  return { latest, first: latest, dates, daysObserved: [], daysCovered: [], periodDays: [], failDays: [] };
}

describe("judgeReviewPeriod", () => {
  it.each([
    {
      name: "clears the revoke action when an earlier snapshot saw the read CloudTrail no longer holds",
      earlier: [[read("2026-07-02", IDLE, 3)]],
      expectRow: { principal: IDLE, didRead: true, reads: 3, snapshotReadDays: ["2026-07-02"], action: "" },
      snapshotDays: ["2026-07-02"],
    },
    {
      name: "adds only the excess on the day the window starts, not reads CloudTrail still holds",
      earlier: [[read("2026-07-10", API, 5)]],
      expectRow: { principal: API, reads: 5, snapshotReadDays: ["2026-07-10"] },
      snapshotDays: ["2026-07-10"],
    },
    {
      name: "counts a day once when several snapshots recorded it",
      earlier: [[read("2026-07-03", API, 1)], [read("2026-07-03", API, 1)]],
      expectRow: { principal: API, reads: 3, snapshotReadDays: ["2026-07-03"] },
      snapshotDays: ["2026-07-03"],
    },
    {
      name: "ignores days before the period",
      earlier: [[read("2026-06-20", IDLE, 4)]],
      expectRow: { principal: IDLE, reads: 0, action: "revoke: can read but did not in the period" },
      snapshotDays: [],
    },
    {
      name: "adds a reader only earlier snapshots saw, to investigate",
      earlier: [[read("2026-07-05", GONE, 1)]],
      expectRow: { principal: GONE, principalType: "unknown", canRead: false, didRead: true, reads: 1, action: "investigate: read without a grant the tool can see" },
      snapshotDays: ["2026-07-05"],
    },
    {
      name: "flags an unexpected region from an earlier snapshot",
      earlier: [[read("2026-07-04", API, 1, "eu-west-1")]],
      expectRow: { principal: API, action: "investigate: read from unexpected region eu-west-1" },
      snapshotDays: ["2026-07-04"],
    },
  ])("$name", ({ earlier, expectRow, snapshotDays }) => {
    const past = history([read("2026-07-10", API, 2)], earlier);
    const verdict = judgeReviewPeriod(past, PERIOD, "2026-09-30", PARAMS);
    const rows = overlayReview(past.latest.observed.review as ReviewRow[], verdict.observed.reviewChanges as ReviewRow[]);
    expect(rows.find((one) => one.principal === expectRow.principal)).toMatchObject(expectRow);
    expect(verdict.observed.readSources).toEqual({ cloudTrail: { from: "2026-07-10", to: "2026-09-30" }, snapshotDays });
  });

  it("passes the period when the earlier read closes the only open action", () => {
    expect(judgeReviewPeriod(history([read("2026-07-10", API, 2)], [[read("2026-07-02", IDLE, 1)]]), PERIOD, "2026-09-30", PARAMS)).toMatchObject({ status: "pass" });
  });

  it("keeps only the rows the period changes: none when earlier snapshots saw nothing CloudTrail does not hold", () => {
    const same = judgeReviewPeriod(history([read("2026-07-10", API, 2)], [[read("2026-07-10", API, 2)]]), PERIOD, "2026-09-30", PARAMS);
    expect(same.observed.reviewChanges).toEqual([]);
    const added = judgeReviewPeriod(history([read("2026-07-10", API, 2)], [[read("2026-07-02", IDLE, 1)]]), PERIOD, "2026-09-30", PARAMS);
    expect((added.observed.reviewChanges as ReviewRow[]).map((one) => [one.principal, one.reads, one.action])).toEqual([[IDLE, 1, ""]]);
  });
});

describe("overlayReview", () => {
  const snapshot = [row(API, true, 2, ""), row(IDLE, true, 0, "revoke")];
  it.each([
    { name: "no changes: the snapshot's rows", changes: [], expected: [[API, 2], [IDLE, 0]] },
    { name: "a changed row replaces the snapshot's, matched by principal", changes: [row(IDLE, true, 1, "")], expected: [[API, 2], [IDLE, 1]] },
    { name: "a reader only the period saw is added in principal order", changes: [row(GONE, false, 1, "investigate")], expected: [[API, 2], [GONE, 1], [IDLE, 0]] },
  ])("$name", ({ changes, expected }) => {
    expect(overlayReview(snapshot, changes).map((one) => [one.principal, one.reads])).toEqual(expected);
  });
});
