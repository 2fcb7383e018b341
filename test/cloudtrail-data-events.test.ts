import type { AdvancedFieldSelector, EventSelector, Trail } from "@aws-sdk/client-cloudtrail";
import { describe, expect, it } from "vitest";
import { judgeAccount, judgeTrail, lookupWindow, principalOf, requirementOf, trailFacts, uniqueTrails, type Requirement, type TrailFacts } from "../collectors/cloudtrail-data-events.judge.js";
import { covers, summarise, type Selectors, type Target } from "../collectors/cloudtrail-selectors.js";

const NOW = new Date("2026-11-25T12:00:00Z");
const EVIDENCE = "arn:aws:s3:::evidence/";
const S3: Target = { category: "Data", type: "AWS::S3::Object", arn: EVIDENCE };
const MANAGEMENT: Target = { category: "Management" };
const REQUIREMENT: Requirement = {
  dataTargets: [{ category: "Data", type: "AWS::S3::Object", arn: EVIDENCE }],
  maxDeliveryAgeHours: 24,
};

const classic = (...selectors: EventSelector[]): Selectors => ({ classic: selectors, advanced: [] });
const advanced = (...selectors: AdvancedFieldSelector[][]): Selectors => ({
  classic: [],
  advanced: selectors.map((FieldSelectors) => ({ FieldSelectors })),
});
const s3Data = (...values: string[]): EventSelector => ({
  ReadWriteType: "All",
  IncludeManagementEvents: true,
  DataResources: [{ Type: "AWS::S3::Object", Values: values }],
});
const data = { Field: "eventCategory", Equals: ["Data"] };
const s3Type = { Field: "resources.type", Equals: ["AWS::S3::Object"] };
const management = { Field: "eventCategory", Equals: ["Management"] };

