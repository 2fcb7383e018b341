import type { Event } from "@aws-sdk/client-cloudtrail";
import type { SecretListEntry } from "@aws-sdk/client-secrets-manager";
import { describe, expect, it } from "vitest";
import { compilePattern, deletionFacts, judgeDatabaseRotation, judgeDeletion, judgeName, judgeUnused, ruleArn } from "../collectors/secrets-hygiene.judge.js";
import secretsHygiene from "../collectors/secrets-hygiene.js";
import { defaultsOf } from "../src/core/collector.js";

const NOW = new Date("2026-11-25T00:00:00Z");
const PARAMS = defaultsOf(secretsHygiene.params);
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000);

describe("naming", () => {
  const pattern = compilePattern(PARAMS.namePattern);
  it.each([
    { name: "prod/api/db-password", status: "pass" },
    { name: "staging/billing/stripe_key", status: "pass" },
    { name: "MyDatabasePassword", status: "fail" },
    { name: "prod/api", status: "fail" },
  ])("$name: $status", ({ name, status }) => {
    expect(judgeName(name, pattern).status).toBe(status);
  });

  it("turns a malformed pattern into an error with the reason", () => {
    const verdict = judgeName("prod/api/db", compilePattern("(unclosed"));
    expect(verdict.status).toBe("error");
    expect(verdict.reason).toContain("not a valid regular expression");
  });
});

describe("unused", () => {
  it.each([
    { case: "read yesterday", entry: { LastAccessedDate: daysAgo(1), CreatedDate: daysAgo(400) }, status: "pass" },
    { case: "last read 120 days ago", entry: { LastAccessedDate: daysAgo(120), CreatedDate: daysAgo(400) }, status: "fail" },
    { case: "never read, created 200 days ago", entry: { CreatedDate: daysAgo(200) }, status: "fail" },
    { case: "never read, created last week", entry: { CreatedDate: daysAgo(7) }, status: "pass" },
    { case: "no dates at all", entry: {}, status: "error" },
  ])("$case: $status", ({ entry, status }) => {
    expect(judgeUnused(entry, 90, NOW).status).toBe(status);
  });
});

describe("database credential rotation", () => {
  const entry = (overrides: Partial<SecretListEntry>): SecretListEntry => ({ ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:x", Name: "prod/api/db-password", ...overrides });
  const pattern = compilePattern(PARAMS.databaseNamePattern);
  it.each([
    { case: "a db secret rotating every 30 days", entry: entry({ RotationEnabled: true, RotationRules: { AutomaticallyAfterDays: 30 }, LastRotatedDate: daysAgo(3) }), status: "pass" },
    { case: "a db secret rotating every 90 days", entry: entry({ RotationEnabled: true, RotationRules: { AutomaticallyAfterDays: 90 }, LastRotatedDate: daysAgo(3) }), status: "fail" },
    { case: "a db secret not rotating", entry: entry({}), status: "fail" },
    { case: "a db secret by tag only", entry: entry({ Name: "prod/api/main", Tags: [{ Key: "secret-type", Value: "database" }] }), status: "fail" },
    { case: "a db secret overdue", entry: entry({ RotationEnabled: true, RotationRules: { AutomaticallyAfterDays: 30 }, LastRotatedDate: daysAgo(45) }), status: "fail" },
    { case: "not a database credential", entry: entry({ Name: "prod/api/stripe-key" }), status: "not_applicable" },
  ])("$case: $status", ({ entry: one, status }) => {
    expect(judgeDatabaseRotation(one, PARAMS, pattern, NOW).status).toBe(status);
  });
});

describe("deletion", () => {
  const event = (request: Record<string, unknown> | string): Event => ({
    EventId: "e1",
    EventName: "DeleteSecret",
    EventTime: daysAgo(5),
    Username: "alice",
    CloudTrailEvent: typeof request === "string" ? request : JSON.stringify({ requestParameters: { secretId: "prod/api/old", ...request } }),
  });
  it.each([
    { case: "default 30-day window", request: {}, status: "pass" },
    { case: "ForceDeleteWithoutRecovery", request: { forceDeleteWithoutRecovery: true }, status: "fail" },
    { case: "a 7-day window", request: { recoveryWindowInDays: 7 }, status: "fail" },
    { case: "an unreadable record", request: "{not json", status: "fail" },
  ])("$case: $status", ({ request, status }) => {
    expect(judgeDeletion(deletionFacts(event(request)), 30).status).toBe(status);
  });

  it("names each rule in the resource ARN so one can be excepted alone", () => {
    expect(ruleArn("arn:aws:secretsmanager:us-east-1:1:secret:a-AbCdEf", "naming")).toBe("arn:aws:secretsmanager:us-east-1:1:secret:a-AbCdEf#naming");
  });
});
