// Access Analyzer and CloudTrail LookupEvents, served by the proxy from seeds, read through the real SDK clients.
import { AccessAnalyzerClient, GetFindingV2Command, GetFindingsStatisticsCommand, ListAnalyzersCommand, ListArchiveRulesCommand, ListFindingsCommand, ListFindingsV2Command, paginateListAnalyzers, paginateListFindingsV2 } from "@aws-sdk/client-accessanalyzer";
import { CloudTrailClient, LookupEventsCommand, paginateLookupEvents } from "@aws-sdk/client-cloudtrail";
import { beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_ACCOUNT, clientConfig, useEmulator } from "./emulator.js";
import type { SeedFinding } from "./served-access-analyzer.js";
import type { SeedEvent } from "./served-lookup-events.js";

const emulator = useEmulator();
const REGION = "us-east-1";
const ANALYZER = `arn:aws:access-analyzer:${REGION}:${DEFAULT_ACCOUNT}:analyzer/external`;
const NOW = Date.now();
const daysAgo = (days: number) => new Date(NOW - days * 86_400_000);
const tool = (region = REGION) => ({
  ...clientConfig(emulator(), region, DEFAULT_ACCOUNT, { fixture: false }),
});
const nameOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: Error) => error.name,
  );

describe("Access Analyzer", () => {
  const findings: SeedFinding[] = Array.from({ length: 120 }, (_, index) => ({
    id: `finding-${String(index).padStart(3, "0")}`,
    resourceType: index % 2 === 0 ? "AWS::S3::Bucket" : "AWS::KMS::Key",
    resource: `arn:aws:s3:::bucket-${index}`,
    status: index < 100 ? "ACTIVE" : "ARCHIVED",
    isPublic: index % 10 === 0,
    principal: { AWS: "999999999999" },
    action: ["s3:GetObject"],
    createdAt: daysAgo(index),
  }));

  beforeEach(() => {
    emulator().proxy.seed.accessAnalyzer(DEFAULT_ACCOUNT, REGION, {
      analyzers: [
        { name: "external", type: "ACCOUNT" },
        { name: "unused", type: "ACCOUNT_UNUSED_ACCESS" },
      ],
      archiveRules: [
        { analyzerName: "external", ruleName: "trusted", filter: { "principal.AWS": { eq: ["999"] } } },
      ],
      findings,
    });
  });

  it("lists analyzers, filtered by type and paginated", async () => {
    const client = new AccessAnalyzerClient(tool());
    const external = await client.send(new ListAnalyzersCommand({ type: "ACCOUNT" }));
    expect(external.analyzers).toMatchObject([{ name: "external", arn: ANALYZER, status: "ACTIVE" }]);
    expect(external.analyzers?.[0]?.createdAt).toBeInstanceOf(Date);
    const pages = [];
    for await (const page of paginateListAnalyzers({ client, pageSize: 1 }, {}))
      pages.push(page.analyzers?.length);
    expect(pages).toEqual([1, 1]);
    const elsewhere = await new AccessAnalyzerClient(tool("eu-west-1")).send(new ListAnalyzersCommand({}));
    expect(elsewhere.analyzers).toEqual([]);
  });

  it("pages ListFindingsV2 with nextToken until every finding is read", async () => {
    const client = new AccessAnalyzerClient(tool());
    const sizes: number[] = [];
    const ids: string[] = [];
    for await (const page of paginateListFindingsV2({ client, pageSize: 50 }, { analyzerArn: ANALYZER })) {
      sizes.push(page.findings?.length ?? 0);
      ids.push(...(page.findings ?? []).map((finding) => finding.id ?? ""));
    }
    expect(sizes).toEqual([50, 50, 20]);
    expect(new Set(ids).size).toBe(120);
    expect(emulator().proxy.count("ListFindingsV2")).toBe(3);
  });

  it("filters findings on status and resource type", async () => {
    const client = new AccessAnalyzerClient(tool());
    const active = await client.send(
      new ListFindingsV2Command({
        analyzerArn: ANALYZER,
        filter: { status: { eq: ["ACTIVE"] } },
        maxResults: 500,
      }),
    );
    expect(active.findings).toHaveLength(100);
    const activeKeys = await client.send(
      new ListFindingsV2Command({
        analyzerArn: ANALYZER,
        filter: { status: { eq: ["ACTIVE"] }, resourceType: { eq: ["AWS::KMS::Key"] } },
        maxResults: 500,
      }),
    );
    expect(activeKeys.findings).toHaveLength(50);
    expect(
      activeKeys.findings?.every((f) => f.resourceType === "AWS::KMS::Key" && f.status === "ACTIVE"),
    ).toBe(true);
    expect(activeKeys.findings?.[0]).toMatchObject({
      findingType: "ExternalAccess",
      resourceOwnerAccount: DEFAULT_ACCOUNT,
    });
    expect(activeKeys.findings?.[0]?.createdAt).toEqual(daysAgo(1));
  });

  it("returns v1 summaries, finding details, archive rules and statistics", async () => {
    const client = new AccessAnalyzerClient(tool());
    const v1 = await client.send(new ListFindingsCommand({ analyzerArn: ANALYZER, maxResults: 1 }));
    expect(v1.findings?.[0]).toMatchObject({
      id: "finding-000",
      isPublic: true,
      principal: { AWS: "999999999999" },
    });
    const detail = await client.send(new GetFindingV2Command({ analyzerArn: ANALYZER, id: "finding-010" }));
    expect(detail.findingDetails?.[0]?.externalAccessDetails).toMatchObject({
      isPublic: true,
      action: ["s3:GetObject"],
    });
    const rules = await client.send(new ListArchiveRulesCommand({ analyzerName: "external" }));
    expect(rules.archiveRules).toMatchObject([
      { ruleName: "trusted", filter: { "principal.AWS": { eq: ["999"] } } },
    ]);
    const stats = await client.send(new GetFindingsStatisticsCommand({ analyzerArn: ANALYZER }));
    expect(stats.findingsStatistics?.[0]?.externalAccessFindingsStatistics).toMatchObject({
      totalActiveFindings: 100,
      totalArchivedFindings: 20,
      resourceTypeStatistics: { "AWS::S3::Bucket": { totalActivePublic: 10, totalActiveCrossAccount: 40 } },
    });
  });

  it("rejects an unknown analyzer and a forged nextToken as AWS does", async () => {
    const client = new AccessAnalyzerClient(tool());
    const unknown = `arn:aws:access-analyzer:${REGION}:${DEFAULT_ACCOUNT}:analyzer/nope`;
    expect(await nameOf(client.send(new ListFindingsV2Command({ analyzerArn: unknown })))).toBe(
      "ResourceNotFoundException",
    );
    expect(
      await nameOf(client.send(new ListFindingsV2Command({ analyzerArn: ANALYZER, nextToken: "forged" }))),
    ).toBe("ValidationException");
  });
});

