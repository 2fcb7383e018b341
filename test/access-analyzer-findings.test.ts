import type { ArchiveRuleSummary, FindingSummaryV2 } from "@aws-sdk/client-accessanalyzer";
import { describe, expect, it } from "vitest";
import { analyzerFacts, archiveFacts, criterionHolds, externalAccessFacts, isEvidence, judgeAnalyzer, judgeCoverage, judgeFinding, listedFacts, matchArchiveRule, resolvedWindow, rulesNeedDetails, type AnalyzerFacts, type FindingFacts } from "../collectors/access-analyzer-findings.judge.js";

const NOW = new Date("2026-08-15T12:00:00.000Z");
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();
const params = { maxOpenFindingAgeDays: 30 };

const analyzer = (type: string, status = "ACTIVE", statusReason?: string): AnalyzerFacts => ({
  analyzerArn: `arn:aws:access-analyzer:us-east-2:123456789012:analyzer/${type.toLowerCase()}`,
  analyzerName: type.toLowerCase(),
  analyzerType: type,
  status,
  ...(statusReason ? { statusReason } : {}),
});

const finding = (overrides: Partial<FindingFacts> = {}): FindingFacts => ({
  analyzerArn: "arn:aws:access-analyzer:us-east-2:123456789012:analyzer/account",
  analyzerType: "ACCOUNT",
  findingId: "f-1",
  status: "ACTIVE",
  findingType: "ExternalAccess",
  resource: "arn:aws:s3:::shared-bucket",
  resourceType: "AWS::S3::Bucket",
  resourceOwnerAccount: "123456789012",
  isPublic: false,
  principal: { AWS: "444455556666" },
  action: ["s3:GetObject"],
  condition: {},
  createdAt: daysAgo(5),
  updatedAt: daysAgo(5),
  ...overrides,
});

const rule = (ruleName: string, filter: ArchiveRuleSummary["filter"]): ArchiveRuleSummary => ({
  ruleName,
  filter,
  createdAt: NOW,
  updatedAt: NOW,
});

describe("region coverage", () => {
  it.each([
    ["passes a region with an ACTIVE account analyzer", [analyzer("ACCOUNT")], "pass"],
    ["passes a region with an ACTIVE organization analyzer", [analyzer("ORGANIZATION")], "pass"],
    ["fails a region with no analyzer at all", [], "fail"],
    [
      "fails a region whose only active analyzer finds unused access",
      [analyzer("ACCOUNT_UNUSED_ACCESS")],
      "fail",
    ],
    [
      "fails a region whose only active analyzer finds internal access",
      [analyzer("ACCOUNT_INTERNAL_ACCESS")],
      "fail",
    ],
    ["fails a region whose external analyzer is still CREATING", [analyzer("ACCOUNT", "CREATING")], "fail"],
    ["fails a region whose external analyzer FAILED", [analyzer("ORGANIZATION", "FAILED")], "fail"],
    ["fails a region whose external analyzer is DISABLED", [analyzer("ORGANIZATION", "DISABLED")], "fail"],
    [
      "passes a region with an unused-access analyzer beside an active external one",
      [analyzer("ORGANIZATION_UNUSED_ACCESS"), analyzer("ACCOUNT")],
      "pass",
    ],
  ] as const)("%s", (_name, analyzers, status) => {
    const verdict = judgeCoverage("us-east-2", analyzers);
    expect(verdict.status).toBe(status);
    if (status === "fail") expect(verdict.reason).toBe("no active external-access analyzer in us-east-2");
  });
});