describe("what the selectors log", () => {
  it.each<[string, Selectors, Target, boolean, boolean]>([
    // name, selectors, target, read logged, write logged
    ["classic All logs management read and write", classic({ ReadWriteType: "All" }), MANAGEMENT, true, true],
    ["classic default ReadWriteType is All", classic({}), MANAGEMENT, true, true],
    [
      "a write-only selector does not log reads",
      classic({ ReadWriteType: "WriteOnly" }),
      MANAGEMENT,
      false,
      true,
    ],
    [
      "a read-only selector does not log writes",
      classic({ ReadWriteType: "ReadOnly" }),
      MANAGEMENT,
      true,
      false,
    ],
    [
      "read-only plus write-only selectors log both together",
      classic({ ReadWriteType: "ReadOnly" }, { ReadWriteType: "WriteOnly" }),
      MANAGEMENT,
      true,
      true,
    ],
    [
      "IncludeManagementEvents false logs no management",
      classic({ IncludeManagementEvents: false }),
      MANAGEMENT,
      false,
      false,
    ],
    [
      "excluding kms.amazonaws.com leaves management events partly unlogged",
      classic({ ExcludeManagementEventSources: ["kms.amazonaws.com"] }),
      MANAGEMENT,
      false,
      false,
    ],
    ["no selectors at all log nothing", classic(), MANAGEMENT, false, false],
    ["the arn:aws:s3 prefix covers every bucket", classic(s3Data("arn:aws:s3")), S3, true, true],
    ["arn:aws:s3::: covers every bucket", classic(s3Data("arn:aws:s3:::")), S3, true, true],
    ["the evidence bucket itself is covered", classic(s3Data(EVIDENCE)), S3, true, true],
    [
      "another bucket does not cover the evidence bucket",
      classic(s3Data("arn:aws:s3:::other/")),
      S3,
      false,
      false,
    ],
    [
      "a key prefix inside the bucket is not the whole bucket",
      classic(s3Data(`${EVIDENCE}logs/`)),
      S3,
      false,
      false,
    ],
    [
      "a write-only data selector does not log evidence reads",
      classic({ ...s3Data("arn:aws:s3"), ReadWriteType: "WriteOnly" }),
      S3,
      false,
      true,
    ],
    [
      "an S3 selector for any bucket counts when no bucket is required",
      classic(s3Data("arn:aws:s3:::other/")),
      { category: "Data", type: "AWS::S3::Object" },
      true,
      true,
    ],
    [
      "a Lambda selector does not log S3 objects",
      classic({ DataResources: [{ Type: "AWS::Lambda::Function", Values: ["arn:aws:lambda"] }] }),
      S3,
      false,
      false,
    ],
    [
      "a Lambda function ARN is exact, not a prefix",
      classic({
        DataResources: [
          { Type: "AWS::Lambda::Function", Values: ["arn:aws:lambda:us-east-1:1:function:app"] },
        ],
      }),
      { category: "Data", type: "AWS::Lambda::Function", arn: "arn:aws:lambda:us-east-1:1:function:app2" },
      false,
      false,
    ],
    [
      "arn:aws:lambda covers every function",
      classic({ DataResources: [{ Type: "AWS::Lambda::Function", Values: ["arn:aws:lambda"] }] }),
      { category: "Data", type: "AWS::Lambda::Function", arn: "arn:aws:lambda:us-east-1:1:function:app2" },
      true,
      true,
    ],
    ["advanced management without readOnly logs both", advanced([management]), MANAGEMENT, true, true],
    [
      "advanced management with readOnly=true alone does not log writes",
      advanced([management, { Field: "readOnly", Equals: ["true"] }]),
      MANAGEMENT,
      true,
      false,
    ],
    [
      "advanced readOnly=true and readOnly=false selectors together log both",
      advanced(
        [management, { Field: "readOnly", Equals: ["true"] }],
        [management, { Field: "readOnly", Equals: ["false"] }],
      ),
      MANAGEMENT,
      true,
      true,
    ],
    [
      "advanced management excluding kms.amazonaws.com is partial",
      advanced([management, { Field: "eventSource", NotEquals: ["kms.amazonaws.com"] }]),
      MANAGEMENT,
      false,
      false,
    ],
    [
      "an advanced data selector does not log management events",
      advanced([data, s3Type]),
      MANAGEMENT,
      false,
      false,
    ],
    ["advanced S3 data with no ARN filter covers every bucket", advanced([data, s3Type]), S3, true, true],
    [
      "advanced StartsWith the evidence bucket covers it",
      advanced([data, s3Type, { Field: "resources.ARN", StartsWith: [EVIDENCE] }]),
      S3,
      true,
      true,
    ],
    [
      "advanced StartsWith arn:aws:s3 covers every bucket",
      advanced([data, s3Type, { Field: "resources.ARN", StartsWith: ["arn:aws:s3"] }]),
      S3,
      true,
      true,
    ],
    [
      "NotStartsWith the evidence bucket excludes it",
      advanced([data, s3Type, { Field: "resources.ARN", NotStartsWith: [EVIDENCE] }]),
      S3,
      false,
      false,
    ],
    [
      "NotStartsWith a key prefix inside the evidence bucket excludes part of it",
      advanced([data, s3Type, { Field: "resources.ARN", NotStartsWith: [`${EVIDENCE}tmp/`] }]),
      S3,
      false,
      false,
    ],
    [
      "NotStartsWith another bucket keeps the evidence bucket",
      advanced([data, s3Type, { Field: "resources.ARN", NotStartsWith: ["arn:aws:s3:::cloudtrail-logs/"] }]),
      S3,
      true,
      true,
    ],
    [
      "StartsWith another bucket does not cover the evidence bucket",
      advanced([data, s3Type, { Field: "resources.ARN", StartsWith: ["arn:aws:s3:::other/"] }]),
      S3,
      false,
      false,
    ],
    [
      "Equals one object is not the whole bucket",
      advanced([data, s3Type, { Field: "resources.ARN", Equals: [`${EVIDENCE}manifest.json`] }]),
      S3,
      false,
      false,
    ],
    [
      "NotEndsWith leaves some evidence objects unlogged",
      advanced([data, s3Type, { Field: "resources.ARN", NotEndsWith: [".tmp"] }]),
      S3,
      false,
      false,
    ],
    [
      "advanced data readOnly=false logs writes only",
      advanced([data, s3Type, { Field: "readOnly", Equals: ["false"] }]),
      S3,
      false,
      true,
    ],
    [
      "an eventName filter logs only some calls",
      advanced([data, s3Type, { Field: "eventName", Equals: ["PutObject", "GetObject"] }]),
      S3,
      false,
      false,
    ],
    [
      "an advanced selector for another resource type does not count",
      advanced([data, { Field: "resources.type", Equals: ["AWS::DynamoDB::Table"] }]),
      S3,
      false,
      false,
    ],
  ])("%s", (_name, selectors, target, read, write) => {
    expect({ read: covers(selectors, target, "read"), write: covers(selectors, target, "write") }).toEqual({
      read,
      write,
    });
  });

  it("summarises classic and advanced selectors without every value", () => {
    const lines = summarise({
      classic: [s3Data("a", "b", "c", "d", "e", "f", "g")],
      advanced: [
        { Name: "evidence", FieldSelectors: [data, { Field: "resources.ARN", NotStartsWith: [EVIDENCE] }] },
      ],
    });
    expect(lines[0]).toContain("data AWS::S3::Object a,b,c,d,e (+2 more)");
    expect(lines[1]).toBe(
      `advanced "evidence": eventCategory Equals Data; resources.ARN NotStartsWith ${EVIDENCE}`,
    );
  });
});