describe("CloudTrail LookupEvents", () => {
  const events: SeedEvent[] = Array.from({ length: 120 }, (_, index) => ({
    EventId: `event-${index}`,
    EventName: index % 2 === 0 ? "GetSecretValue" : "RotateSecret",
    EventSource: "secretsmanager.amazonaws.com",
    EventTime: daysAgo(index / 4),
    Username: index % 3 === 0 ? "deploy" : "app",
    Resources: [{ ResourceType: "AWS::SecretsManager::Secret", ResourceName: `secret-${index % 5}` }],
  }));

  beforeEach(() => {
    emulator().proxy.seed.cloudTrailEvents(DEFAULT_ACCOUNT, REGION, [
      ...events,
      { EventName: "RotateSecret", EventSource: "secretsmanager.amazonaws.com", EventTime: daysAgo(91) },
    ]);
  });

  it("pages newest first, 50 at most, and drops events older than 90 days", async () => {
    const client = new CloudTrailClient(tool());
    const sizes: number[] = [];
    const times: number[] = [];
    for await (const page of paginateLookupEvents({ client, pageSize: 50 }, {})) {
      sizes.push(page.Events?.length ?? 0);
      times.push(...(page.Events ?? []).map((event) => event.EventTime?.getTime() ?? 0));
    }
    expect(sizes).toEqual([50, 50, 20]);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(times[0]).toBe(daysAgo(0).getTime());
  });

  it("filters on one lookup attribute and a time range", async () => {
    const client = new CloudTrailClient(tool());
    const rotations = await client.send(
      new LookupEventsCommand({
        LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "RotateSecret" }],
      }),
    );
    expect(rotations.Events).toHaveLength(50);
    expect(rotations.NextToken).toBeDefined();
    const bySecret = await client.send(
      new LookupEventsCommand({
        LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: "secret-0" }],
        StartTime: daysAgo(10),
        EndTime: daysAgo(5),
      }),
    );
    // One event every 6 hours, index = quarter-days ago; secret-0 is every fifth index. Newest (smallest) first.
    expect(bySecret.Events?.map((event) => event.EventId)).toEqual([
      "event-20",
      "event-25",
      "event-30",
      "event-35",
      "event-40",
    ]);
    const record = JSON.parse(bySecret.Events?.[0]?.CloudTrailEvent ?? "{}");
    expect(record).toMatchObject({ eventName: "GetSecretValue", recipientAccountId: DEFAULT_ACCOUNT });
  });

  it("rejects two lookup attributes and more than 50 results", async () => {
    const client = new CloudTrailClient(tool());
    const two = new LookupEventsCommand({
      LookupAttributes: [
        { AttributeKey: "EventName", AttributeValue: "RotateSecret" },
        { AttributeKey: "Username", AttributeValue: "app" },
      ],
    });
    expect(await nameOf(client.send(two))).toBe("InvalidLookupAttributesException");
    expect(await nameOf(client.send(new LookupEventsCommand({ MaxResults: 51 })))).toBe(
      "InvalidMaxResultsException",
    );
  });
});
