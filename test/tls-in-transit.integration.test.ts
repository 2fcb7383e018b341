// tls-in-transit against moto behind the test proxy: real SDK calls, seeded buckets, injected faults.
import { CreateBucketCommand, PutBucketPolicyCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterEach, describe, expect, it } from "vitest";
import collector from "../collectors/tls-in-transit.js";
import type { AwsClients } from "../src/aws/clients.js";
import type { ItemDraft } from "../src/core/model.js";
import { SEEDED_BUCKETS, allowReadTo, denyInsecureTransport, policyOf, type SeededBucket } from "./fixtures/buckets.js";
import { testContext, collectAll } from "./support/context.js";
import { clientConfig, useEmulator } from "./support/emulator.js";

const emulator = useEmulator();
const NOW = new Date("2026-08-15T12:00:00.000Z");
let clients: AwsClients | undefined;
afterEach(() => clients?.destroy());

const s3 = (region: string) => new S3Client(clientConfig(emulator(), region));

/** Creates the bucket in its region; a policy is put last, since moto refuses every write once it denies HTTP. */
async function seed(bucket: Pick<SeededBucket, "name" | "region" | "policy">): Promise<void> {
  const client = s3(bucket.region);
  await client.send(
    new CreateBucketCommand({
      Bucket: bucket.name,
      ...(bucket.region === "us-east-1"
        ? {}
        : { CreateBucketConfiguration: { LocationConstraint: bucket.region as never } }),
    }),
  );
  if (bucket.policy)
    await client.send(new PutBucketPolicyCommand({ Bucket: bucket.name, Policy: bucket.policy }));
  client.destroy();
}

async function run(
  options: { evidenceBucket?: string; maxAttempts?: number; deadline?: number } = {},
): Promise<Map<string, ItemDraft>> {
  const ctx = testContext(emulator(), { now: NOW, regions: ["us-east-1", "eu-west-1"], ...options });
  clients = ctx.clients;
  const items = await collectAll(collector, ctx);
  return new Map(items.map((item) => [item.resource.name, item]));
}

const bucketItems = (items: Map<string, ItemDraft>) =>
  [...items.values()].filter((item) => item.resource.type === "AWS::S3::Bucket");

