// Where moto 5.2 differs from AWS (SPEC section 9), the proxy answers as AWS does.
import { CloudTrailClient, CreateTrailCommand, DescribeTrailsCommand, GetEventSelectorsCommand, GetTrailCommand, PutEventSelectorsCommand } from "@aws-sdk/client-cloudtrail";
import { CreateKeyCommand, type CreateKeyCommandInput, DescribeKeyCommand, DisableKeyRotationCommand, EnableKeyRotationCommand, GetKeyRotationStatusCommand, KMSClient, ReplicateKeyCommand } from "@aws-sdk/client-kms";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateSecretCommand, DescribeSecretCommand, GetResourcePolicyCommand, ListSecretsCommand, RotateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { describe, expect, it } from "vitest";
import { DEFAULT_ACCOUNT, clientConfig, useEmulator } from "./emulator.js";

const emulator = useEmulator();
const tool = (region = "us-east-1") => clientConfig(emulator(), region, DEFAULT_ACCOUNT, { fixture: false });
const DAY_MS = 86_400_000;

async function createKey(input: CreateKeyCommandInput = {}, region = "us-east-1") {
  const { KeyMetadata } = await new KMSClient(clientConfig(emulator(), region)).send(
    new CreateKeyCommand(input),
  );
  return { KeyId: KeyMetadata?.KeyId as string, Arn: KeyMetadata?.Arn as string };
}

describe("KMS rotation", () => {
  it("reports the rotation period and next rotation date that EnableKeyRotation set", async () => {
    const kms = new KMSClient(tool());
    const custom = await createKey();
    const defaulted = await createKey();
    await kms.send(new EnableKeyRotationCommand({ KeyId: custom.KeyId, RotationPeriodInDays: 180 }));
    await kms.send(new EnableKeyRotationCommand({ KeyId: defaulted.Arn }));

    const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: custom.KeyId }));
    expect(status).toMatchObject({ KeyRotationEnabled: true, RotationPeriodInDays: 180, KeyId: custom.Arn });
    const untilNext = (status.NextRotationDate?.getTime() ?? 0) - Date.now();
    expect(Math.abs(untilNext - 180 * DAY_MS)).toBeLessThan(DAY_MS);
    const other = await kms.send(new GetKeyRotationStatusCommand({ KeyId: defaulted.KeyId }));
    expect(other.RotationPeriodInDays).toBe(365);
  });

  it("reports no period once rotation is disabled", async () => {
    const kms = new KMSClient(tool());
    const key = await createKey();
    await kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId, RotationPeriodInDays: 90 }));
    await kms.send(new DisableKeyRotationCommand({ KeyId: key.KeyId }));
    const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }));
    expect(status.KeyRotationEnabled).toBe(false);
    expect(status.RotationPeriodInDays).toBeUndefined();
    expect(status.NextRotationDate).toBeUndefined();
  });

  it.each<[string, CreateKeyCommandInput]>([
    ["an asymmetric key", { KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY" }],
    ["an HMAC key", { KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" }],
    ["a key with imported material", { Origin: "EXTERNAL" }],
  ])("refuses to enable rotation on %s, as AWS does", async (_name, input) => {
    const key = await createKey(input);
    const error = await new KMSClient(tool())
      .send(new EnableKeyRotationCommand({ KeyId: key.KeyId }))
      .catch((caught: Error) => caught);
    expect((error as Error).name).toBe("UnsupportedOperationException");
    const status = await new KMSClient(tool()).send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }));
    expect(status.KeyRotationEnabled).toBe(false);
  });

  it("refuses a rotation period outside 90..2560 days", async () => {
    const key = await createKey();
    const error = await new KMSClient(tool())
      .send(new EnableKeyRotationCommand({ KeyId: key.KeyId, RotationPeriodInDays: 30 }))
      .catch((caught: Error) => caught);
    expect((error as Error).name).toBe("ValidationException");
  });

  it("describes a multi-Region replica as REPLICA and its primary as PRIMARY", async () => {
    const primary = await createKey({ MultiRegion: true });
    const fixtureKms = new KMSClient(clientConfig(emulator()));
    const { ReplicaKeyMetadata } = await fixtureKms.send(
      new ReplicateKeyCommand({ KeyId: primary.KeyId, ReplicaRegion: "us-west-2" }),
    );
    const replica = await new KMSClient(tool("us-west-2")).send(
      new DescribeKeyCommand({ KeyId: ReplicaKeyMetadata?.Arn }),
    );
    const original = await new KMSClient(tool()).send(new DescribeKeyCommand({ KeyId: primary.KeyId }));
    expect(replica.KeyMetadata?.MultiRegionConfiguration?.MultiRegionKeyType).toBe("REPLICA");
    expect(original.KeyMetadata?.MultiRegionConfiguration?.MultiRegionKeyType).toBe("PRIMARY");
  });

  it("describes the AWS managed key behind alias/aws/* as AWS managed", async () => {
    const kms = new KMSClient(tool());
    const managed = await kms.send(new DescribeKeyCommand({ KeyId: "alias/aws/secretsmanager" }));
    const again = await kms.send(new DescribeKeyCommand({ KeyId: managed.KeyMetadata?.KeyId }));
    expect(again.KeyMetadata?.KeyManager).toBe("AWS");
    const own = await createKey();
    expect((await kms.send(new DescribeKeyCommand({ KeyId: own.KeyId }))).KeyMetadata?.KeyManager).toBe(
      "CUSTOMER",
    );
  });
});