describe("each analyzer", () => {
  it.each([
    ["passes an ACTIVE account analyzer", analyzer("ACCOUNT"), "pass"],
    ["passes an ACTIVE organization analyzer", analyzer("ORGANIZATION"), "pass"],
    [
      "reports an account unused-access analyzer without judging it",
      analyzer("ACCOUNT_UNUSED_ACCESS"),
      "not_applicable",
    ],
    [
      "reports an organization unused-access analyzer",
      analyzer("ORGANIZATION_UNUSED_ACCESS", "FAILED"),
      "not_applicable",
    ],
    [
      "reports an internal-access analyzer without judging it",
      analyzer("ORGANIZATION_INTERNAL_ACCESS"),
      "not_applicable",
    ],
    ["fails an external analyzer that is CREATING", analyzer("ACCOUNT", "CREATING"), "fail"],
    [
      "fails an external analyzer that FAILED",
      analyzer("ORGANIZATION", "FAILED", "AWS_SERVICE_ACCESS_DISABLED"),
      "fail",
    ],
  ] as const)("%s", (_name, facts, status) => {
    expect(judgeAnalyzer(facts).status).toBe(status);
  });

  it("says an unused-access analyzer is reported, not judged", () => {
    expect(judgeAnalyzer(analyzer("ACCOUNT_UNUSED_ACCESS")).reason).toBe(
      "unused-access analyzer (reported, not judged)",
    );
  });

  it("names the reason a failed analyzer gives", () => {
    const verdict = judgeAnalyzer(analyzer("ORGANIZATION", "FAILED", "AWS_SERVICE_ACCESS_DISABLED"));
    expect(verdict.reason).toContain("AWS_SERVICE_ACCESS_DISABLED");
  });

  it("reads the SDK analyzer summary, status reason included", () => {
    const facts = analyzerFacts({
      arn: "arn:aws:access-analyzer:us-east-1:123456789012:analyzer/org",
      name: "org",
      type: "ORGANIZATION",
      status: "FAILED",
      statusReason: { code: "DELEGATED_ADMINISTRATOR_DEREGISTERED" },
      createdAt: NOW,
    });
    expect(facts).toMatchObject({
      analyzerType: "ORGANIZATION",
      statusReason: "DELEGATED_ADMINISTRATOR_DEREGISTERED",
    });
  });
});

describe("each finding", () => {
  const byRule = { status: "ARCHIVED", archiveRule: "trusted-partner" };
  // [behaviour, facts that differ from a 5-day-old cross-account finding, days allowed, status, key fact]
  it.each([
    ["passes a cross-account finding open 5 days", {}, 30, "pass", "5 days"],
    ["fails a public finding opened today", { isPublic: true, createdAt: daysAgo(0) }, 30, "fail", "public"],
    ["fails a finding open 31 days against 30", { createdAt: daysAgo(31) }, 30, "fail", "31 days"],
    ["passes a finding open exactly 30 days", { createdAt: daysAgo(30) }, 30, "pass", "30 days"],
    ["passes a finding open 45 days against 60", { createdAt: daysAgo(45) }, 60, "pass", "45 days"],
    ["fails any open finding when 0 days are allowed", { createdAt: daysAgo(1) }, 0, "fail", "1 days"],
    [
      "excepts an archived finding 200 days old, not failing it as open",
      { ...byRule, createdAt: daysAgo(200) },
      30,
      "excepted",
      "trusted-partner",
    ],
    [
      "excepts an archived public finding, naming the rule",
      { ...byRule, isPublic: true },
      30,
      "excepted",
      "trusted-partner",
    ],
    [
      "excepts an archived finding no rule matches",
      { status: "ARCHIVED", createdAt: daysAgo(90) },
      30,
      "excepted",
      "archived manually",
    ],
    [
      "passes a resolved finding with its time to resolve",
      { status: "RESOLVED", createdAt: daysAgo(50), updatedAt: daysAgo(8) },
      30,
      "pass",
      "42 days",
    ],
  ] as const)("%s", (_name, overrides, maxOpenFindingAgeDays, status, fact) => {
    const verdict = judgeFinding(finding(overrides), { maxOpenFindingAgeDays }, NOW);
    expect(verdict.status).toBe(status);
    expect(verdict.reason).toContain(fact);
  });

  it("names the unevaluated keys when no rule could be decided", () => {
    const verdict = judgeFinding(
      finding({ status: "ARCHIVED", archiveRuleKeysUnknown: ["principal.AWS"] }),
      params,
      NOW,
    );
    expect(verdict).toMatchObject({ status: "excepted", reason: expect.stringContaining("principal.AWS") });
  });
});