const goodTrail = (overrides: Partial<TrailFacts> = {}): TrailFacts => ({
  arn: "arn:aws:cloudtrail:us-east-1:123456789012:trail/org",
  name: "org",
  homeRegion: "us-east-1",
  multiRegion: true,
  organizationTrail: false,
  logging: true,
  logFileValidation: true,
  kmsKeyId: "arn:aws:kms:us-east-1:123456789012:key/k1",
  latestDeliveryTime: "2026-11-25T11:00:00.000Z",
  selectors: classic(s3Data("arn:aws:s3")),
  ...overrides,
});

describe("judgeTrail", () => {
  it.each<[string, Partial<TrailFacts>, string | undefined]>([
    ["passes a trail that meets every requirement", {}, undefined],
    ["fails a single-Region trail", { multiRegion: false }, "not multi-Region"],
    ["fails a trail that is not logging", { logging: false }, "not logging"],
    [
      "fails a trail logging without log file validation",
      { logFileValidation: false },
      "log file validation off",
    ],
    ["fails a trail without KMS encryption", { kmsKeyId: undefined }, "not KMS-encrypted"],
    [
      "fails a trail whose only management selector is write-only (not counted as read)",
      {
        selectors: classic(
          { ReadWriteType: "WriteOnly" },
          { ...s3Data("arn:aws:s3"), IncludeManagementEvents: false },
        ),
      },
      "management events read not logged",
    ],
    [
      "fails a trail whose NotStartsWith excludes the evidence bucket",
      {
        selectors: advanced(
          [management],
          [data, s3Type, { Field: "resources.ARN", NotStartsWith: ["arn:aws:s3:::evidence"] }],
        ),
      },
      `data events for ${EVIDENCE} read and write not logged`,
    ],
    [
      "fails a trail with no delivery recorded",
      { latestDeliveryTime: undefined },
      "no log delivery recorded",
    ],
    [
      "fails a trail whose last delivery is older than allowed",
      { latestDeliveryTime: "2026-11-24T10:00:00.000Z" },
      "last log delivery 26h ago (max 24h)",
    ],
    [
      "fails a trail with a delivery error",
      { latestDeliveryError: "AccessDenied" },
      "log delivery error AccessDenied",
    ],
    [
      "fails a validated trail whose digest delivery fails",
      { latestDigestDeliveryError: "NoSuchBucket" },
      "digest delivery error NoSuchBucket",
    ],
  ])("%s", (_name, overrides, missing) => {
    const verdict = judgeTrail(goodTrail(overrides), REQUIREMENT, NOW);
    expect(verdict.status).toBe(missing ? "fail" : "pass");
    expect(verdict.missing).toEqual(missing ? [missing] : []);
  });

  it("passes a trail whose arn:aws:s3 prefix covers the evidence bucket", () => {
    const verdict = judgeTrail(goodTrail({ selectors: classic(s3Data("arn:aws:s3")) }), REQUIREMENT, NOW);
    expect(verdict.coverage.data).toEqual([{ target: EVIDENCE, read: true, write: true }]);
  });

  it("ignores a digest delivery error when validation is off, but fails on validation", () => {
    const verdict = judgeTrail(
      goodTrail({ logFileValidation: false, latestDigestDeliveryError: "x" }),
      REQUIREMENT,
      NOW,
    );
    expect(verdict.missing).toEqual(["log file validation off"]);
  });

  it("names every failing requirement in the reason", () => {
    const selectors = classic({ ReadWriteType: "All" }, { ...s3Data(EVIDENCE), ReadWriteType: "WriteOnly" });
    const verdict = judgeTrail(goodTrail({ multiRegion: false, selectors }), REQUIREMENT, NOW);
    expect(verdict).toMatchObject({
      status: "fail",
      reason: `not multi-Region; data events for ${EVIDENCE} read not logged`,
    });
  });

  it("reads facts from DescribeTrails, GetTrailStatus and GetEventSelectors answers", () => {
    const trail: Trail = {
      Name: "t",
      TrailARN: "arn:aws:cloudtrail:us-east-1:1:trail/t",
      IsMultiRegionTrail: true,
      LogFileValidationEnabled: true,
      KmsKeyId: "",
    };
    const facts = trailFacts(
      trail,
      { IsLogging: true, LatestDeliveryTime: new Date("2026-11-25T11:00:00Z"), LatestDeliveryError: "" },
      { AdvancedEventSelectors: [{ FieldSelectors: [management] }] },
      "us-east-1",
    );
    expect(facts).toMatchObject({
      multiRegion: true,
      logging: true,
      kmsKeyId: undefined,
      latestDeliveryError: undefined,
    });
    expect(facts.selectors.advanced).toHaveLength(1);
  });
});

