// deploy/cloudformation.yaml created in moto's CloudFormation: the bucket, the rotating bucket key, the roles with the
// generated policy; then the task definition's own command run against the deployed bucket (its preflight must pass).
import { GetKeyRotationStatusCommand, KMSClient } from "@aws-sdk/client-kms";
import { GetBucketEncryptionCommand, GetObjectCommand, PutBucketVersioningCommand, PutObjectCommand, PutObjectLockConfigurationCommand, PutPublicAccessBlockCommand, S3Client } from "@aws-sdk/client-s3";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { taskRolePolicy } from "../src/iam/policy.js";
import { generated, queryApi, readTemplate, resolve, TEMPLATE_FILE, values, xmlAll, xmlFirst } from "./fixtures/cloudformation.js";
import { runCli } from "./support/cli.js";
import { clientConfig, useEmulator } from "./support/emulator.js";

const template = readTemplate();
const props = (name: string) => template.Resources[name]?.Properties;
describe("deploy/cloudformation.yaml in moto's CloudFormation", () => {
  const emulator = useEmulator();

  async function createStack(bucket: string): Promise<Record<string, string>> {
    const parameters: Record<string, string> = {
      BucketName: bucket,
      ImageUri: "soc2-evidence:test",
      Subnets: "subnet-0a1b2c3d",
      SecurityGroups: "sg-0a1b2c3d",
      EcrRepositoryArn: "arn:aws:ecr:us-east-1:123456789012:repository/soc2-evidence",
    };
    const form: Record<string, string> = {
      Action: "CreateStack",
      Version: "2010-05-15",
      StackName: "soc2-evidence",
      TemplateBody: readFileSync(TEMPLATE_FILE, "utf8"),
      "Capabilities.member.1": "CAPABILITY_IAM",
    };
    Object.entries(parameters).forEach(([key, value], index) => {
      form[`Parameters.member.${index + 1}.ParameterKey`] = key;
      form[`Parameters.member.${index + 1}.ParameterValue`] = value;
    });
    await queryApi(emulator().endpoint, "cloudformation", form);
    const described = await queryApi(emulator().endpoint, "cloudformation", {
      Action: "DescribeStacks",
      Version: "2010-05-15",
      StackName: "soc2-evidence",
    });
    expect(xmlFirst(described, "StackStatus")).toBe("CREATE_COMPLETE");
    const stackResources = await queryApi(emulator().endpoint, "cloudformation", {
      Action: "DescribeStackResources",
      Version: "2010-05-15",
      StackName: "soc2-evidence",
    });
    const logical = xmlAll(stackResources, "LogicalResourceId");
    const physical = xmlAll(stackResources, "PhysicalResourceId");
    return Object.fromEntries(logical.map((name, index) => [name, physical[index] as string]));
  }

  it("creates the bucket, a rotating bucket key, the roles with the generated policy, then the task runs against the bucket", async () => {
    const created = await createStack("acme-soc2-evidence");
    const s3 = new S3Client(clientConfig(emulator()));
    const kms = new KMSClient(clientConfig(emulator()));
    const bucketKey = String(created.BucketKey);
    expect((await kms.send(new GetKeyRotationStatusCommand({ KeyId: bucketKey }))).KeyRotationEnabled).toBe(
      true,
    );
    const encryption = await s3.send(new GetBucketEncryptionCommand({ Bucket: "acme-soc2-evidence" }));
    expect(
      encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault
        ?.SSEAlgorithm,
    ).toBe("aws:kms");
    for (const role of ["TaskRole", "ExecutionRole", "AuditorRole", "SchedulerRole"]) {
      const got = await queryApi(emulator().endpoint, "iam", {
        Action: "GetRole",
        Version: "2010-05-08",
        RoleName: String(created[role]),
      });
      expect(xmlFirst(got, "RoleName"), role).toBe(created[role]);
    }
    const inline = await queryApi(emulator().endpoint, "iam", {
      Action: "GetRolePolicy",
      Version: "2010-05-08",
      RoleName: String(created.TaskRole),
      PolicyName: "soc2-evidence-task",
    });
    const deployed = JSON.parse(decodeURIComponent(String(xmlFirst(inline, "PolicyDocument"))));
    const keyArn = (id: string) => `arn:aws:kms:us-east-1:123456789012:key/${id}`;
    expect(deployed).toEqual(
      taskRolePolicy(
        await generated(true, "acme-soc2-evidence", {
          bucket: keyArn(bucketKey),
          signing: keyArn(String(created.SigningKey)),
        }),
      ),
    );

    // moto's CloudFormation applies only the bucket's encryption and tags: the template's versioning, Object Lock
    // and public access block are applied here from the template itself. Its TLS-only bucket policy is not, since
    // moto is plain HTTP and would then refuse every request (SPEC section 9).
    const bucket = props("EvidenceBucket");
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket: "acme-soc2-evidence",
        VersioningConfiguration: bucket.VersioningConfiguration,
      }),
    );
    const lock = resolve(template, bucket.ObjectLockConfiguration, values());
    lock.Rule.DefaultRetention.Days = Number(lock.Rule.DefaultRetention.Days);
    await s3.send(
      new PutObjectLockConfigurationCommand({ Bucket: "acme-soc2-evidence", ObjectLockConfiguration: lock }),
    );
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: "acme-soc2-evidence",
        PublicAccessBlockConfiguration: bucket.PublicAccessBlockConfiguration,
      }),
    );

    // The operator uploads controls.yaml to the stack's ConfigLocation; the task definition's command does the rest.
    const config = readFileSync("controls.yaml", "utf8")
      .replace("# bucket: acme-soc2-evidence", "bucket: acme-soc2-evidence")
      .replace("regions: [us-east-1, us-east-2]", "regions: [us-east-1]");
    await s3.send(
      new PutObjectCommand({
        Bucket: "acme-soc2-evidence",
        Key: "soc2/config/controls.yaml",
        Body: config,
        ChecksumAlgorithm: "SHA256",
      }),
    );
    const command = resolve(
      template,
      props("TaskDefinition").ContainerDefinitions[0].Command,
      values(),
    ) as string[];
    const result = await runCli([...command, "--format", "json"], emulator().env);
    const events = result.stderr
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const summary = events.find((event) => event.event === "schedule.run");
    expect(summary, result.stderr.slice(-2000)).toMatchObject({
      outcome: "complete",
      package: expect.stringMatching(/^s3:\/\/acme-soc2-evidence\/soc2\/packages\//),
    });
    expect(
      events.filter((event) => event.event === "store.warning").map((event) => event.warning),
    ).not.toContainEqual(expect.stringMatching(/versioning|Object Lock/));
    expect([0, 1]).toContain(result.code);
    // The package records the bucket the preflight found: versioned, locked, encrypted with the stack's key.
    const key = `${String(summary?.package).replace("s3://acme-soc2-evidence/", "")}evidence.json`;
    const evidence = JSON.parse(
      await (
        await s3.send(new GetObjectCommand({ Bucket: "acme-soc2-evidence", Key: key }))
      ).Body!.transformToString(),
    );
    expect(evidence.store).toMatchObject({
      versioning: "Enabled",
      objectLock: { enabled: true, mode: "GOVERNANCE", days: 400 },
      encryption: { algorithm: "aws:kms", kmsKeyId: expect.stringContaining(bucketKey) },
      publicAccessBlock: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      },
    });
    s3.destroy();
    kms.destroy();
  });
});
