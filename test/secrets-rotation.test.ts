import type { Event } from "@aws-sdk/client-cloudtrail";
import type { SecretListEntry } from "@aws-sdk/client-secrets-manager";
import { describe, expect, it } from "vitest";
import { judgeSecret, judgeSecretPeriod, observedFacts, rotatedSecretId, rotationDates, rotationInterval, secretFacts, withEvents, type SecretFacts } from "../collectors/secrets-rotation.judge.js";
import { CallTrace } from "../src/core/trace.js";
import type { EvidenceItem, Period } from "../src/core/model.js";
import { daysOf } from "../src/core/period.js";

const NOW = new Date("2026-04-01T12:00:00Z");
const POLICY = { maxIntervalDays: 90, graceDays: 3 };
const ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf";
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();

const secret = (overrides: Partial<SecretFacts> = {}): SecretFacts => ({
  arn: ARN,
  name: "prod/db",
  region: "us-east-1",
  kmsKeyId: "alias/aws/secretsmanager",
  kmsKeyManager: "aws-managed",
  primaryRegion: "us-east-1",
  rotationEnabled: true,
  automaticallyAfterDays: 30,
  lastRotatedDate: daysAgo(10),
  createdDate: daysAgo(400),
  ...overrides,
});

describe("judgeSecret", () => {
  it.each([
    {
      name: "passes a secret rotating every 30 days, last rotated 10 days ago",
      facts: secret(),
      status: "pass",
      reason: /rotates every 30 days/,
    },
    {
      name: "fails a secret with rotation disabled",
      facts: secret({ rotationEnabled: false }),
      status: "fail",
      reason: /^rotation disabled$/,
    },
    {
      name: "fails a secret rotating every 120 days against a 90-day policy",
      facts: secret({ automaticallyAfterDays: 120 }),
      status: "fail",
      reason: /^rotates every 120 days, policy is 90$/,
    },
    {
      name: "fails rate(120 days) against a 90-day policy",
      facts: secret({ automaticallyAfterDays: undefined, scheduleExpression: "rate(120 days)" }),
      status: "fail",
      reason: /rotates every 120 days, policy is 90/,
    },
    {
      name: "fails a secret whose last rotation succeeded 131 days ago",
      facts: secret({ automaticallyAfterDays: 90, lastRotatedDate: daysAgo(131) }),
      status: "fail",
      reason: /^rotation enabled but last succeeded 131 days ago$/,
    },
    {
      name: "passes a rotation two days late, within the grace",
      facts: secret({ automaticallyAfterDays: 90, lastRotatedDate: daysAgo(92) }),
      status: "pass",
      reason: /last rotated/,
    },
    {
      name: "fails a rotation four days late, past the grace",
      facts: secret({ automaticallyAfterDays: 90, lastRotatedDate: daysAgo(94) }),
      status: "fail",
      reason: /last succeeded 94 days ago/,
    },
    {
      name: "passes rate(90 days): rotations at most 90 calendar days apart",
      facts: secret({ automaticallyAfterDays: undefined, scheduleExpression: "rate(90 days)" }),
      status: "pass",
      reason: /rotates every 90 days/,
    },
    {
      name: "passes rate(90 days) with a 3h window",
      facts: secret({ scheduleExpression: "rate(90 days)", duration: "3h" }),
      status: "pass",
      reason: /rotates every 90 days/,
    },
    {
      name: "fails a quarterly cron whose July-October gap is 92 days",
      facts: secret({ scheduleExpression: "cron(0 0 1 1,4,7,10 ? *)", lastRotatedDate: daysAgo(0) }),
      status: "fail",
      reason: /rotates every 92 days, policy is 90/,
    },
    {
      name: "passes a monthly cron",
      facts: secret({ scheduleExpression: "cron(0 0 1 * ? *)" }),
      status: "pass",
      reason: /rotates every 31 days/,
    },
    {
      name: "fails a cron that never fires (Feb 30)",
      facts: secret({ scheduleExpression: "cron(0 0 30 2 ? *)" }),
      status: "fail",
      reason: /rotation schedule is invalid: .*never fires/,
    },
    {
      name: "fails an unreadable rotation window",
      facts: secret({ scheduleExpression: "rate(30 days)", duration: "3 hours" }),
      status: "fail",
      reason: /rotation schedule is invalid: rotation window/,
    },
    {
      name: "fails rotation enabled without any schedule",
      facts: secret({ automaticallyAfterDays: undefined }),
      status: "fail",
      reason: /no rotation schedule/,
    },
    {
      name: "passes a secret younger than its interval that has not rotated yet",
      facts: secret({ lastRotatedDate: undefined, createdDate: daysAgo(10) }),
      status: "pass",
      reason: /first rotation due/,
    },
    {
      name: "fails a secret created 100 days ago that never rotated",
      facts: secret({ lastRotatedDate: undefined, createdDate: daysAgo(100) }),
      status: "fail",
      reason: /never succeeded; created 100 days ago/,
    },
    {
      name: "passes on a CloudTrail RotationSucceeded newer than LastRotatedDate",
      facts: secret({ lastRotatedDate: daysAgo(131), rotationEvents: [daysAgo(5)] }),
      status: "pass",
      reason: /last rotated/,
    },
    {
      name: "fails a 12-hour schedule that last rotated 5 days ago",
      facts: secret({ scheduleExpression: "rate(12 hours)", lastRotatedDate: daysAgo(5) }),
      status: "fail",
      reason: /last succeeded 5 days ago/,
    },
    {
      name: "judges a replica on its primary instead",
      facts: secret({
        region: "us-west-2",
        primaryRegion: "us-east-1",
        primaryArn: ARN,
        rotationEnabled: false,
      }),
      status: "not_applicable",
      reason: /replica of arn:aws:secretsmanager:us-east-1:.*prod\/db-AbCdEf.*us-east-1/,
    },
  ])("$name", ({ facts, status, reason }) => {
    const verdict = judgeSecret(facts, POLICY, NOW);
    expect(verdict.status).toBe(status);
    expect(verdict.reason).toMatch(reason);
  });

  it("fails a 60-day rotation against a stricter 30-day policy", () => {
    const verdict = judgeSecret(
      secret({ automaticallyAfterDays: 60 }),
      { maxIntervalDays: 30, graceDays: 3 },
      NOW,
    );
    expect(verdict).toEqual({ status: "fail", reason: "rotates every 60 days, policy is 30" });
  });

  it("adds the rotation window to the gap: a 22h window turns a 91-day worst case into 92", () => {
    // Fires 02:00 and 22:00 on quarter days: the worst pair is Jul 1 22:00 -> Oct 1 02:00 (91 days 4 hours).
    const facts = secret({ scheduleExpression: "cron(0 2,22 1 1,4,7,10 ? *)", lastRotatedDate: daysAgo(0) });
    const policy = { maxIntervalDays: 91, graceDays: 3 };
    expect(judgeSecret(facts, policy, NOW).status).toBe("pass");
    const windowed = judgeSecret({ ...facts, duration: "22h" }, policy, NOW);
    expect(windowed).toEqual({ status: "fail", reason: "rotates every 92 days, policy is 91" });
  });
});

