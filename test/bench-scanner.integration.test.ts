// The benchmark's scanner stands for the minimum only while it makes exactly the calls bench/lower-bound.ts counts
// (bench/run.ts refuses to report otherwise): checked here on a small estate, through the proxy, which records each call.
import { KMSClient, ListAliasesCommand, ListKeysCommand } from "@aws-sdk/client-kms";
import { ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { byOperation, minimumCalls } from "../bench/lower-bound.js";
import { iamPages } from "../bench/profile.js";
import { scanMinimum } from "../bench/scanner.js";
import { cellsOf, minimumEstate, seedEstate, type EstateSpec } from "../bench/seed.js";
import { clientConfig, DEFAULT_ACCOUNT, useEmulator } from "./support/emulator.js";

const emulator = useEmulator();
const REGION = "us-east-1";
const SPEC: EstateSpec = { accounts: [DEFAULT_ACCOUNT], regions: [REGION], keys: 4, secrets: 6, trails: 1, findings: 3, buckets: 2 };

describe("bench/scanner.ts", () => {
  it("makes exactly the minimum calls of the estate, LookupEvents once per event name", async () => {
    const now = new Date();
    const periodStart = new Date(now.getTime() - 30 * 86_400_000);
    await seedEstate(emulator(), SPEC, now, 4);
    // What bench/run.ts probes: moto's aliases and AWS-managed keys, the IAM pages, whether ListBuckets gives regions.
    const kms = new KMSClient(clientConfig(emulator(), REGION));
    const aliases = (await kms.send(new ListAliasesCommand({ Limit: 100 }))).Aliases?.length ?? 0;
    const listedKeys = (await kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys?.length ?? 0;
    kms.destroy();
    const s3 = new S3Client(clientConfig(emulator(), REGION));
    const buckets = (await s3.send(new ListBucketsCommand({}))).Buckets ?? [];
    s3.destroy();
    const estate = minimumEstate(SPEC, {
      aliases,
      iamPages: await iamPages(emulator(), REGION),
      bucketLocation: buckets.some((bucket) => !bucket.BucketRegion),
      awsManagedKeys: listedKeys - (cellsOf(SPEC)[0]?.keys ?? 0),
    });
    const minimum = minimumCalls(estate);
    emulator().proxy.clearCalls();
    const scan = await scanMinimum(emulator(), { accounts: SPEC.accounts, regions: SPEC.regions, concurrency: 4, mode: "baseline", periodStart, now });
    expect(scan.errors).toBe(0);
    expect(scan.calls).toBe(minimum.reduce((total, call) => total + call.calls, 0));
    // GetSecretValue, RotationSucceeded, RotateSecret, DeleteSecret: one page each here (3 rotations seeded).
    expect(byOperation(minimum).get("cloudtrail:LookupEvents")).toBe(4);
    expect(emulator().proxy.count("LookupEvents")).toBe(4);
  });
});
