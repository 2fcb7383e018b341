// The proxy through the real SDK: call recording and attribution, S3 operation names, and response patches.
import { ListAnalyzersCommand, AccessAnalyzerClient } from "@aws-sdk/client-accessanalyzer";
import { KMSClient, CreateKeyCommand, ListKeyRotationsCommand, ListKeysCommand } from "@aws-sdk/client-kms";
import { CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, DeleteObjectCommand, GetBucketEncryptionCommand, GetBucketPolicyCommand, GetBucketVersioningCommand, GetObjectCommand, GetObjectLockConfigurationCommand, GetPublicAccessBlockCommand, HeadObjectCommand, ListBucketsCommand, ListObjectVersionsCommand, ListObjectsV2Command, PutObjectCommand, S3Client, UploadPartCommand } from "@aws-sdk/client-s3";
import { CreateSecretCommand, ListSecretsCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { describe, expect, it } from "vitest";
import { DEFAULT_ACCOUNT, clientConfig, useEmulator } from "./emulator.js";

const emulator = useEmulator();
/** A client standing in for the code under test: recorded and faultable, unlike fixture clients. */
const tool = (region = "us-east-1") => ({
  ...clientConfig(emulator(), region, DEFAULT_ACCOUNT, { fixture: false }),
});
const fixture = (region = "us-east-1") => clientConfig(emulator(), region);
const attempt = <T>(promise: Promise<T>) =>
  promise.then(
    () => undefined,
    (error: Error) => error.name,
  );

describe("call recording", () => {
  it("attributes calls signed with assumed-role keys to the role's account", async () => {
    const sts = new STSClient(tool());
    const { Credentials } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: "arn:aws:iam::111111111111:role/soc2-evidence-reader",
        RoleSessionName: "t",
      }),
    );
    const member = new KMSClient({
      ...tool(),
      credentials: {
        accessKeyId: Credentials?.AccessKeyId ?? "",
        secretAccessKey: Credentials?.SecretAccessKey ?? "",
        sessionToken: Credentials?.SessionToken,
      },
    });
    const created = await member.send(new CreateKeyCommand({}));
    await new KMSClient(tool("eu-west-1")).send(new ListKeysCommand({}));

    expect(created.KeyMetadata?.Arn).toContain(":111111111111:key/");
    expect(
      emulator().proxy.calls.map(({ service, operation, account, region, status }) => ({
        service,
        operation,
        account,
        region,
        status,
      })),
    ).toEqual([
      { service: "sts", operation: "AssumeRole", account: DEFAULT_ACCOUNT, region: "us-east-1", status: 200 },
      { service: "kms", operation: "CreateKey", account: "111111111111", region: "us-east-1", status: 200 },
      { service: "kms", operation: "ListKeys", account: DEFAULT_ACCOUNT, region: "eu-west-1", status: 200 },
    ]);
    expect(emulator().proxy.count("ListKeys", { region: "eu-west-1" })).toBe(1);
    expect(emulator().proxy.count()).toBe(3);
  });

  it("leaves fixture traffic out, acting in the account a fixture names", async () => {
    const key = await new KMSClient(clientConfig(emulator(), "us-east-1", "222222222222")).send(
      new CreateKeyCommand({}),
    );
    const identity = await new STSClient(fixture()).send(new GetCallerIdentityCommand({}));
    expect(key.KeyMetadata?.Arn).toContain(":222222222222:key/");
    expect(identity.Account).toBe(DEFAULT_ACCOUNT);
    expect(emulator().proxy.calls).toEqual([]);
  });

  it("gives every answer a request id, served APIs included", async () => {
    const kms = await new KMSClient(tool()).send(new ListKeysCommand({}));
    const s3 = await new S3Client(tool()).send(new ListBucketsCommand({}));
    const sts = await new STSClient(tool()).send(new GetCallerIdentityCommand({}));
    const analyzers = await new AccessAnalyzerClient(tool()).send(new ListAnalyzersCommand({}));
    for (const { $metadata } of [kms, s3, sts, analyzers]) expect($metadata.requestId).toMatch(/\S{8,}/);
    expect(emulator().proxy.calls.every((call) => call.requestId !== undefined)).toBe(true);
  });

  it("clearCalls forgets what was recorded", async () => {
    await new KMSClient(tool()).send(new ListKeysCommand({}));
    emulator().proxy.clearCalls();
    expect(emulator().proxy.count()).toBe(0);
  });
});

