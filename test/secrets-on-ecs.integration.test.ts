import { RegisterTaskDefinitionCommand, ECSClient } from "@aws-sdk/client-ecs";
import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { describe, expect, it } from "vitest";
import ecsTaskSecrets from "../collectors/ecs-task-secrets.js";
import secretsEncryption from "../collectors/secrets-encryption.js";
import secretsHygiene from "../collectors/secrets-hygiene.js";
import secretsMonitoring from "../collectors/secrets-monitoring.js";
import type { ItemDraft } from "../src/core/model.js";
import { collectAll, testContext } from "./support/context.js";
import { clientConfig, DEFAULT_ACCOUNT, useEmulator } from "./support/emulator.js";
import { expectDeclaredCalls } from "./support/permissions.js";
import { seedSecretsOnEcs } from "./fixtures/secrets-on-ecs.js";

const emulator = useEmulator();
const REGION = "us-east-1";
const byName = (items: ItemDraft[]) => new Map(items.map((item) => [item.resource.name, item]));

describe("the Secrets-Manager-on-ECS collectors against the emulator", () => {
  it("ecs-task-secrets judges every revision in use, by service, schedule and latest ACTIVE, without recording a value", async () => {
    const now = new Date();
    const estate = await seedSecretsOnEcs(emulator(), REGION, now);
    const items = byName(await collectAll(ecsTaskSecrets, testContext(emulator(), { now, region: REGION })));

    expect([...items.keys()].sort()).toEqual(["api:1", "legacy-worker:1", "nightly-report:1"]);
    expect(items.get("api:1")).toMatchObject({ status: "pass", observed: { usedBy: ["latest-active", expect.stringMatching(/^service:/)], executionRoleArn: expect.any(String) } });
    expect(items.get("api:1")?.reason).toContain("1 environment file(s) listed, not read");
    expect(items.get("legacy-worker:1")).toMatchObject({ status: "fail", reason: "plaintext credential in environment: app/DB_PASSWORD (name:*PASSWORD*)" });
    expect(items.get("nightly-report:1")).toMatchObject({ status: "fail", reason: expect.stringContaining("REPORT_AUTH (value:jwt)"), observed: { usedBy: ["latest-active", expect.stringMatching(/^rule:.*nightly-report$/)] } });
    const text = JSON.stringify([...items.values()]);
    for (const value of estate.plaintextValues) expect(text).not.toContain(value);
    expect(emulator().proxy.count("GetSecretValue") + emulator().proxy.count("BatchGetSecretValue")).toBe(0);
  });

  it("ecs-task-secrets passes the execution role scoped to its secret and fails the revision where only the task role may read it", async () => {
    const now = new Date();
    const estate = await seedSecretsOnEcs(emulator(), REGION, now);
    const secret = String(estate.secretArns.get("prod/api/db-password"));
    const config = clientConfig(emulator(), REGION);
    const iam = new IAMClient(config);
    const ecs = new ECSClient(config);
    const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }] });
    const role = async (name: string, statement: Record<string, unknown>) => {
      const created = await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust }));
      await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "inline", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [statement] }) }));
      return String(created.Role?.Arn);
    };
    const register = (family: string, roles: { executionRoleArn: string; taskRoleArn?: string }) =>
      ecs.send(new RegisterTaskDefinitionCommand({ family, ...roles, containerDefinitions: [{ name: "app", image: "public.ecr.aws/docker/library/busybox:latest", memory: 128, secrets: [{ name: "DB_PASSWORD", valueFrom: `${secret}:password::` }] }] }));
    try {
      const scoped = await role("scoped-execution", { Sid: "ReadDbPassword", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secret });
      const logsOnly = await role("logs-execution", { Sid: "Logs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: "*" });
      const task = await role("reader-task", { Sid: "AppReads", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secret });
      await register("scoped", { executionRoleArn: scoped });
      await register("wrong-role", { executionRoleArn: logsOnly, taskRoleArn: task });
    } finally {
      iam.destroy();
      ecs.destroy();
    }
    const ctx = testContext(emulator(), { now, region: REGION });
    const items = byName(await collectAll(ecsTaskSecrets, ctx));

    expect(items.get("scoped:1")).toMatchObject({
      status: "pass",
      reason: expect.stringContaining(`the execution role is allowed secretsmanager:GetSecretValue on each of 1 secret(s) (arn:aws:iam::${DEFAULT_ACCOUNT}:role/scoped-execution#inline#ReadDbPassword)`),
      observed: { roleGrants: { secrets: [{ secretArn: secret, executionRole: { allowed: true, grants: [{ policyId: `arn:aws:iam::${DEFAULT_ACCOUNT}:role/scoped-execution#inline`, sid: "ReadDbPassword" }] } }] } },
    });
    expect(items.get("wrong-role:1")).toMatchObject({
      status: "fail",
      reason: expect.stringContaining(`the task role is (arn:aws:iam::${DEFAULT_ACCOUNT}:role/reader-task#inline#AppReads): wrong role`),
      observed: { roleGrants: { secrets: [{ executionRole: { allowed: false }, taskRole: { allowed: true } }] } },
    });
    // The seeded api revision names a role IAM does not hold: nothing is claimed about it.
    expect(items.get("api:1")).toMatchObject({ status: "pass", reason: expect.stringContaining("role not in this account's IAM authorization details") });
    expect(items.get("scoped:1")?.source.operations).toContain("GetAccountAuthorizationDetails");
    expect(emulator().proxy.count("GetAccountAuthorizationDetails")).toBe(1);
    expect(emulator().proxy.count("GetSecretValue") + emulator().proxy.count("BatchGetSecretValue")).toBe(0);
    expectDeclaredCalls(ecsTaskSecrets, ctx.clients.ledger);
  });

  it("ecs-task-secrets keeps the structural verdict and says what it could not see when GetAccountAuthorizationDetails is denied", async () => {
    const now = new Date();
    await seedSecretsOnEcs(emulator(), REGION, now);
    emulator().proxy.inject({ service: "iam", operation: "GetAccountAuthorizationDetails", kind: "deny" });
    const ctx = testContext(emulator(), { now, region: REGION });
    const items = byName(await collectAll(ecsTaskSecrets, ctx));

    expect(items.get("api:1")).toMatchObject({
      status: "pass",
      reason: expect.stringMatching(/; roles not evaluated: iam:GetAccountAuthorizationDetails failed \(AccessDenied\w*\)$/),
      observed: { roleGrants: expect.stringMatching(/^not evaluated: iam:GetAccountAuthorizationDetails failed/) },
    });
    expect(items.get("api:1")?.reason).not.toContain("execution role is");
    expect(items.get("legacy-worker:1")).toMatchObject({ status: "fail", reason: "plaintext credential in environment: app/DB_PASSWORD (name:*PASSWORD*)" });
    expect(items.get("legacy-worker:1")?.observed).not.toHaveProperty("roleGrants");
    expectDeclaredCalls(ecsTaskSecrets, ctx.clients.ledger);
  });

  it("secrets-encryption passes the secret on a rotating CMK and fails the one on aws/secretsmanager, one key read per key", async () => {
    const now = new Date();
    const estate = await seedSecretsOnEcs(emulator(), REGION, now);
    const items = byName(await collectAll(secretsEncryption, testContext(emulator(), { now, region: REGION })));

    expect(items.get("prod/api/db-password")).toMatchObject({ status: "pass", observed: { key: { arn: estate.cmkArn, rotationEnabled: true } } });
    expect(items.get("LegacyApiToken")).toMatchObject({ status: "fail", reason: expect.stringContaining("alias/aws/secretsmanager") });
    expect(emulator().proxy.count("DescribeKey")).toBe(1);
    expect(emulator().proxy.count("GetKeyRotationStatus")).toBe(1);
  });

  it("secrets-hygiene gives each rule its own item: the misnamed secret fails naming alone, deletions are judged from CloudTrail", async () => {
    const now = new Date();
    await seedSecretsOnEcs(emulator(), REGION, now);
    const items = await collectAll(secretsHygiene, testContext(emulator(), { now, region: REGION, period: { label: "p", start: "2020-01-01", end: "2099-12-31" } }));
    const rule = (name: string, suffix: string) => items.find((item) => item.resource.name.startsWith(name) && item.resource.arn.endsWith(`#${suffix}`));

    expect(rule("LegacyApiToken", "naming")).toMatchObject({ status: "fail" });
    expect(rule("prod/api/db-password", "naming")).toMatchObject({ status: "pass" });
    expect(rule("prod/api/db-password", "database-rotation")).toMatchObject({ status: "pass" });
    expect(rule("LegacyApiToken", "database-rotation")).toMatchObject({ status: "not_applicable" });
    expect(rule("prod/api/old-token deletion", "deletion")).toMatchObject({ status: "fail", reason: expect.stringContaining("ForceDeleteWithoutRecovery") });
    expect(rule("prod/api/retired deletion", "deletion")).toMatchObject({ status: "pass" });
    expect(rule("DeleteSecret events", "deletion")).toMatchObject({ observed: { deletions: 2, failing: 1, notCoveredBefore: expect.any(String), eventHistoryDays: 90 } });
  });

  it("secrets-monitoring passes the GetSecretValue alert to SNS and fails the misnamed rotation rule by its pattern", async () => {
    const now = new Date();
    await seedSecretsOnEcs(emulator(), REGION, now);
    const items = byName(await collectAll(secretsMonitoring, testContext(emulator(), { now, region: REGION })));

    expect(items.get("GetSecretValue alerting")).toMatchObject({ status: "pass", reason: expect.stringContaining("secret-reads-outside-home") });
    expect(items.get("RotationSucceeded redeploy")).toMatchObject({ status: "fail", reason: expect.stringContaining("no enabled rule matches RotationSucceeded") });
    expect(emulator().proxy.count("ListTargetsByRule")).toBe(3);
  });

  it("secrets-monitoring reads the rules of a custom event bus too: an alert there passes, and the region's calls are the declared ones", async () => {
    const now = new Date();
    const events = new EventBridgeClient(clientConfig(emulator(), REGION));
    await events.send(new CreateEventBusCommand({ Name: "security" }));
    const pattern = { source: ["aws.secretsmanager"], "detail-type": ["AWS API Call via CloudTrail"], detail: { eventSource: ["secretsmanager.amazonaws.com"], eventName: ["GetSecretValue"], awsRegion: [{ "anything-but": [REGION] }] } };
    await events.send(new PutRuleCommand({ Name: "reads-elsewhere", EventBusName: "security", EventPattern: JSON.stringify(pattern), State: "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS" }));
    await events.send(new PutTargetsCommand({ Rule: "reads-elsewhere", EventBusName: "security", Targets: [{ Id: "sns", Arn: `arn:aws:sns:${REGION}:${DEFAULT_ACCOUNT}:security-alerts` }] }));
    emulator().proxy.clearCalls();
    const ctx = testContext(emulator(), { now, region: REGION });
    const items = byName(await collectAll(secretsMonitoring, ctx));

    expect(items.get("GetSecretValue alerting")).toMatchObject({ status: "pass", reason: expect.stringContaining("rule reads-elsewhere alerts") });
    expect(emulator().proxy.count("ListEventBuses")).toBe(1);
    expectDeclaredCalls(secretsMonitoring, ctx.clients.ledger);
  });
});