describe("rotationInterval", () => {
  it.each([
    {
      name: "AutomaticallyAfterDays alone",
      rules: { automaticallyAfterDays: 30 },
      source: "AutomaticallyAfterDays",
      days: 30,
    },
    {
      name: "ScheduleExpression wins over the derived AutomaticallyAfterDays",
      rules: { automaticallyAfterDays: 30, scheduleExpression: "rate(10 days)" },
      source: "rate",
      days: 10,
    },
    {
      name: "cron gives the largest gap",
      rules: { automaticallyAfterDays: undefined, scheduleExpression: "cron(0 0 ? * MON-FRI *)" },
      source: "cron",
      days: 3,
    },
    {
      name: "hours round down to zero whole days",
      rules: { scheduleExpression: "rate(4 hours)" },
      source: "rate",
      days: 0,
    },
  ])("$name", ({ rules, source, days }) => {
    const interval = rotationInterval(secret(rules), NOW);
    expect(interval).toMatchObject({ source, intervalDays: days });
  });
});

describe("secretFacts", () => {
  const entry: SecretListEntry = {
    ARN: "arn:aws:secretsmanager:us-west-2:123456789012:secret:prod/db-AbCdEf",
    Name: "prod/db",
    RotationEnabled: true,
    RotationLambdaARN: "arn:aws:lambda:us-west-2:123456789012:function:rotate",
    RotationRules: { ScheduleExpression: "rate(30 days)", Duration: "3h" },
    LastRotatedDate: new Date("2026-03-01T00:00:00Z"),
    CreatedDate: new Date("2025-01-01T00:00:00Z"),
  };

  it.each([
    {
      name: "no KmsKeyId is the AWS-managed aws/secretsmanager key",
      kms: undefined,
      id: "alias/aws/secretsmanager",
      manager: "aws-managed",
    },
    {
      name: "a customer key ARN is customer-managed",
      kms: "arn:aws:kms:us-west-2:123456789012:key/1234",
      id: "arn:aws:kms:us-west-2:123456789012:key/1234",
      manager: "customer-managed",
    },
    {
      name: "the aws/secretsmanager alias ARN is AWS-managed",
      kms: "arn:aws:kms:us-west-2:123456789012:alias/aws/secretsmanager",
      id: "arn:aws:kms:us-west-2:123456789012:alias/aws/secretsmanager",
      manager: "aws-managed",
    },
    {
      name: "a customer alias is customer-managed",
      kms: "alias/prod-secrets",
      id: "alias/prod-secrets",
      manager: "customer-managed",
    },
  ])("$name", ({ kms, id, manager }) => {
    const facts = secretFacts({ ...entry, KmsKeyId: kms }, "us-west-2");
    expect(facts).toMatchObject({ kmsKeyId: id, kmsKeyManager: manager });
  });

  it("names the primary of a replica, with the primary region in its ARN", () => {
    const facts = secretFacts({ ...entry, PrimaryRegion: "us-east-1" }, "us-west-2");
    expect(facts.primaryArn).toBe("arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf");
  });

  it("records the schedule, lambda and dates, and no value", () => {
    const observed = observedFacts(secretFacts(entry, "us-west-2"), NOW);
    expect(observed).toMatchObject({
      rotationLambdaArn: entry.RotationLambdaARN,
      scheduleExpression: "rate(30 days)",
      duration: "3h",
      intervalSource: "rate",
      intervalDays: 30,
      lastRotatedDate: "2026-03-01T00:00:00.000Z",
      createdDate: "2025-01-01T00:00:00.000Z",
      primaryRegion: "us-west-2",
    });
    expect(JSON.stringify(observed)).not.toMatch(/SecretString|SecretBinary/);
  });
});