describe("Secrets Manager rotation", () => {
  it.each([
    ["rate(30 days)", 30],
    ["cron(0 8 1 * ? *)", undefined],
  ])(
    "keeps the schedule %s, its duration and Lambda, and reports rotation enabled",
    async (schedule, days) => {
      await new SecretsManagerClient(clientConfig(emulator())).send(
        new CreateSecretCommand({ Name: "prod/db", SecretString: "x" }),
      );
      const secrets = new SecretsManagerClient(tool());
      const lambda = "arn:aws:lambda:us-east-1:123456789012:function:rotate-db";
      await secrets.send(
        new RotateSecretCommand({
          SecretId: "prod/db",
          RotationLambdaARN: lambda,
          RotationRules: { ScheduleExpression: schedule, Duration: "2h" },
        }),
      );
      const described = await secrets.send(new DescribeSecretCommand({ SecretId: "prod/db" }));
      const listed = (await secrets.send(new ListSecretsCommand({}))).SecretList?.[0];
      const expected = { ScheduleExpression: schedule, Duration: "2h", AutomaticallyAfterDays: days };
      for (const secret of [described, listed]) {
        expect(secret?.RotationEnabled).toBe(true);
        expect(secret?.RotationLambdaARN).toBe(lambda);
        expect(secret?.RotationRules).toEqual(expected);
      }
    },
  );

  it("reports no Lambda for a secret rotated without one, where moto says an empty ARN", async () => {
    await new SecretsManagerClient(clientConfig(emulator())).send(
      new CreateSecretCommand({ Name: "managed", SecretString: "x" }),
    );
    const secrets = new SecretsManagerClient(tool());
    await secrets.send(
      new RotateSecretCommand({ SecretId: "managed", RotationRules: { AutomaticallyAfterDays: 7 } }),
    );
    const described = await secrets.send(new DescribeSecretCommand({ SecretId: "managed" }));
    expect(described.RotationEnabled).toBe(true);
    expect(described.RotationRules).toEqual({ AutomaticallyAfterDays: 7 });
    expect(described.RotationLambdaARN).toBeUndefined();
  });

  it("answers GetResourcePolicy on a replica as on its primary, where moto refuses it", async () => {
    const created = await new SecretsManagerClient(clientConfig(emulator())).send(
      new CreateSecretCommand({ Name: "replicated", SecretString: "x", AddReplicaRegions: [{ Region: "us-east-2" }] }),
    );
    const replicaArn = String(created.ARN).replace(":us-east-1:", ":us-east-2:");
    const policy = await new SecretsManagerClient(tool("us-east-2")).send(new GetResourcePolicyCommand({ SecretId: replicaArn }));
    expect(policy).toMatchObject({ ARN: replicaArn, Name: "replicated" });
    expect(policy.ResourcePolicy).toBeUndefined();
    const primary = await new SecretsManagerClient(tool()).send(new GetResourcePolicyCommand({ SecretId: created.ARN }));
    expect(primary).toMatchObject({ ARN: created.ARN, Name: "replicated" });
  });
});

