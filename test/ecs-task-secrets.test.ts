import type { TaskDefinition } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import { credentialFinding, DEFAULT_ALLOW, DEFAULT_NAME_PATTERNS, PatternError, patternSet, sha256Prefix } from "../collectors/credential-patterns.js";
import { judgeTaskDefinition, judgeTaskDefinitionPeriod, observedTaskDefinition, plaintextDates, taskDefinitionFacts } from "../collectors/ecs-task-secrets.judge.js";
import type { ResourceHistory } from "../src/core/collector.js";
import type { EvidenceItem } from "../src/core/model.js";

const PATTERNS = patternSet(DEFAULT_NAME_PATTERNS, DEFAULT_ALLOW);
const EXECUTION_ROLE = "arn:aws:iam::123456789012:role/api-execution";
const SM = "arn:aws:secretsmanager:us-east-1:123456789012:secret:production/api/db-AbCdEf";
// Test inputs assembled at run time so no credential-shaped literal sits in the repository.
const ACCESS_KEY = ["AKIA", "Z".repeat(16)].join("");
const JWT = ["eyJhbGciOiJIUzI1NiJ9", "eyJzdWIiOiIxMjM0NTY3ODkwIn0", "c2lnbmF0dXJlLXBhcnQ"].join(".");
const PEM = ["-----BEGIN", "RSA PRIVATE KEY-----"].join(" ");

describe("which environment entries are credentials", () => {
  it.each([
    { name: "DB_PASSWORD", value: "hunter2-hunter2", rules: ["name:*PASSWORD*"] },
    { name: "stripe_api_key", value: "sk-live-1234", rules: ["name:*API_KEY*"] },
    { name: "AWS_SECRET_ACCESS_KEY", value: "x".repeat(40), rules: ["name:*SECRET*", "name:AWS_SECRET_ACCESS_KEY"] },
    { name: "UPSTREAM", value: ACCESS_KEY, rules: ["value:aws-access-key-id"] },
    { name: "SIGNING", value: `${PEM}\nMIIB...`, rules: ["value:private-key-header"] },
    { name: "SESSION", value: JWT, rules: ["value:jwt"] },
    { name: "DATABASE_URL", value: "postgres://app:s3cr3t@db.internal:5432/app", rules: ["value:url-with-password"] },
    { name: "CONN", value: "Server=db;User Id=app;Password=s3cr3t;", rules: ["value:password-in-connection-string"] },
  ])("flags $name by $rules", ({ name, value, rules }) => {
    expect(credentialFinding(name, value, PATTERNS)?.rules).toEqual(rules);
  });

  it.each([
    { why: "an allow-listed setting", name: "MYSQL_ALLOW_EMPTY_PASSWORD", value: "yes" },
    { why: "a flag value", name: "REQUIRE_TOKEN", value: "true" },
    { why: "an empty value", name: "DB_PASSWORD", value: "" },
    { why: "a secret's ARN (read at runtime by the task role)", name: "DB_SECRET_ARN", value: SM },
    { why: "a URL with a placeholder password", name: "DATABASE_URL", value: "postgres://app:${DB_PASSWORD}@db:5432/app" },
    { why: "a URL without a password", name: "SERVICE_URL", value: "https://api.example.com/v1" },
    { why: "an ordinary setting", name: "LOG_LEVEL", value: "debug" },
  ])("does not flag $why", ({ name, value }) => {
    expect(credentialFinding(name, value, PATTERNS)).toBeUndefined();
  });

  it("records a hash prefix and length, never the value", () => {
    const finding = credentialFinding("DB_PASSWORD", "hunter2-hunter2", PATTERNS);
    expect(finding).toEqual({ name: "DB_PASSWORD", rules: ["name:*PASSWORD*"], valueSha256Prefix: sha256Prefix("hunter2-hunter2"), valueLength: 15 });
    expect(JSON.stringify(finding)).not.toContain("hunter2");
  });

  it.each([
    { patterns: ["DB_(PASS"], allow: [], why: "a regex-like name pattern" },
    { patterns: [""], allow: [], why: "an empty pattern" },
    { patterns: ["*PASSWORD*"], allow: ["NO_EQUALS"], why: "an allow entry without NAME=value" },
  ])("rejects $why with the reason", ({ patterns, allow }) => {
    expect(() => patternSet(patterns, allow)).toThrow(PatternError);
  });
});

