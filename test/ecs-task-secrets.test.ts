import type { TaskDefinition } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import { credentialFinding, DEFAULT_ALLOW, DEFAULT_NAME_PATTERNS, PatternError, patternSet, sha256Prefix } from "../collectors/credential-patterns.js";
import { judgeTaskDefinition, judgeTaskDefinitionPeriod, observedTaskDefinition, plaintextDates, taskDefinitionFacts } from "../collectors/ecs-task-secrets.judge.js";
import { needsRoles, roleGrantsOf, roleIndex, secretArnOf, type RoleGrants } from "../collectors/ecs-task-roles.js";
import type { AuthorizationDetails, IamPrincipal } from "../collectors/iam-authorization-details.js";
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
    { case: "secrets from Secrets Manager with an execution role", def: definition({}, { secrets: [{ name: "DB_PASSWORD", valueFrom: `${SM}:password::` }] }), status: "pass", reason: "1 credential(s) injected through secrets with an execution role; none in plaintext" },
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

const ACCOUNT = "123456789012";
const TASK_ROLE = `arn:aws:iam::${ACCOUNT}:role/api-task`;
const OTHER_SM = "arn:aws:secretsmanager:us-east-1:123456789012:secret:production/billing/key-XyZaBc";
const allow = (resource: string | string[], sid = "ReadSecrets", action: string | string[] = "secretsmanager:GetSecretValue") => ({ Sid: sid, Effect: "Allow", Action: action, Resource: resource });

/** IAM as GetAccountAuthorizationDetails gives it: roles with inline policies (and a boundary) by name. */
function iam(roles: Record<string, { statements: unknown[]; boundary?: unknown[] } | undefined>): Pick<AuthorizationDetails, "principals" | "documents"> {
  const documents = new Map<string, unknown>();
  const principals: IamPrincipal[] = Object.entries(roles).flatMap(([name, role]) => (role ? [[name, role] as const] : [])).map(([name, { statements, boundary }]) => {
    const arn = `arn:aws:iam::${ACCOUNT}:role/${name}`;
    documents.set(`${arn}#inline`, { Version: "2012-10-17", Statement: statements });
    if (boundary) documents.set(`${arn}#boundary`, { Version: "2012-10-17", Statement: boundary });
    return { arn, type: "role", name, policies: [`${arn}#inline`], ...(boundary ? { boundary: `${arn}#boundary` } : {}), groups: [], tags: {} };
  });
  return { principals, documents };
}

const withSecret = (valueFrom: string, roles: Partial<TaskDefinition> = { taskRoleArn: TASK_ROLE }, environment = [{ name: "LOG_LEVEL", value: "info" }]) =>
  definition(roles, { secrets: [{ name: "DB_PASSWORD", valueFrom }], environment });

