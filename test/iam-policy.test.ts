// The generated policies: every declared permission and nothing forbidden; resources scoped where IAM allows; the
// auditor's read-only. The calls a real run makes are checked in iam-policy.integration.test.ts.
import { describe, expect, it } from "vitest";
import { findCollector } from "../collectors/index.js";
import { loadConfig, parseConfig } from "../src/config/load.js";
import { actionMatches, allowedActions, auditorPolicy, FORBIDDEN_ACTIONS, readerRolePolicy, taskRolePolicy } from "../src/iam/policy.js";
import { runCli } from "./support/cli.js";
import type { PolicyDocument, PolicyStatement, PolicyTarget } from "../src/iam/policy-model.js";

const NOW = new Date("2026-07-15T06:00:00Z");
const shipped = () => loadConfig("controls.yaml", NOW).then((loaded) => loaded.config);
const configOf = (yaml: string) => parseConfig("test.yaml", yaml, NOW).config;

const ONLY_KMS = `version: 1
organization: Acme
scope: { accounts: [current], regions: [us-east-1] }
controls:
  - { id: CC6.1, title: Keys rotate, collectors: [{ use: kms-key-rotation }] }
`;

/** The statement that would allow `action` (action-level: wildcards in the policy's actions honoured). */
const statementFor = (policy: PolicyDocument, action: string): PolicyStatement | undefined =>
  policy.Statement.find((statement) => statement.Action.some((pattern) => actionMatches(pattern, action)));

function forbiddenIn(policy: PolicyDocument): string[] {
  return policy.Statement.flatMap((statement) =>
    statement.Action.filter(
      (pattern) =>
        FORBIDDEN_ACTIONS.some((action) => actionMatches(pattern, action)) || !pattern.includes(":"),
    ),
  );
}