const definition = (overrides: Partial<TaskDefinition> = {}, container: Record<string, unknown> = {}): TaskDefinition => ({
  taskDefinitionArn: "arn:aws:ecs:us-east-1:123456789012:task-definition/api:3",
  family: "api",
  revision: 3,
  status: "ACTIVE",
  executionRoleArn: EXECUTION_ROLE,
  containerDefinitions: [{ name: "app", environment: [{ name: "LOG_LEVEL", value: "info" }], ...container }],
  ...overrides,
});

describe("task definition verdicts", () => {
  it.each([
    { case: "secrets from Secrets Manager, read by the execution role", def: definition({}, { secrets: [{ name: "DB_PASSWORD", valueFrom: `${SM}:password::` }] }), status: "pass", reason: "1 credential(s) injected through secrets by the execution role; none in plaintext" },
    { case: "secrets from SSM by parameter name", def: definition({}, { secrets: [{ name: "TOKEN", valueFrom: "/prod/api/token" }] }), status: "pass", reason: "1 credential(s) injected" },
    { case: "no credentials at all", def: definition(), status: "pass", reason: "no credential in plaintext environment" },
    { case: "a plaintext DB_PASSWORD", def: definition({}, { environment: [{ name: "DB_PASSWORD", value: "hunter2-hunter2" }] }), status: "fail", reason: "plaintext credential in environment: app/DB_PASSWORD (name:*PASSWORD*)" },
    { case: "secrets but no execution role", def: definition({ executionRoleArn: undefined, taskRoleArn: "arn:aws:iam::123456789012:role/api-task" }, { secrets: [{ name: "DB_PASSWORD", valueFrom: SM }] }), status: "fail", reason: "no execution role" },
    { case: "a valueFrom that is no secret store", def: definition({}, { secrets: [{ name: "X", valueFrom: "https://vault.example/x" }] }), status: "fail", reason: "neither Secrets Manager nor SSM" },
    { case: "environment files from S3: listed, not read", def: definition({}, { environmentFiles: [{ type: "s3", value: "arn:aws:s3:::cfg/api.env" }] }), status: "pass", reason: "1 environment file(s) listed, not read" },
  ])("$case: $status", ({ def, status, reason }) => {
    const verdict = judgeTaskDefinition(taskDefinitionFacts(def, ["latest-active"], PATTERNS));
    expect(verdict.status).toBe(status);
    expect(verdict.reason).toContain(reason);
  });

  it("judges thousands of variables without recording thousands of findings", () => {
    const environment = Array.from({ length: 5000 }, (_, index) => ({ name: `SVC_${index}_TOKEN`, value: `value-${index}-long` }));
    const facts = taskDefinitionFacts(definition({}, { environment }), [], PATTERNS);
    const observed = observedTaskDefinition(facts);
    expect(observed.plaintextCredentialCount).toBe(5000);
    expect(facts.containers[0]?.plaintextCredentials).toHaveLength(50);
    expect(judgeTaskDefinition(facts).reason).toMatch(/; 4995 more$/);
    expect(JSON.stringify(observed)).not.toContain("value-1-long");
  });
});

describe("the period rule", () => {
  const item = (day: string, count: number): EvidenceItem =>
    ({ status: count ? "fail" : "pass", reason: "r", observed: { plaintextCredentialCount: count }, source: { service: "ecs", operations: [], requestIds: [], collectedAt: `${day}T06:00:00.000Z` } }) as unknown as EvidenceItem;
  const history = (latest: EvidenceItem, dates: string[]): ResourceHistory => ({ latest, first: latest, failDays: [], dates, daysObserved: ["2026-10-01", "2026-10-02"], daysCovered: [], periodDays: [] });
  const PERIOD = { label: "Q4", start: "2026-10-01", end: "2026-12-31" };

  it.each([
    { case: "plaintext on one day, fixed since", latest: item("2026-10-02", 0), dates: ["2026-10-01T06:00:00.000Z"], status: "fail" },
    { case: "never plaintext", latest: item("2026-10-02", 0), dates: [], status: "pass" },
    { case: "plaintext before the period only", latest: item("2026-10-02", 0), dates: ["2026-09-30T06:00:00.000Z"], status: "pass" },
  ])("$case: $status", ({ latest, dates, status }) => {
    expect(judgeTaskDefinitionPeriod(history(latest, dates), PERIOD, "2026-10-02").status).toBe(status);
  });

  it("dates only the snapshots that saw a plaintext credential", () => {
    expect(plaintextDates(item("2026-10-01", 2))).toEqual(["2026-10-01T06:00:00.000Z"]);
    expect(plaintextDates(item("2026-10-01", 0))).toEqual([]);
  });
});
