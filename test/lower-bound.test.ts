// The benchmark's bound as pure functions: the minimum calls from an estate (each collector's documented minimum),
// and the quota bound of those calls at the published quotas plus latency.
import { describe, expect, it } from "vitest";
import {
  byOperation,
  countCalls,
  lowerBound,
  minimumCalls,
  type AccountEstate,
  type CallCount,
  type CellEstate,
  type QuotaTable,
} from "../bench/lower-bound.js";
import { QUOTAS } from "../src/aws/quotas.js";

const A = "111111111111";
const B = "222222222222";
const calls = (service: string, operation: string, count: number, account = A, region = "us-east-1", chain = 0): CallCount & { chain: number } => ({
  service,
  operation,
  account,
  region,
  calls: count,
  chain,
});
/** No latency, no burst: the bound is calls / rate. */
const RATE_ONLY = { latencyS: 0, burstSeconds: 0 };

const cell = (overrides: Partial<CellEstate> = {}): CellEstate => ({
  account: A,
  region: "us-east-1",
  keys: 0,
  rotatableKeys: 0,
  aliases: 0,
  secrets: 0,
  secretKeys: 0,
  rotationEvents: 0,
  deleteEvents: 0,
  readEvents: 0,
  trails: 0,
  analyzers: 1,
  findings: 0,
  ...overrides,
});
const account = (overrides: Partial<AccountEstate> = {}): AccountEstate => ({
  account: A,
  buckets: 0,
  bucketLocation: false,
  iamPages: 1,
  organization: false,
  assumed: false,
  ...overrides,
});
const totals = (estate: Parameters<typeof minimumCalls>[0]) => Object.fromEntries(byOperation(minimumCalls(estate)));

describe("minimumCalls", () => {
  it.each([
    { name: "one DescribeKey per key", cell: { keys: 250, rotatableKeys: 238 }, operation: "kms:DescribeKey", expected: 250 },
    { name: "and one for the secrets' default key, shared by the secrets-access collectors", cell: { keys: 250, secrets: 1 }, operation: "kms:DescribeKey", expected: 251 },
    { name: "GetKeyRotationStatus per rotatable key", cell: { keys: 250, rotatableKeys: 238 }, operation: "kms:GetKeyRotationStatus", expected: 238 },
    { name: "ListKeyRotations per rotatable key", cell: { keys: 250, rotatableKeys: 238 }, operation: "kms:ListKeyRotations", expected: 238 },
    { name: "ListKeys at 1,000 a page", cell: { keys: 2500 }, operation: "kms:ListKeys", expected: 3 },
    { name: "ListSecrets pages once per collector that lists (3, and once for the two secrets-access ones)", cell: { secrets: 250 }, operation: "secretsmanager:ListSecrets", expected: 4 * 3 },
    { name: "no DescribeSecret at all", cell: { secrets: 250 }, operation: "secretsmanager:DescribeSecret", expected: undefined },
    { name: "GetResourcePolicy once per secret, shared by the secrets-access collectors", cell: { secrets: 250 }, operation: "secretsmanager:GetResourcePolicy", expected: 250 },
    { name: "ListFindings at 100 a page, no GetFindingV2", cell: { findings: 250 }, operation: "access-analyzer:ListFindings", expected: 3 },
    { name: "no GetFindingV2 per finding", cell: { findings: 250 }, operation: "access-analyzer:GetFindingV2", expected: undefined },
    { name: "status and selectors per trail in its home region", cell: { trails: 5 }, operation: "cloudtrail:GetTrailStatus", expected: 5 },
    { name: "LookupEvents pages at 50 events, once per event name whichever collectors read it", cell: { rotationEvents: 125, readEvents: 120, deleteEvents: 10 }, operation: "cloudtrail:LookupEvents", expected: 3 + 3 + 1 + 1 },
  ])("$name", ({ cell: overrides, operation, expected }) => {
    expect(totals({ cells: [cell(overrides)], accounts: [account()] })[operation]).toBe(expected);
  });

  it("counts account-level calls once per account: buckets, IAM pages, AssumeRole for member accounts only", () => {
    const estate = { cells: [cell(), cell({ account: B })], accounts: [account({ buckets: 10, bucketLocation: true }), account({ account: B, buckets: 5, assumed: true, iamPages: 2 })] };
    const found = totals(estate);
    expect(found["s3:GetBucketPolicy"]).toBe(15);
    expect(found["s3:GetBucketLocation"], "only where ListBuckets omits the region").toBe(10);
    expect(found["s3:ListBuckets"]).toBe(2);
    expect(found["iam:GetAccountAuthorizationDetails"], "shared by the secrets-access collectors").toBe(1 + 2);
    expect(found["sts:AssumeRole"]).toBe(1);
    expect(found["sts:GetCallerIdentity"]).toBe(1);
  });

  it("needs no GetBucketLocation where ListBuckets gives each bucket's region", () => {
    expect(totals({ cells: [cell()], accounts: [account({ buckets: 10 })] })["s3:GetBucketLocation"]).toBeUndefined();
  });

  it("keeps each cell's calls in its own account-region", () => {
    const found = minimumCalls({ cells: [cell({ keys: 3 }), cell({ region: "us-east-2", keys: 7 })], accounts: [account()] });
    const describe = found.filter((one) => one.collector === "kms-key-rotation" && one.operation === "DescribeKey");
    expect(describe.map((one) => [one.region, one.calls])).toEqual([["us-east-1", 3], ["us-east-2", 7]]);
  });
});