describe("CloudTrail rotation events", () => {
  const event = (record: unknown, resources: Event["Resources"] = []): Event => ({
    EventName: "RotationSucceeded",
    EventSource: "secretsmanager.amazonaws.com",
    EventTime: new Date("2026-03-01T00:00:00Z"),
    CloudTrailEvent: typeof record === "string" ? record : JSON.stringify(record),
    Resources: resources,
  });

  it.each([
    {
      name: "additionalEventData.SecretId (AWS's documented shape)",
      event: event({ additionalEventData: { SecretId: ARN } }),
      id: ARN,
    },
    {
      name: "serviceEventDetails.secretId",
      event: event({ serviceEventDetails: { secretId: ARN } }),
      id: ARN,
    },
    {
      name: "the event's secret resource",
      event: event({}, [{ ResourceType: "AWS::SecretsManager::Secret", ResourceName: ARN }]),
      id: ARN,
    },
    {
      name: "a malformed record with a resource",
      event: event("{not json", [{ ResourceType: "AWS::SecretsManager::Secret", ResourceName: "prod/db" }]),
      id: "prod/db",
    },
    { name: "nothing that names a secret", event: event({ requestParameters: null }), id: undefined },
  ])("finds the secret in $name", ({ event, id }) => {
    expect(rotatedSecretId(event)).toBe(id);
  });

  it("matches events by ARN, ARN without suffix or name, and cites their pages", () => {
    const facts = secret();
    const trace = new CallTrace("secretsmanager", () => NOW);
    const page = (requestId: string) => ({ $metadata: { requestId } });
    const bySecret = new Map([
      [ARN, { dates: ["2026-03-01T00:00:00.000Z"], pages: [page("r1")] }],
      [
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db",
        { dates: ["2026-02-01T00:00:00.000Z"], pages: [page("r2")] },
      ],
      ["prod/db", { dates: ["2026-01-01T00:00:00.000Z"], pages: [page("r3")] }],
      ["prod/other", { dates: ["2025-12-01T00:00:00.000Z"], pages: [page("r4")] }],
    ]);
    withEvents(facts, trace, { since: "2026-01-01T00:00:00.000Z", bySecret });
    expect(facts.rotationEvents).toEqual([
      "2026-01-01T00:00:00.000Z",
      "2026-02-01T00:00:00.000Z",
      "2026-03-01T00:00:00.000Z",
    ]);
    expect(trace.source().requestIds).toEqual(["r1", "r2", "r3"]);
  });

  it("records the error code when LookupEvents could not be read", () => {
    const facts = secret();
    const denied = Object.assign(new Error("denied"), { name: "AccessDeniedException" });
    withEvents(facts, new CallTrace("secretsmanager", () => NOW), {
      since: "2026-01-01T00:00:00.000Z",
      bySecret: new Map(),
      unavailable: { code: "AccessDeniedException", error: denied },
    });
    expect(facts.rotationEventsUnavailable).toBe("AccessDeniedException");
    expect(facts.rotationEvents).toBeUndefined();
  });
});