describe("tls-in-transit against the emulator", () => {
  it("judges every seeded bucket in its own region, and the emulator endpoint is not applicable", async () => {
    for (const bucket of SEEDED_BUCKETS) await seed(bucket);
    const items = await run({ evidenceBucket: "tls-enforced" });

    for (const bucket of SEEDED_BUCKETS) {
      const item = items.get(bucket.name);
      expect(item, bucket.name).toMatchObject({
        status: bucket.status,
        region: bucket.region,
        observed: { region: bucket.region },
      });
      if (bucket.gap)
        expect((item?.observed.gaps as string[]).join(" | "), bucket.name).toContain(bucket.gap);
    }
    expect(items.get("tls-enforced")?.reason).toMatch(/^evidence bucket: /);
    expect(items.get("tls-version-enforced")?.observed).toMatchObject({ tlsVersionEnforced: "1.2" });
    expect(bucketItems(items)).toHaveLength(SEEDED_BUCKETS.length);
    const endpoint = [...items.values()].find((item) => item.resource.type === "AWS::Endpoint");
    expect(endpoint).toMatchObject({ status: "not_applicable", resource: { arn: emulator().endpoint } });

    // moto's ListBuckets has no BucketRegion, so each bucket's region came from GetBucketLocation.
    const proxy = emulator().proxy;
    expect(proxy.count("GetBucketLocation")).toBe(SEEDED_BUCKETS.length);
    expect(proxy.count("GetBucketPolicy", { region: "eu-west-1" })).toBe(2);
    expect(proxy.count("GetBucketPolicy", { region: "us-east-2" })).toBe(1);
    expect(new Set(proxy.calls.map((call) => call.operation))).toEqual(
      new Set(["ListBuckets", "GetBucketLocation", "GetBucketPolicy"]),
    );
  });

  it("reads a TLS Deny patched in by the proxy on a bucket that still takes writes", async () => {
    // moto would refuse the PutObject below under a real SecureTransport Deny, so the Deny lives in the proxy.
    await seed({
      name: "evidence-store",
      region: "us-east-1",
      policy: policyOf(allowReadTo("evidence-store", "*")),
    });
    const client = s3("us-east-1");
    await client.send(
      new PutObjectCommand({ Bucket: "evidence-store", Key: "snapshots/a.jsonl", Body: "{}" }),
    );
    client.destroy();
    emulator().proxy.patch("s3", "GetBucketPolicy", (policy, request) =>
      request.region === "us-east-1"
        ? { ...policy, Statement: [...policy.Statement, denyInsecureTransport("evidence-store")] }
        : policy,
    );

    const items = await run({ evidenceBucket: "evidence-store" });

    expect(items.get("evidence-store")).toMatchObject({
      status: "pass",
      observed: { statementIds: ["DenyInsecureTransport"], evidenceBucket: true },
    });
  });

  it("fails the evidence bucket when its policy leaves HTTP open", async () => {
    await seed({
      name: "evidence-open",
      region: "eu-west-1",
      policy: policyOf(allowReadTo("evidence-open", "*")),
    });
    const items = await run({ evidenceBucket: "evidence-open" });
    expect(items.get("evidence-open")).toMatchObject({ status: "fail" });
    expect(items.get("evidence-open")?.reason).toMatch(/^evidence bucket: bucket policy does not deny/);
  });

  it("retries a throttled GetBucketPolicy and still judges the bucket", async () => {
    for (const bucket of SEEDED_BUCKETS) await seed(bucket);
    emulator().proxy.inject({ service: "s3", operation: "GetBucketPolicy", kind: "throttle", times: 2 });

    const items = await run();

    for (const bucket of SEEDED_BUCKETS)
      expect(items.get(bucket.name)?.status, bucket.name).toBe(bucket.status);
    const throttled = emulator().proxy.calls.filter(
      (call) => call.operation === "GetBucketPolicy" && call.fault,
    );
    expect(throttled).toHaveLength(2);
  });

  it("makes a bucket throttled until the run deadline an error item that says so", async () => {
    await seed(SEEDED_BUCKETS[0] as SeededBucket);
    emulator().proxy.inject({ service: "s3", operation: "GetBucketPolicy", kind: "throttle" });
    const items = await run({ maxAttempts: 2, deadline: Date.now() });
    expect(items.get("tls-enforced")).toMatchObject({ status: "error", observed: { errorCode: "RunDeadlineExceeded" } });
    expect(emulator().proxy.count("GetBucketPolicy"), "the first attempt is sent, no retry after the deadline").toBe(1);
  });

  it("turns AccessDenied in one region into error items and judges the other regions", async () => {
    for (const bucket of SEEDED_BUCKETS) await seed(bucket);
    emulator().proxy.inject({
      service: "s3",
      operation: "GetBucketPolicy",
      region: "eu-west-1",
      kind: "deny",
    });

    const items = await run();

    for (const bucket of SEEDED_BUCKETS) {
      const expected =
        bucket.region === "eu-west-1"
          ? { status: "error", observed: { errorCode: "AccessDenied" } }
          : { status: bucket.status };
      expect(items.get(bucket.name), bucket.name).toMatchObject(expected);
    }
    expect(bucketItems(items).filter((item) => item.status === "error")).toHaveLength(2);
  });

  it("stops with AccessDenied when the bucket listing itself is denied", async () => {
    await seed(SEEDED_BUCKETS[0] as SeededBucket);
    emulator().proxy.inject({ service: "s3", operation: "ListBuckets", kind: "deny" });
    // The runner turns this into a population error item; the collector must not report an empty estate.
    await expect(run()).rejects.toMatchObject({ name: "AccessDenied" });
  });
});