describe("facts from the listing and the details", () => {
  const summary: FindingSummaryV2 = {
    id: "f-9",
    status: "RESOLVED",
    findingType: "ExternalAccess",
    resource: "arn:aws:sqs:us-east-2:123456789012:queue",
    resourceType: "AWS::SQS::Queue",
    resourceOwnerAccount: "123456789012",
    createdAt: new Date(daysAgo(20)),
    updatedAt: new Date(daysAgo(3)),
    analyzedAt: new Date(daysAgo(3)),
  };

  it("records age and time to resolve in whole days", () => {
    const facts = listedFacts(summary, analyzer("ACCOUNT"), NOW);
    expect(facts).toMatchObject({ findingId: "f-9", status: "RESOLVED", ageDays: 20, resolvedInDays: 17 });
    expect(facts.isPublic).toBeUndefined();
  });

  it("treats a finding as public when any of its external-access details is public", () => {
    const facts = externalAccessFacts([
      {
        externalAccessDetails: {
          condition: {},
          isPublic: false,
          principal: { AWS: "111122223333" },
          action: ["a"],
        },
      },
      {
        externalAccessDetails: {
          condition: { "aws:SourceVpc": "vpc-1" },
          isPublic: true,
          principal: { AWS: "*" },
        },
      },
    ]);
    expect(facts).toMatchObject({ isPublic: true, action: ["a"], condition: { "aws:SourceVpc": "vpc-1" } });
  });

  it("keeps resolved findings from inside the period and drops older ones", () => {
    const window = resolvedWindow({ label: "2026-Q3", start: "2026-07-01", end: "2026-09-30" }, NOW);
    expect(isEvidence({ ...summary, updatedAt: new Date("2026-07-01T00:00:00Z") }, window)).toBe(true);
    expect(isEvidence({ ...summary, updatedAt: new Date("2026-06-30T23:59:59Z") }, window)).toBe(false);
    expect(
      isEvidence({ ...summary, status: "ARCHIVED", updatedAt: new Date("2020-01-01T00:00:00Z") }, window),
    ).toBe(true);
  });

  it("keeps resolved findings from the last 90 days when no period is set", () => {
    const window = resolvedWindow(undefined, NOW);
    expect(isEvidence({ ...summary, updatedAt: new Date(daysAgo(89)) }, window)).toBe(true);
    expect(isEvidence({ ...summary, updatedAt: new Date(daysAgo(91)) }, window)).toBe(false);
  });
});

describe("archive rule attribution", () => {
  it.each([
    ["eq on the resource type", { resourceType: { eq: ["AWS::SQS::Queue", "AWS::S3::Bucket"] } }, true],
    ["eq that no value equals", { resourceType: { eq: ["AWS::KMS::Key"] } }, false],
    ["neq on the owner account", { resourceOwnerAccount: { neq: ["999999999999"] } }, true],
    ["neq that the value equals", { resourceOwnerAccount: { neq: ["123456789012"] } }, false],
    ["contains on the resource ARN", { resource: { contains: ["shared-"] } }, true],
    ["exists on the principal account", { "principal.AWS": { exists: true } }, true],
    ["exists false on an absent condition key", { "condition.aws:SourceVpc": { exists: false } }, true],
    ["eq on the principal account", { "principal.AWS": { eq: ["444455556666"] } }, true],
    ["eq on isPublic false", { isPublic: { eq: ["false"] } }, true],
    [
      "every key must hold",
      { resourceType: { eq: ["AWS::S3::Bucket"] }, "principal.AWS": { eq: ["1"] } },
      false,
    ],
  ] as const)("%s", (_name, filter, matches) => {
    const match = matchArchiveRule(
      [rule("r", filter as ArchiveRuleSummary["filter"])],
      finding({ status: "ARCHIVED" }),
    );
    expect(match.rule?.ruleName).toBe(matches ? "r" : undefined);
  });

  it("names the first matching rule", () => {
    const rules = [
      rule("kms-only", { resourceType: { eq: ["AWS::KMS::Key"] } }),
      rule("s3", { resource: { contains: ["arn:aws:s3"] } }),
    ];
    expect(archiveFacts(rules, finding({ status: "ARCHIVED" }))).toMatchObject({ archiveRule: "s3" });
  });

  it("does not guess a principal rule when the details were not read", () => {
    const unread = finding({
      status: "ARCHIVED",
      isPublic: undefined,
      principal: undefined,
      action: undefined,
      condition: undefined,
    });
    const rules = [rule("partner", { "principal.AWS": { eq: ["444455556666"] } })];
    expect(archiveFacts(rules, unread)).toEqual({ archiveRuleKeysUnknown: ["principal.AWS"] });
  });

  it("asks for details only when a rule filters on a key the listing lacks", () => {
    expect(rulesNeedDetails([rule("a", { resourceType: { eq: ["AWS::S3::Bucket"] } })])).toBe(false);
    expect(rulesNeedDetails([rule("b", { isPublic: { eq: ["false"] } })])).toBe(true);
  });

  it("combines operators of one criterion", () => {
    expect(criterionHolds({ exists: true, neq: ["x"] }, ["y"])).toBe(true);
    expect(criterionHolds({ exists: true, neq: ["x"] }, [])).toBe(false);
  });
});