describe("CloudTrail selectors", () => {
  async function createTrail(Name: string) {
    await new S3Client(clientConfig(emulator()))
      .send(new CreateBucketCommand({ Bucket: "trail-logs" }))
      .catch(() => {});
    await new CloudTrailClient(clientConfig(emulator())).send(
      new CreateTrailCommand({ Name, S3BucketName: "trail-logs" }),
    );
  }

  it("returns AWS's default selector for a trail nobody configured", async () => {
    await createTrail("main-trail");
    const cloudtrail = new CloudTrailClient(tool());
    const selectors = await cloudtrail.send(new GetEventSelectorsCommand({ TrailName: "main-trail" }));
    expect(selectors.EventSelectors).toEqual([
      {
        ReadWriteType: "All",
        IncludeManagementEvents: true,
        DataResources: [],
        ExcludeManagementEventSources: [],
      },
    ]);
    expect(selectors.AdvancedEventSelectors).toBeUndefined();
    const { trailList } = await cloudtrail.send(new DescribeTrailsCommand({}));
    expect(trailList?.[0]?.HasCustomEventSelectors).toBe(false);
  });

  it("reports custom selectors once PutEventSelectors was called", async () => {
    await createTrail("data-trail");
    const cloudtrail = new CloudTrailClient(tool());
    const dataEvents = {
      ReadWriteType: "All" as const,
      IncludeManagementEvents: true,
      DataResources: [{ Type: "AWS::S3::Object", Values: ["arn:aws:s3:::evidence/"] }],
    };
    await new CloudTrailClient(clientConfig(emulator())).send(
      new PutEventSelectorsCommand({ TrailName: "data-trail", EventSelectors: [dataEvents] }),
    );
    const selectors = await cloudtrail.send(new GetEventSelectorsCommand({ TrailName: "data-trail" }));
    expect(selectors.EventSelectors).toMatchObject([dataEvents]);
    const { trailList } = await cloudtrail.send(new DescribeTrailsCommand({}));
    expect(trailList?.[0]?.HasCustomEventSelectors).toBe(true);
    const { Trail } = await cloudtrail.send(new GetTrailCommand({ Name: "data-trail" }));
    expect(Trail).toMatchObject({ HasCustomEventSelectors: true, HomeRegion: "us-east-1" });
  });

  it("returns only the advanced selectors of a trail configured with them", async () => {
    await createTrail("advanced-trail");
    const advanced = [
      {
        Name: "S3 data events",
        FieldSelectors: [
          { Field: "eventCategory", Equals: ["Data"] },
          { Field: "resources.type", Equals: ["AWS::S3::Object"] },
        ],
      },
    ];
    await new CloudTrailClient(clientConfig(emulator())).send(
      new PutEventSelectorsCommand({ TrailName: "advanced-trail", AdvancedEventSelectors: advanced }),
    );
    const selectors = await new CloudTrailClient(tool()).send(
      new GetEventSelectorsCommand({ TrailName: "advanced-trail" }),
    );
    expect(selectors.AdvancedEventSelectors).toMatchObject(advanced);
    expect(selectors.EventSelectors).toBeUndefined();
  });
});
