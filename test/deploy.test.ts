// deploy/cloudformation.yaml checked statically, for all that moto's CloudFormation does not model (bucket settings,
// key specs, conditions, the task definition, the schedule); deploy.integration.test.ts creates it in moto.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { actionMatches, auditorPolicy, FORBIDDEN_ACTIONS, taskRolePolicy } from "../src/iam/policy.js";
import { generated, KEY, readTemplate, resolve, resourceExists, values, type Values } from "./fixtures/cloudformation.js";

const template = readTemplate();
const resources = template.Resources;
const props = (name: string) => resources[name]?.Properties;
const identityPolicies = (v: Values) =>
  Object.entries(resources).flatMap(([name, resource]) => {
    if (!resourceExists(template, name, v)) return [];
    if (resource.Type === "AWS::IAM::Policy")
      return [{ name, document: resolve(template, resource.Properties.PolicyDocument, v) }];
    if (resource.Type === "AWS::IAM::Role") {
      return (resource.Properties.Policies ?? []).map((policy: { PolicyDocument: unknown }) => ({
        name,
        document: resolve(template, policy.PolicyDocument, v),
      }));
    }
    return [];
  });

describe("deploy/cloudformation.yaml (static: what moto does not model)", () => {
  it.each([
    ["with", "true"],
    ["without", "false"],
  ])("gives the task role exactly what iam-policy generates (%s a signing key)", async (_name, signing) => {
    const v = values({ CreateSigningKey: signing });
    const deployed = resolve(template, props("TaskPolicy").PolicyDocument, v);
    expect(deployed).toEqual(taskRolePolicy(await generated(signing === "true")));
    expect(resolve(template, props("AuditorPolicy").PolicyDocument, v)).toEqual(
      auditorPolicy(await generated(signing === "true")),
    );
  });

  it("grants no identity GetSecretValue, Decrypt or wildcard action, and scopes Decrypt in the bucket key to S3 and the bucket", () => {
    for (const { name, document } of identityPolicies(values())) {
      for (const statement of document.Statement) {
        for (const action of [statement.Action].flat() as string[]) {
          expect(action, name).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
          expect(
            FORBIDDEN_ACTIONS.some((banned) => actionMatches(action, banned)),
            `${name} ${action}`,
          ).toBe(false);
        }
      }
    }
    const keyPolicy = resolve(template, props("BucketKey").KeyPolicy, values());
    const decrypting = keyPolicy.Statement.filter(
      (s: { Action: string }) => s.Action === "kms:Decrypt" || s.Action === "kms:*",
    );
    expect(decrypting.map((s: { Sid: string }) => s.Sid)).toEqual([
      "AccountAdministersTheKey",
      "EvidenceReadersDecryptThroughS3",
    ]);
    expect(decrypting[1]).toMatchObject({
      Principal: { AWS: ["arn:aws:iam::123456789012:role/task", "arn:aws:iam::123456789012:role/auditor"] },
      Condition: {
        StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" },
        StringLike: {
          "kms:EncryptionContext:aws:s3:arn": [
            "arn:aws:s3:::acme-soc2-evidence",
            "arn:aws:s3:::acme-soc2-evidence/*",
          ],
        },
      },
    });
  });

  it("keeps every version: versioning, Object Lock with default retention, lifecycle on replaced versions only after retention", () => {
    const bucket = resolve(template, props("EvidenceBucket"), values());
    expect(resources.EvidenceBucket?.DeletionPolicy).toBe("Retain");
    expect(bucket.VersioningConfiguration).toEqual({ Status: "Enabled" });
    expect(bucket.ObjectLockEnabled).toBe(true);
    expect(bucket.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: "Enabled",
      Rule: { DefaultRetention: { Mode: "GOVERNANCE", Days: "400" } },
    });
    const rules = bucket.LifecycleConfiguration.Rules as Record<string, unknown>[];
    expect(
      rules.every(
        (rule) => !("ExpirationInDays" in rule) && !("Expiration" in rule) && !("Transitions" in rule),
      ),
    ).toBe(true);
    const noncurrent = rules.find((rule) => "NoncurrentVersionExpiration" in rule) as {
      NoncurrentVersionExpiration: { NoncurrentDays: string };
    };
    expect(Number(noncurrent.NoncurrentVersionExpiration.NoncurrentDays)).toBeGreaterThan(
      Number(template.Parameters.RetentionDays?.Default),
    );
  });

  it("encrypts with a rotating customer-managed key, blocks public access and denies non-TLS access to bucket and objects", () => {
    const bucket = resolve(template, props("EvidenceBucket"), values());
    expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      {
        ServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: KEY("bucket-key") },
        BucketKeyEnabled: true,
      },
    ]);
    expect(Object.values(bucket.PublicAccessBlockConfiguration)).toEqual([true, true, true, true]);
    expect(props("BucketKey")).toMatchObject({
      EnableKeyRotation: true,
      KeySpec: "SYMMETRIC_DEFAULT",
      PendingWindowInDays: 30,
    });
    const policy = resolve(template, props("EvidenceBucketPolicy").PolicyDocument, values());
    expect(policy.Statement).toContainEqual({
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: ["arn:aws:s3:::acme-soc2-evidence", "arn:aws:s3:::acme-soc2-evidence/*"],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
  });

  it("creates the signing key only when asked, as an ECC_NIST_P256 SIGN_VERIFY key", () => {
    expect(props("SigningKey")).toMatchObject({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" });
    expect(resourceExists(template, "SigningKey", values())).toBe(true);
    expect(resourceExists(template, "SigningKey", values({ CreateSigningKey: "false" }))).toBe(false);
  });

  it("runs the task on Fargate as non-root on a read-only root file system, with no secrets, one tick per start", () => {
    const definition = resolve(template, props("TaskDefinition"), values());
    expect(definition).toMatchObject({
      RequiresCompatibilities: ["FARGATE"],
      NetworkMode: "awsvpc",
      Volumes: [{ Name: "tmp" }],
    });
    const [container] = definition.ContainerDefinitions;
    expect(container).toMatchObject({
      Image: "img",
      User: "1000:1000",
      ReadonlyRootFilesystem: true,
      MountPoints: [{ SourceVolume: "tmp", ContainerPath: "/tmp", ReadOnly: false }],
    });
    expect(container.Secrets).toBeUndefined();
    expect(container.Environment).toEqual([{ Name: "AWS_REGION", Value: "us-east-1" }]);
    expect(container.Command.slice(0, 4)).toEqual(["schedule", "--once", "--bucket", "acme-soc2-evidence"]);
    const grace = Number(container.Command[container.Command.indexOf("--grace-seconds") + 1]);
    expect(grace).toBeLessThan(container.StopTimeout);
    expect(container.LogConfiguration).toMatchObject({
      LogDriver: "awslogs",
      Options: { "awslogs-group": "/ecs/soc2-evidence" },
    });
    expect(Number(resolve(template, props("LogGroup"), values()).RetentionInDays)).toBeGreaterThanOrEqual(
      365,
    );
  });

  it("gives the execution role image pull and logs only, and the scheduler role RunTask on this task alone", () => {
    const execution = identityPolicies(
      values({ EcrRepositoryArn: "arn:aws:ecr:us-east-1:123456789012:repository/soc2-evidence" }),
    ).filter((p) => p.name === "ExecutionRole");
    const actions = execution
      .flatMap((p) => p.document.Statement.flatMap((s: { Action: string[] }) => s.Action))
      .sort();
    expect(actions).toEqual([
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:GetAuthorizationToken",
      "ecr:GetDownloadUrlForLayer",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]);
    expect(props("ExecutionRole").ManagedPolicyArns).toBeUndefined();
    const schedule = resolve(template, props("Schedule"), values());
    expect(schedule).toMatchObject({
      ScheduleExpressionTimezone: "UTC",
      Target: {
        Arn: "arn:aws:ecs:us-east-1:123456789012:cluster/soc2-evidence",
        RoleArn: "arn:aws:iam::123456789012:role/scheduler",
        EcsParameters: { LaunchType: "FARGATE", TaskDefinitionArn: values().resources.TaskDefinition },
      },
    });
    const scheduler = identityPolicies(values()).find((p) => p.name === "SchedulerRole")?.document.Statement;
    expect(scheduler).toEqual([
      expect.objectContaining({
        Action: "ecs:RunTask",
        Resource: "arn:aws:ecs:us-east-1:123456789012:task-definition/soc2-evidence:*",
      }),
      expect.objectContaining({
        Action: "iam:PassRole",
        Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
      }),
    ]);
  });

  it("is wrapped by deploy/terraform with every required parameter and no unknown one", () => {
    const main = readFileSync("deploy/terraform/main.tf", "utf8");
    expect(main).toContain('file("${path.module}/../cloudformation.yaml")');
    const block = /parameters = \{([^}]*)\}/.exec(main)?.[1] ?? "";
    const passed = [...block.matchAll(/^\s*(\w+)\s+=/gm)].map((match) => match[1]);
    expect(passed.length).toBeGreaterThan(5);
    const known = Object.keys(template.Parameters);
    expect(passed.filter((name) => !known.includes(name as string))).toEqual([]);
    const required = known.filter((name) => template.Parameters[name]?.Default === undefined);
    expect(required.filter((name) => !passed.includes(name))).toEqual([]);
  });
});