describe("de-duplicating trails across regions", () => {
  const home: Trail = {
    TrailARN: "arn:aws:cloudtrail:us-east-1:1:trail/org",
    HomeRegion: "us-east-1",
    IsMultiRegionTrail: true,
  };
  const local: Trail = { TrailARN: "arn:aws:cloudtrail:us-east-2:1:trail/local", HomeRegion: "us-east-2" };

  it("counts a multi-Region trail once, not once per region (its shadows are skipped)", () => {
    const { trails, shadowTrailsSkipped } = uniqueTrails([[home], [{ ...home }, local]]);
    expect(trails.map((trail) => trail.TrailARN)).toEqual([home.TrailARN, local.TrailARN]);
    expect(shadowTrailsSkipped).toBe(1);
  });
});

describe("judgeAccount", () => {
  const outcome = (name: string, status: "pass" | "fail" | "error", missing: string[] = []) => ({
    arn: `arn:aws:cloudtrail:us-east-1:1:trail/${name}`,
    name,
    status,
    missing,
  });
  it.each([
    [
      "passes when one trail meets everything",
      [outcome("a", "fail", ["x"]), outcome("b", "pass")],
      "pass",
      "b",
    ],
    [
      "fails naming the closest trail's gaps",
      [
        outcome("a", "fail", ["not logging", "not multi-Region"]),
        outcome("b", "fail", ["log file validation off"]),
      ],
      "fail",
      "b (closest of 2 trails): log file validation off",
    ],
    ["fails when there is no trail", [], "fail", "no CloudTrail trail in us-east-1"],
    [
      "is an error when an unread trail might have passed",
      [outcome("a", "fail", ["x"]), outcome("b", "error")],
      "error",
      "b",
    ],
  ] as const)("%s", (_name, trails, status, fact) => {
    const verdict = judgeAccount(
      trails.map((trail) => ({ ...trail, missing: [...trail.missing] })),
      ["us-east-1"],
    );
    expect(verdict.status).toBe(status);
    expect(verdict.reason).toContain(fact);
  });

  it("is an error when no region could be listed", () => {
    expect(judgeAccount([], []).status).toBe("error");
  });
});