describe("period", () => {
  const Q1: Period = { label: "2026-Q1", start: "2026-01-01", end: "2026-03-31" };
  const days = daysOf(Q1);
  const item = (
    observed: Record<string, unknown>,
    status: EvidenceItem["status"] = "pass",
  ): EvidenceItem => ({
    collector: "secrets-rotation",
    controlIds: ["CC6.1"],
    account: "123456789012",
    region: "us-east-1",
    resource: { arn: ARN, type: "AWS::SecretsManager::Secret", name: "prod/db" },
    status,
    reason: status === "not_applicable" ? "replica of primary" : "today's verdict",
    observed,
    expected: POLICY,
    source: {
      service: "secretsmanager",
      operations: [],
      requestIds: [],
      collectedAt: "2026-03-31T12:00:00Z",
    },
  });
  const history = (
    dates: string[],
    observedDays = days,
    latest = item({ createdDate: "2025-01-01T00:00:00.000Z" }),
  ) => ({
    latest,
    first: latest,
    failDays: [],
    dates,
    daysObserved: observedDays,
    daysCovered: days,
    periodDays: days,
  });

  it("passes a quarter with monthly rotations and counts them", () => {
    const dates = [
      "2025-12-15T00:00:00.000Z",
      "2026-01-15T00:00:00.000Z",
      "2026-02-15T00:00:00.000Z",
      "2026-03-15T00:00:00.000Z",
    ];
    const verdict = judgeSecretPeriod(history(dates), Q1, "2026-03-31", POLICY);
    expect(verdict.status).toBe("pass");
    expect(verdict.observed).toMatchObject({ rotationsInPeriod: dates.slice(1), largestGapDays: 31 });
  });

  it("fails a quarter with a late rotation even though today passes", () => {
    const dates = ["2025-12-01T00:00:00.000Z", "2026-03-20T00:00:00.000Z"];
    const verdict = judgeSecretPeriod(history(dates), Q1, "2026-03-31", POLICY);
    expect(verdict.status).toBe("fail");
    expect(verdict.observed).toMatchObject({ largestGapDays: 109 });
    expect(verdict.reason).toMatch(/no rotation for 109 days \(2025-12-01 to 2026-03-20\); allowed 93/);
  });

  it("fails a secret that never rotated since creation", () => {
    const verdict = judgeSecretPeriod(history([]), Q1, "2026-03-31", POLICY);
    expect(verdict.status).toBe("fail");
  });

  it("reports the days a week of missing snapshots did not observe the secret", () => {
    const missing = days.slice(14, 21);
    const observedDays = days.filter((day) => !missing.includes(day));
    const dates = ["2026-01-10T00:00:00.000Z", "2026-02-20T00:00:00.000Z", "2026-03-25T00:00:00.000Z"];
    const verdict = judgeSecretPeriod(history(dates, observedDays), Q1, "2026-03-31", POLICY);
    expect(verdict.observed).toMatchObject({ daysNotObserved: missing, daysObserved: days.length - 7 });
    expect(verdict.reason).toMatch(/not observed on 7 day/);
  });

  it("leaves a replica to its primary", () => {
    const replica = item({ primaryArn: ARN }, "not_applicable");
    const verdict = judgeSecretPeriod(history([], days, replica), Q1, "2026-03-31", POLICY);
    expect(verdict.status).toBe("not_applicable");
  });

  it("reads rotation dates from LastRotatedDate and CloudTrail events", () => {
    const dates = rotationDates(
      item({ lastRotatedDate: "2026-03-01T00:00:00.000Z", rotationEvents: ["2026-02-01T00:00:00.000Z"] }),
    );
    expect(dates.sort()).toEqual(["2026-02-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"]);
    expect(rotationDates(item({ errorCode: "AccessDeniedException" }))).toEqual([]);
  });
});
