import { describe, expect, it } from "vitest";
import { countCalls, lowerBound, type CallCount, type QuotaTable } from "../bench/lower-bound.js";
import { QUOTAS } from "../src/aws/quotas.js";

const A = "111111111111";
const B = "222222222222";
const calls = (service: string, operation: string, count: number, account = A, region = "us-east-1"): CallCount => ({
  service,
  operation,
  account,
  region,
  calls: count,
});

describe("lowerBound", () => {
  it.each([
    { name: "KMS ListKeyRotations at 100 RPS x 0.5", input: [calls("kms", "ListKeyRotations", 1000)], share: 0.5, seconds: 20 },
    { name: "the same calls at the full quota", input: [calls("kms", "ListKeyRotations", 1000)], share: 1, seconds: 10 },
    { name: "GetResourcePolicy's 50 RPS bucket", input: [calls("secretsmanager", "GetResourcePolicy", 5000)], share: 0.5, seconds: 200 },
    { name: "LookupEvents at 2 TPS", input: [calls("cloudtrail", "LookupEvents", 10)], share: 0.5, seconds: 10 },
  ])("divides a bucket's calls by its allowed rate: $name", ({ input, share, seconds }) => {
    expect(lowerBound(input, QUOTAS, share).seconds).toBeCloseTo(seconds, 9);
  });

  it("sums operations that share one AWS bucket (CloudTrail's Describe/Get calls)", () => {
    const bound = lowerBound(
      [calls("cloudtrail", "DescribeTrails", 1), calls("cloudtrail", "GetTrailStatus", 12), calls("cloudtrail", "GetEventSelectors", 12)],
      QUOTAS,
      0.5,
    );
    expect(bound.seconds).toBeCloseTo(25 / 5, 9);
    expect(bound.critical?.operations.sort()).toEqual(["DescribeTrails", "GetEventSelectors", "GetTrailStatus"]);
  });

  it("keeps operations with their own buckets apart: the slowest one sets the time", () => {
    const bound = lowerBound(
      [calls("kms", "DescribeKey", 4000), calls("kms", "GetKeyRotationStatus", 4000), calls("kms", "ListKeyRotations", 400)],
      QUOTAS,
      0.5,
    );
    // DescribeKey 4 s, GetKeyRotationStatus 8 s, ListKeyRotations 8 s: not their 20 s sum.
    expect(bound.seconds).toBeCloseTo(8, 9);
  });

  it("takes the largest account-region, not the sum, because account-regions run in parallel", () => {
    const bound = lowerBound(
      [
        calls("kms", "ListKeyRotations", 500, A, "us-east-1"),
        calls("kms", "ListKeyRotations", 500, A, "us-east-2"),
        calls("kms", "ListKeyRotations", 800, B, "us-east-1"),
      ],
      QUOTAS,
      0.5,
    );
    expect(bound.seconds).toBeCloseTo(16, 9);
    expect(bound.critical?.scope).toBe(`${B}|us-east-1`);
  });

  it("meters a global quota once across regions and adds the Organizations/STS prelude before the regional part", () => {
    const bound = lowerBound(
      [
        calls("organizations", "ListAccounts", 4, A, "us-east-1"),
        calls("organizations", "ListAccounts", 4, A, "us-east-2"),
        calls("sts", "AssumeRole", 300, A, "us-east-1"),
        calls("kms", "ListKeyRotations", 100, B, "us-east-1"),
      ],
      QUOTAS,
      0.5,
    );
    // ListAccounts 8 calls at 4 RPS = 2 s; AssumeRole 300 at 300 RPS = 1 s; then ListKeyRotations 2 s.
    expect(bound.prelude).toBeCloseTo(3, 9);
    expect(bound.regional).toBeCloseTo(2, 9);
    expect(bound.seconds).toBeCloseTo(5, 9);
  });

  it("lists calls it cannot meter instead of counting them as free silently", () => {
    const bound = lowerBound([calls("s3", "GetBucketPolicy", 30), calls("kms", "ListKeys", 5)], QUOTAS, 0.5);
    expect(bound.unmetered).toEqual(["s3:GetBucketPolicy"]);
    expect(bound.seconds).toBeCloseTo(5 / 250, 9);
  });

  it("uses the table it is given", () => {
    const table: QuotaTable = { kms: { ListKeys: { perSecond: 1, bucket: "ListKeys", source: "test" } } };
    expect(lowerBound([calls("kms", "ListKeys", 3)], table, 1).seconds).toBe(3);
  });

  it("rejects a share that is not positive", () => {
    expect(() => lowerBound([], QUOTAS, 0)).toThrow(RangeError);
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