describe("lowerBound", () => {
  it.each([
    { name: "KMS ListKeyRotations at 100/s", input: [calls("kms", "ListKeyRotations", 1000)], factor: 1, seconds: 10 },
    { name: "the same calls at a fifth of the quota", input: [calls("kms", "ListKeyRotations", 1000)], factor: 0.2, seconds: 50 },
    { name: "GetResourcePolicy's 50/s bucket", input: [calls("secretsmanager", "GetResourcePolicy", 500)], factor: 1, seconds: 10 },
    { name: "LookupEvents at 2/s", input: [calls("cloudtrail", "LookupEvents", 10)], factor: 1, seconds: 5 },
  ])("divides a bucket's calls by its rate: $name", ({ input, factor, seconds }) => {
    expect(lowerBound(input, QUOTAS, { ...RATE_ONLY, factor }).seconds).toBeCloseTo(seconds, 9);
  });

  it("lets a full bucket's burst go at once: (calls - burst) / rate", () => {
    // 500 calls, a burst of one second (50), then 450 at 50/s.
    expect(lowerBound([calls("secretsmanager", "GetResourcePolicy", 500)], QUOTAS, { latencyS: 0, burstSeconds: 1 }).seconds).toBeCloseTo(9, 9);
  });

  it("adds one round trip for the last answer, and a chain of pages takes a round trip each", () => {
    const latencyS = 0.025;
    expect(lowerBound([calls("kms", "DescribeKey", 10)], QUOTAS, { latencyS, burstSeconds: 0 }).seconds).toBeCloseTo(10 / 2000 + latencyS, 9);
    // 40 ListSecrets pages one after another: 1 s of round trips, more than 40 calls at 100/s.
    expect(lowerBound([calls("secretsmanager", "ListSecrets", 40, A, "us-east-1", 40)], QUOTAS, { latencyS, burstSeconds: 0 }).seconds).toBeCloseTo(40 * latencyS + latencyS, 9);
  });

  it("sums operations that share one AWS bucket (CloudTrail's Describe/Get calls)", () => {
    const bound = lowerBound(
      [calls("cloudtrail", "DescribeTrails", 1), calls("cloudtrail", "GetTrailStatus", 12), calls("cloudtrail", "GetEventSelectors", 12)],
      QUOTAS,
      RATE_ONLY,
    );
    expect(bound.seconds).toBeCloseTo(25 / 10, 9);
    expect(bound.critical?.operations.sort()).toEqual(["DescribeTrails", "GetEventSelectors", "GetTrailStatus"]);
  });

  it("keeps operations with their own buckets apart: the slowest one sets the time", () => {
    const bound = lowerBound(
      [calls("kms", "DescribeKey", 4000), calls("kms", "GetKeyRotationStatus", 4000), calls("kms", "ListKeyRotations", 400)],
      QUOTAS,
      RATE_ONLY,
    );
    // DescribeKey 2 s, GetKeyRotationStatus 4 s, ListKeyRotations 4 s: not their 10 s sum.
    expect(bound.seconds).toBeCloseTo(4, 9);
  });

  it("takes the largest account-region, not the sum, because account-regions run in parallel", () => {
    const bound = lowerBound(
      [
        calls("kms", "ListKeyRotations", 500, A, "us-east-1"),
        calls("kms", "ListKeyRotations", 500, A, "us-east-2"),
        calls("kms", "ListKeyRotations", 800, B, "us-east-1"),
      ],
      QUOTAS,
      RATE_ONLY,
    );
    expect(bound.seconds).toBeCloseTo(8, 9);
    expect(bound.critical?.scope).toBe(`${B}|us-east-1`);
  });

  it("meters a global quota once per account across regions, and puts STS before the regional part", () => {
    const bound = lowerBound(
      [
        calls("iam", "GetAccountAuthorizationDetails", 4, A, "us-east-1"),
        calls("iam", "GetAccountAuthorizationDetails", 4, A, "us-east-2"),
        calls("sts", "AssumeRole", 600, A, "us-east-1"),
      ],
      QUOTAS,
      RATE_ONLY,
    );
    // 8 IAM calls at 2/s in one account = 4 s; AssumeRole 600 at 600/s = 1 s before it.
    expect(bound.critical?.scope).toBe(A);
    expect(bound.prelude).toBeCloseTo(1, 9);
    expect(bound.seconds).toBeCloseTo(5, 9);
  });

  it("lists calls it cannot meter instead of counting them as free silently", () => {
    const bound = lowerBound([calls("s3", "GetBucketPolicy", 30), calls("kms", "ListKeys", 5)], QUOTAS, RATE_ONLY);
    expect(bound.unmetered).toEqual(["s3:GetBucketPolicy"]);
    expect(bound.seconds).toBeCloseTo(5 / 500, 9);
  });

  it("uses the table it is given", () => {
    const table: QuotaTable = { kms: { ListKeys: { perSecond: 1, bucket: "ListKeys", source: "test" } } };
    expect(lowerBound([calls("kms", "ListKeys", 3)], table, RATE_ONLY).seconds).toBe(3);
  });

  it.each([
    { name: "a factor that is not positive", options: { ...RATE_ONLY, factor: 0 } },
    { name: "a negative latency", options: { latencyS: -1, burstSeconds: 0 } },
  ])("rejects $name", ({ options }) => {
    expect(() => lowerBound([], QUOTAS, options)).toThrow(RangeError);
  });
});

describe("countCalls", () => {
  it("counts recorded calls per service, operation, account and region", () => {
    const recorded = [
      { service: "kms", operation: "DescribeKey", account: A, region: "us-east-1" },
      { service: "kms", operation: "DescribeKey", account: A, region: "us-east-1" },
      { service: "kms", operation: "DescribeKey", account: A, region: "us-east-2" },
    ];
    expect(countCalls(recorded).map((count) => count.calls).sort()).toEqual([1, 2]);
  });
});