describe("requirementOf", () => {
  const params = { dataResourceTypes: ["AWS::S3::Object"], dataResourceArns: [], maxDeliveryAgeHours: 24 };
  it("requires the evidence bucket by default when there is one", () => {
    expect(requirementOf(params, "evidence", "aws").dataTargets).toEqual([
      { category: "Data", type: "AWS::S3::Object", arn: EVIDENCE },
    ]);
  });
  it("accepts any S3 object selector when there is no evidence bucket", () => {
    expect(requirementOf(params, undefined, "aws").dataTargets).toEqual([
      { category: "Data", type: "AWS::S3::Object" },
    ]);
  });
  it("uses configured ARNs instead of the evidence bucket, each under its service's type", () => {
    const configured = {
      ...params,
      dataResourceTypes: ["AWS::S3::Object", "AWS::DynamoDB::Table"],
      dataResourceArns: ["arn:aws-cn:s3:::records/", "arn:aws-cn:sns:cn-north-1:1:topic"],
    };
    expect(requirementOf(configured, "evidence", "aws-cn").dataTargets).toEqual([
      { category: "Data", type: "AWS::S3::Object", arn: "arn:aws-cn:s3:::records/" },
      { category: "Data", type: "AWS::DynamoDB::Table" },
      { category: "Data", arn: "arn:aws-cn:sns:cn-north-1:1:topic" },
    ]);
  });
});

describe("period lookups", () => {
  it("queries the whole period when it lies within CloudTrail's 90 days", () => {
    const window = lookupWindow({ label: "2026-Q4", start: "2026-10-01", end: "2026-12-31" }, NOW);
    expect(window).toEqual({ window: { start: "2026-10-01T00:00:00.000Z", end: NOW.toISOString() } });
  });
  it("cuts a period that reaches back further than 90 days, with a note", () => {
    const window = lookupWindow({ label: "2026", start: "2026-01-01", end: "2026-12-31" }, NOW);
    expect(window.window?.start).toBe("2026-08-27T12:00:00.000Z");
    expect(window.note).toContain("events before 2026-08-27 are not counted");
  });
  it("queries nothing for a period older than 90 days", () => {
    const window = lookupWindow({ label: "2026-Q1", start: "2026-01-01", end: "2026-03-31" }, NOW);
    expect(window.window).toBeNull();
    expect(window.note).toContain("older than");
  });

  it.each([
    [
      "the role behind an assumed-role session",
      {
        userIdentity: {
          arn: "arn:aws:sts::1:assumed-role/app/task-1",
          sessionContext: { sessionIssuer: { arn: "arn:aws:iam::1:role/app" } },
        },
      },
      "arn:aws:iam::1:role/app",
    ],
    [
      "an IAM user's ARN",
      { userIdentity: { arn: "arn:aws:iam::1:user/alice" } },
      "arn:aws:iam::1:user/alice",
    ],
    ["the user name when the record has no ARN", { userIdentity: {} }, "bob"],
  ])("attributes a GetSecretValue to %s", (_name, record, principal) => {
    expect(principalOf({ Username: "bob", CloudTrailEvent: JSON.stringify(record) })).toBe(principal);
  });

  it("falls back to the user name when the record is not JSON", () => {
    expect(principalOf({ Username: "carol", CloudTrailEvent: "{" })).toBe("carol");
  });
});