describe("task role policy", () => {
  it("contains every permission the shipped controls.yaml's collectors declare, and nothing forbidden", async () => {
    const config = await shipped();
    const policy = taskRolePolicy({
      config,
      bucket: "acme-evidence",
      signingKey: "alias/soc2-evidence-signing",
    });
    const declared = config.controls.flatMap((control) =>
      control.collectors.flatMap((use) => findCollector(use.use)?.permissions ?? []),
    );
    expect(declared.length).toBeGreaterThan(10);
    for (const action of declared) expect(statementFor(policy, action), action).toBeDefined();
    expect(forbiddenIn(policy)).toEqual([]);
    for (const action of [
      "secretsmanager:GetSecretValue",
      "secretsmanager:BatchGetSecretValue",
      "kms:Decrypt",
    ]) {
      expect(statementFor(policy, action), action).toBeUndefined();
    }
  });

  it("grants only the configured collectors' actions, not the whole registry's", () => {
    const policy = taskRolePolicy({ config: configOf(ONLY_KMS) });
    expect(allowedActions(policy)).toEqual([
      "kms:DescribeKey",
      "kms:GetKeyRotationStatus",
      "kms:ListAliases",
      "kms:ListKeyRotations",
      "kms:ListKeys",
    ]);
  });

  it.each([
    ["kms:ListKeys", "*"],
    ["kms:ListAliases", "*"],
    ["kms:DescribeKey", "arn:aws:kms:*:*:key/*"],
    ["kms:ListKeyRotations", "arn:aws:kms:*:*:key/*"],
    ["secretsmanager:ListSecrets", "*"],
    ["cloudtrail:DescribeTrails", "*"],
    ["cloudtrail:LookupEvents", "*"],
    ["cloudtrail:GetEventSelectors", "arn:aws:cloudtrail:*:*:trail/*"],
    ["access-analyzer:ListAnalyzers", "*"],
    ["access-analyzer:ListFindings", "arn:aws:access-analyzer:*:*:analyzer/*"],
    ["s3:ListAllMyBuckets", "*"],
    ["s3:GetBucketPolicy", "arn:aws:s3:::*"],
  ])("scopes %s to %s (Service Authorization Reference resource type)", async (action, resource) => {
    const config = await shipped();
    const policy = taskRolePolicy({ config });
    const scoped = policy.Statement.filter((statement) => statement.Action.includes(action));
    expect(scoped.map((statement) => statement.Resource)).toContain(resource);
  });

  it.each([
    ["the caller's account only", "[current]", undefined, undefined],
    [
      "listed accounts",
      `["111111111111", current, "222222222222"]`,
      ["arn:aws:iam::111111111111:role/reader", "arn:aws:iam::222222222222:role/reader"],
      undefined,
    ],
    ["the Organization", "organization", "arn:aws:iam::*:role/reader", "*"],
  ])("for %s grants AssumeRole and ListAccounts only as needed", (_name, accounts, roles, listAccounts) => {
    const config = configOf(
      ONLY_KMS.replace("accounts: [current]", `accounts: ${accounts}, assumeRole: reader`),
    );
    const policy = taskRolePolicy({ config });
    expect(statementFor(policy, "sts:AssumeRole")?.Resource).toEqual(roles);
    expect(statementFor(policy, "organizations:ListAccounts")?.Resource).toEqual(listAccounts);
  });

  it("writes and reads only the evidence prefixes of the bucket, lists with a prefix condition, retains with Object Lock", () => {
    const config = configOf(ONLY_KMS + "store: { bucket: acme-evidence, prefix: soc2, retainDays: 400 }\n");
    const policy = taskRolePolicy({ config });
    expect(statementFor(policy, "s3:PutObject")).toMatchObject({
      Action: ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject", "s3:PutObjectRetention"],
      Resource: ["arn:aws:s3:::acme-evidence/soc2/packages/*", "arn:aws:s3:::acme-evidence/soc2/snapshots/*"],
    });
    expect(statementFor(policy, "s3:ListBucket")).toMatchObject({
      Resource: "arn:aws:s3:::acme-evidence",
      Condition: { StringLikeIfExists: { "s3:prefix": ["soc2/packages/*", "soc2/snapshots/*"] } },
    });
    for (const action of [
      "s3:GetBucketVersioning",
      "s3:GetBucketObjectLockConfiguration",
      "s3:GetEncryptionConfiguration",
      "s3:GetBucketPublicAccessBlock",
    ]) {
      expect(statementFor(policy, action)?.Resource, action).toBe("arn:aws:s3:::acme-evidence");
    }
    expect(statementFor(policy, "s3:DeleteObject")).toBeUndefined();
    expect(statementFor(policy, "kms:GenerateDataKey")).toBeUndefined();
  });

  it("leaves out PutObjectRetention without retainDays, and every store statement without a bucket", () => {
    const withBucket = taskRolePolicy({ config: configOf(ONLY_KMS), bucket: "b" });
    expect(statementFor(withBucket, "s3:PutObjectRetention")).toBeUndefined();
    const local = taskRolePolicy({ config: configOf(ONLY_KMS) });
    expect(allowedActions(local).filter((action) => action.startsWith("s3:"))).toEqual([]);
  });

  it("encrypts through S3 only: GenerateDataKey on the bucket key with kms:ViaService, never Decrypt", () => {
    const key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const policy = taskRolePolicy({
      config: configOf(ONLY_KMS),
      bucket: "acme-evidence",
      storeRegion: "eu-west-1",
      bucketKmsKey: key,
    });
    expect(statementFor(policy, "kms:GenerateDataKey")).toEqual({
      Sid: "EvidenceEncryption",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey"],
      Resource: key,
      Condition: {
        StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" },
        StringLike: {
          "kms:EncryptionContext:aws:s3:arn": ["arn:aws:s3:::acme-evidence", "arn:aws:s3:::acme-evidence/*"],
        },
      },
    });
    expect(forbiddenIn(policy)).toEqual([]);
  });

  it.each([
    [
      "a key ARN",
      "arn:aws:kms:us-east-1:123456789012:key/k1",
      "arn:aws:kms:us-east-1:123456789012:key/k1",
      undefined,
    ],
    ["an alias name", "alias/signing", "arn:aws:kms:us-east-1:*:key/*", "alias/signing"],
    [
      "an alias ARN",
      "arn:aws:kms:eu-west-1:123456789012:alias/signing",
      "arn:aws:kms:eu-west-1:123456789012:key/*",
      "alias/signing",
    ],
    ["a key id", "k1", "arn:aws:kms:us-east-1:*:key/k1", undefined],
  ])("signs manifests with a signing key given as %s", (_name, signingKey, resource, alias) => {
    const policy = taskRolePolicy({ config: configOf(ONLY_KMS), signingKey });
    const statement = statementFor(policy, "kms:Sign");
    expect(statement).toMatchObject({
      Action: ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"],
      Resource: resource,
    });
    expect(statement?.Condition?.["ForAnyValue:StringEquals"]?.["kms:ResourceAliases"]).toEqual(alias);
  });

  it("reads its config object when the container loads controls.yaml from S3", () => {
    const policy = taskRolePolicy({
      config: configOf(ONLY_KMS),
      configObject: { bucket: "acme-evidence", key: "soc2/config/controls.yaml" },
    });
    expect(policy.Statement.find((statement) => statement.Sid === "ReadConfig")?.Resource).toBe(
      "arn:aws:s3:::acme-evidence/soc2/config/controls.yaml",
    );
  });

  it("uses the partition it is given", async () => {
    const policy = taskRolePolicy({ config: await shipped(), partition: "aws-us-gov", bucket: "b" });
    const arns = policy.Statement.flatMap((statement) => [statement.Resource].flat()).filter(
      (resource) => resource !== "*",
    );
    expect(arns.length).toBeGreaterThan(5);
    for (const arn of arns) expect(arn).toMatch(/^arn:aws-us-gov:/);
  });
});