describe("S3 operation names", () => {
  it("names each REST call as the SDK command that sent it", async () => {
    await new S3Client(fixture()).send(new CreateBucketCommand({ Bucket: "evidence" }));
    const s3 = new S3Client(tool());
    const Bucket = "evidence";
    await s3.send(new ListBucketsCommand({}));
    await s3.send(new GetBucketVersioningCommand({ Bucket }));
    await attempt(s3.send(new GetBucketPolicyCommand({ Bucket })));
    await attempt(s3.send(new GetObjectLockConfigurationCommand({ Bucket })));
    await attempt(s3.send(new GetBucketEncryptionCommand({ Bucket })));
    await attempt(s3.send(new GetPublicAccessBlockCommand({ Bucket })));
    await s3.send(new PutObjectCommand({ Bucket, Key: "a/b c.json", Body: "{}" }));
    await s3.send(new HeadObjectCommand({ Bucket, Key: "a/b c.json" }));
    const object = await s3.send(new GetObjectCommand({ Bucket, Key: "a/b c.json" }));
    expect(await object.Body?.transformToString()).toBe("{}");
    await s3.send(new ListObjectsV2Command({ Bucket }));
    await s3.send(new ListObjectVersionsCommand({ Bucket }));
    const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: "big" }));
    const part = await s3.send(
      new UploadPartCommand({
        Bucket,
        Key: "big",
        UploadId: upload.UploadId,
        PartNumber: 1,
        Body: "x".repeat(1024),
      }),
    );
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key: "big",
        UploadId: upload.UploadId,
        MultipartUpload: { Parts: [{ ETag: part.ETag, PartNumber: 1 }] },
      }),
    );
    await s3.send(new DeleteObjectCommand({ Bucket, Key: "big" }));

    expect(emulator().proxy.calls.map((call) => call.operation)).toEqual([
      "ListBuckets",
      "GetBucketVersioning",
      "GetBucketPolicy",
      "GetObjectLockConfiguration",
      "GetBucketEncryption",
      "GetPublicAccessBlock",
      "PutObject",
      "HeadObject",
      "GetObject",
      "ListObjectsV2",
      "ListObjectVersions",
      "CreateMultipartUpload",
      "UploadPart",
      "CompleteMultipartUpload",
      "DeleteObject",
    ]);
    expect(emulator().proxy.calls.every((call) => call.service === "s3" && call.region === "us-east-1")).toBe(
      true,
    );
  });
});

describe("response patches", () => {
  it("rewrites an awsJson answer, with Dates written as the SDK reads them", async () => {
    await new SecretsManagerClient(fixture()).send(
      new CreateSecretCommand({ Name: "db", SecretString: "x" }),
    );
    const seen: unknown[] = [];
    emulator().proxy.patch("secretsmanager", "ListSecrets", (body, request) => {
      seen.push({ request: request.body, account: request.account, region: request.region });
      for (const secret of body.SecretList) secret.LastRotatedDate = new Date("2026-01-02T03:04:05Z");
    });
    const { SecretList } = await new SecretsManagerClient(tool()).send(
      new ListSecretsCommand({ MaxResults: 10 }),
    );
    expect(SecretList?.[0]?.LastRotatedDate).toEqual(new Date("2026-01-02T03:04:05Z"));
    expect(seen).toEqual([{ request: { MaxResults: 10 }, account: DEFAULT_ACCOUNT, region: "us-east-1" }]);
  });

  it("can replace the answer, and stops after clearPatches", async () => {
    const kms = new KMSClient(tool());
    const key = await new KMSClient(fixture()).send(new CreateKeyCommand({}));
    const KeyId = key.KeyMetadata?.KeyId;
    emulator().proxy.patch("kms", "ListKeyRotations", (_body, request) => ({
      Rotations: [
        {
          KeyId: request.body.KeyId,
          RotationDate: new Date("2026-03-01T00:00:00Z"),
          RotationType: "AUTOMATIC",
        },
      ],
      Truncated: false,
    }));
    const patched = await kms.send(new ListKeyRotationsCommand({ KeyId }));
    expect(patched.Rotations).toEqual([
      { KeyId, RotationDate: new Date("2026-03-01T00:00:00Z"), RotationType: "AUTOMATIC" },
    ]);
    emulator().proxy.clearPatches();
    expect((await kms.send(new ListKeyRotationsCommand({ KeyId }))).Rotations).toEqual([]);
  });
});