describe("deploy/cloudformation.yaml (logging and retention)", () => {
  it("logs every request on the evidence bucket to a separate bucket only S3 log delivery from it may write", () => {
    const logging = props("EvidenceBucket").LoggingConfiguration;
    expect(logging.DestinationBucketName).toEqual({ Ref: "AccessLogBucket" });
    expect(resources.AccessLogBucket).toMatchObject({ DeletionPolicy: "Retain", UpdateReplacePolicy: "Retain" });
    const v = values();
    const statements = resolve(template, props("AccessLogBucketPolicy").PolicyDocument, v).Statement;
    const allows = statements.filter((statement: { Effect: string }) => statement.Effect === "Allow");
    expect(allows).toEqual([
      expect.objectContaining({
        Principal: { Service: "logging.s3.amazonaws.com" },
        Action: "s3:PutObject",
        Condition: expect.objectContaining({ ArnLike: { "aws:SourceArn": expect.stringMatching(/:s3:::[^/*]+$/) } }),
      }),
    ]);
  });

  it("keeps the log group when the stack is deleted or the group replaced", () => {
    expect(resources.LogGroup).toMatchObject({ DeletionPolicy: "Retain", UpdateReplacePolicy: "Retain" });
  });

  const cfnLint = spawnSync("cfn-lint", ["--version"], { encoding: "utf8" });
  it.skipIf(cfnLint.status !== 0)(
    "passes cfn-lint with informational checks (skipped when cfn-lint is not on PATH: it is a Python tool, not an npm one)",
    () => {
      const run = spawnSync("cfn-lint", ["deploy/cloudformation.yaml", "--include-checks", "I"], { encoding: "utf8" });
      expect(run.stdout + run.stderr).toBe("");
      expect(run.status).toBe(0);
    },
  );
});

describe("docs", () => {
  it("deploy/README.md names the commands it takes", async () => {
    const readme = readFileSync("deploy/README.md", "utf8");
    for (const command of ["aws cloudformation deploy", "soc2-evidence iam-policy", "aws s3 cp"])
      expect(readme).toContain(command);
    expect(existsSync("deploy/terraform/variables.tf")).toBe(true);
    expect((await readdir("deploy/terraform")).sort()).toEqual(["main.tf", "outputs.tf", "variables.tf"]);
  });
});