describe("reader and auditor policies", () => {
  it("gives the member-account reader role the collectors' reads and nothing of the store", async () => {
    const config = await shipped();
    const reader = readerRolePolicy({ config, bucket: "acme-evidence", signingKey: "alias/s" });
    const task = taskRolePolicy({ config });
    expect(reader).toEqual(task);
  });

  it("lets the auditor read and verify packages and snapshots, and nothing else", () => {
    const target: PolicyTarget = {
      config: configOf(ONLY_KMS + "store: { bucket: acme-evidence, prefix: soc2/ }\n"),
      signingKey: "alias/signing",
    };
    const policy = auditorPolicy(target);
    expect(allowedActions(policy)).toEqual([
      "kms:GetPublicKey",
      "kms:Verify",
      "s3:GetObject",
      "s3:GetObjectVersion",
      "s3:ListBucket",
      "s3:ListBucketVersions",
    ]);
    expect(statementFor(policy, "s3:GetObjectVersion")?.Resource).toEqual([
      "arn:aws:s3:::acme-evidence/soc2/packages/*",
      "arn:aws:s3:::acme-evidence/soc2/snapshots/*",
    ]);
    expect(statementFor(policy, "s3:ListBucketVersions")?.Condition).toEqual({
      StringLike: { "s3:prefix": ["soc2/packages/*", "soc2/snapshots/*"] },
    });
    expect(forbiddenIn(policy)).toEqual([]);
  });

  it("refuses an auditor policy without an evidence bucket", () => {
    expect(() => auditorPolicy({ config: configOf(ONLY_KMS) })).toThrow(/needs the evidence bucket/);
  });
});

describe("soc2-evidence iam-policy (process)", () => {
  it("prints the task role policy as JSON on stdout, and the auditor's with --auditor", async () => {
    const task = await runCli([
      "iam-policy",
      "--config",
      "controls.yaml",
      "--bucket",
      "acme-evidence",
      "--quiet",
    ]);
    expect(task.code, task.stderr).toBe(0);
    expect(JSON.parse(task.stdout)).toEqual(
      taskRolePolicy({ config: await shipped(), bucket: "acme-evidence" }),
    );
    const auditor = await runCli([
      "iam-policy",
      "--auditor",
      "--config",
      "controls.yaml",
      "--bucket",
      "acme-evidence",
    ]);
    expect(auditor.code).toBe(0);
    expect(JSON.parse(auditor.stdout)).toEqual(
      auditorPolicy({ config: await shipped(), bucket: "acme-evidence" }),
    );
    expect(auditor.stderr).toContain("never grant kms:Decrypt");
  });

  it("exits 2 for an auditor policy without a bucket, or two policies at once", async () => {
    expect((await runCli(["iam-policy", "--auditor", "--config", "controls.yaml"])).code).toBe(2);
    expect(
      (await runCli(["iam-policy", "--auditor", "--reader", "--config", "controls.yaml", "--bucket", "b"]))
        .code,
    ).toBe(2);
  });
});

describe("actionMatches", () => {
  it.each([
    ["kms:*", "kms:Decrypt", true],
    ["kms:De*", "kms:Decrypt", true],
    ["secretsmanager:Get*", "secretsmanager:GetSecretValue", true],
    ["*", "kms:Decrypt", true],
    ["KMS:decrypt", "kms:Decrypt", true],
    ["kms:DescribeKey", "kms:Decrypt", false],
    ["kms:Describe?ey", "kms:DescribeKey", true],
  ])("%s matches %s: %s", (pattern, action, expected) => {
    expect(actionMatches(pattern, action)).toBe(expected);
  });
});