describe("which role reads the injected secrets", () => {
  const scoped = { statements: [allow(SM), { Sid: "Decrypt", Effect: "Allow", Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" } } }] };
  const none = { statements: [allow("arn:aws:s3:::bucket/*", "S3", "s3:GetObject")] };
  it.each([
    { case: "passes the execution role scoped to its secret (json-key suffix stripped)", def: withSecret(`${SM}:password:AWSCURRENT:`), roles: { "api-execution": scoped, "api-task": none }, status: "pass", reason: "the execution role is allowed secretsmanager:GetSecretValue on each of 1 secret(s) (arn:aws:iam::123456789012:role/api-execution#inline#ReadSecrets)" },
    { case: "passes an execution role named by its short name", def: withSecret(SM, { executionRoleArn: "api-execution" }), roles: { "api-execution": scoped }, status: "pass", reason: "the execution role is allowed" },
    { case: "passes with a note when the task role may read it too", def: withSecret(SM), roles: { "api-execution": scoped, "api-task": { statements: [allow("arn:aws:secretsmanager:us-east-1:*:secret:production/api/*")] } }, status: "pass", reason: "the task role may read 1 too (needed only if the application reads them itself)" },
    { case: "fails the wrong role: only the task role has the grant", def: withSecret(SM), roles: { "api-execution": none, "api-task": scoped }, status: "fail", reason: `the task role is (${TASK_ROLE}#inline#ReadSecrets): wrong role` },
    { case: "fails when neither role may read it: the task cannot launch", def: withSecret(SM), roles: { "api-execution": none, "api-task": none }, status: "fail", reason: "nor is the task role: the task cannot launch" },
    { case: "fails an execution role without the grant and no task role", def: withSecret(SM, {}), roles: { "api-execution": none }, status: "fail", reason: "there is no task role: the task cannot launch" },
    { case: "fails an execution role scoped to another secret", def: withSecret(SM), roles: { "api-execution": { statements: [allow(OTHER_SM)] }, "api-task": none }, status: "fail", reason: `not allowed secretsmanager:GetSecretValue on ${SM}` },
    { case: "fails an execution role whose explicit Deny wins", def: withSecret(SM, {}), roles: { "api-execution": { statements: [allow("*"), { Sid: "NoProd", Effect: "Deny", Action: "secretsmanager:*", Resource: "arn:aws:secretsmanager:*:*:secret:production/*" }] } }, status: "fail", reason: "the task cannot launch" },
    { case: "fails an execution role whose permission boundary does not allow it", def: withSecret(SM, {}), roles: { "api-execution": { statements: [allow(SM)], boundary: [allow("*", "Logs", "logs:*")] } }, status: "fail", reason: "the task cannot launch" },
    { case: "claims nothing about an execution role in another account", def: withSecret(SM, { executionRoleArn: "arn:aws:iam::999999999999:role/api-execution" }), roles: {}, status: "pass", reason: "roles not evaluated for 1 secret(s): DB_PASSWORD (role in account 999999999999, outside this account's IAM)" },
    { case: "claims nothing about a role missing from the IAM details", def: withSecret(SM, {}), roles: {}, status: "pass", reason: "role not in this account's IAM authorization details" },
    { case: "claims nothing about a secret in another account", def: withSecret("arn:aws:secretsmanager:us-east-1:999999999999:secret:shared/key-AbCdEf", {}), roles: { "api-execution": { statements: [allow("*")] } }, status: "pass", reason: "secret in account 999999999999" },
    { case: "keeps the plaintext failure and adds the role's", def: withSecret(SM, {}, [{ name: "API_TOKEN", value: "tok-1234567890abcdef" }]), roles: { "api-execution": none }, status: "fail", reason: "plaintext credential in environment: app/API_TOKEN (name:*TOKEN*); the execution role is not allowed" },
  ])("$case", ({ def, roles, status, reason }) => {
    const facts = taskDefinitionFacts(def, ["latest-active"], PATTERNS);
    expect(needsRoles(facts)).toBe(true);
    const verdict = judgeTaskDefinition(facts, roleGrantsOf(facts, roleIndex(iam(roles), ACCOUNT)));
    expect(verdict.status).toBe(status);
    expect(verdict.reason).toContain(reason);
  });

  it("records per secret which role grants it and the statement, never a value", () => {
    const facts = taskDefinitionFacts(withSecret(`${SM}:password::`), ["latest-active"], PATTERNS);
    const grants = roleGrantsOf(facts, roleIndex(iam({ "api-execution": scoped, "api-task": none }), ACCOUNT));
    expect(observedTaskDefinition(facts, grants).roleGrants).toEqual({
      evaluated: expect.stringContaining("not evaluated here: the secret's resource policy"),
      secrets: [{
        container: "app",
        name: "DB_PASSWORD",
        valueFrom: `${SM}:password::`,
        secretArn: SM,
        executionRole: { allowed: true, grants: [{ policyType: "identity", policyId: `${EXECUTION_ROLE}#inline`, sid: "ReadSecrets", index: 1 }] },
        taskRole: { allowed: false, grants: [] },
      }],
    });
  });

  it("keeps the structural verdict and says what could not be seen when IAM could not be read", () => {
    const unreadable: RoleGrants = { notEvaluated: "iam:GetAccountAuthorizationDetails failed (AccessDenied)" };
    for (const [def, status] of [[withSecret(SM), "pass"], [withSecret(SM, {}, [{ name: "DB_PASSWORD", value: "hunter2-hunter2" }]), "fail"]] as const) {
      const facts = taskDefinitionFacts(def, [], PATTERNS);
      const verdict = judgeTaskDefinition(facts, unreadable);
      expect(verdict.status).toBe(status);
      expect(verdict.reason).toMatch(/; roles not evaluated: iam:GetAccountAuthorizationDetails failed \(AccessDenied\)$/);
      expect(verdict.reason).not.toContain("execution role is");
      expect(observedTaskDefinition(facts, unreadable).roleGrants).toBe("not evaluated: iam:GetAccountAuthorizationDetails failed (AccessDenied)");
    }
  });

  it.each([
    { why: "SSM parameters only", def: definition({}, { secrets: [{ name: "TOKEN", valueFrom: "/prod/api/token" }] }) },
    { why: "no secrets", def: definition() },
    { why: "no role at all", def: definition({ executionRoleArn: undefined }, { secrets: [{ name: "X", valueFrom: SM }] }) },
  ])("reads no IAM for a revision with $why", ({ def }) => {
    expect(needsRoles(taskDefinitionFacts(def, [], PATTERNS))).toBe(false);
  });

  it.each([
    { valueFrom: SM, arn: SM },
    { valueFrom: `${SM}:password::`, arn: SM },
    { valueFrom: `${SM}:password:AWSPREVIOUS:`, arn: SM },
    { valueFrom: `${SM}::::`.slice(0, -1), arn: SM },
    { valueFrom: `${SM}:::01234567-89ab-cdef-0123-456789abcdef`, arn: SM },
    { valueFrom: "arn:aws:ssm:us-east-1:123456789012:parameter/prod/token", arn: undefined },
    { valueFrom: "arn:aws:secretsmanager:us-east-1:123456789012:secret", arn: undefined },
  ])("takes the secret ARN of $valueFrom", ({ valueFrom, arn }) => {
    expect(secretArnOf(valueFrom)?.arn).toBe(arn);
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
